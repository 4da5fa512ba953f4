"""Search fleets (autofeat/fleet.py): ``autofeat run --workers N`` and ``autofeat worker``.

Two and four local workers finish an exact budget with no trial run twice; Ctrl-C stops them
all with their trials queued again; a failing worker fails the run with one line; a killed
worker's trial is run again by the next run; a job of gate searches runs them once; workers
started alone rank once and write the results; bad ``--workers`` and a worker without a ranking are one-line
errors. The workers' first fits meet at a barrier (tests/fleet_hook.py) so each is seen to
take part on any machine; every wait is for an event, none for a time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autofeat.cli import main
from autofeat.datasets import write_ctr_csv
from autofeat.fleet import core_shares
from autofeat.jobs import run_job

ROOT = Path(__file__).resolve().parents[1]

TINY_SPACE = """
[feature_subset]
top_k = { low = 2, high = 6 }
[lightgbm]
learning_rate = { low = 0.05, high = 0.3, log = true }
num_leaves = { low = 4, high = 16 }
num_boost_round = 20
early_stopping_rounds = 5
"""

JOB = """
[data]
path = "data.csv"
label = "click"

[rank]
pairs_top = 4

[prune]
top_k = 6

{searches}

[output]
dir = "{out}"
"""

OPTUNA = """
[[search]]
name = "lgb"
trials = {trials}
space = ["{space}"]
"""

GATE = """
[[search]]
name = "fs"
method = "optfs"
search_epochs = 1
epochs = 1
"""


@pytest.fixture(scope="module")
def ranked(tmp_path_factory) -> Path:
    """A folder with data.csv and a job whose rank and prune steps are done (in ``out``):
    the tests copy that output folder instead of ranking again."""
    base = tmp_path_factory.mktemp("fleet")
    write_ctr_csv(base / "data.csv", 3000, seed=6)
    (base / "tiny.toml").write_text(TINY_SPACE)
    job = base / "job.toml"
    job.write_text(JOB.format(searches="", out="out"))
    run_job(job, prepare_only=True)
    return base


def _job(ranked: Path, tmp_path: Path, searches: str, *, rank: bool = True) -> Path:
    """A job in ``ranked`` (the same data, so the same ranking) with its own output folder."""
    out = tmp_path / "out"
    if rank:
        shutil.copytree(ranked / "out", out, ignore=shutil.ignore_patterns(".lock"))
    job = ranked / f"job-{tmp_path.name}.toml"
    job.write_text(JOB.format(searches=searches, out=out))
    return job


def _optuna(ranked: Path, trials: int) -> str:
    return OPTUNA.format(trials=trials, space=ranked / "tiny.toml")


@pytest.fixture()
def hook(tmp_path, monkeypatch):
    """Installs tests/fleet_hook.py here and, through sitecustomize, in every worker; returns
    a function setting its mode and process count."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nif os.environ.get('FLEET_GATE'):\n"
                                           "    import tests.fleet_hook\n    tests.fleet_hook.install()\n")
    gate = tmp_path / "gate"
    gate.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("FLEET_GATE", str(gate))
    from autofeat.searching.evaluators import lightgbm_eval
    from tests import fleet_hook

    monkeypatch.setattr(lightgbm_eval, "fit_lightgbm", lightgbm_eval.fit_lightgbm)  # restored after the test
    fleet_hook.install()

    def arm(n: int, mode: str = "barrier") -> Path:
        monkeypatch.setenv("FLEET_N", str(n))
        monkeypatch.setenv("FLEET_MODE", mode)
        return gate

    return arm


def _trials(out: Path, url: str | None = None, prefix: str = "lgb-") -> list:
    import optuna

    from autofeat.searching.storage import open_storage

    storage = open_storage(url, out / "search-lgb")
    (name,) = [s.study_name for s in optuna.get_all_study_summaries(storage) if s.study_name.startswith(prefix)]
    return optuna.load_study(study_name=name, storage=storage).get_trials()


def _finished(trials: list) -> list:
    return [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]


def test_core_shares_split_the_cores_at_least_one_each():
    assert core_shares(3, 8) == [3, 3, 2]
    assert core_shares(4, 2) == [1, 1, 1, 1]
    assert core_shares(1, 5) == [5]
    assert sum(core_shares(4)) >= 4


def test_workers_zero_is_a_one_line_error(ranked, tmp_path, capsys):
    job = _job(ranked, tmp_path, _optuna(ranked, 3))
    with pytest.raises(SystemExit) as exc:
        main(["run", str(job), "--workers", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers" in err and "must be >= 1, got 0" in err


def test_a_trials_only_worker_needs_the_ranking(ranked, tmp_path, capsys):
    job = _job(ranked, tmp_path, _optuna(ranked, 3), rank=False)
    assert main(["worker", str(job), "--trials-only", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ranking is missing or out of date" in err and "--trials-only" in err
    assert not (tmp_path / "out").exists()


def test_a_worker_needs_an_optuna_search(ranked, tmp_path, capsys):
    job = _job(ranked, tmp_path, GATE)
    assert main(["worker", str(job), "--quiet"]) == 2
    assert "no Optuna [[search]] to work on" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("workers,trials", [(2, 6), (4, 8)])
def test_workers_finish_an_exact_budget_with_no_trial_repeated(ranked, tmp_path, hook, capsys, workers, trials):
    job = _job(ranked, tmp_path, _optuna(ranked, trials))
    gate = hook(workers)
    assert main(["run", str(job), "--workers", str(workers), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"workers: {workers} ({workers - 1} started" in out and "search:lgb: ran" in out
    assert len(list(gate.iterdir())) == workers  # every worker held a trial at once
    trials_ = _trials(tmp_path / "out")
    done = _finished(trials_)
    assert len(done) == trials  # the exact global budget
    # None ran twice: no retry, and no two trials with the same parameters (continuous ones:
    # two workers proposing alike would repeat them).
    assert not any("autofeat:retry_of" in t.user_attrs for t in trials_)
    assert len({json.dumps(t.params, sort_keys=True) for t in done}) == trials
    assert len({t.user_attrs["autofeat:worker"] for t in done}) == workers
    # The rest only failed as over the budget, without training.
    assert all(t.user_attrs.get("autofeat:over_budget") for t in trials_ if t not in done)
    result = json.loads((tmp_path / "out" / "search-lgb" / "result.json").read_text())
    assert result["n_trials"] + result["n_pruned"] == trials
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["searches"]["lgb"]["features"]
    assert run_job(job)["search:lgb"] == "skipped"


def test_workers_on_postgresql_finish_an_exact_budget(ranked, tmp_path, hook, capsys):
    """The storage of a fleet across machines: the workers share a PostgreSQL study (with
    heartbeats) instead of the journal in the output folder."""
    url = os.environ.get("AUTOFEAT_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server: set AUTOFEAT_TEST_POSTGRES (.ci/run starts one and sets it)")
    import optuna

    for name in optuna.get_all_study_names(url):  # a study of an earlier test run would be continued
        if name.startswith("fleet-"):
            optuna.delete_study(study_name=name, storage=url)
    job = _job(ranked, tmp_path, _optuna(ranked, 6) + f'storage = "{url}"\nstudy = "fleet"\n')
    gate = hook(2)
    assert main(["run", str(job), "--workers", "2", "--quiet"]) == 0, capsys.readouterr().err
    assert len(list(gate.iterdir())) == 2
    trials_ = _trials(tmp_path / "out", url, "fleet-")
    done = _finished(trials_)
    assert len(done) == 6 and len({json.dumps(t.params, sort_keys=True) for t in done}) == 6
    assert len({t.user_attrs["autofeat:worker"] for t in done}) == 2
    assert not (tmp_path / "out" / "search-lgb" / "study.journal").exists()


def _spawn_run(job: Path, *argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autofeat.cli", "run", str(job), *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(gate: Path, n: int, proc: subprocess.Popen) -> None:
    """Until ``n`` processes hold a trial (or the run ended early: its output tells why)."""
    while len(list(gate.iterdir())) < n:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone but for its parent's wait
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_every_worker_and_queues_their_trials_again(ranked, tmp_path, hook, monkeypatch, sig):
    """Ctrl-C, or SIGTERM from a scheduler, to the run alone (the workers have sessions of
    their own): it passes it on, and each held trial is failed and queued again."""
    job = _job(ranked, tmp_path, _optuna(ranked, 4))
    gate = hook(3, "hold")
    proc = _spawn_run(job, "--workers", "3", "--quiet")
    _wait_for(gate, 3, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert not any(_alive(int(p.name)) for p in gate.iterdir())  # no worker left behind
    states = sorted(t.state.name for t in _trials(tmp_path / "out"))
    assert states == ["FAIL"] * 3 + ["WAITING"] * 3  # each held trial failed and queued again
    assert not (tmp_path / "out" / ".lock").exists()
    monkeypatch.delenv("FLEET_GATE")  # no more holding: a plain run finishes the budget, queued trials first
    assert run_job(job)["search:lgb"] == "ran"
    trials_ = _trials(tmp_path / "out")
    assert len(_finished(trials_)) == 4 and sum(t.state.name == "WAITING" for t in trials_) == 0


@pytest.mark.slow
def test_a_failing_worker_fails_the_run_with_one_line(ranked, tmp_path, hook):
    job = _job(ranked, tmp_path, _optuna(ranked, 4))
    hook(2, "fail")
    proc = _spawn_run(job, "--workers", "2", "--quiet")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "worker 2 of 2" in lines[0] and "RuntimeError: planted failure" in lines[0], err
    assert not (tmp_path / "out" / "search-lgb" / "result.json").exists()


@pytest.mark.slow
def test_a_killed_worker_fails_the_run_and_its_trial_is_run_again(ranked, tmp_path, hook, monkeypatch):
    """A worker killed mid-trial (the OOM killer, say): the run stops with its line; the next
    run finds the dead worker's trial, queues it again and still ends with the exact budget."""
    job = _job(ranked, tmp_path, _optuna(ranked, 4))
    gate = hook(2, "hold")
    proc = _spawn_run(job, "--workers", "2", "--quiet")
    _wait_for(gate, 2, proc)
    (child,) = [int(p.name) for p in gate.iterdir() if int(p.name) != proc.pid]
    os.kill(child, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and f"worker 2 of 2 (pid {child}) was killed by SIGKILL" in err, err
    states = sorted(t.state.name for t in _trials(tmp_path / "out"))
    assert states == ["FAIL", "RUNNING", "WAITING"]  # the run's trial queued again; the dead one left
    monkeypatch.delenv("FLEET_GATE")
    assert run_job(job)["search:lgb"] == "ran"
    trials_ = _trials(tmp_path / "out")
    assert len(_finished(trials_)) == 4 and not any(t.state.name in ("RUNNING", "WAITING") for t in trials_)
    assert sum("autofeat:retry_of" in t.user_attrs for t in _finished(trials_)) == 2  # both held trials ran again


@pytest.mark.slow
def test_workers_with_a_gate_only_job_run_the_gate_search_once(ranked, tmp_path, capsys):
    pytest.importorskip("torch")
    job = _job(ranked, tmp_path, GATE)
    assert main(["run", str(job), "--workers", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "no Optuna search left to share; gate searches (fs) run once, here" in out
    assert "search:fs: ran" in out


@pytest.mark.slow
def test_workers_started_alone_rank_once_and_write_the_results(ranked, tmp_path):
    """Two ``autofeat worker`` at once on a job with no ranking (a scheduler's array): one
    ranks under the lock while the other waits; both search; the results are written."""
    job = _job(ranked, tmp_path, _optuna(ranked, 5), rank=False)
    procs = [subprocess.Popen([sys.executable, "-m", "autofeat.cli", "worker", str(job), "--n-jobs", "1"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    said = "".join(o for o, _ in outs)
    assert said.count("rank: ran") == 1  # one ranked; the other found the ranking made
    assert len(_finished(_trials(tmp_path / "out"))) == 5
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["searches"]["lgb"]["features"]
    assert run_job(job) == {"rank": "skipped", "prune": "skipped", "search:lgb": "skipped", "summary": "skipped"}
