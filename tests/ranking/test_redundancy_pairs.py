"""mRMR order, pairwise synergy and quality findings on planted structure."""

from __future__ import annotations

import numpy as np

import pytest

import autofeat
from autofeat.ranking.redundancy import mrmr_order
from autofeat.ranking.sample_stats import SampleStats, compact_codes
from tests import naive


def _stats(*cols: np.ndarray) -> SampleStats:
    codes = np.stack([np.unique(c, return_inverse=True)[1] for c in cols]).astype(np.int32)
    return SampleStats(*compact_codes(codes, codes.max(axis=1) + 1))


def test_expected_shared_information_matches_reference():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 7, 300)
    z = np.minimum(rng.zipf(1.5, 300), 40)
    stats = _stats(x, z)
    assert stats.expected_shared([(0, 1)])[0] == pytest.approx(naive.expected_mi_tables(x, z), rel=1e-9)


def _zipf_column(rng: np.random.Generator, n: int, card: int) -> np.ndarray:
    p = 1.0 / np.arange(1, card + 1) ** 1.1
    return rng.choice(card, n, p=p / p.sum())


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("card", [10, 1_000, 30_000, 100_000])
def test_independent_columns_share_nothing_at_any_cardinality(seed, card):
    # A shuffled copy has the same level sizes and no shared information: on 60k rows two
    # 30k-level ids share most of their plug-in MI by chance, and R must still be ~0.
    rng = np.random.default_rng([seed, card])
    n = 60_000
    for col in (_zipf_column(rng, n, card), rng.integers(0, card, n)):
        other = _zipf_column(rng, n, max(card // 3, 2))
        stats = _stats(col, rng.permutation(col), other)
        assert abs(stats.redundancy(0, [1])[0]) < 0.05
        assert abs(stats.redundancy(0, [2])[0]) < 0.05


@pytest.mark.parametrize("card", [10, 1_000, 30_000])
def test_copies_and_coarsenings_are_redundant(card):
    rng = np.random.default_rng(card)
    col = _zipf_column(rng, 60_000, card)
    relabelled = (col * 7919) % 1_000_003
    stats = _stats(col, relabelled, col // 4, col % 3)
    r = stats.redundancy(0, [1, 2, 3])
    assert r[0] == pytest.approx(1.0) and r[1] == pytest.approx(1.0) and r[2] > 0.95


def test_mrmr_pushes_copies_below_new_information():
    rng = np.random.default_rng(0)
    n = 20_000
    a = rng.integers(0, 8, n)
    b = rng.integers(0, 8, n)
    y = (rng.random(n) < 0.1 + 0.05 * (a % 4) + 0.04 * (b % 4)).astype(int)
    # a_coarse is a function of a: relevant, but redundant once a is chosen.
    r = autofeat.rank({"a": a, "a_coarse": a // 2, "b": b, "y": y}, label="y")
    assert r.names[:2] == ["a", "b"]
    f = r.feature("a_coarse")
    assert f.redundant_with == "a" and f.redundancy > 0.95
    assert f.score > r.feature("b").score  # it would have been second by score alone
    plain = autofeat.rank({"a": a, "a_coarse": a // 2, "b": b, "y": y}, label="y", redundancy=False)
    assert plain.names[1] == "a_coarse"


def test_lazy_mrmr_evaluates_few_pairs():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 5, (60, 2000)).astype(np.int32)
    stats = SampleStats(codes, np.full(60, 5, np.int64))
    rel = np.linspace(1.0, 0.5, 60)
    res = mrmr_order(rel, list(range(60)), stats, k=10)
    assert sorted(res.order) == list(range(60))
    assert res.pairs_evaluated <= 10 * 60
    assert res.order[10:] == sorted(res.order[10:])  # the tail follows relevance


def test_xor_pair_ranks_first_among_pairs(ctr_ranking, ctr_small):
    _, truth = ctr_small
    top = ctr_ranking.pairs[0]
    assert sorted(top.features) == sorted(truth["interactions"][0])
    assert top.score > 5 * ctr_ranking.pairs[1].score
    # Each member alone says nothing...
    for name in truth["interactions"][0]:
        assert abs(ctr_ranking.feature(name).score) < 1e-3
    # ...but the interaction credit keeps both in the front half of the order.
    assert max(ctr_ranking.names.index(n) for n in truth["interactions"][0]) < len(ctr_ranking.names) // 2


def test_informative_features_lead(ctr_ranking, ctr_small):
    _, truth = ctr_small
    k = len(truth["informative"]) + len(truth["interactions"][0])
    top = set(ctr_ranking.top(k))
    assert len(top & set(truth["informative"])) >= len(truth["informative"]) - 1
    assert not top & set(truth["noise"])


def test_quality_findings(ctr_ranking, ctr_small):
    _, truth = ctr_small
    kinds = {(q["column"], q["kind"]) for q in ctr_ranking.quality}
    assert ("conversion_time", "leak") in kinds
    assert ("row_id", "id_like") in kinds
    assert ("constant", "constant") in kinds
    assert ("mostly_missing", "mostly_missing") in kinds
    assert ("dup_inf_0", "duplicate") in kinds
    assert ("row_id", "leak") not in kinds  # an id column's MI equals H(Y) by chance only
    excluded = {"conversion_time", "row_id", "constant", "dup_inf_0"}
    # Excluded columns follow every unflagged one, and top() skips them.
    last_clean = max(i for i, f in enumerate(ctr_ranking.features) if not f.flags)
    assert all(ctr_ranking.names.index(n) > last_clean for n in excluded)
    assert not excluded & set(ctr_ranking.top(50))


def test_near_constant_and_all_missing_allowed():
    rng = np.random.default_rng(2)
    n = 5000
    near = np.zeros(n, dtype=int)
    near[:3] = 1
    cols = {"near": near, "empty": np.full(n, np.nan), "x": rng.integers(0, 3, n),
            "y": rng.integers(0, 2, n)}
    r = autofeat.rank(cols, label="y")
    kinds = {(q["column"], q["kind"]) for q in r.quality}
    assert ("near", "near_constant") in kinds and ("empty", "all_missing") in kinds


@pytest.mark.parametrize("seed,rows", [(4, 30_000), (5, 100_000)])
def test_factorized_pair_finds_user_item_with_per_user_negatives(seed, rows):
    from autofeat.datasets import make_recsys

    table, truth = make_recsys(rows, seed=seed)
    r = autofeat.rank(table, label="label", seed=seed)
    assert r.feature("user_id").mi < 1e-6  # every user has the same click rate
    assert {"user_id", "item_id"} <= set(r.names[:3])
    top = r.factorized_pairs[0]
    assert sorted(top.features) == ["item_id", "user_id"] and top.gain > 0.005
    # Pairs with a noise column gain nothing out of fold.
    assert all(p.gain < 0.002 for p in r.factorized_pairs if set(p.features) & set(truth["noise"]))
    # OptInter is offered the pair among its first candidates.
    assert ("item_id", "user_id") in [tuple(sorted(p)) for p in r.pair_candidates()[:3]]


def test_factorized_scan_is_off_with_factor_top_zero():
    from autofeat.datasets import make_recsys

    table, _ = make_recsys(20_000, seed=1)
    r = autofeat.rank(table, label="label", factor_top=0)
    assert r.factorized_pairs == [] and all(f.factorized_gain == 0 for f in r.features)


def test_fully_redundant_features_follow_relevance_not_rounding():
    """Features redundant with a chosen one up to rounding (1 - 1e-13 vs 1 - 3e-13) all have
    value 0 and follow in relevance order; before, the rounding noise decided."""

    class Stats:
        noise = {1: 1 - 3e-13, 2: 1 - 1e-13, 3: 1 - 2e-13}

        def redundancy(self, f, others):
            return np.array([self.noise[f] if s == 0 else 0.0 for s in others])

    rel = np.array([1.0, 0.2, 0.5, 0.3])
    res = mrmr_order(rel, [0, 1, 2, 3], Stats(), k=4)
    assert res.order == [0, 2, 3, 1]
    assert all(res.mrmr_score[f] == 0.0 for f in (1, 2, 3))
