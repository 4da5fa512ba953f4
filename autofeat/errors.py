"""One error hierarchy for user mistakes.

Anything raised as :class:`AutofeatError` is the user's to fix (a missing file, an unknown
column, a bad option value). The CLI prints its message on one line and exits with code 2.
Every other exception is a bug in autofeat and may show a traceback.
"""

from __future__ import annotations

__all__ = ["AutofeatError", "DataError", "OptionError", "WriteError"]


class AutofeatError(Exception):
    """Base class of every error that a user can fix; the message names what to fix."""


class DataError(AutofeatError, ValueError):
    """The input data is unusable: missing file, empty table, bad label, ragged rows."""


class OptionError(AutofeatError, ValueError):
    """An option has a value autofeat cannot use (unknown name, out of range)."""


class WriteError(AutofeatError):
    """An output could not be written (no space left, file too large, I/O error); nothing of
    the result was written. The CLI exits with code 74 (EX_IOERR)."""
