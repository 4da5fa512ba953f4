"""The ranking's scan as a reduction: encode a partition -> :class:`Partial`; merge partials;
finish -> :class:`~autofeat.encode.scan.Scan`.

Everything the ranking needs from the full data is additive or mergeable:

- per column, a vocabulary and its (code, label) counts: categorical values, or for numeric
  columns the buckets of a log-linear quantile sketch (:mod:`autofeat.encode.sketch`);
- the analysis sample: the ``cap`` rows with the smallest seeded hash of their content, so a
  row is in the sample or not whatever partition or position it comes from;
- the row count and the label's negative class (0 or -1).

A merge renumbers the other side's codes into this side's vocabulary and adds the counts:
O(columns x levels + sample), never O(rows). :meth:`Partial.finish` numbers every vocabulary
in value order and bins the numeric sketches, so the result depends on the multiset of rows
only, not on their order, the batch sizes, the partitioning or the merge order. The local
scan is the sequential case (one partial, batch after batch); the Spark and Dask engines
(:mod:`autofeat.encode.engines`) encode partitions on workers and merge the partials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from autofeat.encode.encoders import CategoricalEncoder, Kind, NumericEncoder, infer_kind
from autofeat.encode.label import LabelParser
from autofeat.encode.scan import Scan, binned_views, check_column_type, count_codes
from autofeat.encode.sketch import MISSING_HASH, bucket_edges, bucket_floor, bucket_keys, int_hashes, value_hashes
from autofeat.errors import DataError, OptionError
from autofeat.io.arrow import from_numpy, to_numpy

__all__ = ["PartialSpec", "Partial", "plan_kinds", "merge_all"]

_MISSING = np.array([MISSING_HASH], np.uint64).view(np.int64)[0]


@dataclass(frozen=True)
class PartialSpec:
    """What every partition of one scan agrees on.

    Attributes:
        source: what messages call the data.
        label: the label column.
        names, kinds: the feature columns and their kinds (from the schema, never a batch).
        cap: rows kept in the sample (``sample_rows`` when given, else ``analysis_rows``).
        count_all: count every row (False: counts come from the sample, ``--sample-rows``).
        seed: seeds the row hashes, hence the sample.
    """

    source: str
    label: str
    names: tuple[str, ...]
    kinds: tuple[Kind, ...]
    cap: int
    count_all: bool = True
    seed: int = 0


def plan_kinds(source: str, schema: pa.Schema, features: Sequence[str], numeric: Sequence[str],
               categorical: Sequence[str]) -> tuple[Kind, ...]:
    """Each feature's kind from the schema: forced, or inferred from its Arrow type."""
    kinds: list[Kind] = []
    for name in features:
        dtype = schema.field(name).type
        check_column_type(source, name, dtype, forced_numeric=name in numeric)
        kinds.append("numeric" if name in numeric else "categorical" if name in categorical else infer_kind(dtype))
    return tuple(kinds)


class _Regions:
    """Per-feature code-indexed rows of one flat array (``width`` columns), which Numba kernels
    index through ``offsets``; a feature's region grows by doubling when its vocabulary
    outgrows it, so the cost per batch is O(rows), not O(vocabulary)."""

    def __init__(self, capacity: np.ndarray, width: int, dtype: Any) -> None:
        self.capacity = capacity.astype(np.int64)
        self.flat = np.zeros((int(self.capacity.sum()), width), dtype)

    def offsets(self) -> np.ndarray:
        offsets = np.zeros(self.capacity.size + 1, np.int64)
        np.cumsum(self.capacity, out=offsets[1:])
        return offsets

    def reserve(self, need: np.ndarray) -> None:
        if not (need > self.capacity).any():
            return
        old_off = self.offsets()
        new_cap = np.where(need > self.capacity, np.maximum(need, 2 * self.capacity), self.capacity)
        grown = np.zeros((int(new_cap.sum()), self.flat.shape[1]), self.flat.dtype)
        new_off = np.zeros_like(old_off)
        np.cumsum(new_cap, out=new_off[1:])
        for f in range(self.capacity.size):
            grown[new_off[f]: new_off[f] + self.capacity[f]] = self.flat[old_off[f]: old_off[f + 1]]
        self.flat, self.capacity = grown, new_cap

    def region(self, f: int, size: int) -> np.ndarray:
        start = int(self.capacity[:f].sum())
        return self.flat[start: start + size]


class _BottomK:
    """The ``cap`` rows with the smallest keys (row hashes): which rows are kept depends on
    the rows alone, so adding and merging in any order keep the same ones. Rows with equal
    hashes have equal content, so which of them a cut keeps does not matter."""

    def __init__(self, cap: int, n_feat: int) -> None:
        self.cap = cap
        self.codes = np.zeros((n_feat, 0), np.int32)
        self.y = np.zeros(0, np.int8)
        self.keys = np.zeros(0, np.uint64)

    def add(self, codes: np.ndarray, y: np.ndarray, keys: np.ndarray) -> None:
        if self.cap <= 0:
            return
        held = self.keys.size
        if held + keys.size <= self.cap:
            self.codes = np.concatenate([self.codes, codes], axis=1)
            self.y, self.keys = np.concatenate([self.y, y]), np.concatenate([self.keys, keys])
            return
        pool = np.concatenate([self.keys, keys])
        keep = np.sort(np.argpartition(pool, self.cap - 1)[: self.cap])
        mine, new = keep[keep < held], keep[keep >= held] - held
        self.codes = np.concatenate([self.codes[:, mine], codes[:, new]], axis=1)
        self.y = np.concatenate([self.y[mine], y[new]])
        self.keys = pool[keep]

    def ordered(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The kept rows in key order (ties between equal rows in any order)."""
        order = np.argsort(self.keys, kind="stable")
        return np.ascontiguousarray(self.codes[:, order]), self.y[order], self.keys[order]


class Partial:
    """The scan state of some rows: add batches, merge other partials, finish into a Scan.

    Numeric columns are held as a :class:`CategoricalEncoder` over sketch bucket keys; every
    column also keeps a value hash per code, from which row hashes are computed."""

    def __init__(self, spec: PartialSpec) -> None:
        n = len(spec.names)
        self.spec = spec
        self.encoders = [CategoricalEncoder() for _ in range(n)]
        # Per feature and code: rows with label 0, with label 1, and the value's hash.
        self.table = _Regions(np.full(n, 16), 3, np.int64)
        self.table.flat[self.table.offsets()[:-1], 2] = _MISSING
        self.hashed = np.zeros(n, np.int64)  # codes 1..hashed[f] have their value hash
        self.parser = LabelParser(spec.label, spec.source)
        self.sample = _BottomK(spec.cap, n)
        self.n_rows = 0

    def __getstate__(self) -> dict[str, Any]:
        """What travels between workers: each column's values (in code order), counts and
        value hashes, trimmed to the vocabulary; the sample; the label's negatives. Lookup
        tables and spare capacity stay behind (they can be far larger than the values)."""
        cards = self.cardinalities()
        regions = [self.table.region(f, int(c) + 1) for f, c in enumerate(cards)]
        return {"spec": self.spec, "values": [e.values_since(0) for e in self.encoders],
                "table": np.concatenate(regions) if regions else np.zeros((0, 3), np.int64),
                "negatives": self.parser._negatives, "sample": self.sample, "n_rows": self.n_rows}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["spec"])  # type: ignore[misc]
        for enc, values in zip(self.encoders, state["values"]):
            if len(values):
                enc.encode(values)  # distinct values: codes 1..k in the same order
        cards = self.cardinalities()
        self.table = _Regions(cards + 1, 3, np.int64)
        self.table.flat[:] = state["table"]
        self.hashed = cards.copy()
        self.parser._negatives = set(state["negatives"])
        self.sample, self.n_rows = state["sample"], state["n_rows"]

    def cardinalities(self) -> np.ndarray:
        return np.array([e.cardinality for e in self.encoders], np.int64)

    def add(self, batch: pa.RecordBatch | pa.Table, run: Callable[..., Any] | None = None) -> None:
        """Encode one batch (all feature columns and the label) into this partial. ``run``:
        how to map the per-column work (``ThreadPoolExecutor.map``; default: in turn)."""
        from numba import get_num_threads

        from autofeat.encode._kernels import count_and_hash, finish_row_hashes

        n = batch.num_rows
        if n == 0:
            return
        spec = self.spec
        y = self.parser.parse(batch.column(spec.label))
        codes = np.empty((len(spec.names), n), np.int32)
        fresh: list[np.ndarray | None] = [None] * len(spec.names)

        def encode(f: int) -> None:
            before = self.encoders[f].cardinality
            codes[f] = self._encode(f, batch.column(spec.names[f]))
            if self.encoders[f].cardinality > before:  # hashed here, in parallel; stored below
                fresh[f] = self._value_hashes(f, before)

        list((run or map)(encode, range(len(spec.names))))
        self._store_hashes(fresh)
        sums = np.zeros((max(1, min(get_num_threads(), len(spec.names))), n), np.uint64)
        count_and_hash(codes, y, self.table.offsets(), self.table.flat, sums)
        keys = np.empty(n, np.uint64)
        finish_row_hashes(sums, y, spec.seed, keys)
        self.sample.add(codes, y, keys)
        self.n_rows += n

    def _encode(self, f: int, column: Any) -> np.ndarray:
        if self.spec.kinds[f] == "categorical":
            return self.encoders[f].encode(column)
        x = NumericEncoder.to_float(column)
        missing = np.isnan(x)
        return self.encoders[f].encode(from_numpy(bucket_keys(x), mask=missing))

    def _value_hashes(self, f: int, since: int) -> np.ndarray:
        """The value hashes of feature f's codes ``since + 1 ..``."""
        ints = self.encoders[f].int_values_since(since)
        return value_hashes(self.encoders[f].values_since(since)) if ints is None else int_hashes(ints)

    def _store_hashes(self, fresh: Sequence[np.ndarray | None]) -> None:
        """Make room for every feature's codes and store the new codes' hashes."""
        self.table.reserve(self.cardinalities() + 1)
        off = self.table.offsets()
        for f, hashes in enumerate(fresh):
            if hashes is not None:
                lo = int(self.hashed[f])
                self.table.flat[off[f] + lo + 1: off[f] + lo + 1 + hashes.size, 2] = hashes.view(np.int64)
                self.hashed[f] = lo + hashes.size

    def counts(self, f: int) -> np.ndarray:
        """Feature f's (code, label) counts, int64 (cardinality + 1, 2)."""
        return self.table.region(f, self.encoders[f].cardinality + 1)[:, :2]

    def merge(self, other: Partial) -> Partial:
        """Add ``other``'s rows to this partial (which it changes and returns); ``other`` is
        left as it was. Cost: O(columns x levels + sample rows)."""
        if other.spec != self.spec:
            raise DataError(f"{self.spec.source}: partials of different scans cannot be merged")
        self.parser.merge(other.parser)
        n = len(self.spec.names)
        mine = self.cardinalities()
        old_table = self.table
        maps = []
        for f in range(n):
            theirs = other.encoders[f].values_since(0)
            new = self.encoders[f].encode(theirs) if len(theirs) else np.zeros(0, np.int32)
            maps.append(np.concatenate([np.zeros(1, np.int32), new]))
        cards = self.cardinalities()
        self.table = _Regions(cards + 1, 3, np.int64)
        off = self.table.offsets()
        for f in range(n):
            region = self.table.flat[off[f]: off[f + 1]]
            region[: mine[f] + 1] = old_table.region(f, int(mine[f]) + 1)
            region[maps[f], :2] += other.counts(f)
            region[maps[f], 2] = other.table.region(f, maps[f].size)[:, 2]
        self.hashed = cards.copy()
        codes = np.empty_like(other.sample.codes)
        for f in range(n):
            codes[f] = maps[f][other.sample.codes[f]]
        self.sample.add(codes, other.sample.y, other.sample.keys)
        self.n_rows += other.n_rows
        return self

    def finish(self, *, bins: int, analysis_rows: int, categorical: Sequence[str] = ()) -> Scan:
        """The :class:`~autofeat.encode.scan.Scan` of the rows added and merged: vocabularies
        in value order, numeric sketches binned into at most ``bins`` bins, the sample in
        row-hash order (its first ``analysis_rows`` rows are the analysis sample)."""
        spec = self.spec
        if self.n_rows == 0:
            raise DataError(f"{spec.source}: no data rows (only a header?)")
        sample, sample_y, _ = self.sample.ordered()
        encoders: list[CategoricalEncoder | NumericEncoder] = []
        luts = []
        cards = self.cardinalities()
        for f, enc in enumerate(self.encoders):
            canon, perm = enc.canonical()
            if spec.kinds[f] == "numeric":
                keys = canon.int_values_since(0)
                if keys is None:  # held by hashing: bucket keys spread over a very wide range
                    keys = to_numpy(canon.values_since(0).cast(pa.int64())).astype(np.int64)
                num = NumericEncoder(bins)
                lut = np.zeros(cards[f] + 1, np.int32)
                if keys.size:
                    weights = np.zeros(keys.size)
                    if spec.count_all:
                        weights[perm[1:] - 1] = self.counts(f)[1:].sum(axis=1)
                    else:
                        weights += np.bincount(perm[sample[f]], minlength=keys.size + 1)[1:]
                    num.edges = bucket_edges(keys, weights, bins)
                    lut[1:] = np.searchsorted(num.edges, bucket_floor(keys), side="right") + 1
                encoders.append(num)
                luts.append(lut[perm])
            else:
                encoders.append(canon)
                luts.append(perm)
        out_cards = [e.cardinality for e in encoders]
        for f in range(len(encoders)):
            sample[f] = luts[f][sample[f]]
        if spec.count_all:
            counts = []
            for f, lut in enumerate(luts):
                region = self.counts(f)
                size = out_cards[f] + 1
                counts.append(np.stack([np.bincount(lut, weights=region[:, c], minlength=size)[:size]
                                        for c in (0, 1)], axis=1).astype(np.int64))
            total = self.n_rows
        else:
            counts = count_codes(sample, sample_y, out_cards)
            total = int(sample_y.size)
        if sample.shape[1] > analysis_rows:
            sample, sample_y = np.ascontiguousarray(sample[:, :analysis_rows]), sample_y[:analysis_rows]
        sc = Scan(
            source=spec.source, label=spec.label, names=list(spec.names), kinds=list(spec.kinds),
            encoders=encoders, counts=counts, n_rows=total, n_pos=int(counts[0][:, 1].sum()) if counts else 0,
            sample=sample, sample_y=sample_y, rows_read=self.n_rows,
        )
        # Integers are ids as often as counts: unless the kind was forced, both views are scored.
        return binned_views(sc, [f for f, name in enumerate(spec.names) if name not in set(categorical)], bins)


def merge_all(partials: Sequence[Partial]) -> Partial:
    """Merge partials pairwise as a balanced tree (the result does not depend on the order)."""
    if not partials:
        raise OptionError("no partials to merge")
    level = list(partials)
    while len(level) > 1:
        level = [level[i].merge(level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]
