"""Encoding for model training: a seeded (or time-ordered) train / valid / test split, and
per-field vocabularies fitted on the TRAIN rows only.

Each field maps its values to ids ``1..V`` in order of train frequency (ties: first train
appearance); id 0 is the field's out-of-vocabulary slot, shared by values rarer than
``min_count`` in train and values never seen in train. Since rare train values land in it,
the OOV embedding is trained and unseen values at prediction time get a meaningful vector.
Numeric columns are cut into quantile bins whose edges come from train values, then treated
like categorical ones. Nothing of the valid or test rows shapes the vocabularies, bins or id
order, so no choice made on them can leak into a search (``tests/searching/test_gates.py``
checks this by rewriting the test rows).

Example:
    >>> from autofeat.datasets import make_ctr
    >>> from autofeat.encode.training import load_training_data
    >>> table, _ = make_ctr(5_000, seed=0)
    >>> data = load_training_data(table, "click", ["inf_0", "num_signal"])
    >>> [f.size for f in data.fields], data.ids.shape
    ([5, 21], (5000, 2))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from autofeat.encode.encoders import CategoricalEncoder, NumericEncoder, infer_kind, quantile_edges
from autofeat.encode.label import LabelParser
from autofeat.errors import DataError, OptionError
from autofeat.io.sources import SchemaChanged, Source, check_delimiter, open_source

__all__ = ["FieldVocab", "TrainingData", "load_training_data", "split_rows", "encode_fields", "lookup_sorted",
           "check_fractions", "sample_and_split"]


@dataclass
class FieldVocab:
    """The vocabulary of one field.

    Attributes:
        name, kind: column name and ``"categorical"`` or ``"numeric"``.
        values: categorical: the raw value of ids ``1..V`` (null = the missing value);
            numeric: the bin number of ids ``1..V`` (0 = missing, bins ``1..len(edges)+1``).
        edges: numeric bin edges (from train values); None for categorical fields.
        counts: train rows per id ``0..V`` (id 0: out of vocabulary).
    """

    name: str
    kind: str
    values: pa.Array
    edges: np.ndarray | None
    counts: np.ndarray

    @property
    def size(self) -> int:
        """Ids of the field, OOV included."""
        return len(self.values) + 1

    def encode(self, column: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Ids (int32) of raw values; unknown values get the OOV id 0."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if self.edges is not None:
            x = NumericEncoder.to_float(column)
            bins = np.searchsorted(self.edges, x, side="right").astype(np.int64) + 1
            bins[np.isnan(x)] = 0
            lut = np.zeros(len(self.edges) + 2, np.int32)
            lut[self.values.to_numpy(zero_copy_only=False)] = np.arange(1, self.size, dtype=np.int32)
            return lut[bins]
        values = self.values
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if column.type != values.type:
            try:
                column = column.cast(values.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column, values = column.cast(pa.string()), values.cast(pa.string())
        idx = pc.index_in(column, value_set=values, skip_nulls=False)
        return (idx.fill_null(-1).to_numpy(zero_copy_only=False) + 1).astype(np.int32)


@dataclass
class TrainingData:
    """Ids of every row, labels and the split.

    Attributes:
        fields: one :class:`FieldVocab` per feature, in order.
        ids: int32 (rows, fields); ``ids[r, f]`` indexes ``fields[f]``.
        y: float32 labels (0/1).
        train, valid, test: sorted row indices of the three splits.
        source: what errors call the input.
    """

    fields: list[FieldVocab]
    ids: np.ndarray
    y: np.ndarray
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    source: str = "data"

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def sizes(self) -> list[int]:
        return [f.size for f in self.fields]

    def encode(self, table: Any) -> np.ndarray:
        """Ids (rows, fields) of a new table with the same columns (e.g. to score new data)."""
        return encode_fields(self.fields, table)


def encode_fields(fields: Sequence[FieldVocab], table: Any) -> np.ndarray:
    """Ids (rows, fields) of the raw columns of ``table`` named as ``fields``."""
    from autofeat.io.sources import to_arrow_table

    tab, name = to_arrow_table(table)
    missing = [f.name for f in fields if f.name not in tab.column_names]
    if missing:
        raise DataError(f"{name}: column {missing[0]!r} of the model is not in the data")
    return np.stack([f.encode(tab.column(f.name)) for f in fields], axis=1)


def lookup_sorted(kept: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Ids of ``keys`` in the sorted vocabulary ``kept``: position + 1, or 0 (OOV) if absent."""
    if kept.size == 0:
        return np.zeros(keys.size, np.int32)
    pos = np.minimum(np.searchsorted(kept, keys), kept.size - 1)
    return np.where(kept[pos] == keys, pos + 1, 0).astype(np.int32)


def check_fractions(valid_fraction: float, test_fraction: float, sample_rows: int | None = None) -> None:
    """The split options' ranges (the options' ``check`` calls this before any data is read)."""
    if not 0 < valid_fraction < 1 or not 0 < test_fraction < 1 or valid_fraction + test_fraction >= 1:
        raise OptionError(f"valid and test fractions must be in (0, 1) and leave rows for training, got "
                          f"{valid_fraction} and {test_fraction}")
    if sample_rows is not None and sample_rows < 1:
        raise OptionError(f"--sample-rows must be >= 1, got {sample_rows}")


def split_rows(n: int, seed: int, valid_fraction: float, test_fraction: float,
               order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted (train, valid, test) row indices: a seeded permutation, or with ``order`` (rows
    in time order) the last rows as test and the ones before them as valid."""
    check_fractions(valid_fraction, test_fraction)
    perm = np.random.default_rng([seed, 21]).permutation(n) if order is None else order[::-1]
    n_test = max(1, int(round(n * test_fraction)))
    n_valid = max(1, int(round(n * valid_fraction)))
    test, valid, train = perm[:n_test], perm[n_test:n_test + n_valid], perm[n_test + n_valid:]
    return np.sort(train), np.sort(valid), np.sort(test)


def sample_and_split(n: int, seed: int, sample_rows: int | None, valid_fraction: float, test_fraction: float,
                     times: pa.Array | pa.ChunkedArray | None = None, source_name: str = "",
                     time_column: str | None = None) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
    """``(kept rows or None for all, train, valid, test)``: a seeded sample of ``sample_rows``
    of ``n`` rows, then :func:`split_rows` over the sample (split indices count sampled rows),
    by ``times`` order when given. The searches' loader and the ranking of their train rows
    both call this, so they agree on every row."""
    keep = None
    if sample_rows is not None and sample_rows < n:
        keep = np.sort(np.random.default_rng([seed, 5]).choice(n, sample_rows, replace=False))
    order = None
    if times is not None:
        if keep is not None:
            times = times.take(pa.array(keep))
        if times.null_count:
            raise DataError(f"{source_name}: --time-column {time_column!r} has missing values")
        order = pc.sort_indices(times).to_numpy(zero_copy_only=False)  # stable
    m = n if keep is None else keep.size
    return (keep, *split_rows(m, seed, valid_fraction, test_fraction, order))


def load_training_data(
    data: Any,
    label: str,
    features: Sequence[str],
    *,
    kinds: Mapping[str, str] | None = None,
    bins: int = 20,
    min_count: int = 2,
    header: bool = True,
    delimiter: str | None = None,
    seed: int = 0,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    time_column: str | None = None,
    sample_rows: int | None = None,
) -> TrainingData:
    """Read ``features`` and ``label`` of ``data``, split the rows and fit the vocabularies.

    Args:
        kinds: ``{feature: "categorical" | "numeric"}`` (e.g. from a ranking); inferred from
            the column type for features not listed.
        bins: quantile bins of numeric fields (edges from train values).
        min_count: train rows a value needs to get its own id; rarer values share the OOV id.
        time_column: split by this column's order (oldest rows train, newest test) instead of
            by a seeded permutation.
        sample_rows: keep a seeded sample of this many rows (all rows are read).
    """
    if min_count < 1:
        raise OptionError(f"--min-count must be >= 1, got {min_count}")
    if bins < 2:
        raise OptionError(f"--bins must be >= 2, got {bins}")
    source = open_source(data, header=header, delimiter=delimiter)
    for col in [*features, label] + ([time_column] if time_column else []):
        if col not in source.names:
            check_delimiter(source, col)
            what = "label" if col == label else "--time-column" if col == time_column else "feature"
            raise DataError(f"{source.name}: {what} column {col!r} is not in the data")
    if label in features:
        raise OptionError(f"{label!r} is the label column, not a feature")
    kinds = dict(kinds or {})
    while True:
        try:
            cols, y, times, kind_of, encoders = _read(source, label, list(features), kinds, time_column)
            break
        except SchemaChanged:
            continue
    n = y.size
    if n == 0:
        raise DataError(f"{source.name}: no data rows (only a header?)")
    keep, train, valid, test = sample_and_split(n, seed, sample_rows, valid_fraction, test_fraction,
                                                times, source.name, time_column)
    if keep is not None:
        y = y[keep]
        cols = [c[keep] for c in cols]
        n = y.size
    for part, idx in (("train", train), ("valid", valid)):
        if y[idx].min() == y[idx].max():
            raise DataError(f"{source.name}: label {label!r} has one class only in the {part} split "
                            f"({idx.size} rows); use more rows or other split fractions")
    fields: list[FieldVocab] = []
    ids = np.empty((n, len(features)), np.int32)
    for j, (name, col) in enumerate(zip(features, cols)):
        if kind_of[name] == "numeric":
            present = col[train]
            edges = quantile_edges(present[~np.isnan(present)], bins)
            codes = np.searchsorted(edges, col, side="right").astype(np.int64) + 1
            codes[np.isnan(col)] = 0
        else:
            codes, edges = col, None
        kept, ids[:, j], counts = _fit_vocab(codes, train, min_count)
        if kind_of[name] == "numeric":
            values = pa.array(kept, pa.int64())
        else:
            values = encoders[name].values_of(kept)
        fields.append(FieldVocab(name, kind_of[name], values, edges, counts))
        if not ids[valid, j].any():
            raise DataError(
                f"{source.name}: field {name!r}: every value in the valid split is out of vocabulary "
                f"(unseen in train or rarer than --min-count {min_count}); drop the column or lower --min-count")
    return TrainingData(fields, ids, y.astype(np.float32), train, valid, test, source.name)


def _read(source: Source, label: str, features: list[str], kinds: dict[str, str],
          time_column: str | None) -> tuple[list[np.ndarray], np.ndarray, pa.ChunkedArray | None,
                                            dict[str, str], dict[str, CategoricalEncoder]]:
    parser = LabelParser(label, source.name)
    kind_of: dict[str, str] = {}
    parts: list[list[np.ndarray]] = [[] for _ in features]
    ys: list[np.ndarray] = []
    times: list[Any] = []
    encoders: dict[str, CategoricalEncoder] = {}
    for batch, _ in source.batches():
        if not kind_of:
            for name in features:
                kind_of[name] = kinds.get(name) or infer_kind(batch.schema.field(name).type)
                if kind_of[name] not in ("categorical", "numeric"):
                    raise OptionError(f"kind of {name!r} must be categorical or numeric, got {kind_of[name]!r}")
                if kind_of[name] == "categorical":
                    encoders[name] = CategoricalEncoder()
        if batch.num_rows == 0:
            continue
        ys.append(parser.parse(batch.column(label)))
        for j, name in enumerate(features):
            col = batch.column(name)
            if kind_of[name] == "numeric":
                parts[j].append(NumericEncoder.to_float(col))
            else:
                parts[j].append(encoders[name].encode(col))
        if time_column:
            times.append(batch.column(time_column))
    y = np.concatenate(ys) if ys else np.zeros(0, np.int8)
    cols = [np.concatenate(p) if p else np.zeros(0) for p in parts]
    tcol = pa.chunked_array([c for t in times for c in (t.chunks if hasattr(t, "chunks") else [t])]) if times else None
    return cols, y, tcol, kind_of, encoders


def _fit_vocab(codes: np.ndarray, train: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kept codes in id order, ids of all rows, train counts per id) from train rows only."""
    uniq, first, cnt = np.unique(codes[train], return_index=True, return_counts=True)
    keep = cnt >= min_count
    uniq, first, cnt = uniq[keep], first[keep], cnt[keep]
    order = np.lexsort((first, -cnt))
    kept = uniq[order]
    lut = np.zeros(int(codes.max()) + 1 if codes.size else 1, np.int32)
    lut[kept] = np.arange(1, kept.size + 1, dtype=np.int32)
    counts = np.concatenate([[train.size - cnt.sum()], cnt[order]]).astype(np.int64)
    return kept, lut[codes], counts
