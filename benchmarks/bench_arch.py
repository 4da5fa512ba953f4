"""Architecture search at an equal wall-clock budget: DNIS (embedding widths), OptInter (pair
methods) and an Optuna study with a torch evaluator over the same two things
(``--space embedding_dims,interactions``), each given the time DNIS took (search + retrain),
against the same backbone on every candidate. All measured in the same run.

    python benchmarks/bench_arch.py                                    # generated 200k + ../shared/data
    python benchmarks/bench_arch.py --rows 100000 --datasets generated,criteo --seeds 1

Columns: test AUC and log loss of the exported model, its parameters, and seconds spent
(search + retrain; Optuna: its trials, then the chosen trial's retrain). "all" is the plain
model on every candidate (metrics.all_features_* of the DNIS result).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import autofeat  # noqa: E402
from benchmarks.bench_gates import datasets  # noqa: E402


def _ms(xs: list[float], fmt: str = ".4f") -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):{fmt}} ± {sd:{fmt}}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--datasets", default="generated,talkingdata,criteo,avazu")
    ap.add_argument("--model", default="deepfm")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--max-features", type=int, default=20)
    args = ap.parse_args()
    print("| data | arm | test AUC | test logloss | params | seconds |")
    print("|---|---|---|---|---|---|")
    for name, path, label, header in datasets(args.rows, args.datasets.split(",")):
        ranking = autofeat.rank(path, label, header=header)
        rows: dict[str, list[tuple[float, float, float, float]]] = {}
        for seed in range(args.seeds):
            common = dict(ranking=ranking, header=header, model=args.model, seed=seed, max_features=args.max_features)
            t = time.perf_counter()
            dnis = autofeat.search(path, label, method="dnis", **common)
            budget = time.perf_counter() - t - dnis.metrics.get("all_features_seconds", 0.0)
            m = dnis.metrics
            rows.setdefault("all features", []).append((m["all_features_test_auc"], m["all_features_test_logloss"],
                                                        m["all_features_params"], m["all_features_seconds"]))
            rows.setdefault("dnis", []).append((m["test_auc"], m["test_logloss"], m["params_after"], budget))
            for arm, kw in (("optinter", dict(method="optinter", baseline=False)),
                            ("optuna + torch", dict(n_trials=10_000, timeout=budget, baseline=False,
                                                    space=("embedding_dims", "interactions")))):
                t = time.perf_counter()
                with tempfile.TemporaryDirectory() as tmp:
                    r = autofeat.search(path, label, out=tmp, **common, **kw)
                m = r.metrics
                rows.setdefault(arm, []).append((m["test_auc"], m["test_logloss"], m["params_after"],
                                                 time.perf_counter() - t))
        for arm, vals in rows.items():
            auc, ll, params, secs = zip(*vals)
            print(f"| {name} | {arm} | {_ms(list(auc))} | {_ms(list(ll))} | {statistics.mean(params):,.0f} | "
                  f"{statistics.mean(secs):.0f} |", flush=True)


if __name__ == "__main__":
    main()
