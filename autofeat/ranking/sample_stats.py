"""Statistics of single features on the row sample (shared by redundancy, pairs, quality)."""

from __future__ import annotations

import numpy as np

from autofeat.ranking import kernels

__all__ = ["SampleStats", "compact_codes"]


def compact_codes(codes: np.ndarray, cards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber each feature's codes on the sample to 0..k-1 (k = levels present).

    A 1M-level column seen on 250k sample rows has at most 250k levels there; pair kernels
    size their tables by these counts, not by the full vocabulary. O(cardinality + rows)
    per feature.
    """
    out = np.empty_like(codes)
    new_cards = np.empty(len(cards), np.int64)
    for f in range(codes.shape[0]):
        present = np.bincount(codes[f], minlength=int(cards[f])) > 0
        remap = np.cumsum(present, dtype=np.int64) - 1
        out[f] = remap[codes[f]]
        new_cards[f] = max(int(present.sum()), 1)
    return out, new_cards


class SampleStats:
    """Lazily computed per-feature entropy and level count on the sample, and joint entropies
    of feature pairs (cached, computed in parallel batches)."""

    def __init__(self, codes: np.ndarray, cards: np.ndarray) -> None:
        self.codes = codes
        self.cards = np.ascontiguousarray(cards, dtype=np.int64)
        self.m = codes.shape[1]
        self._single: dict[int, tuple[float, int]] = {}
        self._joint: dict[tuple[int, int], tuple[float, int]] = {}

    def single(self, f: int) -> tuple[float, int]:
        """(entropy in nats, number of distinct codes) of feature ``f`` on the sample."""
        if f not in self._single:
            c = np.bincount(self.codes[f], minlength=int(self.cards[f]))
            self._single[f] = (float(kernels.entropy_1d(c, self.m)), int((c > 0).sum()))
        return self._single[f]

    def joint(self, pairs: list[tuple[int, int]]) -> list[tuple[float, int]]:
        """(joint entropy, distinct pairs) for each pair, computing the missing ones at once."""
        todo = [p for p in dict.fromkeys(pairs) if p not in self._joint]
        if todo and self.m:
            h, k = kernels.pair_feature_stats(self.codes, self.cards, np.array(todo, np.int64))
            for p, hv, kv in zip(todo, h, k):
                self._joint[p] = (float(hv), int(kv))
        elif todo:
            for p in todo:
                self._joint[p] = (0.0, 0)
        return [self._joint[p] for p in pairs]

    def redundancy(self, f: int, others: list[int]) -> np.ndarray:
        """Normalized shared information R(f, s) in [0, 1] for each s in ``others``:
        the Miller-Madow corrected I(f; s) divided by min(H(f), H(s)). R = 1 when one is a
        function of the other (a duplicate or a coarsening)."""
        if not others or self.m == 0:
            return np.zeros(len(others))
        hf, kf = self.single(f)
        out = np.zeros(len(others))
        joints = self.joint([(f, s) for s in others])
        two_m = 2.0 * self.m
        for i, (s, (hfs, kfs)) in enumerate(zip(others, joints)):
            hs, ks = self.single(s)
            mi = hf + hs - hfs + ((kf - 1) + (ks - 1) - (kfs - 1)) / two_m
            denom = min(hf + (kf - 1) / two_m, hs + (ks - 1) / two_m)
            out[i] = 0.0 if denom <= 1e-12 else min(1.0, max(0.0, mi / denom))
        return out
