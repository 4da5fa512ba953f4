"""Issue 15, fault 2: with ask/tell, Optuna records no heartbeat and fails no stale trial (it
does both only inside Study.optimize), so a worker dying on another host was never
recovered on an RDB storage. Heartbeats are back-dated in the database, not waited for."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import optuna
import pytest

from autofeat.datasets import write_ctr_csv
from autofeat.searching.optuna_search import run_worker
from autofeat.searching.storage import WORKER_ATTR, heartbeat, open_storage
from tests.faults.helpers import autofeat

# The tests ask trials themselves, as another host's worker would.
pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")
LONG_AGO = "2000-01-01 00:00:00.000000"  # far beyond any grace period


def _beats(db: Path) -> dict[int, str]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT trial_id, heartbeat FROM trial_heartbeats").fetchall())


def _trial_ids(db: Path) -> dict[int, int]:
    with sqlite3.connect(db) as con:
        return dict(con.execute("SELECT number, trial_id FROM trials").fetchall())


def _stale_trial_of_another_host(study: optuna.Study, db: Path, x: bool = False) -> int:
    """A RUNNING trial (with a parameter ``x`` if asked) whose worker, on another host where
    local recovery cannot see it, beat once and then died; returns its number."""
    dead = study.ask()
    if x:
        dead.suggest_float("x", 0, 1)
    dead.set_user_attr(WORKER_ATTR, "another-host:4242")
    study._storage.record_heartbeat(dead._trial_id)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE trial_heartbeats SET heartbeat = ? WHERE trial_id = ?", (LONG_AGO, dead._trial_id))
    return dead.number


def _study(db: Path) -> optuna.Study:
    return optuna.create_study(study_name="s", storage=open_storage(f"sqlite:///{db}", db.parent),
                               direction="maximize", load_if_exists=True)


def test_ask_tell_trials_beat_while_they_run(tmp_path):
    db = tmp_path / "s.db"
    study = _study(db)
    seen = []

    def objective(trial: optuna.Trial) -> float:
        seen.append(_trial_ids(db)[trial.number] in _beats(db))  # beating before the objective starts
        return trial.suggest_float("x", 0, 1)

    assert run_worker(study, objective, 2, None) == 2
    assert seen == [True, True]
    assert len(_beats(db)) == 2  # before: no row at all in trial_heartbeats


def test_heartbeat_thread_stops_with_the_trial(tmp_path):
    study = _study(tmp_path / "s.db")
    trial = study.ask()
    with heartbeat(study, trial):
        pass

    assert not [t for t in threading.enumerate() if t.name.startswith("autofeat-heartbeat")]
    study.tell(trial, 1.0)


def test_stale_trial_of_another_host_is_failed_and_retried(tmp_path):
    db = tmp_path / "s.db"
    study = _study(db)
    run_worker(study, lambda t: t.suggest_float("x", 0, 1), 1, None)
    number = _stale_trial_of_another_host(study, db, x=True)
    stale_x = study.trials[number].params["x"]
    # A worker that starts now (any host) fails it, queues it again and runs the retry.
    study = _study(db)
    assert run_worker(study, lambda t: t.suggest_float("x", 0, 1), 3, None) == 2
    states = [t.state.name for t in study.trials]
    assert states.count("COMPLETE") == 3 and states[number] == "FAIL" and "RUNNING" not in states
    retry = next(t for t in study.trials if t.system_attrs.get("failed_trial") == number)
    assert retry.state.name == "COMPLETE" and retry.params["x"] == stale_x


def test_a_live_trial_is_not_failed_and_is_waited_for(tmp_path):
    # Another host's worker, beating: the budget of 2 is taken once this worker ran one trial,
    # but the live trial could still die, so the worker waits for it instead of leaving.
    db = tmp_path / "s.db"
    study = _study(db)
    live = study.ask()
    ran_one = threading.Event()

    def objective(t: optuna.Trial) -> float:
        ran_one.set()
        return t.suggest_float("x", 0, 1)

    def other_worker_finishes() -> None:
        ran_one.wait()
        study.tell(live, 0.5)

    with heartbeat(study, live):  # beating now: within the grace period
        live.set_user_attr(WORKER_ATTR, "another-host:1:1")
        other = threading.Thread(target=other_worker_finishes)
        other.start()
        assert run_worker(_study(db), objective, 2, None) == 1
        other.join()
    assert study.trials[live.number].state.name == "COMPLETE" and study.trials[live.number].value == 0.5


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("hb") / "data.csv"
    write_ctr_csv(p, 3000, seed=7)
    return p


@pytest.mark.slow
def test_search_on_sqlite_recovers_a_stale_trial_of_another_host(data_csv, tmp_path):
    db = tmp_path / "s.db"
    study = _study(db)
    number = _stale_trial_of_another_host(study, db)
    proc = autofeat("search", str(data_csv), "--label", "click", "--storage", f"sqlite:///{db}", "--study", "s",
                    "--trials", "2", "--max-features", "6", "--no-baseline", "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 trials finished" in proc.stdout
    states = [t.state.name for t in _study(db).trials]
    assert states.count("COMPLETE") == 2 and states[number] == "FAIL" and "RUNNING" not in states
    assert json.loads((tmp_path / "out" / "result.json").read_text())["n_trials"] == 2
