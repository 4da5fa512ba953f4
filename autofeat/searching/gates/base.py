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
from typing import Any

import numpy as np

from autofeat.encode.training import TrainingData, lookup_sorted
from autofeat.errors import OptionError
from autofeat.ranking.result import Ranking
from autofeat.searching.candidates import Candidates, training_data
from autofeat.searching.gates.options import TORCH_HINT, FieldTestOptions, GateOptions, options_for, require_torch
from autofeat.searching.registry import GATE_METHODS, METHODS, gate_search
from autofeat.searching.result import SearchResult

__all__ = ["GateOptions", "Arch", "run", "count_params", "cross_ids", "GATE_METHODS", "require_torch", "TORCH_HINT"]

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
    return options.epochs_of_search(int(METHODS[method].search_epochs or 1))


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


def run(method: str, data: Any, label: str, ranking: Ranking, options: GateOptions | None = None, *,
        header: bool = True, delimiter: str | None = None, quiet: bool = True) -> SearchResult:
    """Search with ``method`` over the ranking's best features, retrain, export; the result
    carries the compact model as its ``model.pt`` artifact (written with the rest by
    :func:`autofeat.report.outputs.save_search`). ``options``: the method's options type (a
    plain :class:`GateOptions` is taken as its shared part)."""
    import torch

    from autofeat.models.trainer import Feed, resolve_device

    options = options_for(method, options)
    options.check()
    search = gate_search(method)  # found in the registry: this module imports no method
    options = replace(options, search_epochs=search_epochs(options, method))  # recorded in the result
    candidates = Candidates.from_ranking(ranking, options.max_features, options.include)
    features = list(candidates.features)
    td = training_data(data, candidates, options, header=header, delimiter=delimiter)
    device = resolve_device(options.device)
    if options.n_jobs:
        torch.set_num_threads(options.n_jobs)
    baseline, base_fit = plain_baseline(td, options, quiet) if options.baseline else ({}, None)
    t0 = time.perf_counter()
    arch = search(td, candidates, options, quiet)
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
               "model_file": "model.pt", **arch.extra},
        artifacts={"model.pt": compact.write},
    )
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
    for key in ("kept_ratio", "kept_row_share", "kept_train_row_share", "block_dims"):
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


def field_decision(model: Any, feed: Any, rows: np.ndarray, candidates: Sequence[int], options: FieldTestOptions,
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
