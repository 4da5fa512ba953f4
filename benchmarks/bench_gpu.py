"""The torch searches on a GPU against the same searches on the CPU, in the same run: wall
time, test AUC, and whether the exported model.pt (loaded on the CPU) predicts as the model
scored on the device did.

    python benchmarks/bench_gpu.py --rows 200000 --methods optfs,dnis,optinter,optuna

Needs a CUDA device (exits with a message without one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import autofeat  # noqa: E402
from autofeat.datasets import make_ctr  # noqa: E402


def run(table, ranking, method: str, device: str, model: str, seed: int) -> tuple[float, dict, np.ndarray]:
    from autofeat.models.export import load_compact

    extra = dict(n_trials=4, space=("embedding_dims", "interactions")) if method == "optuna" else {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = autofeat.search(table, "click", method=method, ranking=ranking, out=tmp, model=model, device=device,
                              seed=seed, **extra)
        secs = time.perf_counter() - t0
        pred = load_compact(Path(tmp) / "model.pt").predict(table.slice(0, 2000))
    return secs, res.metrics, pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--methods", default="optfs,dnis,optinter,optuna")
    ap.add_argument("--model", default="deepfm")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.exit("bench_gpu.py: no CUDA device")
    table, _ = make_ctr(args.rows, seed=args.seed)
    ranking = autofeat.rank(table, "click", quiet=True)
    print(f"{args.rows:,} rows, {args.model}, {torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")
    print("| method | CPU s | CUDA s | speed-up | CPU test AUC | CUDA test AUC | model.pt on CPU |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for method in args.methods.split(","):
        cpu_s, cpu_m, _ = run(table, ranking, method, "cpu", args.model, args.seed)
        gpu_s, gpu_m, pred = run(table, ranking, method, "cuda", args.model, args.seed)
        ok = "loads, predicts in (0, 1)" if np.all((pred > 0) & (pred < 1)) else "BAD"
        print(f"| {method} | {cpu_s:.1f} | {gpu_s:.1f} | {cpu_s / gpu_s:.2f}x | {cpu_m['test_auc']:.4f} | "
              f"{gpu_m['test_auc']:.4f} | {ok} |", flush=True)


if __name__ == "__main__":
    main()
