"""The numeric columns' mergeable quantile sketch, and the value hashes behind the row sample.

A float goes to a bucket by its bit pattern alone: the sign, the exponent and the top
``MANTISSA_BITS`` bits of the mantissa (a log-linear histogram, as in DDSketch or HDR
histograms: every bucket spans at most 2**-10, about 0.1%, of its values). Bucket keys are
integers in the order of the values, so a column's partial state is a (bucket, label) count
table like a categorical's: partitions add up exactly, and the bin edges computed from the
merged table (:func:`bucket_edges`) are a function of the multiset of values, not of batch
or partition order. Bin counts are sums of bucket counts, so edges and counts always agree.

Value hashes (:func:`value_hashes`) depend on a value and its type family only, so a row has
the same hash in whatever partition, batch or engine it is read.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from autofeat.io.arrow import values_and_validity

__all__ = ["MANTISSA_BITS", "bucket_keys", "bucket_floor", "bucket_edges", "value_hashes", "int_hashes",
           "MISSING_HASH"]

MANTISSA_BITS = 10
_SHIFT = np.int64(52 - MANTISSA_BITS)
_LOW63 = np.int64(0x7FFFFFFFFFFFFFFF)
# The value hash of code 0 (missing) in every column.
MISSING_HASH = np.uint64(0x5BD1E9955BD1E995)


def bucket_keys(x: np.ndarray) -> np.ndarray:
    """int64 bucket keys of the float64 values ``x`` (NaN: any key, to be masked by the
    caller), non-decreasing in the value: ``x <= y`` implies ``key(x) <= key(y)``."""
    bits = (np.asarray(x, np.float64) + 0.0).view(np.int64)  # + 0.0: -0.0 becomes 0.0
    # Two's-complement order of the bits is the float order for positives and reversed for
    # negatives; flipping a negative's magnitude bits makes it monotone throughout.
    ordered = bits ^ ((bits >> np.int64(63)) & _LOW63)
    return ordered >> _SHIFT


def bucket_floor(keys: np.ndarray) -> np.ndarray:
    """The smallest float64 of each bucket: every value of bucket k is ``>= floor(k)`` and
    ``< floor(k + 1)``."""
    ordered = np.asarray(keys, np.int64) << _SHIFT
    bits = ordered ^ ((ordered >> np.int64(63)) & _LOW63)
    out = bits.view(np.float64).copy()
    out[np.isnan(out)] = -np.inf  # below -inf's bucket floor only NaN bit patterns remain
    return out


def bucket_edges(keys: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin edges (float64, ascending) from a column's sorted distinct bucket ``keys`` and the
    rows in each (``weights``): at most ``n_bins`` bins of about equal rows, every edge a
    bucket floor, so each bucket lies in one bin. With at most ``n_bins`` buckets, one bin
    per bucket. Values go to ``searchsorted(edges, x, side="right")`` as elsewhere."""
    keys, w = np.asarray(keys, np.int64), np.asarray(weights, np.float64)
    keep = w > 0
    keys, w = keys[keep], w[keep]
    if keys.size <= n_bins:
        return bucket_floor(keys[1:])
    cum = np.cumsum(w)
    targets = np.linspace(0, 1, n_bins + 1)[1:-1] * cum[-1]
    # The bucket where the cumulative count first reaches each target starts a bin (as
    # quantile_edges_weighted); the first bucket never does (its floor is the minimum).
    idx = np.unique(np.minimum(np.searchsorted(cum, targets, side="left"), keys.size - 1))
    return bucket_floor(keys[idx[idx > 0]])


def int_hashes(values: np.ndarray, salt: int = 0) -> np.ndarray:
    """:func:`value_hashes` of integers given as int64 NumPy values."""
    from autofeat.encode._kernels import hash_ints

    out = np.empty(values.size, np.uint64)
    hash_ints(np.ascontiguousarray(values, np.int64).view(np.uint64), np.uint64(salt * 4 + 1), out)
    return out


def value_hashes(values: pa.Array, salt: int = 0) -> np.ndarray:
    """uint64 hashes of non-null ``values`` that depend on the value and its type family
    (integers and booleans, floats, text and bytes, anything else by its text) only."""
    from autofeat.encode._kernels import hash_bytes, hash_ints

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    out = np.empty(len(values), np.uint64)
    if not len(values):
        return out
    if pa.types.is_boolean(t):
        values, t = values.cast(pa.int8()), pa.int8()
    if pa.types.is_integer(t):
        ints = values.cast(pa.int64(), safe=False)  # uint64 above 2**63 wraps, still one-to-one
        return int_hashes(values_and_validity(ints)[0], salt)
    elif pa.types.is_floating(t):
        x = values_and_validity(values.cast(pa.float64()))[0] + 0.0
        hash_ints(x.view(np.uint64), np.uint64(salt * 4 + 2), out)
    else:
        if not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
                or pa.types.is_large_binary(t)):
            values = pc.cast(values, pa.large_string()) if not pa.types.is_binary_view(t) else values.cast(
                pa.large_binary())
        if pa.types.is_string(values.type) or pa.types.is_binary(values.type):
            values = values.cast(pa.large_binary())
        elif pa.types.is_large_string(values.type):
            values = values.view(pa.large_binary())
        bufs = values.buffers()
        offsets = np.frombuffer(bufs[1], np.int64, count=len(values) + 1, offset=values.offset * 8)
        data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        hash_bytes(data, offsets, np.uint64(salt * 4 + 3), out)
    return out
