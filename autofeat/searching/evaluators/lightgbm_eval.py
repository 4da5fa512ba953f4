"""LightGBM on a feature subset: categoricals as categorical, early stopping and Optuna
pruning on the validation split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autofeat._threads import cap_jobs
from autofeat.searching.data import SplitData
from autofeat.searching.metrics import log_loss, roc_auc

__all__ = ["LightGBMFit", "fit_lightgbm"]


@dataclass
class LightGBMFit:
    booster: Any
    valid_auc: float
    best_iteration: int

    def scores(self, split: SplitData, rows: np.ndarray, features: Sequence[str]) -> dict[str, float]:
        p = self.booster.predict(split.codes[np.ix_(rows, split.columns(features))],
                                 num_iteration=self.best_iteration)
        return {"auc": roc_auc(split.y[rows], p), "logloss": log_loss(split.y[rows], p)}


def _pruning_callback(trial: Any) -> Any:
    import optuna

    def callback(env: Any) -> None:
        for data_name, metric, value, _ in env.evaluation_result_list:
            if data_name == "valid" and metric == "auc":
                trial.report(value, env.iteration)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned at iteration {env.iteration}")

    callback.order = 20  # after early stopping's bookkeeping
    return callback


def fit_lightgbm(
    split: SplitData,
    features: Sequence[str],
    params: dict[str, Any],
    *,
    num_boost_round: int = 300,
    early_stopping_rounds: int = 30,
    seed: int = 0,
    n_jobs: int | None = None,
    trial: Any = None,
) -> LightGBMFit:
    """Train on the train split, stop early on valid AUC; prune through ``trial`` if given."""
    import lightgbm as lgb

    cols = split.columns(features)
    cat = [i for i, c in enumerate(cols) if split.kinds[c] == "categorical"]
    base = {
        "objective": "binary", "metric": "auc", "verbosity": -1, "seed": seed,
        "deterministic": True, "force_col_wise": True, "num_threads": cap_jobs(n_jobs) if n_jobs else 0,
        "max_cat_to_onehot": 8,
    }
    base.update(params)
    train = lgb.Dataset(split.codes[np.ix_(split.train, cols)], split.y[split.train],
                        feature_name=[f"f{c}" for c in cols], categorical_feature=cat, free_raw_data=True)
    valid = lgb.Dataset(split.codes[np.ix_(split.valid, cols)], split.y[split.valid], reference=train)
    callbacks = [lgb.early_stopping(early_stopping_rounds, verbose=False)]
    if trial is not None:
        callbacks.append(_pruning_callback(trial))
    booster = lgb.train(base, train, num_boost_round=num_boost_round, valid_sets=[valid],
                        valid_names=["valid"], callbacks=callbacks)
    best = booster.best_iteration or booster.current_iteration()
    auc = booster.best_score.get("valid", {}).get("auc", float("nan"))
    return LightGBMFit(booster, float(auc), int(best))
