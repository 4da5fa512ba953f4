"""Pairwise combined relevance: what a pair of features says about the label beyond what each
says alone (synergy), on the row sample, with the pair as one joint feature (collision-free
pair codes ``a * card_b + b``).

For the direction "b given a": the information b adds once a is known, corrected for chance,
minus what b says alone, corrected for chance::

    g(b | a) = [I(a,b; Y) - I(a; Y) - E_a] - S(b),   S(b) = I(b; Y) - E_perm[I(b; Y)]

where ``E_a`` is the expected I(b; Y | a) when labels are permuted within each stratum of a.
That null keeps a's real signal, which a full permutation would not: with sparse joint cells
the plug-in I(a,b; Y) of an informative a and a noise b is inflated beyond E_perm[I(a,b; Y)],
and a plain ``S(a,b) - S(a) - S(b)`` reports spurious pairs. The score is the smaller of the
two directions: synergy shows in both, while conditioning on a high-cardinality column leaves
strata of a few rows in which the plug-in MI of the other column is inflated beyond its null
(one direction of an informative x noise pair). A pure interaction such as ``y = xor(a, b)`` has S(a) = S(b) = 0 and a gain near
I(a,b; Y); a pair of an informative and a noise column scores about 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autofeat.ranking import kernels

__all__ = ["PairScore", "pair_gains"]


@dataclass(frozen=True)
class PairScore:
    a: int
    b: int
    gain: float
    gain_given_a: float
    gain_given_b: float
    joint_score: float
    joint_mi: float
    levels: int
    joint_entropy: float = 0.0  # H(a, b) on the sample


def pair_gains(
    codes: np.ndarray,
    y: np.ndarray,
    cards: np.ndarray,
    single_mi: np.ndarray,
    single_score: np.ndarray,
    candidates: list[int],
) -> list[PairScore]:
    """Score every pair of ``candidates``; strongest gain first (ties by index)."""
    m = y.size
    m_pos = int(y.sum())
    pairs = [(a, b) for i, a in enumerate(candidates) for b in candidates[i + 1:]]
    if not pairs or m == 0 or m_pos in (0, m):
        return []
    arr = np.array(pairs, dtype=np.int64)
    mi, emi, e_a, e_b, levels, h = kernels.pair_label_stats(
        codes, np.ascontiguousarray(cards, dtype=np.int64), y, arr, m_pos, *kernels.log_tables(m)
    )
    out = []
    for p, (a, b) in enumerate(pairs):
        given_a = mi[p] - single_mi[a] - e_a[p] - single_score[b]
        given_b = mi[p] - single_mi[b] - e_b[p] - single_score[a]
        out.append(PairScore(a, b, float(min(given_a, given_b)), float(given_a), float(given_b),
                             float(mi[p] - emi[p]), float(mi[p]), int(levels[p]), float(h[p])))
    out.sort(key=lambda s: (-s.gain, s.a, s.b))
    return out
