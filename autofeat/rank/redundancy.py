"""Redundancy-aware order (mRMR): each next feature maximizes

    relevance(f) * (1 - max_{s already chosen} R(f, s))

where R is the normalized shared information (``SampleStats.redundancy``). The product form
keeps the units of relevance (nats) and needs no tuning weight; a duplicate or a coarsening
of a chosen feature drops to 0.

The greedy is lazy: a candidate's value can only fall as more features are chosen, so its
last value is an upper bound, and feature-feature MI is computed only for candidates that
reach the top of the queue, not for all pairs of a 1,000-column table.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from autofeat.rank.sample_stats import SampleStats

__all__ = ["MRMRResult", "mrmr_order"]


@dataclass(frozen=True)
class MRMRResult:
    order: list[int]
    mrmr_score: dict[int, float]
    redundancy: dict[int, float]
    redundant_with: dict[int, int]
    pairs_evaluated: int


def mrmr_order(relevance: np.ndarray, candidates: list[int], stats: SampleStats) -> MRMRResult:
    """Order ``candidates`` (feature indices with relevance > 0) greedily by mRMR value."""
    heap: list[tuple[float, int, int]] = []  # (-bound, index, number of chosen it has seen)
    red: dict[int, float] = {}
    red_with: dict[int, int] = {}
    for f in candidates:
        heapq.heappush(heap, (-float(relevance[f]), f, 0))
        red[f] = 0.0
    chosen: list[int] = []
    scores: dict[int, float] = {}
    evaluated = 0
    while heap:
        neg, f, seen = heapq.heappop(heap)
        if seen < len(chosen):
            new = chosen[seen:]
            r = stats.redundancy(f, new)
            evaluated += len(new)
            j = int(np.argmax(r))
            if r[j] > red[f]:
                red[f] = float(r[j])
                red_with[f] = new[j]
            heapq.heappush(heap, (-float(relevance[f]) * (1.0 - red[f]), f, len(chosen)))
            continue
        chosen.append(f)
        scores[f] = -neg
    return MRMRResult(chosen, scores, red, red_with, evaluated)
