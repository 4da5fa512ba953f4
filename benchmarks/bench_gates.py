"""Differentiable searches (OptFS, DNIS, OptInter): test AUC / log loss of the searched and
retrained model against the same backbone trained on all features, parameters of both, and
the search's cost as a multiple of one plain training, all measured in the same run.

    python benchmarks/bench_gates.py                                  # generated 1M + ../shared/data
    python benchmarks/bench_gates.py --rows 200000 --models deepfm,dcn --seeds 3

Each seed gives a different split and initialization; the plain model and the search of one
seed share the split. Plain training: up to --epochs epochs, early stopping on valid AUC.
"cost" = (search + retrain seconds) / plain training seconds.
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
from autofeat.datasets import write_ctr_csv  # noqa: E402
from autofeat.encode.training import load_training_data  # noqa: E402
from autofeat.models.backbones import CTRModel  # noqa: E402
from autofeat.models.trainer import Feed, evaluate, fit  # noqa: E402
from autofeat.searching.gates.base import GateOptions, count_params, run  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"


def datasets(rows: int, names: list[str]) -> list[tuple[str, Path, str, bool]]:
    out = []
    if "generated" in names:
        gen = HERE / "_work" / f"search_{rows}" / "data.csv"
        if not gen.exists():
            write_ctr_csv(gen, rows, seed=0)
        out.append((f"generated {rows:,}", gen, "click", True))
    for key, name, label, header in (("talkingdata", "talkingdata_100k.csv", "is_attributed", True),
                                     ("criteo", "criteo_8k.tsv", "0", False), ("avazu", "avazu_8k.csv", "click", True)):
        if key in names and (SHARED / name).exists():
            out.append((name, SHARED / name, label, header))
    return out


def plain(path: Path, label: str, header: bool, ranking: autofeat.Ranking, opts: GateOptions) -> dict[str, float]:
    feats = ranking.top(opts.max_features)
    td = load_training_data(path, label, feats, kinds={f: ranking.feature(f).kind for f in feats},
                            bins=int(ranking.options.get("bins", 20)), min_count=opts.min_count, header=header,
                            seed=opts.seed, valid_fraction=opts.valid_fraction, test_fraction=opts.test_fraction)
    torch.manual_seed(opts.seed)
    model = CTRModel(td.sizes, opts.dim, opts.model, hidden=opts.hidden)
    feed = Feed(td.ids, td.y)
    t0 = time.perf_counter()
    fit(model, feed, td.train, td.valid, opts.train_options(quiet=True))
    seconds = time.perf_counter() - t0
    auc, ll = evaluate(model, feed, td.test)
    return {"auc": auc, "ll": ll, "params": count_params(model), "seconds": seconds}


def _ms(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.4f} ± {statistics.stdev(xs) if len(xs) > 1 else 0.0:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--datasets", default="generated,talkingdata,criteo,avazu")
    ap.add_argument("--methods", default="optfs,dnis,optinter")
    ap.add_argument("--models", default="deepfm")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print("| data | model | method | test AUC all | test AUC search | ΔAUC | logloss all | logloss search "
          "| params all | params after | cost (x plain) | plain s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, path, label, header in datasets(args.rows, args.datasets.split(",")):
        ranking = autofeat.rank(path, label, header=header)
        for model in args.models.split(","):
            base = [plain(path, label, header, ranking, GateOptions(model=model, seed=s)) for s in range(args.seeds)]
            for method in args.methods.split(","):
                res = [run(method, path, label, ranking, None, GateOptions(model=model, seed=s), header=header)
                       for s in range(args.seeds)]
                auc_a, auc_s = [b["auc"] for b in base], [r.metrics["test_auc"] for r in res]
                cost = [(r.metrics["search_seconds"] + r.metrics["retrain_seconds"]) / b["seconds"]
                        for r, b in zip(res, base)]
                print(f"| {name} | {model} | {method} | {_ms(auc_a)} | {_ms(auc_s)} | "
                      f"{statistics.mean(auc_s) - statistics.mean(auc_a):+.4f} | "
                      f"{statistics.mean(b['ll'] for b in base):.4f} | "
                      f"{statistics.mean(r.metrics['test_logloss'] for r in res):.4f} | "
                      f"{base[0]['params']:,} | {int(statistics.mean(r.metrics['params_after'] for r in res)):,} | "
                      f"{statistics.mean(cost):.2f} | {statistics.mean(b['seconds'] for b in base):.1f} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
