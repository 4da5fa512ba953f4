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

import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from autofeat.encode.training import TrainingData
from autofeat.searching.candidates import Candidates
from autofeat.searching.evaluators.base import Outcome, select_features
from autofeat.searching.gates.base import Arch, GateOptions, retrain
from autofeat.searching.spaces import SearchSpace

__all__ = ["TorchTrial", "TorchEvaluator"]


@dataclass
class TorchConfig:
    """A trial's configuration: the architecture and the names of its fields."""

    arch: Arch
    features: list[str]


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
    td: TrainingData
    device: Any
    seconds: float = 0.0

    @property
    def params(self) -> int:
        """Parameters of the exported model."""
        return int(self.compact.n_params())

    def attrs(self) -> dict[str, Any]:
        return {"params": self.params, "epochs": self.epochs}

    def latency_us(self, rows: int = 4096, repeats: int = 5) -> float:
        """Microseconds per row to score a batch of ``rows`` validation rows with the exported
        model on the CPU (encoded ids in, probabilities out; the median of ``repeats`` timed
        runs after one warm-up). Measured, so it varies with the machine and its load."""
        import torch

        take = self.td.valid[:rows] if self.td.valid.size else self.td.train[:rows]
        ids = torch.from_numpy(self.td.ids[take][:, self.arch.fields].astype(np.int64))
        cross = None if self.cross is None else torch.from_numpy(self.cross[0][take].astype(np.int64))
        times = []
        with torch.no_grad():
            for k in range(repeats + 1):
                t0 = time.perf_counter()
                torch.sigmoid(self.compact(ids, cross))
                if k:
                    times.append(time.perf_counter() - t0)
        return float(np.median(times) / max(take.size, 1) * 1e6)

    @cached_property
    def feed(self) -> Any:
        """The trial's fields of every row on its device (built once: the pick among trials
        and the outcome both score the same fit)."""
        from autofeat.models.trainer import Feed

        return Feed(self.td.ids[:, self.arch.fields], self.td.y, None if self.cross is None else self.cross[0],
                    self.device)

    def predict(self, rows: np.ndarray) -> np.ndarray:
        from autofeat.models.trainer import predict

        return predict(self.model, self.feed, rows)


class TorchEvaluator:
    """Architectures over ``td``'s fields (the candidates, in ranking order) trained with the
    study's torch options (backbone, width, epochs, ... as for the gate searches).

    Args:
        td: the candidates' training data.
        space: the study's space.
        candidates: the candidates (their ranked pairs feed ``[interactions]``).
        options: the study's options; :meth:`~autofeat.searching.optuna_search.OptunaSearchOptions.gate_options`
            gives the training options, whose ``dim`` is replaced by ``max(choices)`` of
            ``[embedding_dims]`` when the space has that section.
    """

    name = "torch"
    sections = ("feature_subset", "embedding_dims", "interactions")
    default_space = ("feature_subset", "embedding_dims")
    second_objectives = ("n_features", "params", "latency")
    warmup_steps = 1  # epochs

    def __init__(self, td: TrainingData, space: SearchSpace, candidates: Candidates, options: Any) -> None:
        from autofeat.models.trainer import resolve_device

        self.td = td
        self.space = space
        self.candidates = candidates
        self.baseline = bool(options.baseline)
        gate: GateOptions = options.gate_options()
        top_pairs = int(space.get("interactions", "top_pairs", default=10).fixed) if space.has("interactions") else 0
        self.pairs = candidates.pairs(td.names, top_pairs) if top_pairs else []
        dims = space.get("embedding_dims", "choices").choices if space.has("embedding_dims") else None
        self.dim_choices = sorted(int(d) for d in dims) if dims else []
        # The ranking prunes the space: a field it found no evidence for draws its width from
        # the (narrow) no_evidence_choices, when the space has them.
        low = space.get("embedding_dims", "no_evidence_choices").choices if space.has("embedding_dims") else None
        self.evidence = set(candidates.with_evidence())
        self.low_choices = sorted(int(d) for d in low) if low else self.dim_choices
        self.options = replace(gate, dim=max(self.dim_choices)) if self.dim_choices else gate
        self.device = resolve_device(self.options.device)

    def suggest(self, trial: Any) -> TorchConfig:
        """The trial's architecture, suggested through ``trial``."""
        td = self.td
        names = select_features(trial, self.space, list(td.names))
        index = {n: i for i, n in enumerate(td.names)}
        fields = sorted(index[n] for n in names)
        arch = Arch(fields=fields)
        if self.dim_choices:
            per_field = bool(self.space.get("embedding_dims", "per_field", default=True).fixed)
            width = {} if per_field else {f: int(trial.suggest_categorical("dim", self.dim_choices)) for f in fields}
            for f in fields:
                if per_field:
                    width[f] = int(trial.suggest_categorical(f"dim:{td.names[f]}", self.field_choices(td.names[f])))
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
        return TorchConfig(arch, [td.names[f] for f in fields])

    def field_choices(self, name: str) -> list[int]:
        """The widths field ``name`` may draw."""
        return self.dim_choices if name in self.evidence else self.low_choices

    def warm_start(self) -> dict[str, Any]:
        """The ranking's guess, enqueued as a new study's first trial: fields with a
        significant score get the widest width (the stronger half) or the next one, fields
        in a pair with a gain the next one, the others the narrowest; a pair whose level
        counts showed a gain is memorized, one with a factorized gain only is factorized, the
        rest naive; every candidate is kept. The study then searches around it, and a guess
        that does not validate as well as what it finds is not the result."""
        td, c = self.td, self.candidates
        params: dict[str, Any] = {}
        top_k = self.space.get("feature_subset", "top_k")
        if self.space.has("feature_subset") and top_k.low is not None and top_k.high is not None:
            params["top_k"] = len(td.names)  # the draw's range is cut to the candidates
            flags_for = int(self.space.get("feature_subset", "include_flags_for", default=0).fixed or 0)
            params.update({f"use:{n}": True for n in td.names[:flags_for]})
        if self.dim_choices:
            choices = self.dim_choices
            strong = [n for n in c.informative() if n in td.names]
            strong.sort(key=lambda n: -c.relevance[n])
            width = {n: self.field_choices(n)[0] for n in td.names}
            for n in self.evidence & set(td.names):  # in a pair with a gain only
                width[n] = choices[max(len(choices) - 2, 0)]
            for i, n in enumerate(strong):
                width[n] = choices[-1] if i < (len(strong) + 1) // 2 else choices[max(len(choices) - 2, 0)]
            if bool(self.space.get("embedding_dims", "per_field", default=True).fixed):
                params.update({f"dim:{n}": w for n, w in width.items()})
            else:
                params["dim"] = choices[len(choices) // 2]
        if self.pairs:
            allowed = list(self.space.get("interactions", "choices").choices or ("naive", "memorize", "factorize"))
            for k, (a, b) in enumerate(self.pairs):
                method = {"count": "memorize", "factorized": "factorize"}.get(c.pair_hint(td.names[a], td.names[b]),
                                                                             "naive")
                params[f"pair:{k}"] = method if method in allowed else allowed[0]
        return params

    def fit(self, config: TorchConfig, trial: Any = None) -> TorchTrial:
        """Train ``config.arch``; with ``trial``, report every epoch's valid AUC and prune there."""
        from autofeat.models.export import export_compact

        def report_and_prune(epoch: int, auc: float, _ll: float) -> None:
            import optuna

            trial.report(auc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch}")

        t0 = time.perf_counter()
        on_score = report_and_prune if trial is not None else None
        model, cross, report = retrain(self.td, config.arch, self.options, quiet=True, on_score=on_score)
        compact = export_compact(model, self.td, config.arch, cross_keys=cross[2] if cross else None)
        return TorchTrial(config.arch, config.features, model, cross, compact, float(report.best_auc),
                          report.epochs_run, self.td, self.device, time.perf_counter() - t0)

    def outcome(self, fitted: TorchTrial, quiet: bool) -> Outcome:
        """Valid and test scores of the chosen fit (the model the trial had: same seed), its
        compact export as ``model.pt``, and the plain backbone on every candidate."""
        from autofeat.models.trainer import evaluate
        from autofeat.searching.gates.base import plain_baseline

        td, arch = self.td, fitted.arch
        feed = fitted.feed
        valid_auc, valid_ll = evaluate(fitted.model, feed, td.valid)
        test_auc, test_ll = evaluate(fitted.model, feed, td.test)
        baseline = plain_baseline(td, self.options, quiet)[0] if self.baseline else {}
        names = td.names
        dims = fitted.compact.field_dims()
        metrics = {**baseline, "valid_auc": valid_auc, "valid_logloss": valid_ll, "test_auc": test_auc,
                   "test_logloss": test_ll, "params_after": fitted.params, "retrain_seconds": round(fitted.seconds, 3)}
        return Outcome(
            metrics,
            embedding_dims={names[f]: int(d) for f, d in zip(arch.fields, dims)},
            interactions=[{"features": [names[a], names[b]], "method": m}
                          for (a, b), m in zip(arch.pairs, arch.pair_methods)],
            extra={"evaluator": self.name, "model": self.options.model, "model_file": "model.pt"},
            files={"model.pt": fitted.compact.write},
        )
