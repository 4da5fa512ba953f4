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
