"""Optuna + LightGBM search: time per trial, and the test AUC of the search's best subset
against all candidate features and against the ranking's top-K, on the same split.

    python benchmarks/bench_search.py                    # generated 1M rows + ../shared/data
    python benchmarks/bench_search.py --rows 200000 --trials 10
    python benchmarks/bench_search.py --rows 100000 --trials 10 --min-count 1 --seed 1

All three arms use the same train/valid/test split and LightGBM; "all" and "top-K" use
default parameters (learning rate 0.1, 31 leaves), the search tunes subset and parameters on
valid. Test AUC is reported, never used for a choice.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import autofeat  # noqa: E402
from autofeat.datasets import write_ctr_csv  # noqa: E402
from autofeat.encode.training import load_training_data  # noqa: E402
from autofeat.searching.evaluators.lightgbm_eval import fit_lightgbm  # noqa: E402
from autofeat.searching.optuna_search import OptunaSearchOptions, optuna_search  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"


def datasets(rows: int) -> list[tuple[str, Path, str, bool]]:
    gen = HERE / "_work" / f"search_{rows}" / "data.csv"
    if not gen.exists():
        write_ctr_csv(gen, rows, seed=0)
    out = [(f"generated {rows:,}", gen, "click", True)]
    for name, label, header in (("talkingdata_100k.csv", "is_attributed", True),
                                ("criteo_8k.tsv", "0", False), ("avazu_8k.csv", "click", True)):
        if (SHARED / name).exists():
            out.append((name, SHARED / name, label, header))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--top-k", type=int, default=10)
    ap.add_argument("--min-count", type=int, default=2, help="train rows a value needs for its own id")
    ap.add_argument("--seed", type=int, default=0, help="split and search seed")
    args = ap.parse_args()
    print(f"{'data':<22} {'arm':<14} {'features':>8} {'test AUC':>9} {'valid AUC':>9} {'s/trial':>8}")
    for name, path, label, header in datasets(args.rows):
        ranking = autofeat.rank(path, label, header=header)
        cands = ranking.top(40)
        split = load_training_data(path, label, cands, kinds={f: ranking.feature(f).kind for f in cands},
                                   header=header, seed=args.seed, min_count=args.min_count)
        for arm, feats in (("all candidates", cands), (f"ranking top-{args.top_k}", cands[: args.top_k])):
            fit = fit_lightgbm(split, feats, {"learning_rate": 0.1}, num_boost_round=300, early_stopping_rounds=30)
            test = fit.scores(split, split.test, feats)
            print(f"{name:<22} {arm:<14} {len(feats):>8} {test['auc']:>9.4f} {fit.valid_auc:>9.4f} {'':>8}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            res = optuna_search(path, label, ranking, tmp, OptunaSearchOptions(n_trials=args.trials, max_features=40,
                                                                            min_count=args.min_count, seed=args.seed),
                                header=header)
            per_trial = (time.perf_counter() - t) / max(res.extra["trials_run_by_this_worker"], 1)
        m = res.metrics
        print(f"{name:<22} {'optuna search':<14} {len(res.features):>8} {m['test_auc']:>9.4f} "
              f"{m['valid_auc']:>9.4f} {per_trial:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
