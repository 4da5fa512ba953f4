"""Issue 15, fault 16: a job search with ``timeout`` was recorded complete after its first
run's share of the budget (24 of 300 trials), so later runs said "nothing to do". A search
stopped by its timeout is now a partial step: every run continues the study, each limited by
the timeout, until it holds ``trials`` finished trials.

No wall clock: the child's search sees a fake monotonic clock that each LightGBM fit moves
past the timeout, so every run gets exactly one trial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autofeat.datasets import write_ctr_csv
from tests.faults.helpers import autofeat

pytestmark = pytest.mark.slow  # a job run several times in subprocesses: seconds

# `autofeat ARGV` whose search clock jumps 1000 s per LightGBM fit.
FAKE_CLOCK = """
import sys, time, types
from autofeat.searching import optuna_search as study
from autofeat.searching.evaluators import lightgbm_eval as m
clock, real = [0.0], m.fit_lightgbm
def fit(*a, **k):
    clock[0] += 1000.0
    return real(*a, **k)
m.fit_lightgbm = fit
study.time = types.SimpleNamespace(monotonic=lambda: clock[0], perf_counter=time.perf_counter)
from autofeat.cli import main
sys.exit(main(sys.argv[1:]))
"""

JOB = """
[data]
path = "data.csv"
label = "click"

[rank]
pairs_top = 0

[prune]
top_k = 5

[[search]]
name = "lgb"
trials = 2
timeout = 1

[output]
dir = "out"
"""


def _run(job: Path) -> str:
    proc = autofeat("run", str(job), "--quiet", code=FAKE_CLOCK)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_timeout_search_continues_until_the_budget(tmp_path):
    write_ctr_csv(tmp_path / "data.csv", 2000, seed=16)
    job = tmp_path / "job.toml"
    job.write_text(JOB)
    result = tmp_path / "out" / "search-lgb" / "result.json"
    manifest = tmp_path / "out" / "manifest.json"

    first = _run(job)
    assert "search:lgb: partial (1 of 2 trials" in first and "not finished: search:lgb" in first
    assert json.loads(result.read_text())["n_trials"] == 1
    assert json.loads(manifest.read_text())["steps"]["search:lgb"]["status"] == "partial"

    second = _run(job)  # was "nothing to do" here
    assert "ran: search:lgb, summary" in second and "not finished" not in second
    assert json.loads(result.read_text())["n_trials"] == 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["searches"]["lgb"]["features"] == json.loads(result.read_text())["features"]

    assert "nothing to do" in _run(job)
