"""LightGBM on a feature subset of :class:`~autofeat.encode.training.TrainingData` (the same
train-only vocabularies and split as the torch searches): categorical ids as categoricals
(0: out of vocabulary or missing), numeric fields as their bin numbers (missing: NaN), early
stopping and Optuna pruning on the validation split.

Space sections it reads: ``feature_subset`` (which candidates) and ``lightgbm`` (the
booster's parameters; ``num_boost_round`` and ``early_stopping_rounds`` fixed values); see
:mod:`autofeat.searching.spaces`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autofeat._threads import cap_jobs
from autofeat.encode.training import TrainingData
from autofeat.searching.candidates import Candidates
from autofeat.searching.evaluators.base import Outcome, select_features
from autofeat.searching.metrics import log_loss, roc_auc
from autofeat.searching.spaces import SearchSpace

__all__ = ["LightGBMFit", "fit_lightgbm", "LightGBMEvaluator"]


@dataclass
class LightGBMFit:
    booster: Any
    valid_auc: float
    best_iteration: int

    def predict(self, td: TrainingData, rows: np.ndarray, features: Sequence[str]) -> np.ndarray:
        """Click probabilities of ``rows`` (``features``: the ones this model was fitted on)."""
        return self.booster.predict(lightgbm_matrix(td, rows, columns(td, features)), num_iteration=self.best_iteration)

    def scores(self, td: TrainingData, rows: np.ndarray, features: Sequence[str]) -> dict[str, float]:
        p = self.predict(td, rows, features)
        return {"auc": roc_auc(td.y[rows], p), "logloss": log_loss(td.y[rows], p)}


def columns(td: TrainingData, features: Sequence[str]) -> list[int]:
    index = {n: i for i, n in enumerate(td.names)}
    return [index[f] for f in features]


def lightgbm_matrix(td: TrainingData, rows: np.ndarray, cols: Sequence[int]) -> np.ndarray:
    """``rows`` x ``cols`` as LightGBM reads them: a categorical field's ids, a numeric field's
    bin numbers (ids are ordered by train frequency, bins by value; id 0 -> NaN)."""
    out = np.empty((rows.size, len(cols)), np.float32)
    for k, c in enumerate(cols):
        ids = td.ids[rows, c]
        f = td.fields[c]
        if f.kind == "numeric":
            lut = np.concatenate([[np.nan], f.values.to_numpy(zero_copy_only=False).astype(np.float32)])
            out[:, k] = lut[ids]
        else:
            out[:, k] = ids
    return out


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
    td: TrainingData,
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

    cols = columns(td, features)
    cat = [i for i, c in enumerate(cols) if td.fields[c].kind == "categorical"]
    base = {
        "objective": "binary", "metric": "auc", "verbosity": -1, "seed": seed,
        "deterministic": True, "force_col_wise": True, "num_threads": cap_jobs(n_jobs),  # OpenMP's default (0) ignores a container's quota
        "max_cat_to_onehot": 8,
    }
    base.update(params)
    train = lgb.Dataset(lightgbm_matrix(td, td.train, cols), td.y[td.train],
                        feature_name=[f"f{c}" for c in cols], categorical_feature=cat, free_raw_data=True)
    valid = lgb.Dataset(lightgbm_matrix(td, td.valid, cols), td.y[td.valid], reference=train)
    callbacks = [lgb.early_stopping(early_stopping_rounds, verbose=False)]
    if trial is not None:
        callbacks.append(_pruning_callback(trial))
    booster = lgb.train(base, train, num_boost_round=num_boost_round, valid_sets=[valid],
                        valid_names=["valid"], callbacks=callbacks)
    best = booster.best_iteration or booster.current_iteration()
    auc = booster.best_score.get("valid", {}).get("auc", float("nan"))
    return LightGBMFit(booster, float(auc), int(best))


@dataclass
class LightGBMConfig:
    """A trial's configuration: a feature subset and booster parameters."""

    features: list[str]
    params: dict[str, Any]


@dataclass
class LightGBMTrial:
    """A configuration trained on the train split."""

    config: LightGBMConfig
    fit: LightGBMFit
    td: TrainingData

    @property
    def features(self) -> list[str]:
        return self.config.features

    @property
    def valid_auc(self) -> float:
        return self.fit.valid_auc

    @property
    def params(self) -> int | None:
        return None  # a booster's size is not what a user trades AUC for here

    def attrs(self) -> dict[str, Any]:
        return {"best_iteration": self.fit.best_iteration}

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.fit.predict(self.td, rows, self.features)


class LightGBMEvaluator:
    """LightGBM over feature subsets of ``td`` (the candidates, in ranking order) and the
    ``[lightgbm]`` section's parameters.

    Args:
        td: the candidates' training data.
        space: the study's space.
        candidates: the candidates (their names, in ranking order, are the subsets' pool).
        options: the study's options (``seed``, ``n_jobs``, ``baseline``).
    """

    name = "lightgbm"
    sections = ("feature_subset", "lightgbm")
    default_space = ("feature_subset", "lightgbm")
    second_objectives = ("n_features",)
    warmup_steps = 20  # boosting rounds: the first say little

    def __init__(self, td: TrainingData, space: SearchSpace, candidates: Candidates, options: Any) -> None:
        self.td = td
        self.space = space
        self.candidates = list(candidates.features)
        self.options = options
        self.rounds = int(space.get("lightgbm", "num_boost_round", default=300).fixed)
        self.stop = int(space.get("lightgbm", "early_stopping_rounds", default=30).fixed)

    def suggest(self, trial: Any) -> LightGBMConfig:
        features = select_features(trial, self.space, self.candidates)
        params = {key: p.suggest(trial, prefix="lgb:") for key, p in self.space.sections.get("lightgbm", {}).items()
                  if key not in ("num_boost_round", "early_stopping_rounds")}
        return LightGBMConfig(features, params)

    def fit(self, config: LightGBMConfig, trial: Any = None) -> LightGBMTrial:
        fit = fit_lightgbm(self.td, config.features, config.params, num_boost_round=self.rounds,
                           early_stopping_rounds=self.stop, seed=self.options.seed, n_jobs=self.options.n_jobs,
                           trial=trial)
        return LightGBMTrial(config, fit, self.td)

    def outcome(self, fitted: LightGBMTrial, quiet: bool) -> Outcome:
        td = self.td
        test = fitted.fit.scores(td, td.test, fitted.features)
        metrics: dict[str, Any] = {}
        if self.options.baseline:  # the same parameters on every candidate
            every = self.fit(LightGBMConfig(list(self.candidates), fitted.config.params))
            all_test = every.fit.scores(td, td.test, every.features)
            metrics = {"all_features_valid_auc": every.valid_auc, "all_features_test_auc": all_test["auc"],
                       "all_features_test_logloss": all_test["logloss"], "all_features_n": len(self.candidates)}
        metrics.update(valid_auc=fitted.valid_auc, test_auc=test["auc"], test_logloss=test["logloss"])
        return Outcome(metrics, extra={"evaluator": self.name})
