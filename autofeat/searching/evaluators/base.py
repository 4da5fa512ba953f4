"""The contract between the Optuna study and what it tunes.

An evaluator turns a trial into a configuration (:meth:`Evaluator.suggest`), trains it and
reports its validation AUC step by step for pruning (:meth:`Evaluator.fit`), and turns the
chosen trial's fit into the result's metrics and files (:meth:`Evaluator.outcome`). The
study (:mod:`autofeat.searching.optuna_search`) owns everything else: storage, workers, the
exact budget, the pick among trials. Evaluators are found by name in :data:`EVALUATORS`
(imported on first use: the LightGBM one needs no torch, the torch one no LightGBM).

Adding one: a module with a class that has the attributes and methods of :class:`Evaluator`,
and a line in :data:`EVALUATORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import import_module
from typing import Any, ClassVar, Protocol

import numpy as np

from autofeat.errors import OptionError
from autofeat.searching.spaces import SearchSpace

__all__ = ["Evaluator", "Fitted", "Outcome", "EVALUATORS", "evaluator_class", "select_features"]


class Fitted(Protocol):
    """One trained configuration."""

    features: list[str]
    valid_auc: float

    @property
    def params(self) -> int | None:
        """Parameters of the model as it is handed over (None where not counted)."""

    def attrs(self) -> dict[str, Any]:
        """What the trial records about the fit (``epochs``, ``best_iteration``, ...)."""

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Click probabilities of ``rows`` of the training data."""


@dataclass
class Outcome:
    """What the chosen trial contributes to ``result.json``: metrics (``test_auc``, the
    all-features baseline, ...), per-field widths and pair methods where the evaluator
    chooses them, facts for ``extra``, and files to write beside it (name -> writer)."""

    metrics: dict[str, Any]
    embedding_dims: dict[str, int] | None = None
    interactions: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Callable[[Any], None]] = field(default_factory=dict)


class Evaluator(Protocol):
    """What the Optuna study needs from an evaluator.

    Attributes:
        name: the evaluator's name in :data:`EVALUATORS` and ``result.json``.
        sections: the search-space sections it reads (others are refused by name).
        default_space: the space used when none is given.
        second_objectives: what ``--second-objective`` may name with it.
        step_name: what a pruning step is (``boosting round``, ``epoch``).
        warmup_steps: steps before the pruner may stop a trial.
    """

    name: ClassVar[str]
    sections: ClassVar[tuple[str, ...]]
    default_space: ClassVar[tuple[str, ...]]
    second_objectives: ClassVar[tuple[str, ...]]
    warmup_steps: ClassVar[int]

    def suggest(self, trial: Any) -> Any:
        """The trial's configuration, drawn through ``trial`` (a live trial, or an
        ``optuna.trial.FixedTrial`` of stored parameters, which gives the same one again)."""

    def fit(self, config: Any, trial: Any = None) -> Fitted:
        """Train ``config``; with ``trial``, report the valid AUC at every step and raise
        ``optuna.TrialPruned`` where the study's pruner says so."""

    def outcome(self, fitted: Fitted, quiet: bool) -> Outcome:
        """Test metrics and the rest of the result for the chosen fit."""


EVALUATORS: dict[str, str] = {
    "lightgbm": "autofeat.searching.evaluators.lightgbm_eval:LightGBMEvaluator",
    "torch": "autofeat.searching.evaluators.torch_eval:TorchEvaluator",
}


def evaluator_class(name: str) -> Any:
    """The evaluator class registered as ``name``."""
    target = EVALUATORS.get(name)
    if target is None:
        raise OptionError(f"evaluator {name!r}: unknown (known: {', '.join(EVALUATORS)})")
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)


def select_features(trial: Any, space: SearchSpace, candidates: Sequence[str]) -> list[str]:
    """The ``[feature_subset]`` section's draw: the first ``top_k`` candidates, the first
    ``include_flags_for`` of them each behind a use/skip flag; every candidate without the
    section."""
    if not space.has("feature_subset"):
        return list(candidates)
    param = space.get("feature_subset", "top_k", default=len(candidates))
    if param.low is not None and param.high is not None and param.high > len(candidates):
        # A range past the candidates drew many sizes that all meant "every candidate" (9 of
        # 40 trials evaluated the same set with 20 candidates and the default 3..40).
        param = replace(param, low=min(param.low, len(candidates)), high=len(candidates))
    top = param.suggest(trial)
    top = max(1, min(int(top), len(candidates)))
    flags_for = min(int(space.get("feature_subset", "include_flags_for", default=0).fixed or 0), top)
    chosen = [f for i, f in enumerate(candidates[:top])
              if i >= flags_for or trial.suggest_categorical(f"use:{f}", [True, False])]
    return chosen or [candidates[0]]
