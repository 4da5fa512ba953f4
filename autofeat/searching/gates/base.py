"""The search -> retrain contract every differentiable method shares.

A method's ``search`` trains a supernet with its gates and returns an :class:`Arch`: which
fields and values stay, how many dimensions each frequency block keeps, which method each
pair uses, and the embedding weights the retrain starts from. :func:`run` then retrains the
chosen architecture with early stopping on the validation split, exports the compact model,
scores the test split once, and returns a :class:`~autofeat.searching.result.SearchResult`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from autofeat.encode.training import TrainingData, check_fractions, load_training_data, lookup_sorted
from autofeat.errors import OptionError, check_finite
from autofeat.ranking.result import Ranking
from autofeat.searching.registry import GATE_METHODS, METHODS, gate_search
from autofeat.searching.result import SearchResult

__all__ = ["GateOptions", "Arch", "run", "count_params", "cross_ids", "GATE_METHODS"]

# Defaults of --search-epochs, per method.
SEARCH_EPOCHS = {name: METHODS[name].search_epochs for name in GATE_METHODS}


@dataclass(frozen=True)
class GateOptions:
    """Options of the differentiable searches (CLI flags have the same names with dashes).

    Attributes:
        model: backbone (lr, fm, deepfm, dcn, ipnn, dnn, autoint, finalmlp).
        dim: embedding width of the supernet (DNIS prunes below it).
        hidden: MLP widths of the backbone.
        epochs: most epochs of the retrain (early stopping on validation AUC).
        search_epochs: epochs of the search (None: 3 for OptFS and DNIS, 2 for OptInter, whose
            supernet is the heaviest per step and whose few pair weights settle in two).
        batch_size, lr, patience, stop_on, seed, n_jobs, device: training settings (see
            :class:`~autofeat.models.trainer.TrainOptions`; early stopping on valid log loss
            by default).
        baseline: also train the same backbone on every candidate field, on the same split,
            and report it as ``metrics.all_features_*`` (the figure the search must beat).
        field_z: OptFS/DNIS: a field stays only if shuffling its values across the validation
            rows raises the searched model's valid log loss by at least this many standard
            errors (paired over rows); 0 keeps every field that has a kept value. When the
            retrained model then validates worse than the baseline, it is retrained with the
            test-dropped fields kept, and the lowest valid log loss of the two and the
            baseline itself is the result (``field_check``).
        path_tolerance: OptFS: the kept gate state is the sparsest along the search's path
            whose valid AUC is within this of the best state's (and log loss within twice it).
        max_features: clean features taken from the ranking, in order.
        include: columns that are candidates whatever the ranking's flags (leak, id, ...).
        min_count: train rows a value needs for its own id (rarer ones share the OOV id).
        sample_rows, valid_fraction, test_fraction, time_column: data and split.
        final_temp: OptFS: gate temperature at the last search epoch (from 1).
        penalty: OptFS: sparsity weight; the penalty is ``penalty * mean(gates)``, so its
            pull per value scales with 1/vocabulary size.
        gate_lr: OptFS: Adam learning rate of the gates per 100 steps (scaled by 100 / steps
            per epoch, so the gates travel as far per epoch at any data size).
        rewind_epoch: OptFS: the retrain starts from the embeddings after this search epoch.
        blocks: DNIS: frequency blocks per field.
        arch_lr: DNIS/OptInter: learning rate of the selection weights.
        l1: DNIS: L1 weight on the dimension weights.
        keep: DNIS: fraction of embedding parameters kept.
        pairs_top: OptInter: candidate pairs (the ranking's best pairs among the features).
        cross_min_count: OptInter: train rows a cross value needs for its own id.
        min_temp: OptInter: softmax temperature at the end of the search (from 1).
        pair_penalty: OptInter: cost of a pair's weight on memorize (x1) and factorize (x0.5).
    """

    model: str = "deepfm"
    dim: int = 16
    hidden: tuple[int, ...] = (256, 128)
    epochs: int = 10
    search_epochs: int | None = None
    batch_size: int | None = None
    lr: float = 1e-3
    patience: int = 1
    stop_on: str = "logloss"
    baseline: bool = True
    field_z: float = 1.0
    path_tolerance: float = 0.001
    seed: int = 0
    n_jobs: int | None = None
    device: str = "cpu"
    max_features: int = 40
    include: tuple[str, ...] = ()
    min_count: int = 2
    sample_rows: int | None = None
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    time_column: str | None = None
    final_temp: float = 200.0
    penalty: float = 20.0
    gate_lr: float = 1e-2
    rewind_epoch: int = 1
    blocks: int = 4
    arch_lr: float = 1e-2
    l1: float = 1e-5
    keep: float = 0.5
    pairs_top: int = 10
    cross_min_count: int = 5
    min_temp: float = 0.01
    pair_penalty: float = 1e-3

    def check(self) -> None:
        require_torch()
        from autofeat.models.backbones import BACKBONES

        if self.model not in BACKBONES:
            raise OptionError(f"--model {self.model!r}: unknown (available: {', '.join(BACKBONES)})")
        check_finite(self)
        self.train_options(quiet=True).check()
        check_fractions(self.valid_fraction, self.test_fraction, self.sample_rows)
        for name in ("dim", "search_epochs", "max_features", "blocks", "cross_min_count"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise OptionError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.keep <= 1:
            raise OptionError(f"--keep must be in (0, 1], got {self.keep}")
        if self.final_temp < 1:
            raise OptionError(f"--final-temp must be >= 1, got {self.final_temp}")
        if not 0 < self.min_temp <= 1:
            raise OptionError(f"--min-temp must be in (0, 1], got {self.min_temp}")
        if self.penalty < 0 or self.l1 < 0 or self.pair_penalty < 0:
            raise OptionError("--penalty, --l1 and --pair-penalty must be >= 0")
        epochs = self.search_epochs or SEARCH_EPOCHS["optfs"]
        if not 0 <= self.rewind_epoch <= epochs:
            raise OptionError(f"--rewind-epoch must be in 0..--search-epochs ({epochs}), got {self.rewind_epoch}")
        if self.path_tolerance < 0:
            raise OptionError(f"--path-tolerance must be >= 0, got {self.path_tolerance}")
        if self.field_z < 0:
            raise OptionError(f"--field-z must be >= 0, got {self.field_z}")
        if self.pairs_top < 0 or any(h < 1 for h in self.hidden):
            raise OptionError("--pairs-top must be >= 0 and --hidden widths >= 1")

    def train_options(self, quiet: bool) -> Any:
        from autofeat.models.trainer import TrainOptions

        return TrainOptions(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                            patience=self.patience, stop_on=self.stop_on, seed=self.seed, n_jobs=self.n_jobs,
                            device=self.device, quiet=quiet)


@dataclass
class Arch:
    """What a search chose, over the supernet's fields (indices into ``TrainingData.fields``).

    Attributes:
        fields: kept fields.
        value_keep: float 0/1 per global id of the supernet (None: every value kept).
        block_of, dim_keep: frequency block of every global id and 0/1 per (block, dim)
            (None: every dimension kept).
        pairs, pair_methods: candidate pairs and the method chosen for each.
        state: supernet weights the retrain starts from (see :func:`snapshot`; empty: fresh
            initialization). Embedding rows of kept fields are taken; other layers only where
            their shape did not change.
        extra: method-specific facts for the result and report (histories, gate values);
            ``params_before`` is the supernet's parameter count.
        restore: the same choice with the fields that failed the permutation test kept (their
            gate decisions as the search made them), or None when no field was dropped by a
            test. :func:`run` retrains it when the chosen architecture validates worse than
            the baseline on every field (see :func:`_check_against_baseline`).
        check_rows: the validation rows that comparison uses (None: all of them); DNIS
            gives the half its dimension weights did not learn on, so that the comparison is
            not tilted towards its own choice.
    """

    fields: list[int]
    value_keep: np.ndarray | None = None
    block_of: np.ndarray | None = None
    dim_keep: np.ndarray | None = None
    pairs: list[tuple[int, int]] = field(default_factory=list)
    pair_methods: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    restore: Arch | None = None
    check_rows: np.ndarray | None = None


def snapshot(model: Any) -> dict[str, Any]:
    """A copy of a supernet's weights without its gates (for rewinding)."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()
            if not k.startswith(("gate.", "interactions."))}


def search_epochs(options: GateOptions, method: str) -> int:
    """``--search-epochs``, or the method's default."""
    return options.search_epochs or SEARCH_EPOCHS[method]


TORCH_HINT = ("pip install 'autofeat[torch]' (CPU only, no CUDA download: "
              "pip install torch --index-url https://download.pytorch.org/whl/cpu)")


def require_torch() -> None:
    """The gate methods and the torch evaluator train PyTorch models; torch is an optional
    dependency (ranking, the Optuna/LightGBM search and the selector do without it), so say in
    one line how to add it."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise OptionError(f"the torch CTR models (the gate methods optfs, dnis, optinter, and optuna with "
                          f"--model) need PyTorch, which is not installed: {TORCH_HINT}") from None


def device_of(options: GateOptions) -> Any:
    from autofeat.models.trainer import resolve_device

    return resolve_device(options.device)


def count_params(model: Any) -> int:
    """Trainable parameters of a model (architecture weights of a search excluded)."""
    return int(sum(p.numel() for n, p in model.named_parameters()
                   if not n.endswith("alpha") and not n.endswith("gate_logits")))


def cross_ids(data: TrainingData, pairs: Sequence[tuple[int, int]], min_count: int) -> tuple[np.ndarray, list[int], list[np.ndarray]]:
    """Cross-value ids of ``pairs`` for every row, with vocabularies fitted on train rows:
    ``(ids (rows, P) int32, ids per pair incl. OOV, sorted cross keys per pair)``. A cross
    key is ``id_a * size_b + id_b``; keys rarer than ``min_count`` in train share id 0."""
    out = np.zeros((data.y.size, len(pairs)), np.int32)
    sizes, keys = [], []
    for k, (a, b) in enumerate(pairs):
        key = data.ids[:, a].astype(np.int64) * data.fields[b].size + data.ids[:, b]
        uniq, cnt = np.unique(key[data.train], return_counts=True)
        kept = uniq[cnt >= min_count]
        out[:, k] = lookup_sorted(kept, key)
        sizes.append(int(kept.size) + 1)
        keys.append(kept)
    return out, sizes, keys


def _method(name: str) -> Callable[..., Arch]:
    """The gate search ``name`` (found in the registry: this module imports no method, the
    methods import it)."""
    return gate_search(name)


def run(method: str, data: Any, label: str, ranking: Ranking, out_dir: str | Path | None,
        options: GateOptions | None = None, *, header: bool = True, delimiter: str | None = None,
        quiet: bool = True) -> SearchResult:
    """Search with ``method`` over the ranking's best features, retrain, export, report."""
    import torch

    from autofeat.models.trainer import Feed, resolve_device

    options = options or GateOptions()
    options.check()
    search = _method(method)
    options = replace(options, search_epochs=search_epochs(options, method))  # recorded in the result
    features = ranking.top(options.max_features, include=options.include)
    if not features:
        raise OptionError("the ranking has no clean feature to search over")
    kinds = {f: ranking.feature(f).kind for f in features}
    td = load_training_data(data, label, features, kinds=kinds, bins=int(ranking.options.get("bins", 20)),
                            min_count=options.min_count, header=header, delimiter=delimiter,
                            seed=options.seed, valid_fraction=options.valid_fraction,
                            test_fraction=options.test_fraction, time_column=options.time_column,
                            sample_rows=options.sample_rows)
    device = resolve_device(options.device)
    if options.n_jobs:
        torch.set_num_threads(options.n_jobs)
    baseline, base_fit = plain_baseline(td, options, quiet) if options.baseline else ({}, None)
    t0 = time.perf_counter()
    arch = search(td, ranking, options, quiet)
    search_seconds = time.perf_counter() - t0
    if not arch.fields:
        raise OptionError(f"{method} kept no field: lower --penalty / --l1 or raise --keep")
    t1 = time.perf_counter()
    from autofeat.models.export import export_compact
    from autofeat.models.trainer import evaluate

    model, cross, report = retrain(td, arch, options, quiet)
    feed = Feed(td.ids[:, arch.fields], td.y, None if cross is None else cross[0], device)
    fitted = (model, cross, report, feed)
    if base_fit is not None:
        rows = td.valid if arch.check_rows is None else arch.check_rows
        search_ll, base_ll = evaluate(model, feed, rows)[1], evaluate(base_fit[0], base_fit[3], rows)[1]
        if search_ll > base_ll:
            arch, fitted = _check_against_baseline(td, arch, fitted, search_ll, base_fit, base_ll, rows,
                                                   options, quiet, device)
    model, cross, report, feed = fitted
    valid_auc, valid_ll = evaluate(model, feed, td.valid)
    retrain_seconds = time.perf_counter() - t1
    test_auc, test_ll = evaluate(model, feed, td.test)
    compact = export_compact(model, td, arch, cross_keys=cross[2] if cross else None)
    names = td.names
    kept_fields = [names[i] for i in arch.fields]
    metrics = {
        **baseline,
        "valid_auc": valid_auc, "valid_logloss": valid_ll, "test_auc": test_auc, "test_logloss": test_ll,
        "params_before": int(arch.extra.pop("params_before")), "params_after": compact.n_params(),
        "search_seconds": round(search_seconds, 3), "retrain_seconds": round(retrain_seconds, 3),
        "retrain_epochs": report.epochs_run, "n_features": len(kept_fields), "candidates": len(features),
    }
    dims = compact.field_dims()
    interactions = [{"features": [names[a], names[b]], "method": m} for (a, b), m in zip(arch.pairs, arch.pair_methods)]
    result = SearchResult(
        method=method, features=kept_fields, metrics=metrics,
        embedding_dims={kept_fields[i]: d for i, d in enumerate(dims)},
        interactions=interactions,
        kept_values={names[i]: int(compact.kept_values()[k]) for k, i in enumerate(arch.fields)}
        if method == "optfs" else None,
        extra={"model": options.model,
               "vocabulary": {f.name: f.size for f in td.fields},
               "retrain_history": report.history,
               "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(options).items()},
               "rows": {"train": int(td.train.size), "valid": int(td.valid.size), "test": int(td.test.size)},
               **arch.extra},
    )
    if out_dir is not None:
        from autofeat.report.search_html import search_html

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        result.extra["model_file"] = "model.pt"
        result.save(out, html=search_html(result.to_dict()), files={"model.pt": compact.write})
    return result


def _check_against_baseline(td: TrainingData, arch: Arch, fitted: tuple, search_ll: float, base_fit: tuple,
                            base_ll: float, rows: np.ndarray, options: GateOptions, quiet: bool,
                            device: Any) -> tuple[Arch, tuple]:
    """The retrained architecture validates worse than the baseline on every field (log loss
    on ``rows``: ``search_ll`` against ``base_ll``). Candidates: the search's choice, the same
    with the fields its permutation tests dropped kept (``arch.restore``, one more retrain; a
    small validation split fails weak real fields), and the baseline itself; the lowest log
    loss on ``rows`` wins, so a search never hands over a model that validates worse than the
    plain one. Fits are ``(model, cross, report, feed)``; the outcome is recorded under
    ``field_check``."""
    from autofeat.models.trainer import Feed, evaluate

    names = td.names
    fits: dict[str, tuple[Arch, tuple, float]] = {"search": (arch, fitted, search_ll)}
    back: list[str] = []
    if arch.restore is not None:
        restore = arch.restore
        model, cross, report = retrain(td, restore, options, quiet)
        feed = Feed(td.ids[:, restore.fields], td.y, None if cross is None else cross[0], device)
        fits["restored"] = (restore, (model, cross, report, feed), evaluate(model, feed, rows)[1])
        back = [names[f] for f in restore.fields if f not in arch.fields]
    fits["baseline"] = (Arch(fields=list(range(len(td.sizes)))), base_fit, base_ll)
    chosen = min(fits, key=lambda k: fits[k][2])  # ties: the first, the search's own
    check: dict[str, Any] = {f"{k}_valid_logloss": ll for k, (_, _, ll) in fits.items()}
    check.update(restored_fields=back, chosen=chosen, rows=int(rows.size))
    extra = dict(arch.extra, field_check=check)
    if chosen == "search":
        return replace(arch, extra=extra), fitted
    if chosen == "restored":
        assert arch.restore is not None
        extra.update(arch.restore.extra)
        extra["dropped_fields"] = {k: v for k, v in arch.extra.get("dropped_fields", {}).items() if k not in back}
        return replace(arch.restore, extra=extra, restore=None), fits["restored"][1]
    # The plain model: nothing is dropped or pruned; the search's per-field facts would mislead.
    for key in ("kept_ratio", "kept_row_share", "block_dims"):
        extra.pop(key, None)
    extra["dropped_fields"] = {}
    return Arch(fields=list(range(len(td.sizes))), extra=extra), base_fit


def retrain(td: TrainingData, arch: Arch, options: GateOptions, quiet: bool,
            on_score: Callable[[int, float, float], None] | None = None) -> tuple[Any, Any, Any]:
    """Train the chosen architecture (kept fields only) with early stopping (``--stop-on``);
    returns ``(model, cross_ids(...) of the memorized pairs or None, FitReport)``. ``on_score``
    sees every epoch's validation score (the Optuna evaluator reports and prunes there)."""
    import torch

    from autofeat.models.backbones import CTRModel
    from autofeat.models.layers import FixedMask, PairInteractions
    from autofeat.models.trainer import Feed, fit, resolve_device

    sizes = td.sizes
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    kept_global = np.concatenate([np.arange(offsets[i], offsets[i + 1]) for i in arch.fields])
    new_pos = {f: k for k, f in enumerate(arch.fields)}
    pairs = [(a, b) for a, b in arch.pairs if a in new_pos and b in new_pos]
    methods = [m for (a, b), m in zip(arch.pairs, arch.pair_methods) if a in new_pos and b in new_pos]
    mem = [p for p, m in zip(pairs, methods) if m == "memorize"]
    cross = cross_ids(td, mem, options.cross_min_count) if mem else None
    torch.manual_seed(options.seed + 1)
    gate = None
    if arch.value_keep is not None or arch.dim_keep is not None:
        vk = None if arch.value_keep is None else torch.tensor(arch.value_keep[kept_global], dtype=torch.float32)
        bo = dk = None
        if arch.dim_keep is not None and arch.block_of is not None:
            bo = torch.tensor(arch.block_of[kept_global], dtype=torch.long)
            dk = torch.tensor(arch.dim_keep, dtype=torch.float32)
        gate = FixedMask(vk, bo, dk)
    inter = None
    if any(m != "naive" for m in methods):
        inter = PairInteractions([(new_pos[a], new_pos[b]) for a, b in pairs],
                                 cross[1] if cross else [], options.dim, methods)
    model = CTRModel([sizes[i] for i in arch.fields], options.dim, options.model, hidden=options.hidden,
                     gate=gate, interactions=inter, n_extra=inter.n_out if inter else 0)
    if arch.state:
        _load_rewound(model, arch.state, torch.from_numpy(kept_global))
    device = resolve_device(options.device)
    model.to(device)
    feed = Feed(td.ids[:, arch.fields], td.y, None if cross is None else cross[0], device)
    report = fit(model, feed, td.train, td.valid, options.train_options(quiet), score_start=bool(arch.state),
                 on_score=on_score, desc="retrain")
    return model, cross, report


def _load_rewound(model: Any, state: dict[str, Any], kept_global: Any) -> None:
    """Embedding rows of the kept fields, and every other tensor whose shape still fits."""
    import torch

    own = model.state_dict()
    with torch.no_grad():
        for key, value in state.items():
            if key in ("embedding.table.weight", "embedding.linear.weight"):
                own[key].copy_(value[kept_global])
            elif key in own and own[key].shape == value.shape:
                own[key].copy_(value)


def supernet_feed(td: TrainingData, options: GateOptions, cross: np.ndarray | None = None) -> Any:
    from autofeat.models.trainer import Feed

    return Feed(td.ids, td.y, cross, device_of(options))


def describe_check(check: dict[str, Any]) -> str:
    """One sentence on a ``field_check`` (CLI and report)."""
    text = (f"the search's valid log loss {check['search_valid_logloss']:.4f} was above the baseline's "
            f"{check['baseline_valid_logloss']:.4f}")
    if check.get("restored_fields"):
        text += (f"; with the fields its tests dropped ({', '.join(check['restored_fields'])}) kept: "
                 f"{check['restored_valid_logloss']:.4f}")
    chosen = {"search": "the search's choice stays", "restored": "those fields came back",
              "baseline": "the result is the plain model on every candidate"}[check["chosen"]]
    return f"{text}; {chosen}"


def plain_baseline(td: TrainingData, options: GateOptions, quiet: bool) -> tuple[dict[str, float], tuple]:
    """The same backbone on every candidate field, no gates, same split and seed:
    ``all_features_*`` metrics (valid/test AUC and log loss, parameters, epochs), and the fit
    as ``(model, None, FitReport, feed)`` (the form :func:`run` compares architectures in)."""
    import torch

    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import evaluate, fit

    torch.manual_seed(options.seed + 1)
    model = CTRModel(td.sizes, options.dim, options.model, hidden=options.hidden)
    model.to(device_of(options))
    feed = supernet_feed(td, options)
    t = time.perf_counter()
    report = fit(model, feed, td.train, td.valid, options.train_options(quiet), desc="all features")
    valid_auc, valid_ll = evaluate(model, feed, td.valid)
    test_auc, test_ll = evaluate(model, feed, td.test)
    return ({"all_features_valid_auc": valid_auc, "all_features_valid_logloss": valid_ll,
             "all_features_test_auc": test_auc, "all_features_test_logloss": test_ll,
             "all_features_params": count_params(model), "all_features_epochs": report.epochs_run,
             "all_features_seconds": round(time.perf_counter() - t, 3)},
            (model, None, report, feed))


def field_tests(model: Any, feed: Any, valid: np.ndarray, fields: Sequence[int], seed: int,
                max_rows: int = 200_000) -> dict[int, tuple[float, float]]:
    """Permutation test of each field on validation rows: ``{field: (mean, standard error)}``
    of the per-row log-loss increase when the field's ids are shuffled across the rows.

    Shuffling (not zeroing) keeps the field's value distribution, so the model sees inputs
    like those it was trained on; a field whose kept values carry no signal on new rows
    scores about 0 however many values it kept."""
    tests = shuffle_tests(model, feed, valid, [[f] for f in fields], seed, max_rows)
    return {int(f): t for f, t in zip(fields, tests)}


def shuffle_tests(model: Any, feed: Any, valid: np.ndarray, groups: Sequence[Sequence[int]], seed: int,
                  max_rows: int = 200_000) -> list[tuple[float, float]]:
    """(mean, standard error) of the per-row valid log-loss increase when the fields of each
    group are shuffled together across the rows (one seeded permutation per call)."""
    import torch

    from autofeat.models.trainer import predict

    rng = np.random.default_rng([seed, 23])
    rows = valid if valid.size <= max_rows else np.sort(rng.choice(valid, max_rows, replace=False))
    y = feed.y[torch.from_numpy(rows).to(feed.device)].cpu().numpy().astype(np.float64)

    def row_ll(p: np.ndarray) -> np.ndarray:
        p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
        return -(y * np.log(p) + (1 - y) * np.log1p(-p))

    base = row_ll(predict(model, feed, rows))
    out: list[tuple[float, float]] = []
    idx = torch.from_numpy(rows).to(feed.device)
    saved = feed.ids[idx].clone()
    perm = torch.from_numpy(rng.permutation(rows.size)).to(feed.device)
    try:
        for group in groups:
            cols = torch.tensor(list(group), dtype=torch.long, device=feed.device)
            feed.ids[idx[:, None], cols[None, :]] = saved[perm][:, cols]
            d = row_ll(predict(model, feed, rows)) - base
            feed.ids[idx] = saved
            out.append((float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0))
    finally:
        feed.ids[idx] = saved
    return out


def field_decision(model: Any, feed: Any, rows: np.ndarray, candidates: Sequence[int], options: GateOptions,
                   names: Sequence[str]) -> tuple[list[int], dict[str, dict[str, float | str]], dict[str, Any]]:
    """Permutation-test ``candidates`` on ``rows`` with the model as it is now (its mask or
    pruning applied by the caller) and decide which fields stay (:func:`drop_fields`, with the
    joint check): ``(kept fields, dropped {name: reason...}, field_tests for result.json)``."""
    tests = field_tests(model, feed, rows, candidates, options.seed)
    fields, dropped = drop_fields(tests, options.field_z, names,
                                  joint=lambda fs: shuffle_tests(model, feed, rows, [fs], options.seed)[0])
    report = {names[f]: {"valid_logloss_increase": m, "standard_error": se} for f, (m, se) in tests.items()}
    return fields, dropped, report


def drop_fields(tests: dict[int, tuple[float, float]], z: float, names: Sequence[str],
                joint: Callable[[list[int]], tuple[float, float]] | None = None,
                ) -> tuple[list[int], dict[str, dict[str, float | str]]]:
    """Fields that pass the permutation test, and ``{name: {reason, mean, se}}`` of those that
    do not. At least the best field always stays.

    With ``joint`` (the test of shuffling a set of fields together), the fields that fail one
    by one must also fail together: while shuffling all of them at once still raises the valid
    log loss by ``z`` standard errors, the strongest of them is kept after all. Many weak
    fields can matter together where none is significant alone (a small validation split)."""
    if z <= 0 or not tests:
        return sorted(tests), {}
    passed = [f for f, (m, se) in tests.items() if m > z * se and m > 0]
    if not passed:
        passed = [max(tests, key=lambda f: tests[f][0])]
    failing = sorted((f for f in tests if f not in passed), key=lambda f: -tests[f][0])
    together: tuple[float, float] | None = None
    while joint is not None and failing:
        together = joint(failing)
        if not (together[0] > z * together[1] and together[0] > 0):
            break
        passed.append(failing.pop(0))
    dropped = {names[f]: {"reason": f"shuffling it on valid rows raises log loss by {m:.2e} "
                                    f"(< {z:g} x standard error {se:.1e})"
                                    + ("" if together is None else
                                       f"; all {len(failing)} dropped fields together: {together[0]:.2e} "
                                       f"(standard error {together[1]:.1e})"),
                          "valid_logloss_increase": m, "standard_error": se}
               for f, (m, se) in tests.items() if f in failing}
    return sorted(passed), dropped
