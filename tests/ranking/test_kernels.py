"""Kernels against the slow references in tests/naive.py and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from autofeat.encode._kernels import count_batch
from autofeat.ranking import kernels
from autofeat.ranking.measures import entropy, expected_mutual_info, mutual_info, relevance
from tests import naive


def _table(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    t = np.zeros((x.max() + 1, 2), np.int64)
    np.add.at(t, (x, y), 1)
    return t


@pytest.mark.parametrize("card,n", [(2, 50), (7, 300), (40, 200), (300, 1000)])
def test_mi_matches_sklearn(card, n, rng):
    x = rng.integers(0, card, n)
    y = (rng.random(n) < 0.3).astype(np.int64)
    assert mutual_info(_table(x, y)) == pytest.approx(mutual_info_score(x, y), abs=1e-12)


@pytest.mark.parametrize("card,n,p", [(2, 40, 0.5), (5, 60, 0.2), (30, 80, 0.1), (80, 90, 0.4)])
def test_expected_mi_matches_hypergeometric_sum(card, n, p, rng):
    x = rng.integers(0, card, n)
    y = (rng.random(n) < p).astype(np.int64)
    y[0], y[1] = 0, 1
    assert expected_mutual_info(_table(x, y)) == pytest.approx(naive.expected_mi(x, y), rel=1e-9)


def test_expected_mi_matches_permutation_mean(rng):
    x = rng.integers(0, 25, 400)
    y = (rng.random(400) < 0.25).astype(np.int64)
    sims = naive.permuted_mi(x, y, 400, seed=1)
    se = sims.std() / np.sqrt(len(sims))
    assert abs(expected_mutual_info(_table(x, y)) - sims.mean()) < 4 * se


def test_entropy_and_constant_edge_cases():
    assert entropy(np.array([5, 5])) == pytest.approx(np.log(2))
    assert entropy(np.array([0, 0])) == 0.0
    t = np.array([[0, 0], [10, 0]])  # one class only: MI and E[MI] are 0
    assert mutual_info(t) == 0.0 and expected_mutual_info(t) == 0.0


def test_count_batch_matches_numpy(rng):
    codes = np.stack([rng.integers(0, 5, 1000), rng.integers(0, 50, 1000)]).astype(np.int32)
    y = (rng.random(1000) < 0.3).astype(np.int8)
    offsets = np.array([0, 5, 55], np.int64)
    out = np.zeros((55, 2), np.int64)
    count_batch(codes, y, offsets, out)
    assert (out[:5] == _table(codes[0], y)[:5]).all()
    assert (out[5:] == _table(codes[1], y)).all()


@pytest.mark.parametrize("card_a,card_b", [(3, 4), (5000, 7000)])  # dense and hashed paths
def test_joint_table_counts_every_pair(card_a, card_b, rng):
    n = 5000
    a = rng.integers(0, card_a, n).astype(np.int32)
    b = rng.integers(0, card_b, n).astype(np.int32)
    y = (rng.random(n) < 0.4).astype(np.int8)
    t, keys = kernels.joint_table(a, b, card_a, card_b, y)
    ref_keys, ref_counts = np.unique(a.astype(np.int64) * card_b + b, return_counts=True)
    order = np.argsort(keys)
    assert (keys[order] == ref_keys).all()
    assert (t[order].sum(axis=1) == ref_counts).all()
    assert t[:, 1].sum() == y.sum()


def test_pair_stats_match_reference(rng):
    n = 600
    a = rng.integers(0, 4, n).astype(np.int32)
    b = rng.integers(0, 6, n).astype(np.int32)
    y = ((a % 2) ^ (b % 2)).astype(np.int8)
    y[rng.random(n) < 0.1] ^= 1
    codes = np.stack([a, b])
    mi, emi, e_a, e_b, levels, _ = kernels.pair_label_stats(
        codes, np.array([4, 6], np.int64), y, np.array([[0, 1]], np.int64), int(y.sum()),
        *kernels.log_tables(n))
    joint = a.astype(np.int64) * 6 + b
    assert mi[0] == pytest.approx(naive.mutual_info(joint, y), abs=1e-10)
    assert emi[0] == pytest.approx(naive.expected_mi(joint, y), rel=1e-8)
    assert levels[0] == len(np.unique(joint))
    # E[I(b;Y|a)] under within-a permutation: size-weighted per-stratum expectations.
    ref = sum((a == s).mean() * naive.expected_mi(b[a == s], y[a == s]) for s in range(4))
    assert e_a[0] == pytest.approx(ref, rel=1e-8)
    ref = sum((b == s).mean() * naive.expected_mi(a[b == s], y[b == s]) for s in range(6))
    assert e_b[0] == pytest.approx(ref, rel=1e-8)


# The pure-Python reference takes seconds on the larger cards: (1, 30) stays in the quick run.
@pytest.mark.parametrize("card_a,card_b", [pytest.param(3, 150, marks=pytest.mark.slow),
                                           pytest.param(350, 280, marks=pytest.mark.slow), (1, 30)])
def test_pair_stats_of_sparse_pairs_match_reference(card_a, card_b, rng):
    """Many one-row strata and cells (the high-cardinality case the strata passes are for),
    several pairs sharing features, pairs listed in both orders."""
    n = 700
    a = rng.integers(0, card_a, n).astype(np.int32)
    b = rng.integers(0, card_b, n).astype(np.int32)
    c = rng.integers(0, 5, n).astype(np.int32)
    y = (rng.random(n) < 0.2).astype(np.int8)
    codes = np.stack([a, b, c])
    cards = np.array([card_a, card_b, 5], np.int64)
    pairs = np.array([[0, 1], [1, 0], [0, 2], [2, 1]], np.int64)
    mi, emi, e_i, e_j, levels, h = kernels.pair_label_stats(
        codes, cards, y, pairs, int(y.sum()), *kernels.log_tables(n))
    for p, (i, j) in enumerate(pairs):
        xi, xj = codes[i], codes[j]
        joint = xi.astype(np.int64) * cards[j] + xj
        assert mi[p] == pytest.approx(naive.mutual_info(joint, y), abs=1e-10)
        assert emi[p] == pytest.approx(naive.expected_mi(joint, y), rel=1e-8)
        _, sizes = np.unique(joint, return_counts=True)
        assert levels[p] == sizes.size
        assert h[p] == pytest.approx(-(sizes / n * np.log(sizes / n)).sum(), rel=1e-12)
        for e, s, x in ((e_i[p], xi, xj), (e_j[p], xj, xi)):
            ref = sum((s == v).mean() * naive.expected_mi(x[s == v], y[s == v]) for v in np.unique(s)
                      if 0 < y[s == v].sum() < (s == v).sum())  # one class: nothing to permute
            assert e == pytest.approx(ref, rel=1e-8, abs=1e-14)


def test_emi_cell_from_log_tables_matches_direct_sum():
    """The table-driven cell (window of the hypergeometric, logs looked up) equals the full
    sum over k with logs computed, for small-mean skewed cells and near-normal large ones."""
    from math import comb, log

    lt, lf = kernels.log_tables(3000)
    for a, b, n in [(2, 3, 50), (7, 40, 3000), (2, 2999, 3000), (64, 65, 3000), (500, 900, 3000),
                    (1500, 1500, 3000), (3, 2000, 2500), (1200, 100, 1300)]:
        ref = sum(comb(b, k) * comb(n - b, a - k) / comb(n, a) * (k / n) * log(n * k / (a * b))
                  for k in range(max(1, a + b - n), min(a, b) + 1))
        fast = kernels.emi_cell(a, b, n, lt, lf)
        direct = kernels.emi_cell(a, b, n, kernels.NO_TABLES, kernels.NO_TABLES)
        assert fast == pytest.approx(ref, rel=1e-9, abs=1e-15)
        assert direct == pytest.approx(ref, rel=1e-9, abs=1e-15)


def test_relevance_gamma_pvalues_are_calibrated():
    """Noise columns: p-values roughly uniform (about 5% below 0.05)."""
    rng = np.random.default_rng(7)
    n = 3000
    y = (rng.random(n) < 0.3).astype(np.int64)
    tables = [_table(rng.integers(0, card, n), y) for card in [2, 5, 20, 100, 1000] * 60]
    rel = relevance(tables, n, int(y.sum()))
    frac = (rel.p_value < 0.05).mean()
    assert 0.01 <= frac <= 0.11
    z = rel.score / np.sqrt(rel.expected_mi / n)  # score in units of its null spread
    assert abs(z.mean()) < 0.3
