"""The scan as a reduction: partials merged in any order, from any partitioning, give the
same Scan and the same Ranking as one sequential pass; the numeric sketch's edges do not
depend on batch order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from autofeat.datasets import make_ctr
from autofeat.encode.partial import Partial, PartialSpec, merge_all, plan_kinds
from autofeat.encode.scan import scan
from autofeat.encode.sketch import bucket_edges, bucket_floor, bucket_keys
from autofeat.io.sources import open_source
from autofeat.ranking.api import RankOptions, rank_scan


def _table(n: int = 6_000, seed: int = 0) -> pa.Table:
    """Numeric, categorical (int and text), missing and high-cardinality columns."""
    t, _ = make_ctr(n, seed=seed)
    rng = np.random.default_rng(seed)
    text = np.array([f"v{i}" for i in rng.integers(0, 300, n)], dtype=object)
    text[rng.random(n) < 0.1] = None
    t = t.append_column("text", pa.array(text.tolist(), pa.string()))
    x = rng.normal(0, 1, n)
    x[rng.random(n) < 0.05] = np.nan
    return t.append_column("num_missing", pa.array(x, from_pandas=True))


def _partials(table: pa.Table, parts: list[pa.Table], **spec_kw) -> list[Partial]:
    names = [c for c in table.column_names if c != "click"]
    kinds = plan_kinds("t", table.schema, names, (), ())
    spec = PartialSpec(source="t", label="click", names=tuple(names), kinds=kinds, cap=spec_kw.pop("cap", 2_000),
                       **spec_kw)
    out = []
    for part in parts:
        p = Partial(spec)
        for batch in part.to_batches(max_chunksize=700):
            p.add(batch)
        out.append(p)
    return out


def _same_scan(a, b) -> None:
    assert a.names == b.names and a.kinds == b.kinds and a.n_rows == b.n_rows and a.n_pos == b.n_pos
    for ca, cb in zip(a.counts, b.counts):
        assert np.array_equal(ca, cb)
    assert np.array_equal(a.sample, b.sample) and np.array_equal(a.sample_y, b.sample_y)
    for ea, eb in zip(a.encoders, b.encoders):
        if ea.kind == "numeric":
            assert np.array_equal(ea.edges, eb.edges)
        else:
            k = ea.cardinality
            assert ea.values_of(np.arange(k + 1)).equals(eb.values_of(np.arange(k + 1)))
    assert sorted(a.alt_counts) == sorted(b.alt_counts)
    for f in a.alt_counts:
        assert np.array_equal(a.alt_counts[f], b.alt_counts[f])
        assert np.array_equal(a.alt_sample[f], b.alt_sample[f])


def test_partitioning_and_merge_order_do_not_change_the_scan():
    t = _table()
    one = merge_all(_partials(t, [t])).finish(bins=20, analysis_rows=2_000)
    rng = np.random.default_rng(1)
    shuffled = t.take(pa.array(rng.permutation(t.num_rows)))
    cuts = [0, 100, 2_500, 2_501, 5_000, t.num_rows]
    parts = [shuffled.slice(a, b - a) for a, b in zip(cuts[:-1], cuts[1:])]
    many = _partials(t, parts)
    merged = merge_all(many[::-1]).finish(bins=20, analysis_rows=2_000)
    _same_scan(one, merged)
    # An empty partition merges as nothing.
    empty = _partials(t, [t.slice(0, 0), t])
    _same_scan(one, merge_all(empty).finish(bins=20, analysis_rows=2_000))


def test_partitioned_ranking_equals_the_sequential_one():
    t = _table(8_000)
    opts = RankOptions(analysis_rows=3_000)
    local = rank_scan(scan(open_source(t), "click", analysis_rows=3_000), opts)
    parts = [t.slice(i, 1_000) for i in range(0, t.num_rows, 1_000)][::-1]
    merged = merge_all(_partials(t, parts, cap=3_000)).finish(bins=20, analysis_rows=3_000)
    dist = rank_scan(merged, opts)
    assert [f.name for f in dist.features] == [f.name for f in local.features]
    for a, b in zip(local.features, dist.features):
        assert a.score == pytest.approx(b.score, abs=1e-9)
        assert a.heldout_auc == pytest.approx(b.heldout_auc, abs=1e-9)
        assert a.factorized_gain == pytest.approx(b.factorized_gain, abs=1e-9)
        assert a.kind == b.kind and a.flags == b.flags
    assert [p.features for p in dist.pairs] == [p.features for p in local.pairs]


def test_sample_rows_mode_counts_the_sample_whatever_the_order():
    t = _table(5_000)
    a = scan(open_source(t), "click", sample_rows=1_500, analysis_rows=800)
    b = scan(open_source(t.take(pa.array(np.arange(t.num_rows)[::-1]))), "click", sample_rows=1_500,
             analysis_rows=800)
    _same_scan(a, b)
    assert a.n_rows == 1_500 and a.sample.shape[1] == 800 and a.rows_read == 5_000


def test_scan_does_not_depend_on_batch_order():
    t = _table(5_000)
    a = scan(open_source(t, batch_rows=512), "click")
    rev = pa.Table.from_batches(t.to_batches(max_chunksize=512)[::-1])
    b = scan(open_source(rev, batch_rows=300), "click")
    _same_scan(a, b)


def test_sketch_edges_are_the_same_whatever_the_batch_order():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.lognormal(0, 2, 30_000), -rng.exponential(1, 5_000), np.zeros(2_000)])
    t = pa.table({"click": (rng.random(x.size) < 0.2).astype(np.int8), "x": x})
    # Sorted batches: the old first-batch edges would have come from the smallest values only.
    edges = []
    for order in (np.argsort(x), np.argsort(-x), rng.permutation(x.size)):
        sc = scan(open_source(t.take(pa.array(order)), batch_rows=4_096), "click", bins=10)
        edges.append(sc.encoders[0].edges)
    assert np.array_equal(edges[0], edges[1]) and np.array_equal(edges[0], edges[2])
    # The edges are the data's deciles, to a bucket (2**-10 relative) and a row.
    got = edges[0]
    assert got.size == 9
    below = (x[:, None] < got[None, :]).mean(axis=0)
    assert np.all(np.abs(below - np.linspace(0, 1, 11)[1:-1]) < 1e-3)
    want = np.quantile(x, np.linspace(0, 1, 11)[1:-1])
    assert np.all(np.abs(got - want) <= 5e-3 * np.abs(want))


def test_bucket_keys_are_monotone_and_floors_bound_their_bucket():
    rng = np.random.default_rng(0)
    x = np.sort(np.concatenate([rng.normal(0, 1e3, 5_000), [-np.inf, np.inf, 0.0, -0.0, 1e-300, -1e-300]]))
    k = bucket_keys(x)
    assert np.all(np.diff(k) >= 0)
    lo, hi = bucket_floor(k), bucket_floor(k + 1)
    assert np.all(lo <= x) and np.all((x < hi) | np.isinf(x))
    assert bucket_keys(np.array([-0.0]))[0] == bucket_keys(np.array([0.0]))[0]


def test_bucket_edges_few_buckets_one_bin_each():
    keys = bucket_keys(np.array([0.5, 1.5, 2.5]))
    edges = bucket_edges(keys, np.array([3, 1, 2]), 20)
    assert edges.tolist() == [1.5, 2.5]
    codes = np.searchsorted(edges, [0.5, 1.5, 2.5], side="right")
    assert codes.tolist() == [0, 1, 2]


def test_row_sample_is_the_same_for_the_same_rows_in_any_partition():
    t = _table(3_000)
    a = merge_all(_partials(t, [t], cap=500)).finish(bins=20, analysis_rows=500)
    parts = [t.slice(2_000), t.slice(0, 2_000)]
    b = merge_all(_partials(t, parts, cap=500)).finish(bins=20, analysis_rows=500)
    assert a.sample.shape == (len(a.names), 500)
    assert np.array_equal(a.sample, b.sample)
    c = merge_all(_partials(t, [t], cap=500, seed=1)).finish(bins=20, analysis_rows=500)
    assert not np.array_equal(a.sample, c.sample)  # the seed picks another sample


def test_a_parquet_folder_ranks_as_its_table(tmp_path):
    import pyarrow.parquet as pq

    t = _table(4_000)
    (tmp_path / "sub").mkdir()
    pq.write_table(t.slice(0, 1_500), tmp_path / "part-0.parquet")
    pq.write_table(t.slice(1_500), tmp_path / "sub" / "part-1.parquet")
    folder = scan(open_source(tmp_path), "click")
    _same_scan(scan(open_source(t), "click"), folder)
    assert folder.source == str(tmp_path)


def test_a_partial_travels_without_its_lookup_tables():
    import pickle

    t = _table(3_000)
    a, b = _partials(t, [t.slice(0, 1_000), t.slice(1_000)])
    whole = merge_all(_partials(t, [t])).finish(bins=20, analysis_rows=2_000)
    moved = pickle.loads(pickle.dumps(a)).merge(pickle.loads(pickle.dumps(b)))
    _same_scan(whole, moved.finish(bins=20, analysis_rows=2_000))


def test_a_numeric_column_of_very_wide_range_is_binned_the_same_in_any_order():
    rng = np.random.default_rng(2)
    x = rng.choice([-1.0, 1.0], 20_000) * 10.0 ** rng.uniform(-300, 300, 20_000)  # beyond the lookup table
    t = pa.table({"click": (rng.random(x.size) < 0.3).astype(np.int8), "x": x})
    a = scan(open_source(t, batch_rows=3_000), "click", bins=8)
    b = scan(open_source(t.take(pa.array(rng.permutation(x.size))), batch_rows=5_000), "click", bins=8)
    _same_scan(a, b)
    assert a.encoders[0].edges.size == 7
    assert a.counts[0][1:].sum(axis=0).sum() == x.size


def test_partitions_with_0_and_minus_1_negatives_do_not_merge():
    from autofeat.errors import DataError

    spec = PartialSpec(source="t", label="y", names=("a",), kinds=("categorical",), cap=10)
    a, b = Partial(spec), Partial(spec)
    a.add(pa.table({"y": [0, 1], "a": [1, 2]}))
    b.add(pa.table({"y": [-1, 1], "a": [1, 2]}))
    with pytest.raises(DataError, match="-1, 0 and 1"):
        a.merge(b)


def test_the_content_hash_sample_is_uniform_over_the_rows():
    rng = np.random.default_rng(7)
    n = 40_000
    t = pa.table({"click": (rng.random(n) < 0.25).astype(np.int8), "row": np.arange(n),
                  "few": rng.integers(0, 3, n)})
    sc = scan(open_source(t), "click", analysis_rows=4_000)
    rows = sc.encoders[0].values_of(sc.sample[0]).to_numpy()
    assert rows.size == 4_000 and np.unique(rows).size == 4_000
    counts = np.histogram(rows, bins=10, range=(0, n))[0]
    assert counts.min() > 320 and counts.max() < 480  # 400 expected per tenth
    assert abs(sc.sample_y.mean() - t.column("click").to_numpy().mean()) < 0.03
