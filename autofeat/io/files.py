"""Atomic file output: write to a temporary name beside the target, then rename.

A reader never sees a half-written file, and a failed run leaves the old file (or nothing).
The rename replaces a symlink at the target's name; it never writes through it. Files that are
opened in place instead (a lock, a journal appended to) go through :func:`open_no_follow`.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_paths", "write_files_atomic", "write_text_atomic", "write_bytes_atomic",
           "refuse_overwriting_input", "check_out_dir", "open_no_follow", "refuse_link", "RANK_FILES", "SEARCH_FILES"]

# What rank and search write into their output folder (checked against the input first).
RANK_FILES = ("ranking.json", "ranking.tsv", "report.html")
SEARCH_FILES = ("result.json", "report.html", "model.pt", "study.journal", "study.journal.lock")


@contextmanager
def atomic_paths(paths: Iterable[str | Path]) -> Iterator[list[Path]]:
    """Yield a temporary path beside each target; when the block succeeds, rename them all
    onto their targets. The files of one result are written all or none: a full disk while
    writing the last of them left the first ones (ranking.json and .tsv, no report.html).
    Renames take no space, so once every file is written in full the group lands.

    An OSError (no space, file too large, I/O error) becomes a one-line
    :class:`~autofeat.errors.WriteError`; nothing is left behind."""
    from autofeat.errors import WriteError

    targets = [Path(p) for p in paths]
    tmps: list[Path] = []
    umask = os.umask(0)
    os.umask(umask)
    try:
        for path in targets:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            tmps.append(Path(tmp))
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        yield tmps
        for tmp, path in zip(tmps, targets):
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp in tmps:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        if isinstance(exc, OSError):
            names = ", ".join(str(t) for t in targets)
            raise WriteError(f"cannot write {names}: {exc.strerror or exc}; nothing was written") from None
        raise


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``path``
    (:func:`atomic_paths` for one file)."""
    with atomic_paths([path]) as (tmp,):
        yield tmp


def write_files_atomic(files: dict[Path, str | bytes | Callable[[Path], object]]) -> list[Path]:
    """Write a group of files all or none (:func:`atomic_paths`): each value is the text or
    bytes to write, or a function writing the file at the path it is given. A failed write
    is reported with the file it was for."""
    from autofeat.errors import WriteError

    with atomic_paths(files) as tmps:
        for (path, content), tmp in zip(files.items(), tmps):
            try:
                if isinstance(content, str):
                    content = content.encode("utf-8")
                if isinstance(content, bytes):
                    tmp.write_bytes(content)
                else:
                    content(tmp)
            except OSError as exc:
                raise WriteError(f"cannot write {path}: {exc.strerror or exc}; nothing was written") from None
    return list(files)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    write_files_atomic({Path(path): data})


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


def check_out_dir(out: str | Path, flag: str = "--out") -> None:
    """Raise a one-line OptionError unless ``out`` is a folder this process can create or
    write into. Called before any work: a file, a read-only folder or a path under /proc
    was found only when the results were saved, after the whole computation.

    Writability is tried, not guessed from mode bits (root ignores them; /proc and
    read-only mounts do not): an empty folder is made and removed in the nearest existing
    folder on the way to ``out``, so nothing is left behind."""
    from autofeat.errors import OptionError

    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OptionError(f"{flag} {out}: exists and is not a folder")
    near = path
    while not near.exists() and near != near.parent:
        near = near.parent
    if not near.is_dir():
        raise OptionError(f"{flag} {out}: {near} is not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".autofeat-probe-", dir=near))
    except OSError as exc:
        raise OptionError(f"{flag} {out}: cannot write in {near} ({exc.strerror or exc})") from None


def _link_error(path: str | Path) -> Exception:
    from autofeat.errors import OptionError

    return OptionError(f"{path}: is a symbolic link; autofeat does not write through links in its "
                       "output folder (remove it)")


def refuse_link(path: str | Path) -> None:
    """A one-line OptionError when ``path`` is a symlink (a folder we would write into)."""
    if os.path.islink(path):
        raise _link_error(path)


def open_no_follow(path: str | Path, flags: int, mode: int = 0o666) -> int:
    """``os.open`` that refuses a symlink at ``path`` (O_NOFOLLOW: checked by the open itself,
    no window between a check and the open): a link in the output folder to another file
    had that file truncated or appended to."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _link_error(path) from None
        raise
