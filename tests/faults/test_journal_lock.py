"""Issue 15, fault 6: with a relative ``--out`` (``--out search/``), Optuna's journal lock was
a symlink ``search/study.journal.lock`` -> ``search/study.journal`` that resolves inside
``search/`` to nothing; after a SIGKILL inside an append the next run looped forever. The
journal and its lock now get absolute paths, and a lock is judged by the link itself.

The stale lock is made as Optuna's JournalFileSymlinkLock makes it, back-dated as a kill
some time ago leaves it; the subprocess timeout is only a safety net."""

from __future__ import annotations

import pytest

import os
import time
from pathlib import Path

from autofeat.datasets import write_ctr_csv
from autofeat.searching.storage import open_storage
from tests.faults.helpers import autofeat
ARGS = ["--label", "click", "--max-features", "5", "--no-baseline", "--out", "search/", "--quiet"]


def test_journal_lock_links_to_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    links = []
    real = os.symlink

    def symlink(src, dst, *a, **k):
        links.append((src, dst))
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "symlink", symlink)
    storage = open_storage(None, Path("search"))
    storage.create_new_study(directions=[], study_name="s")  # one append, under the lock
    assert links and all(os.path.isabs(src) and os.path.isabs(dst) for src, dst in links)
    assert Path(links[0][0].split("#")[0]) == tmp_path / "search" / "study.journal"  # PATH#host:pid
    assert not (tmp_path / "search" / "study.journal.lock").exists()


def _leave_stale_lock(folder: Path, target: str) -> Path:
    """What a kill inside an append leaves: Optuna's lock, os.symlink(PATH, PATH + ".lock"),
    with PATH as the journal backend got it, made an hour ago."""
    lock = folder / "search" / "study.journal.lock"
    os.symlink(target, lock)
    killed_at = time.time() - 3600
    os.utime(lock, (killed_at, killed_at), follow_symlinks=False)
    return lock


@pytest.mark.slow
def test_resume_with_relative_out_after_a_stale_lock(tmp_path):
    write_ctr_csv(tmp_path / "data.csv", 3000, seed=11)
    first = autofeat("search", "data.csv", *ARGS, "--trials", "1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    # Left by a run before the fix (relative PATH: the link dangles inside search/), then by
    # one after it (absolute PATH).
    for trials, target in ((2, "search/study.journal"), (3, str(tmp_path / "search" / "study.journal"))):
        lock = _leave_stale_lock(tmp_path, target)
        proc = autofeat("search", "data.csv", *ARGS, "--trials", str(trials), cwd=tmp_path)  # hung here before
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert f"{trials} trials finished" in proc.stdout
        assert not os.path.lexists(lock)
