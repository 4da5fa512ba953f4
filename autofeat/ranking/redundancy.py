"""Redundancy-aware order (mRMR): each next feature maximizes

    relevance(f) * (1 - max_{s already chosen} R(f, s))

where R is the normalized shared information (``SampleStats.redundancy``). The product form
keeps the units of relevance (nats) and needs no tuning weight; a duplicate or a coarsening
of a chosen feature drops to 0.

The greedy fills the first ``k`` positions and is lazy: a candidate's value can only fall as
more features are chosen, so its last value is an upper bound, and feature-feature MI is
computed only for candidates that reach the top of the queue; candidates that never do (the
long tail of a 1,000-column table) are never paired. They follow the ``k`` chosen ones in
relevance order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from autofeat.ranking.sample_stats import SampleStats

__all__ = ["MRMRResult", "mrmr_order"]


@dataclass(frozen=True)
class MRMRResult:
    order: list[int]
    mrmr_score: dict[int, float]
    redundancy: dict[int, float]
    redundant_with: dict[int, int]
    pairs_evaluated: int


def mrmr_order(
    relevance: np.ndarray, candidates: list[int], stats: SampleStats, k: int
) -> MRMRResult:
    """Pick up to ``k`` of ``candidates`` (feature indices with relevance > 0) greedily by
    mRMR value; ``order`` lists all candidates, the unpicked ones by relevance after them."""
    # (-bound, -relevance, index, number of chosen it has seen): equal values (fully
    # redundant features all have 0) go by relevance, then column order, never by rounding.
    heap: list[tuple[float, float, int, int]] = []
    red: dict[int, float] = {}
    red_with: dict[int, int] = {}
    for f in candidates:
        heapq.heappush(heap, (-float(relevance[f]), -float(relevance[f]), f, 0))
        red[f] = 0.0
    chosen: list[int] = []
    scores: dict[int, float] = {}
    evaluated = 0
    while heap and len(chosen) < k:
        neg, neg_rel, f, seen = heapq.heappop(heap)
        if seen < len(chosen):
            new = chosen[seen:]
            r = stats.redundancy(f, new)
            evaluated += len(new)
            j = int(np.argmax(r))
            if r[j] > red[f]:
                red[f] = float(r[j])
                red_with[f] = new[j]
            # Redundancy within rounding of 1 is 1: a duplicate's value is exactly 0.
            value = 0.0 if red[f] > 1.0 - 1e-9 else float(relevance[f]) * (1.0 - red[f])
            heapq.heappush(heap, (-value, neg_rel, f, len(chosen)))
            continue
        chosen.append(f)
        scores[f] = -neg
    picked = set(chosen)
    rest = sorted((f for f in candidates if f not in picked), key=lambda f: (-relevance[f], f))
    red = {f: r for f, r in red.items() if f in picked}
    red_with = {f: s for f, s in red_with.items() if f in picked}
    return MRMRResult(chosen + rest, scores, red, red_with, evaluated)
