"""Issue 15, fault 5: ``--n-jobs`` far above the core count crashed the search (100000:
segfault in LightGBM's OpenMP, 4096: hang; optfs: torch error). Threads are capped to the
cores this process may use, in one helper shared by rank and search."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from autofeat._threads import cap_jobs, cgroup_cpu_limit, usable_cores
from autofeat.datasets import write_ctr_csv
from tests.faults.helpers import autofeat


def test_cap_jobs_follows_the_affinity_mask(monkeypatch):
    import autofeat._threads as threads

    monkeypatch.setattr(threads, "cgroup_cpu_limit", lambda: None)  # whatever this machine's quota
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert usable_cores() == 3
    assert cap_jobs(100_000) == 3 and cap_jobs(2) == 2 and cap_jobs(None) == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 5)
    assert usable_cores() == 5 and cap_jobs(4096) == 5


@pytest.mark.parametrize("files, limit", [
    ({"cpu.max": "150000 100000\n"}, 1.5),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_cgroup_cpu_quota_is_read_in_v1_and_v2(tmp_path, files, limit):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_limit(tmp_path) == limit


def test_a_cpu_quota_caps_the_usable_cores(monkeypatch):
    # a container limited to 1.5 CPUs on a 64-core host: 2 threads, not 64
    import autofeat._threads as threads

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(threads, "cgroup_cpu_limit", lambda: 1.5)
    assert usable_cores() == 2 and cap_jobs(None) == 2


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("threads") / "data.csv"
    write_ctr_csv(p, 3000, seed=9)
    return p


@pytest.mark.parametrize("method,extra", [("optuna", ["--trials", "1"]),
                                          ("optfs", ["--epochs", "1", "--search-epochs", "1", "--dim", "4"])])
@pytest.mark.slow
def test_search_with_huge_n_jobs_runs(data_csv, tmp_path, method, extra):
    # A subprocess: before the fix this crashed the interpreter (exit 139).
    out = tmp_path / "out"
    proc = autofeat("search", str(data_csv), "--label", "click", "--method", method, "--n-jobs", "100000",
                    "--max-features", "5", "--no-baseline", "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = [ln for ln in proc.stderr.splitlines() if "--n-jobs" in ln]
    assert notes == [f"autofeat: --n-jobs 100000: this process can use {usable_cores()} cores; "
                     f"using {usable_cores()} threads"]
    doc = json.loads((out / "result.json").read_text())
    assert doc["method"] == method and doc["features"] and 0.5 < doc["metrics"]["test_auc"] <= 1


def test_rank_and_search_restore_the_callers_thread_and_log_settings():
    import numba
    import optuna
    import pyarrow as pa

    import autofeat
    from autofeat.datasets import make_ctr

    table, _ = make_ctr(2000, seed=1)
    before = (numba.get_num_threads(), pa.cpu_count())
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ranking = autofeat.rank(table, "click", n_jobs=1, pairs_top=0, factor_top=0, quiet=True)
    assert (numba.get_num_threads(), pa.cpu_count()) == before
    autofeat.search(table, "click", ranking=ranking, n_trials=1, max_features=3, n_jobs=1, baseline=False)
    assert (numba.get_num_threads(), pa.cpu_count()) == before
    assert optuna.logging.get_verbosity() == optuna.logging.ERROR
    optuna.logging.set_verbosity(optuna.logging.WARNING)
