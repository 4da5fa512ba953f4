"""How many threads a computation may use: never more than the cores this process can run on.

Asked for far more (``--n-jobs 100000``), OpenMP in LightGBM crashed and 4096 threads hung;
extra threads beyond the usable cores only add contention anyway.
"""

from __future__ import annotations

import os

__all__ = ["usable_cores", "cap_jobs"]


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity (taskset, a container's cpuset) where
    the OS reports one, else the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def cap_jobs(n_jobs: int | None) -> int:
    """Threads for ``n_jobs`` (None: every usable core), at most the usable cores."""
    cores = usable_cores()
    return cores if n_jobs is None else max(1, min(int(n_jobs), cores))
