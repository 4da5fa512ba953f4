"""JSON output shared by every result file: strict JSON (NaN and infinities become null)."""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps"]


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def dumps(obj: Any, indent: int | None = 1) -> str:
    """``json.dumps`` that writes NaN/inf as null instead of producing invalid JSON."""
    return json.dumps(_clean(obj), indent=indent, allow_nan=False)
