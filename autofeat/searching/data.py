"""Encoded, split data for the search stage: the chosen columns of every row (or of a seeded
sample), with a deterministic train / valid / test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autofeat.encode.scan import scan
from autofeat.encode.training import check_fractions, split_rows
from autofeat.errors import DataError
from autofeat.io.sources import check_delimiter, open_source

__all__ = ["SplitData", "load_for_search"]


@dataclass
class SplitData:
    """Codes (rows x features, int32; 0 = missing), labels and split indices.

    The encoders' vocabularies are fitted on all rows read; the split is by a seeded
    permutation of rows. Model and method choices are made on ``valid``; ``test`` is only
    scored at the end.
    """

    names: list[str]
    kinds: list[str]
    cardinalities: list[int]
    codes: np.ndarray
    y: np.ndarray
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def columns(self, names: Sequence[str]) -> list[int]:
        index = {n: i for i, n in enumerate(self.names)}
        return [index[n] for n in names]


def load_for_search(
    data: Any,
    label: str,
    features: Sequence[str],
    *,
    header: bool = True,
    delimiter: str | None = None,
    sample_rows: int | None = None,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    bins: int = 20,
    seed: int = 0,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    quiet: bool = True,
) -> SplitData:
    """Read ``features`` and ``label`` of ``data`` into memory and split the rows;
    ``numeric``/``categorical`` force column kinds, as in :func:`autofeat.rank`."""
    check_fractions(valid_fraction, test_fraction)
    source = open_source(data, header=header, delimiter=delimiter)
    missing = [f for f in features if f not in source.names]
    if missing:
        check_delimiter(source, missing[0])
        raise DataError(f"{source.name}: column {missing[0]!r} from the ranking is not in the data")
    ignore = [n for n in source.names if n not in set(features) and n != str(label)]
    # The scan's row sample holds every row when its cap is above the row count.
    sc = scan(source, label, ignore=ignore, numeric=numeric, categorical=categorical, bins=bins,
              sample_rows=sample_rows, analysis_rows=sample_rows or (1 << 62), seed=seed, quiet=quiet)
    order = [sc.names.index(f) for f in features]
    codes = np.ascontiguousarray(sc.sample[order].T)
    y = sc.sample_y
    train, valid, test = split_rows(y.size, seed, valid_fraction, test_fraction)
    for part, idx in (("train", train), ("valid", valid)):
        if idx.size == 0 or y[idx].min() == y[idx].max():
            raise DataError(f"{source.name}: the {part} split has one class only ({idx.size} rows); "
                            "use more rows or other split fractions")
    return SplitData(
        names=list(features), kinds=[sc.kinds[i] for i in order],
        cardinalities=[sc.encoders[i].cardinality for i in order],
        codes=codes, y=y, train=train, valid=valid, test=test,
    )
