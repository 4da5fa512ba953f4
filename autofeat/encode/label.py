"""Binary label parsing with one-line errors that name the offending rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from autofeat.errors import DataError
from autofeat.io.arrow import from_numpy, to_numpy

__all__ = ["LabelParser"]

_POSITIVE = {"1", "true", "yes", "y", "t", "pos", "positive", "click", "1.0"}
_NEGATIVE = {"0", "false", "no", "n", "f", "neg", "negative", "noclick", "0.0", "-1", "-1.0"}


class LabelParser:
    """Turn a label column into int8 0/1, batch by batch.

    Accepted: numbers 0/1 (or -1/1), booleans, and text pairs such as "0"/"1", "true"/"false",
    "yes"/"no" (case-insensitive).
    """

    def __init__(self, column: str, source: str) -> None:
        self.column = column
        self.source = source
        self.rows_seen = 0
        self._negatives: set[str] = set()  # "0" and/or "-1": a label with both is not binary

    def parse(self, arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        start = self.rows_seen
        self.rows_seen += len(arr)
        if arr.null_count:
            bad = np.flatnonzero(to_numpy(arr.is_null()))
            rows = ", ".join(str(start + i + 1) for i in bad[:5])
            more = f" and {arr.null_count - 5} more" if arr.null_count > 5 else ""
            raise DataError(
                f"{self.source}: label column {self.column!r} is missing in data row(s) {rows}{more}"
            )
        t = arr.type
        if pa.types.is_boolean(t):
            return to_numpy(arr).astype(np.int8)
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            x = to_numpy(arr)
            ok = (x == 0) | (x == 1) | (x == -1)
            if not ok.all():
                self._not_binary(np.unique(x[~ok])[:5].tolist(), start, np.flatnonzero(~ok)[0])
            self._note_negatives(bool((x == 0).any()), bool((x == -1).any()))
            return (x == 1).astype(np.int8)
        # Text labels: classify each distinct word once, then look the rows up by index.
        text = pc.dictionary_encode(pc.utf8_lower(pc.utf8_trim_whitespace(arr.cast(pa.string()))))
        words = text.dictionary.to_pylist()
        lut = np.array([1 if w in _POSITIVE else 0 if w in _NEGATIVE else -1 for w in words], np.int8)
        present = set(words)
        self._note_negatives(bool(present & {"0", "0.0"}), bool(present & {"-1", "-1.0"}))
        val = lut[to_numpy(text.indices)]
        bad = val < 0
        if bad.any():
            vals = pc.unique(arr.filter(from_numpy(bad))).to_pylist()[:5]
            self._not_binary(vals, start, np.flatnonzero(bad)[0])
        return val

    def merge(self, other: LabelParser) -> None:
        """Take in the negative class seen by a parser of other rows of the same column."""
        self._note_negatives("0" in other._negatives, "-1" in other._negatives)

    def _note_negatives(self, zero: bool, minus_one: bool) -> None:
        """0 and -1 are each accepted as the negative class, but not both in one column: with
        1 as well that is three classes (the rows would be silently merged)."""
        self._negatives |= ({"0"} if zero else set()) | ({"-1"} if minus_one else set())
        if len(self._negatives) > 1:
            raise DataError(f"{self.source}: label column {self.column!r} has the values -1, 0 and 1; a binary "
                            f"label uses 0/1 or -1/1, not both")

    def _not_binary(self, values: list, start: int, first: int) -> None:  # type: ignore[type-arg]
        raise DataError(
            f"{self.source}: label column {self.column!r} must be binary (0/1, true/false, "
            f"yes/no); found {values} (first in data row {start + first + 1})"
        )
