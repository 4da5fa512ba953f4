"""Cross-fitted single-column statistics on the analysis sample.

The sample's rows are split into two seeded folds. Each row is scored by its level's label
rate *in the other fold*, so a level seen once (a row id, a rare user) carries no
information about its own label: an id column scores AUC 0.5 however many levels it has,
while a column that copies the label scores 1 - (share of flipped rows) at any cardinality.
"""

from __future__ import annotations

import numpy as np

__all__ = ["folds", "heldout_scores", "auc_grouped"]

# Additive smoothing of a level's rate towards the other fold's overall rate, in rows: each
# column gets the value from this grid that predicts best out of fold (few-row levels of an
# id need strong shrinkage, dense levels of a copy none).
PRIOR_ROWS = (1.0, 4.0, 16.0, 64.0, 256.0)


def folds(m: int, seed: int) -> np.ndarray:
    """A balanced, seeded assignment of ``m`` rows to folds 0 and 1 (int8)."""
    out = np.zeros(m, np.int8)
    out[np.random.default_rng([seed, 11]).permutation(m)[: m // 2]] = 1
    return out


def auc_grouped(score: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC of groups of rows sharing a score (``pos``/``neg`` rows in each), ties
    counted as half."""
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return 0.5
    order = np.argsort(score, kind="mergesort")
    s, p, q = score[order], pos[order], neg[order]
    # Merge groups with equal scores so ties are counted once.
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    p = np.add.reduceat(p, starts).astype(np.float64)
    q = np.add.reduceat(q, starts).astype(np.float64)
    below = np.cumsum(q) - q  # negatives with a strictly lower score
    return float((p * (below + 0.5 * q)).sum() / (n_pos * n_neg))


def heldout_scores(
    codes: np.ndarray, cards: np.ndarray, y: np.ndarray, fold: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each feature (a row of the compact ``codes``, levels ``0..cards[f]-1``), its
    cross-fitted level rate as a prediction of the label, scored two ways:

    - ``auc``: ROC AUC (0.5: no ranking power);
    - ``skill``: Brier skill, ``1 - Brier / Brier(other fold's overall rate)``: the share of
      the label's variance the column explains out of fold (1 when it determines the label,
      about 0 or below for noise). Unlike the AUC it also asks that the levels be *pure*: a
      strong feature of a rare label (positives concentrated in a few levels whose rate is
      still far from 1) has a high AUC but a low skill;
    - ``gain``: held-out information, the mean log-loss (nats per row) of the other fold's
      overall rate minus that of the level rates. Unlike the permutation-corrected MI it
      does not overstate a column whose signal is spread thinly over sparse levels (the
      correction is exact only when there is no signal), so it compares two views of one
      column fairly.
    """
    m = y.size
    auc = np.full(codes.shape[0], 0.5)
    skill = np.zeros(codes.shape[0])
    gain = np.zeros(codes.shape[0])
    if m == 0:
        return auc, skill, gain
    yi = y.astype(np.int64)
    fi = fold.astype(np.int64)
    rows = np.bincount(fi, minlength=2)
    pos_rows = np.bincount(fi, weights=yi, minlength=2)
    rate = pos_rows / np.maximum(rows, 1)
    # Brier score of predicting every row of fold d by fold 1-d's overall rate.
    base = sum(pos_rows[d] * (1 - rate[1 - d]) ** 2 + (rows[d] - pos_rows[d]) * rate[1 - d] ** 2
               for d in (0, 1))
    with np.errstate(divide="ignore"):
        base_ll = -sum(pos_rows[d] * np.log(rate[1 - d]) + (rows[d] - pos_rows[d]) * np.log1p(-rate[1 - d])
                       for d in (0, 1))
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
