"""A torch CTR model as the evaluator of an Optuna study: each trial is an architecture over
the candidates (which fields, the embedding width of each, the method of each candidate pair),
trained with early stopping and reported epoch by epoch for pruning.

A trial's architecture is an :class:`~autofeat.searching.gates.base.Arch`, the same value the
differentiable searches return, and it is trained by the same retrain and exported by the
same compact export: per-field widths are a fixed mask over the first ``d`` of ``max(choices)``
dimensions (one mask block per field), so ``model.pt`` stores each field at its own width.

Space sections it reads: ``feature_subset`` (which fields), ``embedding_dims`` (``choices``,
``per_field``) and ``interactions`` (``top_pairs``, ``choices`` of naive / memorize /
factorize); see :mod:`autofeat.searching.spaces`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from autofeat.encode.training import TrainingData
from autofeat.searching.gates.base import Arch, GateOptions, retrain
from autofeat.searching.spaces import SearchSpace

__all__ = ["TorchTrial", "TorchEvaluator"]


@dataclass
class TorchTrial:
    """One trained architecture: the trial's arch, the model, its compact export (what a trial
    is measured by and the search hands over) and what it scored."""

    arch: Arch
    features: list[str]
    model: Any
    cross: Any
    compact: Any
    valid_auc: float
    epochs: int

    @property
    def params(self) -> int:
        """Parameters of the exported model."""
        return int(self.compact.n_params())


class TorchEvaluator:
    """Architectures over ``td``'s fields (the candidates, in ranking order), trained with
    ``options`` (backbone, width, epochs, learning rate, ... of the gate searches).

    Args:
        td: the candidates' training data.
        space: the study's space.
        pairs: candidate field pairs (indices into ``td.fields``) for ``[interactions]``.
        options: training options; ``dim`` is replaced by ``max(choices)`` of
            ``[embedding_dims]`` when the space has that section.
    """

    def __init__(self, td: TrainingData, space: SearchSpace, pairs: Sequence[tuple[int, int]],
                 options: GateOptions) -> None:
        self.td = td
        self.space = space
        self.pairs = list(pairs) if space.has("interactions") else []
        dims = space.get("embedding_dims", "choices").choices if space.has("embedding_dims") else None
        self.dim_choices = sorted(int(d) for d in dims) if dims else []
        self.options = replace(options, dim=max(self.dim_choices)) if self.dim_choices else options

    def arch(self, trial: Any, select: Any) -> tuple[Arch, list[str]]:
        """The trial's architecture (``select(trial)`` picks the fields' names), suggested
        through ``trial`` (a live trial or an ``optuna.trial.FixedTrial`` of stored params)."""
        td = self.td
        names = select(trial) if self.space.has("feature_subset") else list(td.names)
        index = {n: i for i, n in enumerate(td.names)}
        fields = sorted(index[n] for n in names)
        arch = Arch(fields=fields)
        if self.dim_choices:
            per_field = bool(self.space.get("embedding_dims", "per_field", default=True).fixed)
            width = {} if per_field else {f: int(trial.suggest_categorical("dim", self.dim_choices)) for f in fields}
            for f in fields:
                if per_field:
                    width[f] = int(trial.suggest_categorical(f"dim:{td.names[f]}", self.dim_choices))
            # One mask block per field: ids of field f use the first width[f] dimensions.
            arch.block_of = np.repeat(np.arange(len(td.sizes)), td.sizes)
            arch.dim_keep = np.zeros((len(td.sizes), self.options.dim), np.float32)
            for f in fields:
                arch.dim_keep[f, :width[f]] = 1.0
        if self.pairs:
            choices = list(self.space.get("interactions", "choices").choices or ("naive", "memorize", "factorize"))
            kept = set(fields)
            for k, (a, b) in enumerate(self.pairs):
                if a in kept and b in kept:  # a pair of a dropped field has no method to choose
                    arch.pairs.append((a, b))
                    arch.pair_methods.append(str(trial.suggest_categorical(f"pair:{k}", choices)))
        return arch, [td.names[f] for f in fields]

    def fit(self, arch: Arch, features: list[str], trial: Any = None, prune: bool = True) -> TorchTrial:
        """Train ``arch``; with ``trial`` and ``prune``, report every epoch's valid AUC and
        prune there (Optuna prunes single-objective studies only)."""
        from autofeat.models.export import export_compact

        def report_and_prune(epoch: int, auc: float, _ll: float) -> None:
            import optuna

            trial.report(auc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch}")

        on_score = report_and_prune if trial is not None and prune else None
        model, cross, report = retrain(self.td, arch, self.options, quiet=True, on_score=on_score)
        compact = export_compact(model, self.td, arch, cross_keys=cross[2] if cross else None)
        return TorchTrial(arch, features, model, cross, compact, float(report.best_auc), report.epochs_run)
