"""Issue 15, fault 12: symlinks in the output folder were followed: ``OUT/.lock`` -> a file had
that file truncated to "pid N", ``study.journal`` -> a file had the study's JSON appended to
it. Files opened in place are now opened with O_NOFOLLOW (a one-line error, exit 2); files
written atomically replace a link at their name and leave its target alone; a job's
subfolders must not be links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autofeat.datasets import write_ctr_csv
from autofeat.errors import OptionError
from autofeat.io.files import write_text_atomic
from autofeat.searching.storage import open_storage
from tests.faults.helpers import autofeat

JOB = """
[data]
path = "data.csv"
label = "click"

[[search]]
name = "lgb"
trials = 1

[output]
dir = "out"
"""


@pytest.fixture()
def victim(tmp_path) -> Path:
    p = tmp_path / "victim.txt"
    p.write_text("precious\n")
    return p


def _one_line_exit_2(proc) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "symbolic link" in lines[0], proc.stderr
    return lines[0]


def test_job_lock_link_is_refused(tmp_path, victim):
    (tmp_path / "job.toml").write_text(JOB)
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / ".lock")
    line = _one_line_exit_2(autofeat("run", str(tmp_path / "job.toml"), "--quiet"))
    assert ".lock" in line
    assert victim.read_text() == "precious\n"  # was truncated to "pid N"


def test_job_subfolder_link_is_refused(tmp_path):
    (tmp_path / "job.toml").write_text(JOB)
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "out" / "search-lgb")
    line = _one_line_exit_2(autofeat("run", str(tmp_path / "job.toml"), "--quiet"))
    assert "search-lgb" in line and not any((tmp_path / "elsewhere").iterdir())


@pytest.mark.parametrize("dangling", [False, True])
def test_journal_link_is_refused(tmp_path, victim, dangling):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "nothing-here" if dangling else victim
    os.symlink(target, out / "study.journal")
    with pytest.raises(OptionError, match="symbolic link"):
        open_storage(None, out)
    assert victim.read_text() == "precious\n" and not (tmp_path / "nothing-here").exists()


@pytest.mark.slow
def test_journal_link_is_refused_by_the_cli(tmp_path, victim):
    write_ctr_csv(tmp_path / "data.csv", 500, seed=12)
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / "study.journal")
    proc = autofeat("search", str(tmp_path / "data.csv"), "--label", "click", "--trials", "1",
                    "--max-features", "3", "--no-baseline", "--out", str(tmp_path / "out"), "--quiet")
    assert "study.journal" in _one_line_exit_2(proc)
    assert victim.read_text() == "precious\n"  # JSON was appended here
    assert not (tmp_path / "out" / "result.json").exists()


def test_atomic_write_replaces_a_link_not_its_target(tmp_path, victim):
    link = tmp_path / "result.json"
    os.symlink(victim, link)
    write_text_atomic(link, "{}")
    assert not link.is_symlink() and link.read_text() == "{}"
    assert victim.read_text() == "precious\n"
