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
    "mi_binary",
    "log_tables",
    "NO_TABLES",
    "emi_cell",
    "emi_tables",
    "emi_from_totals",
    "pair_emi",
    "joint_table",
    "pair_label_stats",
    "pair_feature_stats",
    "relevance_stats",
    "strata_orders",
    "entropy_1d",
]


@njit(cache=True, error_model="numpy")
def entropy_1d(counts, n):  # pragma: no cover - compiled
    """Plug-in entropy of a count vector with total ``n``."""
    h = 0.0
    for c in counts:
        if c > 0:
            p = c / n
            h -= p * math.log(p)
    return h


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
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
        return (c / n) * (1.0 / n) * (_ln(n, lt) - _ln(c, lt))
    mean = a * b / n
    sd = math.sqrt(a * (b / n) * ((n - b) / n) * (n - a) / max(n - 1, 1))
    lo = max(max(1, a + b - n), int(mean - 12 * sd) - 1)
    hi = min(min(a, b), int(mean + 12 * sd) + 12)
    if lo > hi:
        return 0.0
    p = math.exp(_lfact(b, lf) - _lfact(lo, lf) - _lfact(b - lo, lf) + _lfact(n - b, lf)
                 - _lfact(a - lo, lf) - _lfact(n - b - a + lo, lf) - _lfact(n, lf) + _lfact(a, lf)
                 + _lfact(n - a, lf))
    base = _ln(n, lt) - _ln(a, lt) - _ln(b, lt)
    s = 0.0
    for k in range(lo, hi + 1):
        s += p * k * (_ln(k, lt) + base)
        p *= (b - k) * (a - k) / ((k + 1.0) * (n - a - b + k + 1.0))
    return s / n


@njit(cache=True, error_model="numpy", inline="always")
def _ln(k, lt):  # pragma: no cover - compiled
    """log k from the table when it covers k, else computed."""
    return lt[k] if k < lt.size else math.log(k)


@njit(cache=True, error_model="numpy", inline="always")
def _lfact(k, lf):  # pragma: no cover - compiled
    """log k! from the table when it covers k, else computed."""
    return lf[k] if k < lf.size else math.lgamma(k + 1.0)


@njit(cache=True, error_model="numpy")
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


@njit(parallel=True, cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def _label_cells(t, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """Expected-MI contribution of one level of ``t`` rows (its two label cells)."""
    return emi_cell(t, n_pos, n, lt, lf) + emi_cell(t, n - n_pos, n, lt, lf)


_HIST = 256  # level sizes below this are grouped by a histogram, larger ones by sorting


@njit(cache=True, error_model="numpy")
def _emi_of_sizes(hist, big, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """E[I(X; Y)] under label permutation from X's level sizes: ``hist[t]`` levels of size
    t < _HIST, and the larger sizes in ``big`` (any order; sorted in place). The expectation
    depends on each distinct size once."""
    emi = 0.0
    for t in range(1, hist.size):
        if hist[t] > 0:
            emi += hist[t] * _label_cells(t, n, n_pos, lt, lf)
    big.sort()
    i = 0
    while i < big.size:
        j = i
        while j < big.size and big[j] == big[i]:
            j += 1
        emi += (j - i) * _label_cells(big[i], n, n_pos, lt, lf)
        i = j
    return emi


@njit(cache=True, error_model="numpy")
def emi_from_totals(totals, n, n_pos, lt, lf):  # pragma: no cover - compiled
    """E[I(X; Y)] under label permutation from X's level sizes ``totals`` (any order): a few
    levels summed directly, many grouped by size (no call sorts the whole array)."""
    k = totals.size
    if k <= 16:
        emi = 0.0
        ones = 0  # single-row levels (most of a sparse stratum) all add the same
        for i in range(k):
            if totals[i] == 1:
                ones += 1
            else:
                emi += _label_cells(totals[i], n, n_pos, lt, lf)
        return emi + ones * _label_cells(1, n, n_pos, lt, lf) if ones else emi
    hist = np.zeros(_HIST, np.int64)
    n_big = 0
    for i in range(k):
        if totals[i] < _HIST:
            hist[totals[i]] += 1
        else:
            n_big += 1
    big = np.empty(n_big, np.int64)
    j = 0
    for i in range(k):
        if totals[i] >= _HIST:
            big[j] = totals[i]
            j += 1
    return _emi_of_sizes(hist, big, n, n_pos, lt, lf)


@njit(parallel=True, cache=True, error_model="numpy")
def relevance_stats(tables, offsets, n, n_pos):  # pragma: no cover - compiled
    """Plug-in I(X; Y), its expectation under label permutation and H(X) of every feature,
    in parallel; feature f's (levels, 2) count table is ``tables[offsets[f]:offsets[f+1]]``.
    Logs are computed, not tabled: n is every row of the data."""
    n_feat = offsets.size - 1
    mi = np.zeros(n_feat)
    emi = np.zeros(n_feat)
    ent = np.zeros(n_feat)
    none = np.zeros(0)
    for f in prange(n_feat):
        t = tables[offsets[f]: offsets[f + 1]]
        totals = t[:, 0] + t[:, 1]
        mi[f] = mi_binary(t, n, n_pos)
        emi[f] = emi_from_totals(totals, n, n_pos, none, none)
        ent[f] = entropy_1d(totals, n)
    return mi, emi, ent


@njit(parallel=True, cache=True, error_model="numpy")
def strata_orders(codes, cards, feats):  # pragma: no cover - compiled
    """The rows of each feature in ``feats`` grouped by code (a counting sort): feature
    ``feats[k]``'s level u holds rows ``order[k, start[offsets[k] + u]: start[offsets[k] + u + 1]]``."""
    n = codes.shape[1]
    n_feat = feats.size
    order = np.empty((n_feat, n), np.int32)
    offsets = np.zeros(n_feat + 1, np.int64)
    for k in range(n_feat):
        offsets[k + 1] = offsets[k] + cards[feats[k]] + 1
    start = np.zeros(offsets[n_feat], np.int64)
    for k in prange(n_feat):
        c = codes[feats[k]]
        card = cards[feats[k]]
        base = offsets[k]
        for r in range(n):
            start[base + c[r] + 1] += 1
        for u in range(card):
            start[base + u + 1] += start[base + u]
        fill = start[base: base + card].copy()
        for r in range(n):
            order[k, fill[c[r]]] = r
            fill[c[r]] += 1
    return order, start, offsets


@njit(cache=True, error_model="numpy")
def _stratified(order, start, card_s, x, card_x, y, n_pos, lt, lf, full):  # pragma: no cover
    """One pass over the joint levels of (S, X), stratum by stratum of S (``order``/``start``
    from :func:`strata_orders`), counting X's codes in a table of X's size that each stratum
    clears after itself: no hash table, and each stratum's cells are at hand for its
    expected MI. Returns E[I(X; Y | S)] under permutation of the labels within each stratum
    of S (the size-weighted sum of the strata's expected MIs) and, when ``full``, the joint's
    plug-in I((S, X); Y), its expected value under a full permutation, H(S, X) and the number
    of joint levels (else zeros)."""
    n = x.size
    n_neg = n - n_pos
    cnt0 = np.zeros(card_x, np.int64)
    cnt1 = np.zeros(card_x, np.int64)
    touched = np.empty(card_x, np.int64)
    cells = np.empty(card_x, np.int64)
    hist = np.zeros(_HIST, np.int64)
    big = np.empty(n // _HIST + 1, np.int64)
    n_big = 0
    cond = 0.0
    mi = 0.0
    h = 0.0
    levels = 0
    for u in range(card_s):
        a = start[u]
        b = start[u + 1]
        if b - a == 1:  # a one-row stratum: one cell, nothing to permute within it
            if full:
                levels += 1
                hist[1] += 1
                mi += lt[n] - (lt[n_pos] if y[order[a]] == 1 else lt[n_neg])
                h += lt[n]
            continue
        m = 0
        pos = 0
        for q in range(a, b):
            r = order[q]
            v = x[r]
            if cnt0[v] + cnt1[v] == 0:
                touched[m] = v
                m += 1
            if y[r] == 1:
                cnt1[v] += 1
                pos += 1
            else:
                cnt0[v] += 1
        for t in range(m):
            v = touched[t]
            c0 = cnt0[v]
            c1 = cnt1[v]
            tot = c0 + c1
            cells[t] = tot
            cnt0[v] = 0
            cnt1[v] = 0
            if full:
                levels += 1
                if tot < _HIST:
                    hist[tot] += 1
                else:
                    big[n_big] = tot
                    n_big += 1
                if c0 > 0:
                    mi += c0 * (lt[n] + lt[c0] - lt[tot] - lt[n_neg])
                if c1 > 0:
                    mi += c1 * (lt[n] + lt[c1] - lt[tot] - lt[n_pos])
                h -= tot * (lt[tot] - lt[n])
        size = b - a
        if m > 1 and 0 < pos < size:
            cond += size / n * emi_from_totals(cells[:m], size, pos, lt, lf)
    if not full:
        return cond, 0.0, 0.0, 0.0, 0
    emi = _emi_of_sizes(hist, big[:n_big], n, n_pos, lt, lf)
    return cond, max(mi / n, 0.0), max(emi, 0.0), h / n, levels


@njit(parallel=True, cache=True, error_model="numpy")
def pair_label_stats(codes, cards, y, pairs, n_pos, lt, lf):  # pragma: no cover - compiled
    """For each pair (i, j) of features:

    mi: plug-in I((X_i, X_j); Y); emi: its expectation under label permutation;
    e_given_i / e_given_j: E[I(X_j; Y | X_i)] / E[I(X_i; Y | X_j)] under permutation within
    the strata of X_i / X_j (the null "the other feature adds nothing"); levels: distinct
    (x_i, x_j) pairs; h: the joint entropy H(X_i, X_j) (the redundancy step reuses it).
    codes: int32 (F, n); cards: int64 (F,) code space sizes; pairs: (P, 2); lt, lf:
    :func:`log_tables` covering n. Each pair is two passes of :func:`_stratified`, one per
    side, over rows grouped by code once per feature.
    """
    n_pairs = pairs.shape[0]
    slot = np.full(codes.shape[0], -1, np.int64)
    n_feat = 0
    for p in range(n_pairs):
        for side in range(2):
            f = pairs[p, side]
            if slot[f] < 0:
                slot[f] = n_feat
                n_feat += 1
    feats = np.empty(n_feat, np.int64)
    for f in range(codes.shape[0]):
        if slot[f] >= 0:
            feats[slot[f]] = f
    order, start, offsets = strata_orders(codes, cards, feats)
    mi = np.empty(n_pairs)
    emi = np.empty(n_pairs)
    e_i = np.empty(n_pairs)
    e_j = np.empty(n_pairs)
    levels = np.empty(n_pairs, np.int64)
    h = np.empty(n_pairs)
    for p in prange(n_pairs):
        i = pairs[p, 0]
        j = pairs[p, 1]
        si = slot[i]
        sj = slot[j]
        e_i[p], mi[p], emi[p], h[p], levels[p] = _stratified(
            order[si], start[offsets[si]: offsets[si + 1]], cards[i], codes[j], cards[j], y,
            n_pos, lt, lf, True)
        e_j[p] = _stratified(
            order[sj], start[offsets[sj]: offsets[sj + 1]], cards[j], codes[i], cards[i], y,
            n_pos, lt, lf, False)[0]
    return mi, emi, e_i, e_j, levels, h


@njit(parallel=True, cache=True, error_model="numpy")
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
