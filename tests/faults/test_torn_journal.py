"""Issue 15, fault 11: a torn last journal line (a writer stopped by a full disk or a power
loss). Optuna's reader skips it, but the next append went behind it, the merged line was not
JSON, and every later run exited 1 with a JSONDecodeError traceback. The torn tail is now
truncated (under the journal lock) before anything is appended.

The tear is made by truncating the journal in the middle of its last record."""

from __future__ import annotations

import json
import os
from pathlib import Path

import optuna
import pytest

from autofeat.datasets import write_ctr_csv
from autofeat.errors import OptionError
from autofeat.searching.optuna_search import run_worker
from autofeat.searching.storage import _drop_torn_tail, open_storage
from tests.faults.helpers import autofeat


def _tear(journal: Path, keep_of_last: int = 7) -> bytes:
    """Cut the last record after ``keep_of_last`` bytes (no newline); returns the torn tail."""
    data = journal.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    os.truncate(journal, start + keep_of_last)
    return data[start:start + keep_of_last]


def _records(journal: Path) -> list[dict]:
    data = journal.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]  # every line is one JSON record


def _study(out: Path) -> optuna.Study:
    return optuna.create_study(study_name="s", storage=open_storage(None, out), direction="maximize",
                               load_if_exists=True)


def test_torn_tail_is_dropped_before_appending(tmp_path):
    journal = tmp_path / "study.journal"
    run_worker(_study(tmp_path), lambda t: t.suggest_float("x", 0, 1), 2, None)
    n_before = len(_records(journal))
    assert _tear(journal) and not journal.read_bytes().endswith(b"\n")

    study = _study(tmp_path)  # reads past the torn tail
    run_worker(study, lambda t: t.suggest_float("x", 0, 1), 4, None)  # appends: was merged into the tail
    assert len(_records(journal)) > n_before
    again = _study(tmp_path)  # a later run: was a JSONDecodeError
    # The torn record was trial 1's tell: it was left RUNNING, as after a kill, and owned by
    # this process, which runs no trial between calls: failed and retried (trial 2).
    states = [t.state.name for t in again.get_trials()]
    assert states == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert again.trials[2].user_attrs["autofeat:retry_of"] == 1


@pytest.mark.parametrize("content, kept", [(b"", b""), (b"{}\n", b"{}\n"), (b'{"a"', b""),
                                           (b'{}\n{"a":1}\n{"b', b'{}\n{"a":1}\n'),
                                           (b"{}\n" + b"\0" * 200_000, b"{}\n")])
def test_drop_torn_tail(tmp_path, content, kept):
    p = tmp_path / "j"
    p.write_bytes(content)
    fd = os.open(p, os.O_RDWR)
    try:
        assert _drop_torn_tail(fd) == len(content) - len(kept)
    finally:
        os.close(fd)
    assert p.read_bytes() == kept


def test_damaged_journal_is_a_one_line_error(tmp_path):
    journal = tmp_path / "study.journal"
    run_worker(_study(tmp_path), lambda t: t.suggest_float("x", 0, 1), 1, None)
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-2]) + b"{torn" + lines[-2] + lines[-1])  # what the old append left
    with pytest.raises(OptionError, match="damaged"):
        _study(tmp_path)


@pytest.mark.slow
def test_search_after_a_torn_journal(tmp_path):
    write_ctr_csv(tmp_path / "data.csv", 2000, seed=11)
    argv = ["search", str(tmp_path / "data.csv"), "--label", "click", "--max-features", "4", "--no-baseline",
            "--out", str(tmp_path / "out"), "--quiet"]
    first = autofeat(*argv, "--trials", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    _tear(tmp_path / "out" / "study.journal")
    second = autofeat(*argv, "--trials", "3")  # exited 1 with a JSONDecodeError
    assert second.returncode == 0, second.stderr[-2000:]
    assert "3 trials finished" in second.stdout
    _records(tmp_path / "out" / "study.journal")
