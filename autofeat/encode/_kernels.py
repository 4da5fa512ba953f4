"""Numba kernel for encoding integer ids through a lookup table (no hashing)."""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def remap_ints(values, valid, lut, base, next_code, codes):  # pragma: no cover - compiled
    """codes[i] = the code of values[i] (0 where not valid), numbering new values
    next_code, next_code + 1, ... in order of first appearance; ``lut[v - base]`` holds the
    code of v (0: unseen). Returns the next unused code."""
    for i in range(values.size):
        if not valid[i]:
            codes[i] = 0
            continue
        j = values[i] - base
        c = lut[j]
        if c == 0:
            c = next_code
            lut[j] = c
            next_code += 1
        codes[i] = c
    return next_code
