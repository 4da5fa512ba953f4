"""Running the CLI in a subprocess for the fault tests: a crash, an abort or a hang then fails
one test instead of taking the test run down with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# OpenMP threads that spin while they wait made LightGBM 10-40x slower whenever anything else
# ran on the (2-core) machine; passive waiting keeps these tests a few seconds each.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": "PASSIVE"}


def autofeat(*argv: str, cwd: Path = ROOT, code: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``autofeat ARGV`` (or ``python -c CODE ARGV``); the timeout is a safety net only."""
    head = ["-c", code] if code is not None else ["-m", "autofeat.cli"]
    return subprocess.run([sys.executable, *head, *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=ENV)


# The CLI, except that the N-th LightGBM fit SIGKILLs the process (argv[1] = N): the kill lands
# mid-trial (that trial stays RUNNING under this process's host:pid, as when a machine dies)
# at a point set by an event, not by a sleep.
KILL_AT_FIT = """
import os, signal, sys
from autofeat.searching.evaluators import lightgbm_eval as m
real, calls = m.fit_lightgbm, [0]
def fit(*a, **k):
    calls[0] += 1
    if calls[0] == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*a, **k)
m.fit_lightgbm = fit
from autofeat.cli import main
sys.exit(main(sys.argv[2:]))
"""
