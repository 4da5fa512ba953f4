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
    """Per-feature statistics on the row sample, computed lazily and cached: entropy, level
    count and level sizes of each feature; joint entropy and chance-expected shared
    information of feature pairs (computed in parallel batches)."""

    def __init__(self, codes: np.ndarray, cards: np.ndarray) -> None:
        self.codes = codes
        self.cards = np.ascontiguousarray(cards, dtype=np.int64)
        self.m = codes.shape[1]
        self._single: dict[int, tuple[float, int]] = {}
        self._sizes: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._joint: dict[tuple[int, int], tuple[float, int]] = {}
        self._emi: dict[tuple[int, int], float] = {}
        self._tables: tuple[np.ndarray, np.ndarray] | None = None

    def single(self, f: int) -> tuple[float, int]:
        """(entropy in nats, number of distinct codes) of feature ``f`` on the sample."""
        if f not in self._single:
            c = np.bincount(self.codes[f], minlength=int(self.cards[f]))
            self._single[f] = (float(kernels.entropy_1d(c, self.m)), int((c > 0).sum()))
            sizes, mult = np.unique(c[c > 0], return_counts=True)
            self._sizes[f] = (sizes.astype(np.int64), mult.astype(np.int64))
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

    def add_joint(self, a: int, b: int, entropy: float, levels: int) -> None:
        """Record a pair's joint entropy and distinct pairs computed elsewhere (the pair scan
        builds the same joint tables)."""
        self._joint[(a, b)] = self._joint[(b, a)] = (float(entropy), int(levels))

    def expected_shared(self, pairs: list[tuple[int, int]]) -> list[float]:
        """E[I(f; s)] under a random permutation of the rows of s, for each pair (f, s)."""
        todo = [p for p in dict.fromkeys(pairs) if p not in self._emi]
        if todo and self.m:
            feats = sorted({f for p in todo for f in p})
            for f in feats:
                self.single(f)
            slot = {f: i for i, f in enumerate(feats)}
            vals = np.concatenate([self._sizes[f][0] for f in feats])
            mults = np.concatenate([self._sizes[f][1] for f in feats])
            offsets = np.zeros(len(feats) + 1, np.int64)
            np.cumsum([self._sizes[f][0].size for f in feats], out=offsets[1:])
            local = np.array([(slot[a], slot[b]) for a, b in todo], np.int64)
            if self._tables is None:
                self._tables = kernels.log_tables(self.m)
            emi = kernels.pair_emi(vals, mults, offsets, local, self.m, *self._tables)
            self._emi.update(zip(todo, (float(e) for e in emi)))
        elif todo:
            self._emi.update((p, 0.0) for p in todo)
        return [self._emi[p] for p in pairs]

    def redundancy(self, f: int, others: list[int]) -> np.ndarray:
        """Chance-corrected shared information R(f, s) in [0, 1] for each s in ``others``
        (adjusted mutual information, Vinh et al. 2010)::

            R = (I(f; s) - E[I]) / (min(H(f), H(s)) - E[I])

        with E[I] the expected plug-in I(f; s) when the rows of s are randomly permuted. Two
        independent columns give ~0 at any cardinality (a pair of 50k-level ids shares most
        of its plug-in information by chance on a 100k-row sample); R = 1 when one is a
        function of the other (a duplicate or a coarsening). Where chance alone explains
        almost all of the smaller entropy, nothing can be told apart and R is 0."""
        if not others or self.m == 0:
            return np.zeros(len(others))
        hf, _ = self.single(f)
        pairs = [(f, s) for s in others]
        joints = self.joint(pairs)
        emis = self.expected_shared(pairs)
        out = np.zeros(len(others))
        for i, (s, (hfs, _), emi) in enumerate(zip(others, joints, emis)):
            hs, _ = self.single(s)
            h_min = min(hf, hs)
            room = h_min - emi
            if room <= max(1e-9, 0.01 * h_min):
                continue
            out[i] = min(1.0, max(0.0, (hf + hs - hfs - emi) / room))
        return out
