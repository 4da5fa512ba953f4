"""Ranking speed and quality: autofeat vs OutRank vs scikit-learn vs the naive NumPy/Numba floor,
measured in the same run on generated CTR-like CSVs (median of --repeat runs).

    python benchmarks/bench_rank.py                      # 1M x 35, 10M x 35, scaling sizes
    python benchmarks/bench_rank.py --rows 200000 --quick   # a fast smoke run
    python benchmarks/bench_rank.py --outrank PATH/TO/outrank   # include OutRank (1M rows max)
    python benchmarks/bench_rank.py --rows 250000 --wide 0 --outrank-subsampling 10   # OutRank's default

OutRank reads every --subsampling-th line (its default is 10); --outrank-subsampling lists the
values to run, one table row each (default "1,10": every row, and OutRank as installed).

Each tool runs in its own process (process start to final output, report included for
autofeat); wall time and peak RSS are taken by benchmarks/_measure.py. The data: 30 Zipf
categoricals (cardinality 2..100k; the label depends on 5 of them) and 5 uniform noise
columns (10k..1M levels), as in ../shared/NOTES-outrank.md. "top-5" counts the planted
informative columns among each tool's first five.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
PY = sys.executable


def generate(rows: int, cols: int) -> tuple[Path, list[str]]:
    sys.path.insert(0, str(ROOT))
    from autofeat.datasets import CTRSpec, write_ctr_csv

    k = cols // 35
    spec = CTRSpec(n_informative=5 * k, n_noise=25 * k, n_uniform_noise=5 * k, planted=False)
    path = WORK / f"ctr_{rows}x{cols}" / "data.csv"
    truth_path = path.with_suffix(".truth.json")
    if not path.exists() or not truth_path.exists():
        truth = write_ctr_csv(path, rows, spec=spec, seed=0)
        truth_path.write_text(json.dumps(truth))
    return path, json.loads(truth_path.read_text())["informative"]


def measure(cmd: list[str], stdout: Path | None = None) -> dict:
    pre = [PY, str(HERE / "_measure.py")] + (["--stdout", str(stdout)] if stdout else [])
    out = subprocess.run(pre + cmd, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        raise SystemExit(f"{cmd[0]} failed: {res['stderr']}")
    return res


def autofeat_cmd(path: Path, out: Path) -> list[str]:
    return [PY, str(ROOT / "cli.py"), "rank", str(path), "--label", "click", "--out", str(out), "--quiet"]


def top5_autofeat(out: Path) -> list[str]:
    return [f["name"] for f in json.loads((out / "ranking.json").read_text())["features"][:5]]


def top5_lines(path: Path) -> list[str]:
    return [line.split("\t")[0] for line in path.read_text().splitlines()[:5]]


def top5_outrank(out: Path) -> list[str]:
    # pairwise_ranks.tsv lists each pair in both orders (click, f) and (f, click): one score per feature.
    best: dict[str, float] = {}
    for line in (out / "pairwise_ranks.tsv").read_text().splitlines()[1:]:
        a, b, score = line.split("\t")[:3]
        a, b = a.split("-(")[0], b.split("-(")[0]
        if "click" in (a, b) and a != b:
            name = b if a == "click" else a
            best[name] = max(best.get(name, float("-inf")), float(score))
    return sorted(best, key=best.__getitem__, reverse=True)[:5]


def run_tool(tool: str, path: Path, outrank: str | None, repeat: int) -> tuple[dict, list[str]]:
    """Median wall time (and its run's peak RSS) over ``repeat`` runs; OutRank runs once.

    ``tool`` is autofeat, floor, sklearn or ``outrank/N`` (OutRank with ``--subsampling N``).
    """
    once = tool.startswith("outrank")
    runs = [_run_once(tool, path, outrank) for _ in range(1 if once else repeat)]
    runs.sort(key=lambda r: r[0]["wall"])
    return runs[len(runs) // 2]


def _run_once(tool: str, path: Path, outrank: str | None) -> tuple[dict, list[str]]:
    base = path.parent / f"out_{tool.replace('/', '_sub')}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    if tool == "autofeat":
        res = measure(autofeat_cmd(path, base))
        return res, top5_autofeat(base)
    if tool == "floor":
        res = measure([PY, str(HERE / "floor_mi.py"), str(path), "click"], base / "out.tsv")
        return res, top5_lines(base / "out.tsv")
    if tool == "sklearn":
        res = measure([PY, str(HERE / "sklearn_mi.py"), str(path), "click"], base / "out.tsv")
        return res, top5_lines(base / "out.tsv")
    assert outrank and tool.startswith("outrank/")
    subsampling = tool.split("/")[1]
    cmd = [outrank, "--task", "ranking", "--data_path", str(path.parent), "--data_source", "csv-raw",
           "--heuristic", "MI-numba-randomized", "--num_threads", "2", "--subsampling", subsampling,
           "--output_folder", str(base / "out"), "--disable_tqdm", "True", "--label_column", "click"]
    res = measure(cmd)
    return res, top5_outrank(base / "out")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="250000,1000000,10000000", help="comma-separated row counts (35 columns)")
    ap.add_argument("--wide", type=int, default=1_000_000, help="rows for the 35/70-column scaling pair (0: skip)")
    venv = WORK / "outrank-venv/bin/outrank"  # its own venv first: OutRank 0.97.5 needs xxhash<4
    ap.add_argument("--outrank", default=str(venv) if venv.exists() else shutil.which("outrank") or str(venv))
    ap.add_argument("--outrank-max-rows", type=int, default=1_000_000)
    ap.add_argument("--outrank-subsampling", default="1,10",
                    help="comma-separated OutRank --subsampling values, one row each (1: every row; 10: its default)")
    ap.add_argument("--sklearn-max-rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="autofeat and the floor only")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is shown")
    args = ap.parse_args()
    outrank = args.outrank if os.path.exists(args.outrank) else None
    WORK.mkdir(exist_ok=True)

    sizes = [(int(r), 35) for r in args.rows.split(",")]
    if args.wide:
        sizes += [(args.wide, 70)]
    # Compile Numba kernels once (cached on disk), so timed runs measure steady-state use.
    warm, _ = generate(20_000, 35)
    first = measure(autofeat_cmd(warm, warm.parent / "out_warm"))
    print(f"(first autofeat run on this machine, JIT compile included: {first['wall']:.1f} s)\n")

    print(f"{'data':<16} {'tool':<12} {'wall s':>8} {'peak MB':>8} {'x autofeat':>10} {'top-5':>6}")
    for rows, cols in sizes:
        path, informative = generate(rows, cols)
        tools = ["autofeat", "floor"]
        if not args.quick and rows <= args.sklearn_max_rows:
            tools.append("sklearn")
        if not args.quick and outrank and rows <= args.outrank_max_rows and cols == 35:
            tools += [f"outrank/{int(n)}" for n in args.outrank_subsampling.split(",")]
        results = {}
        for tool in tools:
            res, top = run_tool(tool, path, outrank, args.repeat)
            results[tool] = res
            hit = len(set(top) & set(informative))
            ratio = res["wall"] / results["autofeat"]["wall"]
            print(f"{f'{rows:,}x{cols}':<16} {tool:<12} {res['wall']:>8.2f} {res['peak_rss_mb']:>8.0f} "
                  f"{ratio:>10.2f} {hit:>4}/5", flush=True)


if __name__ == "__main__":
    main()
