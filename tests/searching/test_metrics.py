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
