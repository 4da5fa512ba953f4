"""TOML parsing for configuration files (search spaces, job files)."""

from __future__ import annotations

import sys
from typing import Any

from autofeat.errors import OptionError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["parse_toml"]


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """Parse ``text``; a syntax error becomes an OptionError naming ``label`` (the file)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OptionError(f"{label}: not valid TOML ({exc})") from None
