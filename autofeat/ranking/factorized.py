"""Interactions that generalise through factorization, not through counts.

The count-based pair gain (:mod:`autofeat.ranking.pairs`) needs each (a, b) cell seen often
enough to estimate its click rate. In recommender logs most (user, item) cells are seen once,
so that gain is all chance, yet a low-rank model of the pair (a factorization machine: each
level gets a vector, the pair's effect is their dot product) generalises to unseen cells
through the other cells of the same user and of the same item. With negatives sampled per
user, the user column's marginal MI is 0 and the pair is the only way to see that it matters.

For a pair (a, b) on the analysis sample, cross-fitted over the two folds of
:func:`autofeat.ranking.crossfit.folds`::

    additive:  logit = w0 + w_a[a] + w_b[b]
    FM:        logit = w0 + w_a[a] + w_b[b] + <v_a[a], v_b[b]>

each trained by Adagrad on one fold and scored on the other (levels unseen in training get
zero weights). The gain is the held-out log loss of the additive model minus the FM's, in
nats per row: the information the pair's factorized interaction adds beyond both columns
alone, on rows it was not fitted on. Noise pairs and additive pairs score about 0 or below.

NumPy/Numba only: ``autofeat rank`` stays free of torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from autofeat.ranking.sample_stats import compact_codes

__all__ = ["FactorOptions", "FactorScore", "factorized_gains", "factor_candidates"]


@dataclass(frozen=True)
class FactorOptions:
    """Settings of the factorized pair scan (defaults serve 20k-10M-row tables: the fit runs
    on at most ``rows`` sample rows).

    Attributes:
        top: how many columns enter the scan (pairs among them are scored).
        min_levels: columns with fewer levels on the sample are left out: their pairs are
            dense, and the count-based gain already measures them.
        rank, epochs, lr, l2: the factorization's dimension, passes over the training fold,
            Adagrad step and L2 penalty per update.
        rows: sample rows used (a seeded subset of the analysis sample).
    """

    top: int = 6
    min_levels: int = 20
    rank: int = 8
    epochs: int = 4
    lr: float = 0.05
    l2: float = 1e-2
    rows: int = 30_000


@dataclass(frozen=True)
class FactorScore:
    a: int
    b: int
    gain: float  # held-out log-loss gain of the FM over the additive model (nats per row)
    additive_gain: float  # held-out log-loss gain of the additive model over the base rate


@njit(cache=True)
def _sigmoid_ll(z, y):  # pragma: no cover - compiled
    """(p, log loss) of a logit z for label y, stable for large |z|."""
    if z >= 0:
        e = math.exp(-z)
        p = 1.0 / (1.0 + e)
        ll = math.log1p(e) + (0.0 if y == 1 else z)
    else:
        e = math.exp(z)
        p = e / (1.0 + e)
        ll = math.log1p(e) + (-z if y == 1 else 0.0)
    return p, ll


@njit(cache=True, error_model="numpy")
def _sigmoid(z):  # pragma: no cover - compiled
    """p of a logit z, stable for large |z| (training needs p only, not the loss)."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, error_model="numpy")
def _fit_fold(a, b, y, train, test, ka, kb, rank, epochs, lr, l2, seed):  # pragma: no cover
    """Train the additive model and the FM on rows ``train``; return their summed log losses
    on rows ``test``, and the base rate's."""
    l2_rows = 1.0
    np.random.seed(seed)
    pos = 0.0
    for i in train:
        pos += y[i]
    rate = min(max(pos / max(train.size, 1), 1e-6), 1 - 1e-6)
    w0_init = math.log(rate / (1 - rate))
    base = 0.0
    for i in test:
        base -= math.log(rate) if y[i] == 1 else math.log(1 - rate)
    seen_a = np.zeros(ka, np.bool_)
    seen_b = np.zeros(kb, np.bool_)
    for i in train:
        seen_a[a[i]] = True
        seen_b[b[i]] = True
    # The additive model first, fitted to convergence by backfitting (one Newton step per
    # level and sweep, ridge prior of one row); then the FM's vectors on top of it with the
    # additive weights frozen. A converged additive part leaves no main effect for the
    # vectors to imitate, so the FM's gain is the interaction's alone.
    w0 = w0_init
    wa = np.zeros(ka)
    wb = np.zeros(kb)
    ra = np.zeros(ka)
    ha = np.zeros(ka)
    rb = np.zeros(kb)
    hb = np.zeros(kb)
    for _ in range(5):
        for side in range(2):
            ra[:] = 0.0
            ha[:] = 0.0
            rb[:] = 0.0
            hb[:] = 0.0
            for i in train:
                p = _sigmoid(w0 + wa[a[i]] + wb[b[i]])
                if side == 0:
                    ra[a[i]] += y[i] - p
                    ha[a[i]] += p * (1 - p)
                else:
                    rb[b[i]] += y[i] - p
                    hb[b[i]] += p * (1 - p)
            if side == 0:
                for k in range(ka):
                    wa[k] += (ra[k] - l2_rows * wa[k]) / (ha[k] + l2_rows)
            else:
                for k in range(kb):
                    wb[k] += (rb[k] - l2_rows * wb[k]) / (hb[k] + l2_rows)
    order = train.copy()
    va = np.random.normal(0.0, 0.05, (ka, rank))
    vb = np.random.normal(0.0, 0.05, (kb, rank))
    gva = np.full((ka, rank), 1e-8)
    gvb = np.full((kb, rank), 1e-8)
    for _ in range(epochs):
        np.random.shuffle(order)
        for i in order:
            ai = a[i]
            bi = b[i]
            z = w0 + wa[ai] + wb[bi]
            for d in range(rank):
                z += va[ai, d] * vb[bi, d]
            g = _sigmoid(z) - y[i]
            for d in range(rank):
                gva_d = g * vb[bi, d] + l2 * va[ai, d]
                gvb_d = g * va[ai, d] + l2 * vb[bi, d]
                gva[ai, d] += gva_d * gva_d
                gvb[bi, d] += gvb_d * gvb_d
                va[ai, d] -= lr * gva_d / math.sqrt(gva[ai, d])
                vb[bi, d] -= lr * gvb_d / math.sqrt(gvb[bi, d])
    out = np.zeros(2)
    for i in test:
        ai = a[i]
        bi = b[i]
        z = w0 + wa[ai] + wb[bi]
        out[0] += _sigmoid_ll(z, y[i])[1]
        if seen_a[ai] and seen_b[bi]:
            for d in range(rank):
                z += va[ai, d] * vb[bi, d]
        out[1] += _sigmoid_ll(z, y[i])[1]
    return out[0], out[1], base


@njit(parallel=True, cache=True)
def _pair_fits(codes, cards, y, fold, pairs, rank, epochs, lr, l2, seed):  # pragma: no cover
    n_pairs = pairs.shape[0]
    add = np.zeros(n_pairs)
    fm = np.zeros(n_pairs)
    base = np.zeros(n_pairs)
    idx0 = np.flatnonzero(fold == 0)
    idx1 = np.flatnonzero(fold == 1)
    for p in prange(n_pairs):
        i = pairs[p, 0]
        j = pairs[p, 1]
        for d in range(2):
            train = idx0 if d == 0 else idx1
            test = idx1 if d == 0 else idx0
            la, lf, lb = _fit_fold(codes[i], codes[j], y, train, test, cards[i], cards[j], rank,
                                   epochs, lr, l2, seed + 7919 * p + d)
            add[p] += la
            fm[p] += lf
            base[p] += lb
    return add, fm, base


def factor_candidates(
    scores: np.ndarray, levels: np.ndarray, clean: list[int], opts: FactorOptions
) -> list[int]:
    """The columns whose pairs are scanned: among clean columns with at least
    ``opts.min_levels`` levels, the best half of ``opts.top`` by corrected score and the rest
    by number of levels. The second half is what finds a user column: its marginal score is
    0 when every user has the same click rate, but its many levels are what a factorization
    can use."""
    wide = [f for f in clean if levels[f] >= opts.min_levels]
    by_score = sorted(wide, key=lambda f: (-scores[f], f))[: (opts.top + 1) // 2]
    rest = sorted((f for f in wide if f not in by_score), key=lambda f: (-levels[f], f))
    return sorted(by_score + rest[: opts.top - len(by_score)])


def factorized_gains(
    codes: np.ndarray,
    cards: np.ndarray,
    y: np.ndarray,
    fold: np.ndarray,
    candidates: list[int],
    opts: FactorOptions,
    seed: int = 0,
) -> list[FactorScore]:
    """Score every pair of ``candidates`` (rows of the compact ``codes``); strongest first."""
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1:]]
    if not pairs or y.size == 0 or int(y.sum()) in (0, y.size):
        return []
    m = y.size
    if m > opts.rows:  # a seeded subset, kept in sample order
        keep = np.sort(np.random.default_rng([seed, 13]).choice(m, opts.rows, replace=False))
        codes, y, fold = codes[:, keep], y[keep], fold[keep]
    # Only the candidates' rows, their codes compacted to the levels these rows hold: the FM's
    # vectors are sized by level count, and a 100k-level column has far fewer on 30k rows.
    local = {f: k for k, f in enumerate(candidates)}
    sub, sub_cards = compact_codes(np.ascontiguousarray(codes[candidates]), np.asarray(cards)[candidates])
    add, fm, base = _pair_fits(
        sub, np.ascontiguousarray(sub_cards, dtype=np.int64),
        y.astype(np.int64), fold.astype(np.int64), np.array([(local[a], local[b]) for a, b in pairs], np.int64),
        opts.rank, opts.epochs, opts.lr, opts.l2, int(seed),
    )
    n = y.size
    out = [FactorScore(a, b, float((add[p] - fm[p]) / n), float((base[p] - add[p]) / n))
           for p, (a, b) in enumerate(pairs)]
    out.sort(key=lambda s: (-s.gain, s.a, s.b))
    return out
