"""Numba kernels of the encoding pass: integer ids through a lookup table (no hashing), the
per-feature (code, label) counts every later stage reads, and the seeded row hashes that pick
the analysis sample whatever the partitioning."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# splitmix64's increment and multipliers (Steele, Lea, Flood 2014); a good 64-bit mix.
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
def remap_ints(values, valid, lut, base, next_code, codes, fresh):  # pragma: no cover - compiled
    """codes[i] = the code of values[i] (0 where not valid), numbering new values
    next_code, next_code + 1, ... in order of first appearance; ``lut[v - base]`` holds the
    code of v (0: unseen). The new values are written to ``fresh[0], fresh[1], ...`` in code
    order. Returns the next unused code."""
    first = next_code
    for i in range(values.size):
        if not valid[i]:
            codes[i] = 0
            continue
        j = values[i] - base
        c = lut[j]
        if c == 0:
            c = next_code
            lut[j] = c
            fresh[next_code - first] = values[i]
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


@njit(cache=True, inline="always")
def mix64(x):  # pragma: no cover - compiled
    """splitmix64's finalizer: a bijection of uint64 that spreads every input bit."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def hash_ints(values, salt, out):  # pragma: no cover - compiled
    """out[i] = mix64(values[i] + salt * gamma): values are int64 bit patterns (as uint64)."""
    for i in range(values.size):
        out[i] = mix64(values[i] + salt * _GAMMA)


@njit(cache=True, nogil=True)
def hash_bytes(data, offsets, salt, out):  # pragma: no cover - compiled
    """out[i] = a 64-bit hash of the bytes ``data[offsets[i]:offsets[i+1]]`` (FNV-1a, then
    mixed): the value hash of strings and binaries."""
    for i in range(out.size):
        h = _FNV_OFFSET ^ (salt * _GAMMA)
        for j in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(data[j])) * _FNV_PRIME
        out[i] = mix64(h ^ np.uint64(offsets[i + 1] - offsets[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def count_and_hash(codes, y, offsets, table, sums):  # pragma: no cover - compiled
    """Add one batch's (code, label) counts into ``table`` and each row's column hashes
    into ``sums``.

    codes: int32 (F, n); y: int8 (n,); offsets: int64 (F + 1,), feature f owns rows
    ``offsets[f]:offsets[f+1]`` of ``table`` (int64, (total, 3): the counts of label 0 and 1,
    then the value hash of the code, as int64 bits). sums: uint64 (G, n), zeroed; group g
    takes features g, g + G, ... and adds ``hash * odd salt of f`` (mod 2**64) into
    ``sums[g]``. The hash sits beside the counts, so it costs no extra cache miss, and one
    multiply is all the mixing a row needs per column (the value hashes are mixed already;
    a per-column odd factor keeps columns apart); groups write disjoint rows of ``table``
    and of ``sums``, so the loop over groups is parallel. The row's hash is
    :func:`finish_row_hashes` of the sums: a sum, so independent of the grouping.
    """
    n_feat, n = codes.shape
    for g in prange(sums.shape[0]):
        acc = sums[g]
        for f in range(g, n_feat, sums.shape[0]):
            base = offsets[f]
            row = codes[f]
            salt = (np.uint64(2 * f + 1) * _GAMMA) | np.uint64(1)  # odd: a bijection of the hash
            for i in range(n):
                j = base + row[i]
                table[j, y[i]] += 1
                acc[i] += np.uint64(table[j, 2]) * salt


@njit(cache=True)
def finish_row_hashes(sums, y, seed, out):  # pragma: no cover - compiled
    """out[i] = a seeded hash of row i: its label and the column-hash sums of every group."""
    start = mix64(np.uint64(seed) + _GAMMA)
    for i in range(out.size):
        h = start + np.uint64(y[i] + 1) * _M1
        for g in range(sums.shape[0]):
            h += sums[g, i]
        out[i] = mix64(h)
