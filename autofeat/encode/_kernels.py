"""Numba kernels of the encoding pass: integer ids through a lookup table (no hashing), and
the per-feature (code, label) counts every later stage reads."""

from __future__ import annotations

from numba import njit, prange


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


@njit(parallel=True, cache=True, error_model="numpy")
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
