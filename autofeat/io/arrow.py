"""Arrow <-> NumPy for the ranking path without pyarrow's pandas shim.

``pa.Array.to_numpy`` and ``pa.array(ndarray)`` import pandas on first use (to check for
pandas types); that import alone is about 0.15 s of a one-second ``autofeat rank``. Primitive
arrays share their data buffer with NumPy, so these helpers read and build it directly and
fall back to pyarrow for anything else (nulls in a numeric array, strings, temporals).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["to_numpy", "from_numpy", "values_and_validity"]

_NUMPY = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}


def to_numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of ``arr`` as pyarrow's ``to_numpy(zero_copy_only=False)`` gives them: a
    read-only view of a numeric array without nulls, NaN for the nulls of a numeric one, a
    bool array for booleans, pyarrow's own conversion for anything else."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not len(arr):
        return arr.to_numpy(zero_copy_only=False)
    if arr.type in _NUMPY:
        data, valid = values_and_validity(arr)
        if arr.null_count == 0:
            return data
        # As pyarrow does: nulls become NaN, integers become float64 to hold them.
        out = data.astype(np.float64 if data.dtype.kind in "iu" else data.dtype)
        out[~valid] = np.nan
        return out
    if arr.null_count == 0 and pa.types.is_boolean(arr.type):
        return _bits(arr.buffers()[1], arr.offset, len(arr))
    return arr.to_numpy(zero_copy_only=False)


def _bits(buf: pa.Buffer, offset: int, n: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(buf, np.uint8), bitorder="little")
    return bits[offset: offset + n].view(np.bool_)


def values_and_validity(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A numeric array's data buffer (arbitrary values in null slots) and its validity mask,
    both as NumPy arrays, without filling the nulls first."""
    dtype = _NUMPY.get(arr.type)
    if dtype is None or not len(arr):
        return arr.to_numpy(zero_copy_only=False), to_numpy(arr.is_valid())
    size = np.dtype(dtype).itemsize
    data = np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * size)
    validity = arr.buffers()[0]
    if validity is None or arr.null_count == 0:
        return data, np.ones(len(arr), np.bool_)
    return data, _bits(validity, arr.offset, len(arr))


def from_numpy(x: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A numeric or bool NumPy array as an Arrow array; ``mask`` True marks nulls."""
    x = np.ascontiguousarray(x)
    validity = None
    n_null = 0
    if mask is not None and mask.any():
        validity = pa.py_buffer(np.packbits(~np.asarray(mask, bool), bitorder="little"))
        n_null = int(np.count_nonzero(mask))
    if x.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(x, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), len(x), [validity, data], null_count=n_null)
    return pa.Array.from_buffers(pa.from_numpy_dtype(x.dtype), len(x), [validity, pa.py_buffer(x)],
                                 null_count=n_null)
