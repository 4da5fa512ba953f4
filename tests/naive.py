"""Slow, obviously-correct references for the kernels (NumPy/SciPy only)."""

from __future__ import annotations

import numpy as np
from scipy.stats import hypergeom


def entropy(x: np.ndarray) -> float:
    _, c = np.unique(x, return_counts=True, axis=0)
    p = c / c.sum()
    return float(-(p * np.log(p)).sum())


def mutual_info(x: np.ndarray, y: np.ndarray) -> float:
    return entropy(x) + entropy(y) - entropy(np.stack([x, y], axis=1))


def expected_mi(x: np.ndarray, y: np.ndarray) -> float:
    """E[I(X;Y)] under permutation of y, summing the hypergeometric pmf over every cell."""
    n = len(y)
    n_pos = int(y.sum())
    _, sizes = np.unique(x, return_counts=True)
    e = 0.0
    for a in sizes:
        for k in range(0, min(a, n_pos) + 1):
            p = hypergeom(n, n_pos, a).pmf(k)
            t = 0.0
            if k > 0:
                t += k / n * np.log(n * k / (a * n_pos))
            if a - k > 0:
                t += (a - k) / n * np.log(n * (a - k) / (a * (n - n_pos)))
            e += p * t
    return e


def permuted_mi(x: np.ndarray, y: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.array([mutual_info(x, rng.permutation(y)) for _ in range(rounds)])


def expected_mi_tables(x: np.ndarray, z: np.ndarray) -> float:
    """E[I(X;Z)] under permutation of z, summing the hypergeometric pmf over every cell."""
    n = len(x)
    _, sa = np.unique(x, return_counts=True)
    _, sb = np.unique(z, return_counts=True)
    e = 0.0
    for a in sa:
        for b in sb:
            ks = np.arange(1, min(a, b) + 1)
            p = hypergeom(n, b, a).pmf(ks)
            e += float((p * ks / n * np.log(n * ks / (a * b))).sum())
    return e


PRIOR_ROWS = (1.0, 4.0, 16.0, 64.0, 256.0)


def auc_grouped(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    from autofeat.ranking.crossfit import auc_grouped as fast

    return fast(score, pos, neg)


def heldout_scores(
    codes: np.ndarray, cards: np.ndarray, y: np.ndarray, fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NumPy reference of :func:`autofeat.ranking.crossfit.heldout_scores` (its first form)."""
    m = y.size
    auc = np.full(codes.shape[0], 0.5)
    skill = np.zeros(codes.shape[0])
    gain = np.zeros(codes.shape[0])
    if m == 0:
        return auc, skill, gain
    from autofeat.ranking.crossfit import fold_baselines

    yi = y.astype(np.int64)
    fi = fold.astype(np.int64)
    rate, base, base_ll = fold_baselines(y, fold)
    for f in range(codes.shape[0]):
        k = int(cards[f])
        cell = (fi * k + codes[f]) * 2 + yi
        cnt = np.bincount(cell, minlength=4 * k).reshape(2, k, 2)
        tot = cnt.sum(axis=2)
        keep = tot > 0
        pos, neg = cnt[:, :, 1][keep], cnt[:, :, 0][keep]
        best = None
        for alpha in PRIOR_ROWS:
            # Fold d's rows are scored by fold 1-d's rates.
            s = ((cnt[::-1, :, 1] + alpha * rate[::-1, None]) / (tot[::-1] + alpha))[keep]
            s = np.clip(s, 1e-9, 1 - 1e-9)  # a fold of one class gives rates of exactly 0 or 1
            ll = float((pos * np.log(s) + neg * np.log1p(-s)).sum())
            if best is None or ll > best[0]:
                best = (ll, s)
        assert best is not None
        ll, s = best
        auc[f] = auc_grouped(s, pos, neg)
        if base > 0:
            skill[f] = 1.0 - float((pos * (1 - s) ** 2 + neg * s ** 2).sum()) / base
        if np.isfinite(base_ll):
            gain[f] = (base_ll + ll) / m
    return auc, skill, gain
