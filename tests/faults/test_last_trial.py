"""Issue 15, fault 1: a worker killed in the *last* trial. Its trial is failed and queued
again (WAITING); a resume must run that retry, so the study ends with exactly the budget
(before: n - 1 finished trials, exit 0, and ``run`` said "nothing to do").

Kills are placed by an event, not a sleep: the child SIGKILLs itself when the last trial
starts training."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from autofeat.datasets import write_ctr_csv
from autofeat.searching.optuna_search import run_worker
from autofeat.searching.storage import WORKER_ATTR, open_storage, recover_dead_trials
from tests.faults.helpers import KILL_AT_FIT, autofeat
TRIALS = 3


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("last") / "data.csv"
    write_ctr_csv(p, 3000, seed=6)
    return p


def _killed_at_fit(n: int, *argv: str) -> None:
    proc = autofeat(str(n), *argv, code=KILL_AT_FIT)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _ok(*argv: str) -> str:
    proc = autofeat(*argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _states(trials) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in trials:
        out[t.state.name] = out.get(t.state.name, 0) + 1
    return out


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: no process has this pid now
    return proc.pid


def test_run_worker_runs_a_queued_retry_of_the_last_trial():
    # The storage as recovery leaves it: n - 1 finished, the dead last trial FAIL, its retry WAITING.
    study = optuna.create_study(direction="maximize")
    assert run_worker(study, lambda t: t.suggest_float("x", 0, 1), TRIALS - 1, None) == TRIALS - 1
    dead = study.ask()
    dead.suggest_float("x", 0, 1)
    dead.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{_dead_pid()}")
    assert recover_dead_trials(study) == 1
    assert _states(study.get_trials()) == {"COMPLETE": TRIALS - 1, "FAIL": 1, "WAITING": 1}
    ran = run_worker(study, lambda t: t.suggest_float("x", 0, 1), TRIALS, None)
    assert ran == 1 and _states(study.get_trials()) == {"COMPLETE": TRIALS, "FAIL": 1}
    assert study.trials[-1].params == study.trials[TRIALS - 1].params  # the retry ran the dead trial's parameters


@pytest.mark.slow
def test_search_killed_in_the_last_trial_resumes_to_the_budget(data_csv, tmp_path):
    out = tmp_path / "out"
    argv = ["search", str(data_csv), "--label", "click", "--trials", str(TRIALS), "--max-features", "6",
            "--no-baseline", "--out", str(out), "--quiet"]
    _killed_at_fit(TRIALS, *argv)
    before = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    assert _states(before) == {"COMPLETE": TRIALS - 1, "RUNNING": 1}
    assert f"{TRIALS} trials finished" in _ok(*argv)
    after = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    assert _states(after) == {"COMPLETE": TRIALS, "FAIL": 1}
    assert json.loads((out / "result.json").read_text())["n_trials"] == TRIALS


JOB = """
[data]
path = "{data}"
label = "click"

[rank]
pairs_top = 0

[prune]
top_k = 6

[[search]]
name = "lgb"
trials = {trials}

[output]
dir = "out"
"""


@pytest.mark.slow
def test_run_killed_in_the_last_trial_resumes_to_the_budget(data_csv, tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(data=data_csv, trials=TRIALS))
    _killed_at_fit(TRIALS, "run", str(job), "--quiet")
    assert "ran: search:lgb, summary" in _ok("run", str(job), "--quiet")
    sdir = tmp_path / "out" / "search-lgb"
    study = optuna.load_study(study_name=None, storage=open_storage(None, sdir))
    assert _states(study.get_trials()) == {"COMPLETE": TRIALS, "FAIL": 1}
    assert json.loads((sdir / "result.json").read_text())["n_trials"] == TRIALS
    assert "nothing to do" in _ok("run", str(job), "--quiet")
