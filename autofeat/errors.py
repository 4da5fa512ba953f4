"""One error hierarchy for user mistakes.

Anything raised as :class:`AutofeatError` is the user's to fix (a missing file, an unknown
column, a bad option value). The CLI prints its message on one line and exits with code 2.
Every other exception is a bug in autofeat and may show a traceback.
"""

from __future__ import annotations

__all__ = ["AutofeatError", "DataError", "OptionError", "WriteError", "check_finite"]


class AutofeatError(Exception):
    """Base class of every error that a user can fix; the message names what to fix."""


class DataError(AutofeatError, ValueError):
    """The input data is unusable: missing file, empty table, bad label, ragged rows."""


class OptionError(AutofeatError, ValueError):
    """An option has a value autofeat cannot use (unknown name, out of range)."""


class WriteError(AutofeatError):
    """An output could not be written (no space left, file too large, I/O error); nothing of
    the result was written. The CLI exits with code 74 (EX_IOERR)."""


def check_finite(options: object) -> None:
    """Raise an :class:`OptionError` for a float field of the dataclass ``options`` that is NaN or
    infinite (``--penalty nan`` passed every range check, as NaN compares false, ran the whole
    search and then blamed the penalty). Fields are named as the CLI's flags."""
    import dataclasses
    import math

    for f in dataclasses.fields(options):  # type: ignore[arg-type]
        value = getattr(options, f.name)
        if dataclasses.is_dataclass(value):
            check_finite(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise OptionError(f"--{f.name.replace('_', '-')} must be a finite number, got {value}")
