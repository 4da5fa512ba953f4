"""Search throughput of a fleet: trials per minute with 1, 2 and 4 worker processes on one
storage (``autofeat run JOB --workers N``; the default journal in the output folder).

    python benchmarks/bench_fleet.py                       # 30k rows, 24 trials, workers 1,2,4
    python benchmarks/bench_fleet.py --rows 200000 --trials 40 --workers 1,2,4,8

The data is generated and ranked once; each worker count then searches a fresh study (a copy
of the ranked output folder) with the same job over the top 20 candidates. The space keeps
every trial's cost alike (100 boosting rounds, no early stop, a fixed learning rate; the
number of features and leaves vary), so that the trials per minute compare the fleets, not
the configurations their samplers happened to draw (with the built-in space one study's
trials ran 5x longer than another's); ``--space builtin`` uses the built-in one. Per count: the run's wall time (process start to summary: data loading in every
worker, the trials, the chosen trial's refit), the search window (first trial started to last
finished, from the study) and trials per minute over it, the trials each worker ran, and the
best valid AUC. The threads of each worker are its share of the usable cores
(``autofeat.fleet.core_shares``), so on a machine with fewer cores than workers several
workers share one core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "fleet"
sys.path.insert(0, str(ROOT))

JOB = """
[data]
path = "{data}"
label = "click"

[prune]
top_k = 20

[[search]]
name = "lgb"
trials = {trials}
seed = 0
{space}

[output]
dir = "{out}"
"""


EVEN_SPACE = """
[feature_subset]
top_k = { low = 10, high = 20 }
[lightgbm]
learning_rate = 0.1
num_leaves = { low = 15, high = 63, log = true }
feature_fraction = { low = 0.7, high = 1.0 }
num_boost_round = 100
early_stopping_rounds = 1000
"""


def prepare(rows: int) -> Path:
    """Generated data and its ranking (``ranked/out``), made once per size."""
    from autofeat.datasets import write_ctr_csv
    from autofeat.jobs import run_job

    base = WORK / f"rows_{rows}"
    job = base / "job.toml"
    if not (base / "out" / "candidates.json").exists():
        base.mkdir(parents=True, exist_ok=True)
        write_ctr_csv(base / "data.csv", rows, seed=0)
        job.write_text(JOB.format(data=base / "data.csv", trials=1, out=base / "out", space=""))
        run_job(job, prepare_only=True)
    return base


def run(base: Path, workers: int, trials: int, space: str) -> dict:
    import optuna

    from autofeat.fleet import core_shares
    from autofeat.searching.storage import open_storage

    out = base / f"out-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(base / "out", out, ignore=shutil.ignore_patterns(".lock"))
    job = base / f"job-{workers}.toml"
    if space == "even":
        (base / "even.toml").write_text(EVEN_SPACE)
        space = str(base / "even.toml")
    job.write_text(JOB.format(data=base / "data.csv", trials=trials, out=out,
                              space="" if space == "builtin" else f'space = ["{space}"]'))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "OMP_WAIT_POLICY": "PASSIVE"}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autofeat.cli", "run", str(job), "--workers", str(workers), "--quiet"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"--workers {workers}: exit {proc.returncode}: {proc.stderr[-2000:]}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(None, out / "search-lgb")
    (name,) = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    trials_ = [t for t in optuna.load_study(study_name=name, storage=storage).get_trials()
               if t.state.name in ("COMPLETE", "PRUNED")]
    start = min(t.datetime_start for t in trials_)
    end = max(t.datetime_complete for t in trials_)
    window = (end - start).total_seconds()
    per_worker = Counter(t.user_attrs["autofeat:worker"].split(":")[1] for t in trials_)
    result = json.loads((out / "search-lgb" / "result.json").read_text())
    return {"workers": workers, "threads": core_shares(workers), "trials": len(trials_), "wall_s": round(wall, 1),
            "search_s": round(window, 1), "trials_per_min": round(60 * len(trials_) / window, 1),
            "per_worker": sorted(per_worker.values(), reverse=True),
            "best_valid_auc": round(max(t.values[0] for t in trials_ if t.values), 4),
            "test_auc": round(result["metrics"]["test_auc"], 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--space", default="even", help="even (default), builtin, or a space .toml file")
    args = ap.parse_args()
    from autofeat._threads import usable_cores

    base = prepare(args.rows)
    print(f"{args.rows:,} rows, {args.trials} trials, space {args.space}, {usable_cores()} usable cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| workers | threads each | trials | run wall (s) | search window (s) | trials/min | trials per worker "
          "| best valid AUC | test AUC |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.workers.split(",")):
        r = run(base, n, args.trials, args.space)
        print(f"| {n} | {'/'.join(map(str, r['threads']))} | {r['trials']} | {r['wall_s']} | {r['search_s']} | "
              f"{r['trials_per_min']} | {'/'.join(map(str, r['per_worker']))} | {r['best_valid_auc']} | "
              f"{r['test_auc']} |", flush=True)


if __name__ == "__main__":
    main()
