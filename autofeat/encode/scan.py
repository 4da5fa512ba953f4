"""One streaming pass over a source: encode every column, pool (code, label) counts over all
rows, and keep a seeded uniform sample of rows for the analyses that need rows (redundancy,
pairs, duplicates).

The pass is the sequential case of the reduction in :mod:`autofeat.encode.partial` (one
partial takes every batch); its result depends on the rows, not on their order or batching.
Memory is bounded by one batch plus the sample, whatever the file size.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from autofeat._progress import Progress
from autofeat.encode.encoders import CategoricalEncoder, Kind, NumericEncoder, quantile_edges_weighted
from autofeat.errors import DataError, OptionError
from autofeat.io.arrow import to_numpy
from autofeat.io.sources import SchemaChanged, Source, check_delimiter

__all__ = ["Scan", "scan", "count_codes", "binned_views"]


@dataclass
class Scan:
    """What one pass over the data learned.

    Attributes:
        names, kinds, encoders: one entry per feature (the label excluded). Categorical
            codes number the values in ascending order; numeric codes are quantile bins
            whose edges come from the whole column (a mergeable sketch, :mod:`.sketch`).
        counts: per feature an int64 array (levels + 1, 2): row c counts the rows with code c
            (0 = missing) split by label, pooled over all rows (or over the sample when
            ``sample_rows`` was given).
        n_rows, n_pos: rows counted and how many have label 1.
        sample: int32 (features, m) codes of a uniform sample of rows: those with the
            smallest seeded hash of their content, in hash order (the same rows in the same
            order whatever the row order or partitioning); ``sample_y`` their labels.
        alt_encoders, alt_counts, alt_sample: for integer columns whose kind was not forced
            and that have more distinct values than bins, a second view as quantile bins (the
            main view is categorical), keyed by feature index; the ranking keeps the view that
            predicts better (:meth:`with_views`).
    """

    source: str
    label: str
    names: list[str]
    kinds: list[Kind]
    encoders: list[CategoricalEncoder | NumericEncoder]
    counts: list[np.ndarray]
    n_rows: int
    n_pos: int
    sample: np.ndarray
    sample_y: np.ndarray
    rows_read: int = 0
    alt_encoders: dict[int, NumericEncoder] = field(default_factory=dict)
    alt_counts: dict[int, np.ndarray] = field(default_factory=dict)
    alt_sample: dict[int, np.ndarray] = field(default_factory=dict)

    def with_views(self, numeric: Collection[int]) -> Scan:
        """This scan with the binned view of the features in ``numeric`` (which must have
        one) in place of their categorical view, and no alternative views left."""
        kinds, encoders, counts = list(self.kinds), list(self.encoders), list(self.counts)
        sample = self.sample.copy() if numeric else self.sample
        for f in numeric:
            kinds[f] = "numeric"
            encoders[f] = self.alt_encoders[f]
            counts[f] = self.alt_counts[f]
            sample[f] = self.alt_sample[f]
        return replace(self, kinds=kinds, encoders=encoders, counts=counts, sample=sample,
                       alt_encoders={}, alt_counts={}, alt_sample={})


def binned_views(sc: Scan, candidates: Collection[int], bins: int) -> Scan:
    """Add the quantile-bin view of each categorical integer column in ``candidates``.

    Bins are a function of the value, so the view needs no second pass: its edges are the
    count-weighted quantiles of the column's values (from the whole count table, not a
    first batch), its counts the categorical counts summed per bin, and its sample codes a
    lookup of the categorical ones."""
    alt_enc, alt_counts, alt_sample = {}, {}, {}
    for f in candidates:
        enc, counts = sc.encoders[f], sc.counts[f]
        k = enc.cardinality
        if not isinstance(enc, CategoricalEncoder) or k <= bins or enc.value_type is None:
            continue  # at most `bins` values: both views are the same partition
        if not pa.types.is_integer(enc.value_type):
            continue
        ordered = enc.sorted_int_values()
        if ordered is None:
            x, codes = to_numpy(enc.values_of(np.arange(1, k + 1))).astype(np.float64), np.arange(1, k + 1)
        else:
            x, codes = ordered[0].astype(np.float64), ordered[1]
        num = NumericEncoder(bins)
        num.edges = quantile_edges_weighted(x, counts[codes].sum(axis=1), bins, presorted=ordered is not None)
        lut = np.zeros(k + 1, np.int32)
        lut[codes] = np.searchsorted(num.edges, x, side="right") + 1
        size = num.cardinality + 1
        binned = np.stack([np.bincount(lut, weights=counts[:, c], minlength=size) for c in (0, 1)], axis=1)
        binned = binned.astype(np.int64)
        alt_enc[f], alt_counts[f], alt_sample[f] = num, binned, lut[sc.sample[f]]
    return replace(sc, alt_encoders=alt_enc, alt_counts=alt_counts, alt_sample=alt_sample)


def resolve_columns(
    source: Source,
    label: str | int,
    ignore: Sequence[str],
    numeric: Sequence[str],
    categorical: Sequence[str],
) -> tuple[str, list[str]]:
    names = source.names
    label = str(label)
    if label not in names:
        check_delimiter(source, label)
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        hint = "" if source.unit == "rows" else "; for a file without a header row pass --no-header and the column index"
        raise DataError(f"{source.name}: label column {label!r} not found (columns: {shown}){hint}")
    for opt, cols in (("ignore", ignore), ("numeric", numeric), ("categorical", categorical)):
        for c in cols:
            if c not in names:
                raise OptionError(f"--{opt}: unknown column {c!r} in {source.name}")
            if c == label and opt != "ignore":
                raise OptionError(f"--{opt}: {c!r} is the label column")
    both = set(numeric) & set(categorical)
    if both:
        raise OptionError(f"columns given as both --numeric and --categorical: {sorted(both)}")
    skip = set(ignore) | {label}
    features = [n for n in names if n not in skip]
    if not features:
        raise DataError(f"{source.name}: no feature columns besides the label {label!r}")
    return label, features


def scan(
    source: Source,
    label: str | int,
    *,
    ignore: Sequence[str] = (),
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    bins: int = 20,
    sample_rows: int | None = None,
    analysis_rows: int = 100_000,
    seed: int = 0,
    quiet: bool = True,
) -> Scan:
    """Read ``source`` once (again if a CSV column must be re-typed) and return a :class:`Scan`."""
    if bins < 2:
        raise OptionError(f"--bins must be >= 2, got {bins}")
    if sample_rows is not None and sample_rows < 1:
        raise OptionError(f"--sample-rows must be >= 1, got {sample_rows}")
    if analysis_rows < 1:
        raise OptionError(f"--analysis-rows must be >= 1, got {analysis_rows}")
    label, features = resolve_columns(source, label, ignore, numeric, categorical)
    while True:
        try:
            return _scan_once(
                source, label, features, set(numeric), set(categorical), bins,
                sample_rows, analysis_rows, seed, quiet,
            )
        except SchemaChanged:
            continue


def _scan_once(
    source: Source,
    label: str,
    features: list[str],
    numeric: set[str],
    categorical: set[str],
    bins: int,
    sample_rows: int | None,
    analysis_rows: int,
    seed: int,
    quiet: bool,
) -> Scan:
    # The sequential case of the reduction: one partial takes every batch in turn.
    from autofeat.encode.partial import Partial, PartialSpec, plan_kinds

    partial: Partial | None = None
    progress = Progress(source.size, source.unit, "scan", quiet)
    pool = ThreadPoolExecutor(max_workers=pa.cpu_count())
    try:
        for batch, done in source.batches():
            if partial is None:
                kinds = plan_kinds(source.name, batch.schema, features, numeric, categorical)
                partial = Partial(PartialSpec(
                    source=source.name, label=label, names=tuple(features), kinds=kinds,
                    cap=sample_rows if sample_rows else analysis_rows, count_all=not sample_rows, seed=seed,
                ))
            # Arrow's hashing and NumPy's gathers release the GIL: columns encode in parallel.
            partial.add(batch, pool.map)
            progress.update_to(done)
    finally:
        pool.shutdown()
        progress.close()
    if partial is None or partial.n_rows == 0:
        raise DataError(f"{source.name}: no data rows (only a header?)")
    return partial.finish(bins=bins, analysis_rows=analysis_rows, categorical=sorted(categorical))


def check_column_type(source: str, name: str, dtype: pa.DataType, *, forced_numeric: bool) -> None:
    """A one-line error for a column the encoders cannot take (they failed with a traceback):
    nested values (Parquet lists, structs, maps), or text forced to ``--numeric``."""
    if pa.types.is_nested(dtype):
        raise DataError(f"{source}: column {name!r} holds {dtype} values (lists, structs and maps cannot be "
                        f"ranked); pass --ignore {name}")
    numeric = (pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)
               or pa.types.is_temporal(dtype) or pa.types.is_boolean(dtype) or pa.types.is_null(dtype))
    if forced_numeric and not numeric:
        raise OptionError(f"--numeric {name}: the column holds {dtype} values, not numbers, in {source}")


class _CountTable:
    """(code, label) counts of every feature in one flat int64 array that the Numba kernel
    adds into directly; a feature's region grows by doubling when its vocabulary outgrows it,
    so the cost per batch is O(rows), not O(vocabulary)."""

    def __init__(self, n_feat: int, capacity: np.ndarray | None = None) -> None:
        self.capacity = np.full(n_feat, 16, np.int64) if capacity is None else capacity
        self.flat = np.zeros((int(self.capacity.sum()), 2), np.int64)

    def _offsets(self) -> np.ndarray:
        offsets = np.zeros(self.capacity.size + 1, np.int64)
        np.cumsum(self.capacity, out=offsets[1:])
        return offsets

    def add(self, codes: np.ndarray, y: np.ndarray, cardinalities: list[int]) -> None:
        from autofeat.encode._kernels import count_batch

        need = np.asarray(cardinalities, np.int64) + 1
        if (need > self.capacity).any():
            old_off = self._offsets()
            new_cap = np.where(need > self.capacity, np.maximum(need, 2 * self.capacity), self.capacity)
            grown = np.zeros((int(new_cap.sum()), 2), np.int64)
            new_off = np.zeros_like(old_off)
            np.cumsum(new_cap, out=new_off[1:])
            for f in range(self.capacity.size):
                grown[new_off[f]: new_off[f] + self.capacity[f]] = self.flat[old_off[f]: old_off[f + 1]]
            self.flat, self.capacity = grown, new_cap
        count_batch(codes, y, self._offsets(), self.flat)

    def result(self, cardinalities: list[int]) -> list[np.ndarray]:
        off = self._offsets()
        return [self.flat[off[f]: off[f] + c + 1] for f, c in enumerate(cardinalities)]


def count_codes(codes: np.ndarray, y: np.ndarray, cardinalities: Sequence[int] | np.ndarray) -> list[np.ndarray]:
    """Per-feature (code, label) count tables of a code matrix; feature f has codes
    ``0..cardinalities[f]`` (0 = missing)."""
    cards = [int(c) for c in cardinalities]
    table = _CountTable(len(cards), capacity=np.asarray(cards, np.int64) + 1)
    table.add(np.ascontiguousarray(codes), y, cards)
    return table.result(cards)
