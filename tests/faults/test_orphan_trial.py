"""Issue 15, fault 8: a worker killed between ``study.ask()`` and recording itself on the trial
left a RUNNING trial with no owner, never recovered; a reused pid made a dead worker look
alive. Now an ownerless RUNNING trial is failed and retried once it is ``ORPHAN_SECONDS``
old, and a worker is named by host, pid *and* start time.

The kill is placed by an event (the child SIGKILLs itself as ``ask`` returns) and the wait is
simulated by back-dating the trial's start in the journal, not by sleeping."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from datetime import datetime, timedelta
from pathlib import Path

import optuna
import pytest

from autofeat.searching import storage
from autofeat.searching.optuna_search import run_worker
from autofeat.searching.storage import WORKER_ATTR, open_storage, recover_dead_trials, worker_id
from autofeat.datasets import write_ctr_csv
from tests.faults.helpers import autofeat

# The CLI, except that the process SIGKILLs itself as its N-th ask (argv[1]) returns: the
# trial is RUNNING and its worker not yet recorded.
KILL_AFTER_ASK = """
import os, signal, sys
import optuna
real, calls = optuna.Study.ask, [0]
def ask(self, *a, **k):
    trial = real(self, *a, **k)
    calls[0] += 1
    if calls[0] == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return trial
optuna.Study.ask = ask
from autofeat.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _states(trials) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in trials:
        out[t.state.name] = out.get(t.state.name, 0) + 1
    return out


def test_a_worker_is_named_by_host_pid_and_start_time():
    me = worker_id()
    host, pid, start = me.split(":")
    assert host == socket.gethostname() and int(pid) == os.getpid() and start.isdigit()
    assert not storage._dead_local(me)
    assert not storage._dead_local(f"{host}:{pid}")  # as older versions wrote it
    assert storage._dead_local(f"{host}:{pid}:{int(start) + 1}")  # this pid, another process: reused
    assert not storage._dead_local(f"another-host:{pid}:{int(start) + 1}")  # not ours to judge


def test_an_ownerless_running_trial_is_retried_once_it_is_old(monkeypatch):
    study = optuna.create_study(direction="maximize")
    orphan = study.ask()
    orphan.suggest_float("x", 0, 1)
    assert recover_dead_trials(study) == 0  # just asked: its worker may be recording itself now
    monkeypatch.setattr(storage, "ORPHAN_SECONDS", 0)
    assert recover_dead_trials(study) == 1
    assert _states(study.get_trials()) == {"FAIL": 1, "WAITING": 1}
    assert run_worker(study, lambda t: t.suggest_float("x", 0, 1), 2, None) == 2
    assert _states(study.get_trials()) == {"FAIL": 1, "COMPLETE": 2}
    assert study.trials[1].params == orphan.params  # the retry ran the orphan's parameters


def test_two_workers_recovering_together_queue_one_retry(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "ORPHAN_SECONDS", 0)
    a = optuna.create_study(study_name="s", storage=open_storage(None, tmp_path), direction="maximize")
    a.ask().suggest_float("x", 0, 1)
    b = optuna.load_study(study_name="s", storage=open_storage(None, tmp_path))
    seen_by_b = b.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    assert recover_dead_trials(a) == 1
    monkeypatch.setattr(b, "get_trials", lambda **_: seen_by_b)  # b read the trials before a's FAIL landed
    assert recover_dead_trials(b) == 0
    assert _states(a.get_trials()) == {"FAIL": 1, "WAITING": 1}


def _backdate(journal: Path, hours: float) -> None:
    """Move every trial start in the journal ``hours`` back, as if the kill were that old."""
    def earlier(m: re.Match) -> str:
        t = datetime.fromisoformat(m.group(2)) - timedelta(hours=hours)
        return m.group(1) + t.isoformat() + '"'
    text = journal.read_text()
    journal.write_text(re.sub(r'("datetime_start":\s*")([^"]+)"', earlier, text))


@pytest.mark.parametrize("ask", [1, 3])
@pytest.mark.slow
def test_search_killed_between_ask_and_recording_its_worker_resumes_to_the_budget(tmp_path, ask):
    data = tmp_path / "data.csv"
    write_ctr_csv(data, 2000, seed=8)
    out = tmp_path / "out"
    argv = ["search", str(data), "--label", "click", "--trials", "3", "--max-features", "5",
            "--no-baseline", "--out", str(out), "--quiet"]
    proc = autofeat(str(ask), *argv, code=KILL_AFTER_ASK)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    before = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    assert before[-1].state.name == "RUNNING" and WORKER_ATTR not in before[-1].user_attrs
    _backdate(out / "study.journal", 1)
    proc = autofeat(*argv)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 trials finished" in proc.stdout
    after = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    assert _states(after) == {"COMPLETE": 3, "FAIL": 1}
    assert json.loads((out / "result.json").read_text())["n_trials"] == 3


def test_a_killed_worker_not_yet_reaped_counts_as_dead():
    # a zombie answers kill(pid, 0); its journal lock looked held for the whole grace period
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    owner = f"{socket.gethostname()}:{proc.pid}"
    while storage._proc_stat(proc.pid) is not None and storage._proc_stat(proc.pid)[0] != "Z":
        os.sched_yield()  # until it has died (an event: its state in /proc), not reaped: no wait() yet
    assert storage._dead_local(owner)
    proc.wait()
    assert storage._dead_local(owner)


def test_an_interrupted_trial_is_queued_again():
    # Ctrl-C mid-trial left it RUNNING under a live process: never recovered, and a worker in
    # the same process waited for it. Now it is failed and its parameters queued again.
    study = optuna.create_study(direction="maximize")
    calls = [0]

    def objective(t):
        x = t.suggest_float("x", 0, 1)
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        run_worker(study, objective, 3, None)
    assert _states(study.get_trials()) == {"COMPLETE": 1, "FAIL": 1, "WAITING": 1}
    assert run_worker(study, objective, 3, None) == 2
    assert _states(study.get_trials()) == {"COMPLETE": 3, "FAIL": 1}
    assert study.trials[2].params == study.trials[1].params


def test_a_retry_and_the_next_new_trial_are_not_proposed_alike():
    # Seeded from the study's size alone, the sampler proposed a retry without parameters (its
    # worker died at the ask) and the next new trial alike: taking a retry from the queue does
    # not change the size. Seen as duplicate configurations in the PostgreSQL kill soak.
    def reseed(n: int, waiting: int):
        return optuna.samplers.TPESampler(seed=n * 7_919 + waiting * 104_729, n_startup_trials=8)

    study = optuna.create_study(direction="maximize")
    storage.requeue(study, study.ask())  # died at the ask: no parameters to retry
    assert run_worker(study, lambda t: t.suggest_float("x", 0, 1), 2, None, reseed) == 2
    retry, new = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert "autofeat:retry_of" in retry.user_attrs and retry.params != new.params
