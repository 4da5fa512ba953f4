"""Atomic file output: write to a temporary name beside the target, then rename.

A reader never sees a half-written file, and a failed run leaves the old file (or nothing).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomic", "write_bytes_atomic", "refuse_overwriting_input",
           "RANK_FILES", "SEARCH_FILES"]

# What rank and search write into their output folder (checked against the input first).
RANK_FILES = ("ranking.json", "ranking.tsv", "report.html")
SEARCH_FILES = ("result.json", "report.html", "model.pt", "study.journal", "study.journal.lock")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def refuse_overwriting_input(data: str | Path, outputs: Iterable[Path], flag: str) -> None:
    """Raise a one-line OptionError when writing any of ``outputs`` would replace the input
    file ``data`` (``rank DIR/ranking.tsv --out DIR`` overwrote its own data). Paths are
    compared resolved, so a symlink or a relative path to the same file counts too."""
    from autofeat.errors import OptionError

    src = os.path.realpath(data)
    for out in outputs:
        if os.path.realpath(out) == src:
            raise OptionError(f"{flag}: writing {out} would overwrite the input {data}; choose another {flag}")
