"""Runs that must survive a busy machine: the 1M-row ranking and the quick test subset, timed
quiet, pinned to one core (``taskset -c 0``) and beside a CPU hog (one busy process per usable
core), each as a ratio to its quiet time in the same run.

    python benchmarks/bench_contention.py                      # ranking and quick tests
    python benchmarks/bench_contention.py --only rank --rows 1000000

The target (issue 14): within 2x of the quiet time under either. Run it on a machine with
nothing else going on: the quiet time is the baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _spin(stop: mp.Event) -> None:  # type: ignore[valid-type]
    x = 0
    while not stop.is_set():  # type: ignore[attr-defined]
        for _ in range(100_000):
            x += 1


def timed(cmd: list[str], *, pin: bool = False, hog: int = 0) -> float:
    """Seconds ``cmd`` takes, pinned to core 0 with ``pin``, beside ``hog`` busy processes."""
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    stop = mp.Event()
    spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(hog)]
    for p in spinners:
        p.start()
    try:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0
    finally:
        stop.set()
        for p in spinners:
            p.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["rank", "tests"])
    ap.add_argument("--repeat", type=int, default=2, help="runs per condition (the fastest is kept)")
    args = ap.parse_args()
    from autofeat._threads import usable_cores
    from autofeat.datasets import write_ctr_csv

    cores = usable_cores()
    work = Path(tempfile.mkdtemp(prefix="autofeat-contention-"))
    jobs: dict[str, list[str]] = {}
    if args.only in (None, "rank"):
        data = work / "data.csv"
        write_ctr_csv(data, args.rows, seed=0)
        jobs[f"rank {args.rows:,} rows"] = [sys.executable, "-m", "autofeat.cli", "rank", str(data), "--label", "click",
                                            "--out", str(work / "out"), "--quiet"]
    if args.only in (None, "tests"):
        jobs["quick tests (-m 'not slow')"] = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                               "-m", "not slow", "-x"]
    conditions = {"quiet": {}, "taskset -c 0": {"pin": True}, f"CPU hog x{cores}": {"hog": cores}}
    if shutil.which("taskset") is None:
        conditions.pop("taskset -c 0")
    print(f"{cores} usable cores, load average {os.getloadavg()[0]:.1f} at the start")
    print("| run | " + " | ".join(conditions) + " |")
    print("|---|" + "---:|" * len(conditions))
    for name, cmd in jobs.items():
        times = {c: min(timed(cmd, **kw) for _ in range(args.repeat)) for c, kw in conditions.items()}
        quiet = times["quiet"]
        cells = [f"{t:.1f} s" + ("" if c == "quiet" else f" ({t / quiet:.2f}x)") for c, t in times.items()]
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
