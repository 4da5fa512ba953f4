from __future__ import annotations

import numpy as np
import pyarrow as pa

from autofeat.encode.encoders import CategoricalEncoder, NumericEncoder, infer_kind
from autofeat.encode.partial import _BottomK


def test_categorical_codes_stable_across_batches():
    enc = CategoricalEncoder()
    a = enc.encode(pa.array(["x", "y", None, "x"]))
    b = enc.encode(pa.array(["z", "x", "y", None]))
    assert a.tolist() == [1, 2, 0, 1]
    assert b.tolist() == [3, 1, 2, 0]
    assert enc.cardinality == 3 and enc.label_of(3) == "z" and enc.label_of(0) == "<missing>"


def test_integer_lookup_table_matches_hashing_and_survives_wide_batches():
    rng = np.random.default_rng(0)
    batches = [rng.integers(0, 50, 500), rng.integers(-20, 80, 500), rng.integers(0, 10**12, 50),
               rng.integers(0, 60, 500)]
    lut, hashed = CategoricalEncoder(), CategoricalEncoder()
    for b in batches:
        arr = pa.array(b, mask=b % 13 == 0)
        want = hashed.encode(arr.cast(pa.string()))  # strings always hash
        assert (lut.encode(arr) == want).all()
    assert lut.cardinality == hashed.cardinality
    assert lut._lut is None  # the 10**12 batch moved it to hashing
    assert lut.label_of(1) == hashed.label_of(1)


def test_categorical_float_nan_is_missing():
    enc = CategoricalEncoder()
    assert enc.encode(pa.array([1.0, float("nan"), 1.0])).tolist() == [1, 0, 1]


def test_numeric_bins_and_missing():
    enc = NumericEncoder(n_bins=4)
    x = np.arange(100, dtype=float)
    x[5] = np.nan
    codes = enc.encode(pa.array(x, from_pandas=True))
    assert codes[5] == 0
    assert set(np.unique(codes[codes > 0])) == {1, 2, 3, 4}
    # Values outside the first batch's range land in the end bins.
    assert enc.encode(pa.array([-1e9, 1e9])).tolist() == [1, 4]


def test_numeric_few_values_one_bin_each():
    enc = NumericEncoder(n_bins=20)
    codes = enc.encode(pa.array([0.0, 1.0, 2.0, 1.0]))
    assert codes.tolist() == [1, 2, 3, 2]


def test_infer_kind():
    assert infer_kind(pa.int64()) == "categorical"
    assert infer_kind(pa.string()) == "categorical"
    assert infer_kind(pa.float32()) == "numeric"
    assert infer_kind(pa.timestamp("s")) == "numeric"


def test_bottom_k_sample_is_uniform_and_independent_of_batches_and_order():
    rng = np.random.default_rng(3)
    keys = rng.integers(0, 2**63, 10_000, dtype=np.int64).astype(np.uint64)

    def run(order, batch):
        res = _BottomK(500, 1)
        for start in range(0, order.size, batch):
            idx = order[start: start + batch]
            res.add(idx[None, :].astype(np.int32), np.zeros(idx.size, np.int8), keys[idx])
        return res.ordered()[0][0]

    a = run(np.arange(10_000), 1000)
    b = run(rng.permutation(10_000), 777)
    assert (a == b).all() and a.size == 500
    assert 3500 < a.mean() < 6500  # drawn from the whole range, not the head


def test_canonical_codes_are_in_value_order_for_both_paths():
    for arr in (pa.array([5, 3, None, 9, 3]), pa.array(["b", "a", None, "c", "a"])):
        enc = CategoricalEncoder()
        codes = enc.encode(arr)
        canon, perm = enc.canonical()
        new = perm[codes]
        assert new.tolist() == [2, 1, 0, 3, 1]
        assert canon.values_of(np.array([1, 2, 3])).to_pylist() == sorted({v for v in arr.to_pylist() if v is not None})
        assert canon.encode(arr).tolist() == new.tolist()  # the canonical encoder keeps encoding so


def test_values_since_gives_new_values_in_code_order():
    for first, second in (([4, 2], [2, 7, 1]), (["x", "y"], ["y", "z", "w"])):
        enc = CategoricalEncoder()
        enc.encode(pa.array(first))
        enc.encode(pa.array(second))
        assert enc.values_since(2).to_pylist() == [second[1], second[2]]
        assert enc.values_since(0).to_pylist() == first + [second[1], second[2]]
