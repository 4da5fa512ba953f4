"""Issue 15's soak: 50 SIGKILLs at random moments (seeded), two workers at a time on one journal
and on PostgreSQL, through ``search`` and ``run``: the exact budget, no configuration run
twice, no stale lock, no torn journal line. See tests/faults/soak.py; figures in
docs/benchmarks.md (``python benchmarks/bench_soak.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autofeat.datasets import write_ctr_csv
from tests.faults.soak import reset_postgres, soak

pytestmark = pytest.mark.slow
KILLS = 25  # per command and storage: 50 on each storage


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("soak") / "data.csv"
    write_ctr_csv(p, 2000, seed=3)
    return p


def _check(report) -> None:
    assert report.kills >= KILLS
    assert report.finished == report.budget, report  # no trial lost, none over the budget
    assert report.duplicates == 0, report  # a dead trial's retry is the only run of its parameters
    assert report.stale_locks == 0 and report.torn_lines == 0, report


@pytest.mark.parametrize("command", ["search", "run"])
def test_kill_soak_on_a_journal(data_csv, tmp_path, command):
    report = soak(data_csv, tmp_path, f"journal:{tmp_path / 'shared.journal'}", command, KILLS, seed=11)
    _check(report)
    assert set(report.kinds) == {"fit", "ask", "append"}


@pytest.mark.parametrize("command", ["search", "run"])
def test_kill_soak_on_postgresql(data_csv, tmp_path, command):
    url = os.environ.get("AUTOFEAT_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server: set AUTOFEAT_TEST_POSTGRES (.ci/run starts one and sets it)")
    reset_postgres(url)
    report = soak(data_csv, tmp_path, url, command, KILLS, seed=12)
    _check(report)
