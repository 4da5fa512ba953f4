"""Numba kernels for counting and information measures. All logs are natural (nats).

Private kernels take contiguous arrays of fixed dtypes (codes int32, labels int8, counts
int64); the public wrappers in :mod:`autofeat.ranking.measures` validate and coerce. Every kernel
is tested against a plain NumPy/SciPy reference in ``tests/rank/test_kernels.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "count_batch",
    "mi_binary",
    "log_tables",
    "NO_TABLES",
    "emi_cell",
    "emi_tables",
    "emi_grouped",
    "pair_emi",
    "joint_table",
    "pair_label_stats",
    "pair_feature_stats",
    "conditional_emi",
    "entropy_1d",
]


@njit(parallel=True, cache=True)
def count_batch(codes, y, offsets, out):  # pragma: no cover - compiled
    """Add the (code, label) counts of one batch into ``out``.

    codes: int32 (F, n); y: int8 (n,); offsets: int64 (F + 1,), feature f owns rows
    ``offsets[f]:offsets[f+1]`` of ``out`` (int64, (total, 2)). Features write disjoint rows,
    so the loop over features is parallel.
    """
    n_feat, n = codes.shape
    for f in prange(n_feat):
        base = offsets[f]
        row = codes[f]
        for i in range(n):
            out[base + row[i], y[i]] += 1


@njit(cache=True)
def entropy_1d(counts, n):  # pragma: no cover - compiled
    """Plug-in entropy of a count vector with total ``n``."""
    h = 0.0
    for c in counts:
        if c > 0:
            p = c / n
            h -= p * math.log(p)
    return h


@njit(cache=True)
def mi_binary(table, n, n_pos):  # pragma: no cover - compiled
    """Plug-in I(X; Y) from a (levels, 2) count table of a binary label."""
    n_neg = n - n_pos
    mi = 0.0
    for i in range(table.shape[0]):
        c0 = table[i, 0]
        c1 = table[i, 1]
        a = c0 + c1
        if c0 > 0:
            mi += c0 / n * math.log(n * c0 / (a * n_neg))
        if c1 > 0:
            mi += c1 / n * math.log(n * c1 / (a * n_pos))
    return max(mi, 0.0)


@njit(cache=True)
def _log_comb(n, k):  # pragma: no cover - compiled
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


@njit(cache=True)
def log_tables(n):  # pragma: no cover - compiled
    """``(log k, log k!)`` for k = 0..n (log 0 is stored as 0 and never read). The expected-MI
    kernels read logs from these tables instead of calling ``log``/``lgamma`` per term: on a
    100k-row sample the redundancy and pair steps sum tens of millions of terms."""
    lt = np.zeros(n + 1)
    lf = np.zeros(n + 1)
    for k in range(1, n + 1):
        lt[k] = math.log(k)
        lf[k] = math.lgamma(k + 1.0)
    return lt, lf


NO_TABLES = np.zeros(0)  # pass as both tables to compute logs directly (large n)


@njit(cache=True)
def emi_cell(a, b, n, lt, lf):  # pragma: no cover - compiled
    """E[(k/n) log(n k / (a b))] for one cell of a contingency table whose row has ``a`` rows
    and whose column has ``b`` rows, when rows are randomly permuted: the cell count k is
    Hypergeometric(n, b, a). The sum over k is cut where the remaining mass is negligible (12
    standard deviations, plus 12 terms for the skewed small-mean cells); the pmf comes from
    log-factorials once, then by the recurrence P(k+1) = P(k) (b-k)(a-k) / ((k+1)(n-a-b+k+1)).
    ``lt``/``lf`` are :func:`log_tables` covering n, or empty (:data:`NO_TABLES`) to compute
    the logs (for n too large for tables, e.g. relevance on every row)."""
    if a <= 0 or b <= 0 or a >= n or b >= n:
        return 0.0
    if a == 1 or b == 1:
        # One row on one side: k is 1 with probability max(a, b) / n, else 0 (singletons are
        # most levels of a sparse column and of a pair's strata).
        c = a * b  # = max(a, b)
        if lt.size > n:
            return (c / n) * (1.0 / n) * (lt[n] - lt[c])
        return (c / n) * (1.0 / n) * math.log(n / c)
    if lt.size > n:
        mean = a * b / n
        sd = math.sqrt(a * (b / n) * ((n - b) / n) * (n - a) / max(n - 1, 1))
        lo = max(max(1, a + b - n), int(mean - 12 * sd) - 1)
        hi = min(min(a, b), int(mean + 12 * sd) + 12)
        if lo > hi:
            return 0.0
        p = math.exp(lf[b] - lf[lo] - lf[b - lo] + lf[n - b] - lf[a - lo] - lf[n - b - a + lo]
                     - lf[n] + lf[a] + lf[n - a])
        base = lt[n] - lt[a] - lt[b]
        s = 0.0
        for k in range(lo, hi + 1):
            s += p * k * (lt[k] + base)
            p *= (b - k) * (a - k) / ((k + 1.0) * (n - a - b + k + 1.0))
        return s / n
    small = min(a, b)
    big = max(a, b)
    if small <= 64 and small + big <= n:
        # k is Hypergeometric in min(a, b) draws either way; with few draws P(k = 0) is a
        # product of min(a, b) ratios, cheaper than the log-gammas (most cells are small).
        p = 1.0
        for i in range(small):
            p *= (n - big - i) / (n - i)
        if p > 1e-250:
            s = 0.0
            for k in range(small):
                p *= (big - k) * (small - k) / ((k + 1.0) * (n - small - big + k + 1.0))
                s += p * ((k + 1.0) / n) * math.log(n * (k + 1.0) / (a * b))
            return s
    lo = max(1, a + b - n)
    hi = min(a, b)
    mean = a * b / n
    sd = math.sqrt(a * (b / n) * ((n - b) / n) * (n - a) / max(n - 1, 1))
    lo = max(lo, int(mean - 12 * sd) - 1)
    hi = min(hi, int(mean + 12 * sd) + 2)
    if lo > hi:
        return 0.0
    p = math.exp(_log_comb(b, lo) + _log_comb(n - b, a - lo) - _log_comb(n, a))
    s = 0.0
    for k in range(lo, hi + 1):
        s += p * (k / n) * math.log(n * k / (a * b))
        p *= (b - k) * (a - k) / ((k + 1.0) * (n - a - b + k + 1.0))
    return s


@njit(cache=True)
def emi_tables(va, ma, vb, mb, n, lt, lf):  # pragma: no cover - compiled
    """Expected I(X; Z) when the rows of Z are randomly permuted against X (Vinh et al.'s
    expected mutual information), from grouped level sizes: ``va[g]`` is a level size of X
    shared by ``ma[g]`` levels, likewise ``vb``/``mb`` for Z. The expectation depends only on
    the level sizes, so it is a sum over pairs of distinct sizes, not over pairs of levels."""
    emi = 0.0
    for g in range(va.shape[0]):
        for h in range(vb.shape[0]):
            emi += ma[g] * mb[h] * emi_cell(va[g], vb[h], n, lt, lf)
    return max(emi, 0.0)


@njit(cache=True)
def emi_grouped(totals, mult, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """Expected I(X; Y) of a binary label Y under permutation (hypergeometric model);
    ``totals[g]`` is a level size of X shared by ``mult[g]`` levels."""
    if n_pos <= 0 or n_pos >= n:
        return 0.0
    emi = 0.0
    for g in range(totals.shape[0]):
        emi += mult[g] * (emi_cell(totals[g], n_pos, n, lt, lf) + emi_cell(totals[g], n - n_pos, n, lt, lf))
    return emi


@njit(parallel=True, cache=True)
def pair_emi(vals, mults, offsets, pairs, n, lt, lf):  # pragma: no cover - compiled
    """``emi_tables`` for each pair (i, j) of features; feature f's grouped level sizes are
    ``vals/mults[offsets[f]:offsets[f+1]]``; ``lt``/``lf`` as in :func:`emi_cell`."""
    out = np.empty(pairs.shape[0])
    for p in prange(pairs.shape[0]):
        i = pairs[p, 0]
        j = pairs[p, 1]
        out[p] = emi_tables(vals[offsets[i]:offsets[i + 1]], mults[offsets[i]:offsets[i + 1]],
                            vals[offsets[j]:offsets[j + 1]], mults[offsets[j]:offsets[j + 1]], n, lt, lf)
    return out


@njit(cache=True)
def joint_table(a, b, card_a, card_b, y):  # pragma: no cover - compiled
    """Count the distinct (a, b) pairs, split by label: an int64 (k, 2) table, one row per pair
    that occurs. Pair key ``a * card_b + b`` is collision-free (codes are < 2**31). A dense
    array is used when the key space is small, an open-addressing hash table otherwise, so the
    cost is O(rows) either way."""
    n = a.size
    space = card_a * card_b
    if space <= max(1 << 16, min(2 * n, 1 << 21)):
        dense = np.zeros((space, 2), np.int64)
        for i in range(n):
            dense[a[i] * card_b + b[i], y[i]] += 1
        k = 0
        for j in range(space):
            if dense[j, 0] + dense[j, 1] > 0:
                k += 1
        out = np.empty((k, 2), np.int64)
        out_keys = np.empty(k, np.int64)
        k = 0
        for j in range(space):
            if dense[j, 0] + dense[j, 1] > 0:
                out[k, 0] = dense[j, 0]
                out[k, 1] = dense[j, 1]
                out_keys[k] = j
                k += 1
        return out, out_keys
    bits = 1
    while (1 << bits) < 2 * n:
        bits += 1
    cap = 1 << bits
    mask = cap - 1
    keys = np.full(cap, -1, np.int64)
    counts = np.zeros((cap, 2), np.int64)
    k = 0
    shift = np.uint64(64 - bits)
    mul = np.uint64(11400714819323198485)  # Fibonacci hashing
    for i in range(n):
        key = np.int64(a[i]) * card_b + b[i]
        h = np.int64((np.uint64(key) * mul) >> shift)
        while True:
            cur = keys[h]
            if cur == key:
                break
            if cur == -1:
                keys[h] = key
                k += 1
                break
            h = (h + 1) & mask
        counts[h, y[i]] += 1
    out = np.empty((k, 2), np.int64)
    out_keys = np.empty(k, np.int64)
    j = 0
    for h in range(cap):
        if keys[h] != -1:
            out[j, 0] = counts[h, 0]
            out[j, 1] = counts[h, 1]
            out_keys[j] = keys[h]
            j += 1
    return out, out_keys


@njit(cache=True)
def _label_cells(t, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """Expected-MI contribution of one level of ``t`` rows (its two label cells)."""
    return emi_cell(t, n_pos, n, lt, lf) + emi_cell(t, n - n_pos, n, lt, lf)


@njit(cache=True)
def _emi_from_totals(totals, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """E[I(X; Y)] under label permutation from X's level sizes ``totals`` (any order).

    The expectation depends on each distinct size once: a few levels are summed directly,
    many (a pair's joint levels) are grouped by size, small sizes (nearly all of them) by a
    histogram, the rest by sorting a copy, so no call sorts the whole array."""
    k = totals.size
    if k <= 16:
        emi = 0.0
        for i in range(k):
            emi += _label_cells(totals[i], n, n_pos, lt, lf)
        return emi
    cap = 256
    hist = np.zeros(cap, np.int64)
    n_big = 0
    for i in range(k):
        if totals[i] < cap:
            hist[totals[i]] += 1
        else:
            n_big += 1
    emi = 0.0
    for t in range(1, cap):
        if hist[t] > 0:
            emi += hist[t] * _label_cells(t, n, n_pos, lt, lf)
    if n_big:
        big = np.empty(n_big, np.int64)
        j = 0
        for i in range(k):
            if totals[i] >= cap:
                big[j] = totals[i]
                j += 1
        big.sort()
        i = 0
        while i < n_big:
            j = i
            while j < n_big and big[j] == big[i]:
                j += 1
            emi += (j - i) * _label_cells(big[i], n, n_pos, lt, lf)
            i = j
    return emi


@njit(cache=True)
def conditional_emi(table, strata, n_strata, n, lt, lf):  # pragma: no cover - compiled
    """E[I(X; Y | S)] when labels are permuted within each stratum of S.

    ``table`` is the (k, 2) count table of the joint levels of (S, X), ``strata[r]`` in
    ``[0, n_strata)`` the S value of row r. I(X; Y | S) = sum_s P(s) I(X; Y | S = s), and the
    permutation keeps each stratum's label counts, so the expectation is the size-weighted sum
    of per-stratum EMIs. Rows are grouped by a counting sort: O(k + n_strata).
    """
    k = strata.size
    start = np.zeros(n_strata + 1, np.int64)
    for r in range(k):
        start[strata[r] + 1] += 1
    for s in range(n_strata):
        start[s + 1] += start[s]
    fill = start[:-1].copy()
    totals = np.empty(k, np.int64)
    size = np.zeros(n_strata, np.int64)
    pos = np.zeros(n_strata, np.int64)
    for r in range(k):
        s = strata[r]
        totals[fill[s]] = table[r, 0] + table[r, 1]
        fill[s] += 1
        size[s] += table[r, 0] + table[r, 1]
        pos[s] += table[r, 1]
    total = 0.0
    for s in range(n_strata):
        if start[s + 1] - start[s] > 1 and 0 < pos[s] < size[s]:
            cells = totals[start[s]: start[s + 1]]
            total += size[s] / n * _emi_from_totals(cells, size[s], pos[s], lt, lf)
    return total


@njit(parallel=True, cache=True)
def pair_label_stats(codes, cards, y, pairs, n_pos, lt, lf):  # pragma: no cover - compiled
    """For each pair (i, j) of features:

    mi: plug-in I((X_i, X_j); Y); emi: its expectation under label permutation;
    e_given_i / e_given_j: E[I(X_j; Y | X_i)] / E[I(X_i; Y | X_j)] under permutation within
    the strata of X_i / X_j (the null "the other feature adds nothing"); levels: distinct
    (x_i, x_j) pairs; h: the joint entropy H(X_i, X_j) (the redundancy step reuses it).
    codes: int32 (F, n); cards: int64 (F,) code space sizes; pairs: (P, 2); lt, lf:
    :func:`log_tables` covering n.
    """
    n = codes.shape[1]
    n_pairs = pairs.shape[0]
    mi = np.empty(n_pairs)
    emi = np.empty(n_pairs)
    e_i = np.empty(n_pairs)
    e_j = np.empty(n_pairs)
    levels = np.empty(n_pairs, np.int64)
    h = np.empty(n_pairs)
    for p in prange(n_pairs):
        i = pairs[p, 0]
        j = pairs[p, 1]
        t, keys = joint_table(codes[i], codes[j], cards[i], cards[j], y)
        mi[p] = mi_binary(t, n, n_pos)
        totals = t[:, 0] + t[:, 1]
        h[p] = entropy_1d(totals, n)
        emi[p] = _emi_from_totals(totals, n, n_pos, lt, lf)
        e_i[p] = conditional_emi(t, keys // cards[j], cards[i], n, lt, lf)
        e_j[p] = conditional_emi(t, keys % cards[j], cards[j], n, lt, lf)
        levels[p] = t.shape[0]
    return mi, emi, e_i, e_j, levels, h


@njit(parallel=True, cache=True)
def pair_feature_stats(codes, cards, pairs):  # pragma: no cover - compiled
    """For each pair (i, j): the joint entropy H(X_i, X_j) and its number of distinct pairs."""
    n = codes.shape[1]
    n_pairs = pairs.shape[0]
    h = np.empty(n_pairs)
    levels = np.empty(n_pairs, np.int64)
    zeros = np.zeros(n, np.int8)
    for p in prange(n_pairs):
        i = pairs[p, 0]
        j = pairs[p, 1]
        t, _ = joint_table(codes[i], codes[j], cards[i], cards[j], zeros)
        h[p] = entropy_1d(t[:, 0], n)
        levels[p] = t.shape[0]
    return h, levels
