"""Shared helpers of the search tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from autofeat.encode.training import split_rows


def scramble_test_rows(table: pa.Table, seed: int, label: str) -> pa.Table:
    """Rewrite every value of the rows that the split puts in test: labels flipped,
    categoricals replaced by unseen values, numbers by random ones."""
    n = table.num_rows
    _, _, test = split_rows(n, seed, 0.1, 0.1)
    rng = np.random.default_rng(99)
    cols = {}
    for name in table.column_names:
        kind = table.schema.field(name).type
        col = table.column(name).to_numpy(zero_copy_only=False).copy()  # ints with nulls: floats
        if name == label:
            col[test] = 1 - col[test]
        elif pa.types.is_floating(kind):
            col[test] = rng.normal(size=test.size) * 1e3
        elif pa.types.is_integer(kind):
            col[test] = 10**9 + rng.integers(0, 10**6, test.size)
        else:
            col[test] = np.array([f"unseen{i}" for i in rng.integers(0, 10**6, test.size)], dtype=object)
        cols[name] = pa.array(col, type=kind, from_pandas=True)  # same column types as before
    return pa.table(cols)
