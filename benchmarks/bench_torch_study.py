"""Does the Optuna study over a torch CTR model find the planted structure? On generated data
with known informative, noise and interacting columns, per seed and size: the mean width it
gives informative and noise fields, the method it picks for the planted pair, and its test
AUC against the same backbone on every candidate at the widest width.

    python benchmarks/bench_torch_study.py --rows 50000 --seeds 1,2,3 --trials 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autofeat  # noqa: E402
from autofeat.datasets import make_ctr  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="50000", help="comma-separated row counts")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--model", default="deepfm")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--space", default="embedding_dims,interactions")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    print("| rows | seed | trials | width informative | width noise | planted pair | chosen trial | test AUC "
          "| all features | params | seconds |")
    print("|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|")
    for rows in (int(r) for r in args.rows.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            table, truth = make_ctr(rows, seed=seed)
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                res = autofeat.search(table, "click", out=tmp, model=args.model, epochs=args.epochs, device=args.device,
                                      n_trials=args.trials, space=tuple(args.space.split(",")), seed=seed)
            secs = time.perf_counter() - t0
            dims = res.embedding_dims or {}
            inf = [dims[f] for f in truth["informative"] if f in dims]
            noise = [dims[f] for f in truth["noise"] if f in dims]
            planted = set(truth["interactions"][0])
            pair = next((p["method"] for p in res.interactions or [] if set(p["features"]) == planted), "not a candidate")
            m = res.metrics
            best = res.extra["best_trial"]["number"]
            guess = "guess" if best == 0 else f"#{best}"
            print(f"| {rows:,} | {seed} | {args.trials} | {sum(inf) / max(len(inf), 1):.1f} | "
                  f"{sum(noise) / max(len(noise), 1):.1f} | {pair} | {guess} | {m['test_auc']:.4f} | "
                  f"{m.get('all_features_test_auc', float('nan')):.4f} | {m['params_after']:,} | {secs:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
