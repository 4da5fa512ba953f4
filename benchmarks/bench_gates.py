"""Differentiable searches (OptFS, DNIS, OptInter): test AUC / log loss of the searched and
retrained model against the same backbone trained on all features, parameters of both, and
the search's cost as a multiple of one plain training, all measured in the same run.

    python benchmarks/bench_gates.py                                  # generated 1M + recsys + ../shared/data
    python benchmarks/bench_gates.py --rows 200000 --models deepfm,dcn --seeds 3

Each seed gives a different split and initialization. The "all" columns are the search's own
baseline (``metrics.all_features_*`` of result.json: the same backbone on every candidate
field, same split and seed, trained once per seed and data set); early stopping on valid log
loss throughout. "cost" = (search + retrain seconds) / baseline training seconds; "dropped"
counts the fields the search dropped (mean over seeds).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402

import autofeat  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from autofeat.datasets import make_recsys, write_ctr_csv  # noqa: E402
from autofeat.searching.gates.base import GateOptions, run  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"


def datasets(rows: int, names: list[str]) -> list[tuple[str, Path, str, bool]]:
    out = []
    if "generated" in names:
        gen = HERE / "_work" / f"search_{rows}" / "data.csv"
        if not gen.exists():
            write_ctr_csv(gen, rows, seed=0)
        out.append((f"generated {rows:,}", gen, "click", True))
    if "recsys" in names:
        rec = HERE / "_work" / f"recsys_{rows}" / "data.csv"
        if not rec.exists():
            rec.parent.mkdir(parents=True, exist_ok=True)
            pacsv.write_csv(make_recsys(rows, seed=0)[0], rec)
        out.append((f"recsys (per-user negatives) {rows:,}", rec, "label", True))
    for key, name, label, header in (("talkingdata", "talkingdata_100k.csv", "is_attributed", True),
                                     ("criteo", "criteo_8k.tsv", "0", False), ("avazu", "avazu_8k.csv", "click", True)):
        if key in names and (SHARED / name).exists():
            out.append((name, SHARED / name, label, header))
    return out


def _ms(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs) if len(xs) > 1 else 0.0:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--datasets", default="generated,recsys,talkingdata,criteo,avazu")
    ap.add_argument("--methods", default="optfs,dnis,optinter")
    ap.add_argument("--models", default="deepfm")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print("| data | model | method | test AUC all | test AUC search | ΔAUC | logloss all | logloss search "
          "| params all | params after | dropped | cost (x all) | all s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, path, label, header in datasets(args.rows, args.datasets.split(",")):
        ranking = autofeat.rank(path, label, header=header)
        for model in args.models.split(","):
            base: list[dict[str, float]] = []
            for method in args.methods.split(","):
                res = []
                for s in range(args.seeds):
                    r = run(method, path, label, ranking, GateOptions(model=model, seed=s, baseline=not base[s:]),
                            header=header)
                    if len(base) <= s:
                        base.append({k: v for k, v in r.metrics.items() if k.startswith("all_features_")})
                    res.append(r)
                auc_a, auc_s = [b["all_features_test_auc"] for b in base], [r.metrics["test_auc"] for r in res]
                cost = [(r.metrics["search_seconds"] + r.metrics["retrain_seconds"]) / b["all_features_seconds"]
                        for r, b in zip(res, base)]
                dropped = statistics.mean(len(r.extra.get("dropped_fields") or {}) for r in res)
                print(f"| {name} | {model} | {method} | {_ms(auc_a)} | {_ms(auc_s)} | "
                      f"{statistics.mean(auc_s) - statistics.mean(auc_a):+.4f} | "
                      f"{statistics.mean(b['all_features_test_logloss'] for b in base):.4f} | "
                      f"{statistics.mean(r.metrics['test_logloss'] for r in res):.4f} | "
                      f"{int(base[0]['all_features_params']):,} | {int(statistics.mean(r.metrics['params_after'] for r in res)):,} | "
                      f"{dropped:.1f} of {res[0].metrics['candidates']} | "
                      f"{statistics.mean(cost):.2f} | {statistics.mean(b['all_features_seconds'] for b in base):.1f} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
