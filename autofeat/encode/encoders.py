"""Column encoders: Arrow arrays in, compact int32 codes out, batch after batch.

Code 0 is always "missing" (null, empty field, NaN); observed values get 1, 2, ... in order of
first appearance (categoricals) or quantile-bin order (numerics). Codes stay stable across
batches, so counts from different batches add up.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from autofeat.io.arrow import from_numpy, to_numpy, values_and_validity

__all__ = ["Kind", "CategoricalEncoder", "NumericEncoder", "infer_kind", "make_encoder", "quantile_edges",
           "quantile_edges_weighted"]

Kind = Literal["categorical", "numeric"]


def infer_kind(dtype: pa.DataType) -> Kind:
    """Floats, decimals and times are numeric; strings, integers and booleans are categorical.

    Integers count as categorical because in click logs they are nearly always ids (app, site,
    device); pass ``numeric=[...]`` for integer-valued measurements.
    """
    if pa.types.is_dictionary(dtype):
        return "categorical"
    if (
        pa.types.is_floating(dtype)
        or pa.types.is_decimal(dtype)
        or pa.types.is_temporal(dtype)
    ):
        return "numeric"
    return "categorical"


# Integer ids spanning at most this many values are encoded through a lookup table.
_LUT_MAX_SPAN = 1 << 22


def _filled(arr: pa.Array, fill: int) -> np.ndarray:
    """Integer ``arr`` as NumPy with ``fill`` for nulls (``pc.fill_null`` would import pandas
    to convert the Python fill value)."""
    values, valid = values_and_validity(arr)
    return values if arr.null_count == 0 else np.where(valid, values, fill)


class CategoricalEncoder:
    """Dictionary encoding with one global, growing vocabulary per column.

    Integer columns whose values span a small range (most click-log ids) go through a lookup
    table, several times faster than hashing; others through Arrow's hash-based
    ``dictionary_encode``. Both number values in order of first appearance, so the codes are
    the same either way, and a column leaves the table for hashing when a batch's values
    outgrow it.
    """

    kind: Kind = "categorical"

    def __init__(self) -> None:
        self.values: pa.Array | None = None
        self._lut: np.ndarray | None = None
        self._lut_base = 0
        self._lut_next = 1
        self._lut_type: pa.DataType | None = None
        self._lut_vals = np.zeros(16, np.int64)  # the table's values in code order (code c at c - 1)

    @property
    def cardinality(self) -> int:
        """Number of distinct non-missing values seen so far."""
        if self._lut is not None:
            return self._lut_next - 1
        return 0 if self.values is None else len(self.values)

    @property
    def value_type(self) -> pa.DataType | None:
        """The Arrow type of the column's values (None before any value was seen)."""
        if self._lut is not None:
            return self._lut_type
        return None if self.values is None else self.values.type

    def _encode_lut(self, arr: pa.Array) -> np.ndarray | None:
        """Codes through the lookup table, or None when this batch does not fit in it."""
        if self.values is not None and self._lut is None:
            return None  # already hashing
        if not pa.types.is_integer(arr.type) or (self._lut_type and arr.type != self._lut_type):
            self._leave_lut()
            return None
        mm = pc.min_max(arr)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        if lo is None:  # all missing
            return np.zeros(len(arr), np.int32) if self._lut is not None else None
        if self._lut is None:
            if hi - lo >= _LUT_MAX_SPAN:
                return None
            self._lut = np.zeros(hi - lo + 1, np.int32)
            self._lut_base = lo
            self._lut_type = arr.type
        elif lo < self._lut_base or hi - self._lut_base >= len(self._lut):
            new_lo = min(lo, self._lut_base)
            new_hi = max(hi, self._lut_base + len(self._lut) - 1)
            if new_hi - new_lo >= _LUT_MAX_SPAN:
                self._leave_lut()
                return None
            grown = np.zeros(new_hi - new_lo + 1, np.int32)
            off = self._lut_base - new_lo
            grown[off: off + len(self._lut)] = self._lut
            self._lut, self._lut_base = grown, new_lo
        from autofeat.encode._kernels import remap_ints

        values, valid = values_and_validity(arr.cast(pa.int64()))  # null slots: ignored
        codes = np.empty(len(arr), np.int32)
        fresh = np.empty(len(arr), np.int64)
        start = self._lut_next
        self._lut_next = remap_ints(values, valid, self._lut, self._lut_base, self._lut_next, codes, fresh)
        if self._lut_next > start:
            if self._lut_next - 1 > self._lut_vals.size:
                grown = np.zeros(max(2 * self._lut_vals.size, self._lut_next - 1), np.int64)
                grown[: start - 1] = self._lut_vals[: start - 1]
                self._lut_vals = grown
            self._lut_vals[start - 1: self._lut_next - 1] = fresh[: self._lut_next - start]
        return codes

    def _leave_lut(self) -> None:
        """Hand the table's vocabulary over to the hash-based path."""
        if self._lut is None:
            return
        self.values = from_numpy(self._lut_vals[: self._lut_next - 1].copy()).cast(self._lut_type)
        self._lut = None

    def encode(self, arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        codes = self._encode_lut(arr)
        if codes is not None:
            return codes
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)
        if pa.types.is_floating(arr.type):  # NaN in a categorical means missing
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
        enc = pc.dictionary_encode(arr)
        batch_values = enc.dictionary
        # mapping[i] is the global code of batch value i; the extra last slot is "missing".
        mapping = np.zeros(len(batch_values) + 1, dtype=np.int32)
        if self.values is None:
            self.values = batch_values
            mapping[:-1] = np.arange(1, len(batch_values) + 1, dtype=np.int32)
        else:
            if batch_values.type != self.values.type:
                batch_values = batch_values.cast(self.values.type)
            found = pc.index_in(batch_values, value_set=self.values)
            idx = _filled(found, -1).astype(np.int64)
            new = idx < 0
            n_new = int(new.sum())
            mapping[:-1] = idx + 1
            if n_new:
                start = len(self.values)
                mapping[:-1][new] = np.arange(start + 1, start + n_new + 1, dtype=np.int32)
                self.values = pa.concat_arrays([self.values, batch_values.filter(from_numpy(new))])
        indices = _filled(enc.indices, len(batch_values))
        return mapping[indices]

    def sorted_int_values(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(distinct values ascending, their codes)`` of an integer column numbered through
        the lookup table, where the table already holds them in order (no sort); None for
        a column encoded by hashing."""
        return None if self._lut is None else self._lut_values()

    def _lut_values(self) -> tuple[np.ndarray, np.ndarray]:
        """The lookup table's values (ascending) and their codes."""
        assert self._lut is not None
        seen = np.flatnonzero(self._lut)
        return seen + self._lut_base, self._lut[seen].astype(np.int64)

    def values_since(self, k: int) -> pa.Array:
        """The values of codes ``k + 1 .. cardinality`` in code order (no nulls): what a
        batch, or a merge, added after the first ``k`` codes."""
        if self._lut is not None:
            return from_numpy(self._lut_vals[k: self._lut_next - 1].copy()).cast(self._lut_type)
        if self.values is None:
            return pa.array([], pa.null())
        return self.values.slice(k)

    def int_values_since(self, k: int) -> np.ndarray | None:
        """:meth:`values_since` as int64 NumPy values for an integer column held in the lookup
        table (no copy); None otherwise."""
        if self._lut is None or self._lut_type is None or not pa.types.is_integer(self._lut_type):
            return None
        return self._lut_vals[k: self._lut_next - 1]

    def canonical(self) -> tuple[CategoricalEncoder, np.ndarray]:
        """An encoder of the same values numbered in ascending value order, and ``perm``
        (int32, ``perm[old code] = new code``, ``perm[0] = 0``). Codes in order of first
        appearance depend on the row order; these depend on the set of values only."""
        k = self.cardinality
        perm = np.zeros(k + 1, np.int32)
        out = CategoricalEncoder()
        if self._lut is not None:
            values, codes = self._lut_values()  # ascending already
            perm[codes] = np.arange(1, k + 1, dtype=np.int32)
            out._lut, out._lut_base, out._lut_next, out._lut_type = perm[self._lut], self._lut_base, k + 1, self._lut_type
            out._lut_vals = values.astype(np.int64)
            return out, perm
        if self.values is None or k == 0:
            out.values = self.values
            return out, perm
        order = to_numpy(pc.sort_indices(self.values)).astype(np.int64)
        perm[order + 1] = np.arange(1, k + 1, dtype=np.int32)
        out.values = self.values.take(from_numpy(order))
        return out, perm

    def values_of(self, codes: np.ndarray) -> pa.Array:
        """The raw values of ``codes`` as an Arrow array (null for code 0, missing)."""
        codes = np.asarray(codes, np.int64)
        if self._lut is not None:
            raw = np.concatenate([[0], self._lut_vals[: self._lut_next - 1]])
            return from_numpy(raw[codes], mask=codes == 0).cast(self._lut_type)
        if self.values is None:
            return pa.nulls(len(codes))
        idx = from_numpy(codes - 1, mask=codes == 0)
        return self.values.take(idx)

    def label_of(self, code: int) -> str:
        if code == 0:
            return "<missing>"
        if self._lut is not None:
            return str(int(self._lut_vals[code - 1]))
        if self.values is None:
            return "<missing>"
        return str(self.values[code - 1].as_py())


def quantile_edges(present: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin edges for the non-missing values ``present``: quantiles, or one bin per value when
    there are at most ``n_bins`` distinct values (edges halfway between neighbours)."""
    if present.size > 200_000:  # quantiles of a fixed-seed subsample are plenty
        present = np.random.default_rng(0).choice(present, 200_000, replace=False)
    distinct = np.unique(present)
    if distinct.size <= n_bins:
        return (distinct[:-1] + distinct[1:]) / 2
    return np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1]))


def quantile_edges_weighted(values: np.ndarray, weights: np.ndarray, n_bins: int,
                            presorted: bool = False) -> np.ndarray:
    """:func:`quantile_edges` of a column given as distinct ``values`` seen ``weights`` times
    (its count table): the same edges as the quantiles of the expanded rows. ``presorted``:
    the values are already ascending."""
    v, w = np.asarray(values, np.float64), np.asarray(weights, np.float64)
    if not presorted:
        order = np.argsort(v)  # distinct values: no ties to keep stable
        v, w = v[order], w[order]
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size <= n_bins:
        return (v[:-1] + v[1:]) / 2
    cum = np.cumsum(w)
    targets = np.linspace(0, 1, n_bins + 1)[1:-1] * cum[-1]
    return np.unique(v[np.minimum(np.searchsorted(cum, targets, side="left"), v.size - 1)])


class NumericEncoder:
    """Quantile bins. A scan sets the edges from the whole column (the mergeable sketch of
    :mod:`autofeat.encode.sketch`, every edge a bucket floor); an encoder used on its own
    fits them on the first batch that has values.

    Values outside the fitted range fall into the first or last bin; a column with at most
    ``n_bins`` distinct values keeps one bin per value.
    """

    kind: Kind = "numeric"

    def __init__(self, n_bins: int = 20) -> None:
        self.n_bins = n_bins
        self.edges: np.ndarray | None = None

    @property
    def cardinality(self) -> int:
        return 0 if self.edges is None else len(self.edges) + 1

    @staticmethod
    def to_float(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_temporal(arr.type):
            arr = arr.cast(pa.int64()) if not pa.types.is_date32(arr.type) else arr.cast(pa.int32())
        if pa.types.is_decimal(arr.type):
            arr = arr.cast(pa.float64())
        out = to_numpy(arr)
        return out.astype(np.float64, copy=False)

    def encode(self, arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
        x = self.to_float(arr)
        missing = np.isnan(x)
        if self.edges is None:
            present = x[~missing]
            if present.size == 0:
                return np.zeros(len(x), dtype=np.int32)
            self.edges = quantile_edges(present, self.n_bins)
        codes = np.searchsorted(self.edges, x, side="right").astype(np.int32) + 1
        codes[missing] = 0
        return codes

    def label_of(self, code: int) -> str:
        if code == 0:
            return "<missing>"
        if self.edges is None or len(self.edges) == 0:
            return "all"
        lo = "-inf" if code == 1 else f"{self.edges[code - 2]:.4g}"
        hi = "inf" if code - 1 >= len(self.edges) else f"{self.edges[code - 1]:.4g}"
        return f"[{lo}, {hi})"


def make_encoder(kind: Kind, n_bins: int) -> CategoricalEncoder | NumericEncoder:
    return CategoricalEncoder() if kind == "categorical" else NumericEncoder(n_bins)
