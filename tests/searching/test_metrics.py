"""The NumPy metrics against SciPy/scikit-learn-style references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from autofeat.searching.metrics import _average_ranks, log_loss, roc_auc


@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_average_ranks_match_scipy_with_ties(n):
    rng = np.random.default_rng(n)
    for x in (rng.random(n), rng.integers(0, 3, n).astype(float), np.zeros(n)):
        np.testing.assert_allclose(_average_ranks(x), rankdata(x))


def test_roc_auc_counts_pairs_and_halves_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = rng.integers(0, 5, 300).astype(float)  # many ties
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert roc_auc(y, s) == pytest.approx(pairs / (pos.size * neg.size))
    assert np.isnan(roc_auc(np.ones(4), np.arange(4.0)))


def test_log_loss_clips():
    assert log_loss(np.array([1, 0]), np.array([1.0, 0.0])) < 1e-12
    assert log_loss(np.array([1]), np.array([0.5])) == pytest.approx(np.log(2))


def _delong_naive(y, a, b):
    """DeLong's variance of AUC(a) - AUC(b) from the O(m n) kernel (the reference)."""
    y = y.astype(bool)

    def kernel(s):
        pos, neg = s[y], s[~y]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        return psi.mean(1), psi.mean(0), psi.mean()

    a10, a01, auc_a = kernel(a)
    b10, b01, auc_b = kernel(b)
    var = np.var(a10 - b10, ddof=1) / a10.size + np.var(a01 - b01, ddof=1) / a01.size
    return auc_a - auc_b, np.sqrt(var)


def test_auc_difference_matches_the_naive_delong_kernel():
    from autofeat.searching.metrics import auc_difference

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    a = y + rng.normal(size=400)
    b = np.round(a + rng.normal(scale=0.7, size=400), 1)  # correlated, with ties
    diff, se = auc_difference(y, a, b)
    ref_diff, ref_se = _delong_naive(y, a, b)
    assert diff == pytest.approx(ref_diff, abs=1e-12) and se == pytest.approx(ref_se, rel=1e-9)
    assert diff == pytest.approx(roc_auc(y, a) - roc_auc(y, b), abs=1e-12)
    assert auc_difference(y, a, a) == (0.0, 0.0)
