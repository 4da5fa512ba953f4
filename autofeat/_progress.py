"""Progress bars on stderr (tqdm), drawn only on a terminal and never when ``quiet``."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    def __init__(self, total: int | None, unit: str, desc: str, quiet: bool) -> None:
        self._bar: Any = None
        if quiet:
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency
            return
        scale = unit == "bytes"
        self._bar = tqdm(
            total=total, unit="B" if scale else f" {unit}", unit_scale=unit in ("bytes", "rows"),
            desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True,
            disable=None,  # only on a terminal: logs and pipes get no bar residue
        )
        self._done = 0

    def postfix(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def update_to(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(max(0, done - self._done))
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
