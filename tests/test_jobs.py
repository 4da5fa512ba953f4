"""autofeat run: end to end, re-run is a no-op, changes re-run only what depends on them,
bad job files exit 2, a held lock exits 75."""

from __future__ import annotations

import fcntl
import json

import pytest

from autofeat.cli import main
from autofeat.datasets import write_ctr_csv
from autofeat.jobs import EXIT_LOCKED, run_job

JOB = """
[data]
path = "data.csv"
label = "click"

[rank]
pairs_top = 8

[prune]
top_k = {top_k}

[[search]]
name = "lgb"
trials = 3

[output]
dir = "out"
"""


@pytest.fixture()
def job(tmp_path):
    write_ctr_csv(tmp_path / "data.csv", 15_000, seed=8)
    path = tmp_path / "job.toml"
    path.write_text(JOB.format(top_k=10))
    return path


@pytest.mark.slow
def test_run_then_rerun_is_a_no_op(job, capsys):
    assert main(["run", str(job), "--quiet"]) == 0
    out = job.parent / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["label"] == "click" and summary["searches"]["lgb"]["features"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    assert main(["run", str(job), "--quiet"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert stamps == {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != ".lock"}


@pytest.mark.slow
def test_changed_prune_reruns_only_downstream(job):
    assert run_job(job)["rank"] == "ran"
    job.write_text(JOB.format(top_k=6))
    outcome = run_job(job)
    assert outcome == {"rank": "skipped", "prune": "ran", "search:lgb": "ran", "summary": "ran"}
    cands = json.loads((job.parent / "out" / "candidates.json").read_text())["features"]
    assert len(cands) == 6


@pytest.mark.slow
def test_changed_data_reruns_everything(job):
    run_job(job)
    write_ctr_csv(job.parent / "data.csv", 15_000, seed=9)
    assert set(run_job(job).values()) == {"ran"}


@pytest.mark.parametrize("text,msg", [
    ("[data]\nlabel='click'\n[output]\ndir='o'\n", "missing key data.path"),
    ("[data]\npath='data.csv'\nlabel='click'\n[output]\ndir='o'\n[rank]\nbinz=3\n", "unknown key(s) in [rank]: binz"),
    ("[data]\npath='data.csv'\nlabel='click'\n[output]\ndir='o'\n[[search]]\ntrials=2\n", "needs a name"),
    ("[data]\npath='nope.csv'\nlabel='click'\n[output]\ndir='o'\n", "no such file"),
    ("[datta]\n", "unknown section [datta]"),
    ("[data]\npath='data.csv'\nlabel='click'\n[output]\ndir='o'\n[[search]]\nname='g'\nmethod='optfs'\ntrials=2\n",
     "unknown key(s) in [[search]] with method 'optfs': trials"),
    ("[data]\npath='data.csv'\nlabel='click'\n[output]\ndir='o'\n[[search]]\nname='g'\nmethod='optuna'\npenalty=2\n",
     "unknown key(s) in [[search]] with method 'optuna': penalty"),
    ("[data]\npath='data.csv'\nlabel='click'\n[output]\ndir='o'\n[[search]]\nname='g'\nmethod='gates'\n",
     "search.method 'gates': unknown"),
])
def test_bad_job_exit_2(job, text, msg, capsys):
    job.write_text(text)
    assert main(["run", str(job), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_lock_held_exits_75(job, capsys):
    out = job.parent / "out"
    out.mkdir()
    with open(out / ".lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("pid 12345")
        f.flush()
        assert main(["run", str(job), "--quiet"]) == EXIT_LOCKED
    assert "another run holds" in capsys.readouterr().err
    assert main(["run", str(job), "--quiet"]) == 0  # the lock is gone with its holder


@pytest.mark.slow
def test_prune_include_keeps_a_flagged_column(job):
    # conversion_time is flagged leak: a candidate only when the job names it.
    job.write_text(JOB.format(top_k=4).replace("top_k = 4", 'top_k = 4\ninclude = ["conversion_time"]'))
    run_job(job)
    cands = json.loads((job.parent / "out" / "candidates.json").read_text())["features"]
    assert "conversion_time" in cands and len(cands) == 5
    job.write_text(JOB.format(top_k=4).replace("top_k = 4", 'top_k = 4\ninclude = ["nope"]'))
    with pytest.raises(Exception, match="prune.include: --include nope: not a ranked column"):
        run_job(job)


@pytest.mark.slow
def test_a_job_runs_gate_searches(job):
    """optfs/dnis/optinter in [[search]] take the gate options (they failed on Optuna's keys)."""
    job.write_text(JOB.format(top_k=6).replace('name = "lgb"\ntrials = 3',
                                               'name = "fs"\nmethod = "optfs"\nsearch_epochs = 1\nepochs = 1\nseed = 3'))
    outcome = run_job(job)
    assert outcome["search:fs"] == "ran"
    result = json.loads((job.parent / "out" / "search-fs" / "result.json").read_text())
    assert result["method"] == "optfs" and result["options"]["seed"] == 3 and result["options"]["search_epochs"] == 1
    assert result["metrics"]["candidates"] == 6
    assert run_job(job)["search:fs"] == "skipped"
    job.write_text(job.read_text().replace("epochs = 1\nseed", "epochs = 0\nseed"))
    with pytest.raises(Exception, match=r"\[\[search\]\] 'fs': epochs must be >= 1"):
        run_job(job)


def _study_trials(sdir):
    import optuna

    from autofeat.searching.storage import open_storage

    storage = open_storage(None, sdir)
    names = optuna.get_all_study_names(storage)
    assert len(names) == 1, names  # one study, continued, not a second one
    return optuna.load_study(study_name=names[0], storage=storage).get_trials()


@pytest.mark.slow
def test_more_trials_continue_the_same_study(job):
    from optuna.trial import TrialState

    out = job.parent / "out"
    assert run_job(job)["search:lgb"] == "ran"
    first = [(t.number, t.params) for t in _study_trials(out / "search-lgb")]
    assert len(first) == 3
    job.write_text(job.read_text().replace("trials = 3", "trials = 5"))
    assert run_job(job) == {"rank": "skipped", "prune": "skipped", "search:lgb": "ran", "summary": "ran"}
    trials = _study_trials(out / "search-lgb")
    # 2 trials added to the 3 already run (not 5 new ones in a new study)
    assert [(t.number, t.params) for t in trials[:3]] == first and len(trials) == 5
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    assert json.loads((out / "manifest.json").read_text())["steps"]["search:lgb"]["trials"] == 5
    # A budget the complete study already covers, or another timeout, does not run it again.
    job.write_text(job.read_text().replace("trials = 5", "trials = 4\ntimeout = 600"))
    assert run_job(job)["search:lgb"] == "skipped"
    assert len(_study_trials(out / "search-lgb")) == 5


def test_failed_job_leaves_no_lock_and_no_folder_it_made(job, capsys):
    (job.parent / "data.csv").write_text("click,a\n1,2\n2,3\n0,1\n")  # a label that is not 0/1
    assert main(["run", str(job), "--quiet"]) == 2
    assert "must be binary" in capsys.readouterr().err
    assert not (job.parent / "out").exists()  # made by the run, which wrote nothing in it
    (job.parent / "out").mkdir()  # a folder that was there stays, without a .lock
    assert main(["run", str(job), "--quiet"]) == 2
    assert list((job.parent / "out").iterdir()) == []


def test_interrupted_and_finished_jobs_release_the_lock(job, monkeypatch):
    import autofeat.ranking.api

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(autofeat.ranking.api, "rank", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_job(job)
    assert not (job.parent / "out").exists()
    job.write_text(job.read_text().replace('[[search]]\nname = "lgb"\ntrials = 3\n', ""))  # rank and prune only
    assert run_job(job) == {"rank": "ran", "prune": "ran", "summary": "ran"}
    assert not (job.parent / "out" / ".lock").exists() and (job.parent / "out" / "summary.json").exists()


def test_lock_taken_on_a_removed_file_is_taken_again(tmp_path, monkeypatch):
    """A run that opened .lock just before its holder removed it must not run beside the run
    that creates the next .lock: it takes the lock on the file now at that name."""
    import os

    from autofeat import jobs

    path = tmp_path / ".lock"
    real_flock, calls = fcntl.flock, []

    def flock(f, op):  # the holder ends between our open and our lock: its file is unlinked
        if not calls and op & fcntl.LOCK_EX:
            os.unlink(path)
        calls.append(op)
        return real_flock(f, op)

    monkeypatch.setattr(jobs.fcntl, "flock", flock)
    f = jobs._take_lock(path)
    try:
        assert len(calls) == 2 and os.path.samestat(os.fstat(f.fileno()), os.stat(path))
        assert path.read_text() == f"pid {os.getpid()}"
    finally:
        f.close()


@pytest.mark.slow
def test_one_job_runs_every_method_family(job):
    """optuna (LightGBM and a torch evaluator), optfs, dnis and optinter in one job file, end to end."""
    pytest.importorskip("torch")
    searches = "\n".join([
        '[[search]]\nname = "lgb"\ntrials = 2',
        '[[search]]\nname = "torch"\ntrials = 2\nmodel = "fm"\nepochs = 1\nspace = ["embedding_dims", "interactions"]',
        *(f'[[search]]\nname = "{m}"\nmethod = "{m}"\nsearch_epochs = 1\nepochs = 1\nbaseline = false'
          for m in ("optfs", "dnis", "optinter")),
    ])
    job.write_text(JOB.format(top_k=5).replace('[[search]]\nname = "lgb"\ntrials = 3', searches))
    outcome = run_job(job)
    out = job.parent / "out"
    for name in ("lgb", "torch", "optfs", "dnis", "optinter"):
        assert outcome[f"search:{name}"] == "ran"
        result = json.loads((out / f"search-{name}" / "result.json").read_text())
        assert result["features"] and result["metrics"]["test_auc"] > 0.5
    torch_result = json.loads((out / "search-torch" / "result.json").read_text())
    assert torch_result["evaluator"] == "torch" and torch_result["embedding_dims"]
    for name in ("torch", "optfs", "dnis", "optinter"):
        assert (out / f"search-{name}" / "model.pt").exists()
    assert set(json.loads((out / "summary.json").read_text())["searches"]) == {"lgb", "torch", "optfs", "dnis", "optinter"}
