"""Ranking at scale: the local engine vs Spark ``local[2]`` vs Dask (2 worker processes) on
generated, partitioned Parquet (35 columns as in bench_rank.py: 5 informative Zipf ids, 25
Zipf noise ids, 5 uniform noise ids of 10k..1M levels).

    python benchmarks/bench_scale.py                         # 2M rows
    python benchmarks/bench_scale.py --rows 10000000,50000000 --engines local,spark,dask
    python benchmarks/bench_scale.py --cost-only             # the cost model's measurements

Each engine runs in its own process: wall time (process start to ranking), peak RSS of the
largest process of the run (driver, JVM or worker; benchmarks/_measure.py), each worker's
peak RSS (Dask workers, Spark's Python workers), and whether the top-20 equals the local
engine's. The cost model's inputs are measured in this process: per-partition encode
throughput (rows/s on one core) and the cost of one merge (seconds and bytes of a partial),
against the partition's rows and the columns' levels.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
PY = sys.executable
sys.path.insert(0, str(ROOT))


def generate(rows: int, part_rows: int) -> Path:
    """``rows`` rows in Parquet files of ``part_rows`` rows (the same table for a given size)."""
    import pyarrow.parquet as pq

    from autofeat.datasets import CTRSpec, _arrow_chunks

    out = WORK / f"scale_{rows}"
    done = out / "_done"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    spec = CTRSpec(n_informative=5, n_noise=25, n_uniform_noise=5, planted=False)
    _, chunks = _arrow_chunks(rows, spec, 0)
    for i, table in enumerate(chunks):  # generated in chunks of 500,000 rows
        for j in range(0, table.num_rows, part_rows):
            pq.write_table(table.slice(j, part_rows), out / f"part-{i:05d}-{j // part_rows:03d}.parquet")
    done.write_text("")
    return out


def run_one(engine: str, data: Path, out: Path) -> None:
    """Rank ``data`` on ``engine``; write the top-20, timings and worker peaks to ``out``."""
    import autofeat

    t = time.perf_counter()
    workers: list[float] = []
    if engine == "local":
        ranking = autofeat.rank(str(data), label="click")
    elif engine == "dask":
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            ranking = autofeat.rank(str(data), label="click", engine="dask", address=cluster.scheduler_address)
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            workers = sorted(peaks.values())
    else:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").appName("bench_scale").config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "2g").getOrCreate())
        ranking = autofeat.rank(spark.read.parquet(str(data)), label="click")
        # Python workers are reused: a second tiny job on both cores reads their peaks.
        workers = sorted(set(spark.sparkContext.parallelize(range(8), 2).map(
            lambda _: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).collect()))
        spark.stop()
    wall = time.perf_counter() - t
    out.write_text(json.dumps({"wall_in_process": wall, "top20": ranking.top(20), "timings": ranking.timings,
                               "worker_peak_mb": workers, "rows": ranking.rows}))


def cost_model(data: Path) -> dict[str, float]:
    """Per-partition encode throughput and merge cost, measured on the files of ``data``."""
    import numpy as np
    import pyarrow.parquet as pq
    from numba import set_num_threads

    from autofeat.encode.engines import encode_batches
    from autofeat.encode.partial import PartialSpec, plan_kinds

    set_num_threads(1)  # one core, as one executor slot
    files = sorted(data.glob("*.parquet"))
    schema = pq.read_schema(files[0])
    names = [n for n in schema.names if n != "click"]
    spec = PartialSpec(source=str(data), label="click", names=tuple(names),
                       kinds=plan_kinds(str(data), schema, names, (), ()), cap=100_000)
    partials, rows, secs = [], 0, 0.0
    for f in files[:4]:
        table = pq.read_table(f)
        t = time.perf_counter()
        partials.append(encode_batches(spec, iter(table.to_batches(max_chunksize=1 << 17))))
        secs += time.perf_counter() - t
        rows += table.num_rows
    levels = int(sum(partials[0].cardinalities()))
    blob = pickle.dumps(partials[0], protocol=5)
    t = time.perf_counter()
    merged = partials[0].merge(pickle.loads(pickle.dumps(partials[1], protocol=5)))
    merge_s = time.perf_counter() - t
    t = time.perf_counter()
    for p in partials[2:]:
        merged.merge(p)
    merge_more_s = (time.perf_counter() - t) / max(1, len(partials) - 2)
    t = time.perf_counter()
    merged.finish(bins=20, analysis_rows=100_000)
    finish_s = time.perf_counter() - t
    return {"partition_rows": rows / len(partials[:4]), "encode_rows_per_s_one_core": rows / secs,
            "levels_per_partial": levels, "partial_mb": len(blob) / 2**20, "merge_s": merge_s,
            "merge_into_larger_s": merge_more_s, "merged_levels": int(np.sum(merged.cardinalities())),
            "finish_s": finish_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="2000000", help="comma-separated row counts")
    ap.add_argument("--part-rows", type=int, default=500_000, help="rows per Parquet file (default 500,000)")
    ap.add_argument("--engines", default="local,spark,dask")
    ap.add_argument("--cost-only", action="store_true", help="only the cost model's measurements")
    ap.add_argument("--one", nargs=3, metavar=("ENGINE", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        run_one(args.one[0], Path(args.one[1]), Path(args.one[2]))
        return
    WORK.mkdir(exist_ok=True)
    sizes = [int(r) for r in args.rows.split(",")]
    data = generate(sizes[0], args.part_rows)
    print("cost model inputs (one core):", json.dumps({k: round(v, 4) for k, v in cost_model(data).items()}),
          flush=True)
    if args.cost_only:
        return
    print(f"\n{'rows':>12} {'engine':<7} {'wall s':>8} {'peak MB':>8} {'worker peaks MB':<20} top-20 = local")
    for rows in sizes:
        data = generate(rows, args.part_rows)
        local_top = None
        for engine in args.engines.split(","):
            out = WORK / f"scale_{rows}_{engine}.json"  # not in the data folder: engines read every file
            cmd = [PY, str(HERE / "_measure.py"), PY, str(Path(__file__).resolve()), "--one", engine, str(data), str(out)]
            res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
            if res["rc"] != 0:
                print(f"{rows:>12,} {engine:<7} failed: {res['stderr']}")
                continue
            got = json.loads(out.read_text())
            if engine == "local":
                local_top = got["top20"]
            same = "-" if local_top is None else str(got["top20"] == local_top)
            peaks = ", ".join(f"{p:.0f}" for p in got["worker_peak_mb"]) or "-"
            print(f"{rows:>12,} {engine:<7} {res['wall']:>8.1f} {res['peak_rss_mb']:>8.0f} {peaks:<20} {same}",
                  flush=True)


if __name__ == "__main__":
    main()
