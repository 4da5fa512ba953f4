"""Information measures on count tables: entropy, MI with a binary label, its expectation
under label permutation, and the significance of the observed MI.

Why the correction: plug-in MI grows with the number of levels even when a column is pure
noise (a 600k-level random id scores higher than any real feature on 1M rows). Under the null
"labels are a random permutation", the expected MI follows from the level sizes alone
(hypergeometric model, as in the adjusted mutual information of Vinh et al., 2010), so
``score = MI - E[MI]`` is ~0 for noise at every cardinality.

Significance: ``G = 2 N MI`` is asymptotically chi-square with ``(levels - 1)`` degrees of
freedom; with many sparse levels that count overstates the spread, so the degrees of freedom
are matched to the exact null mean, ``df = 2 N E[MI]`` (equal to ``levels - 1`` for dense
tables). ``p = P(chi2_df >= G)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofeat.ranking import kernels

__all__ = [
    "Relevance",
    "entropy",
    "mutual_info",
    "expected_mutual_info",
    "relevance",
    "chi2_pvalue",
]


def entropy(counts: np.ndarray) -> float:
    """Plug-in entropy (nats) of a vector of counts."""
    c = np.asarray(counts, dtype=np.float64).ravel()
    n = c.sum()
    if n <= 0:
        return 0.0
    p = c[c > 0] / n
    return float(-(p * np.log(p)).sum())


def _table(counts: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The table as contiguous int64 with its total and positives; None when the label has
    one class (then every measure is 0)."""
    t = np.ascontiguousarray(counts, dtype=np.int64)
    if t.ndim != 2 or t.shape[1] != 2:
        raise ValueError(f"expected a (levels, 2) count table, got shape {t.shape}")
    n = int(t.sum())
    n_pos = int(t[:, 1].sum())
    return None if n_pos in (0, n) else (t, n, n_pos)


def mutual_info(counts: np.ndarray) -> float:
    """Plug-in I(X; Y) in nats from a (levels, 2) table of counts."""
    checked = _table(counts)
    return 0.0 if checked is None else float(kernels.mi_binary(*checked))


def expected_mutual_info(counts: np.ndarray) -> float:
    """E[I(X; Y)] in nats when the labels of the table's rows are randomly permuted."""
    checked = _table(counts)
    if checked is None:
        return 0.0
    t, n, n_pos = checked
    totals = np.ascontiguousarray(t.sum(axis=1), dtype=np.int64)
    return float(kernels.emi_from_totals(totals, n, n_pos, kernels.NO_TABLES, kernels.NO_TABLES))


def chi2_pvalue(g: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Upper tail of chi-square with (possibly fractional) ``df``; 1.0 where df is 0."""
    from scipy.special import gammaincc

    g = np.asarray(g, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    out = np.ones_like(g)
    ok = df > 1e-12
    out[ok] = gammaincc(df[ok] / 2.0, np.maximum(g[ok], 0.0) / 2.0)
    return out


@dataclass(frozen=True)
class Relevance:
    """Per-feature relevance to the label; arrays aligned with the features."""

    mi: np.ndarray
    expected_mi: np.ndarray
    score: np.ndarray
    p_value: np.ndarray
    entropy: np.ndarray
    label_entropy: float


def relevance(counts: list[np.ndarray], n: int, n_pos: int) -> Relevance:
    """MI, expected MI under permutation, corrected score and p-value for every feature."""
    k = len(counts)
    mi = np.zeros(k)
    emi = np.zeros(k)
    ent = np.zeros(k)
    if 0 < n_pos < n and k:
        offsets = np.zeros(k + 1, np.int64)
        np.cumsum([len(c) for c in counts], out=offsets[1:])
        tables = np.concatenate([np.asarray(c, dtype=np.int64).reshape(-1, 2) for c in counts])
        mi, emi, ent = kernels.relevance_stats(tables, offsets, n, n_pos)
    p = chi2_pvalue(2.0 * n * mi, 2.0 * n * emi)
    hy = entropy(np.array([n - n_pos, n_pos]))
    return Relevance(mi=mi, expected_mi=emi, score=mi - emi, p_value=p, entropy=ent, label_entropy=hy)
