"""How many threads a computation may use: never more than the cores this process can run on.

Asked for far more (``--n-jobs 100000``), OpenMP in LightGBM crashed and 4096 threads hung;
extra threads beyond the usable cores only add contention anyway. The usable cores are the
CPU affinity (taskset, a cpuset) and, in a container, the cgroup's CPU quota: a container
limited to 2 CPUs on a 64-core host sees 64 cores, and 64 threads per library then fought
over 2 CPUs' worth of time.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["usable_cores", "cap_jobs", "cgroup_cpu_limit", "limit_threads"]


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity (taskset, a container's cpuset) where
    the OS reports one, else the machine's count; at most its cgroup's CPU quota, rounded up."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    return cores if quota is None else max(1, min(cores, math.ceil(quota)))


def cgroup_cpu_limit(root: str | Path = "/sys/fs/cgroup") -> float | None:
    """CPUs' worth of time the cgroup quota allows (cgroup v2 ``cpu.max``, or v1
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``); None without a quota."""
    root = Path(root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota_us <= 0 or period_us <= 0 else quota_us / period_us


def cap_jobs(n_jobs: int | None) -> int:
    """Threads for ``n_jobs`` (None: every usable core), at most the usable cores."""
    cores = usable_cores()
    return cores if n_jobs is None else max(1, min(int(n_jobs), cores))


@contextmanager
def limit_threads(n_jobs: int | None) -> Iterator[int]:
    """Numba's, pyarrow's and (if loaded) torch's thread counts set to :func:`cap_jobs` for the
    block and restored after it: a library call must not change its caller's settings."""
    import numba
    import pyarrow as pa

    n = cap_jobs(n_jobs)
    saved = (numba.get_num_threads(), pa.cpu_count())
    torch = sys.modules.get("torch")
    saved_torch = torch.get_num_threads() if torch is not None else None
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    pa.set_cpu_count(n)
    try:
        yield n
    finally:
        numba.set_num_threads(saved[0])
        pa.set_cpu_count(saved[1])
        if torch is not None:
            torch.set_num_threads(saved_torch)
