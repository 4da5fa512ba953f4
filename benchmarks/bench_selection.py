"""Selection quality: does autofeat's order pick features as well as LightGBM's own gain importance?

For each data set and seed: a seeded 70/15/15 train/valid/test split; autofeat ranks the
train rows (default options); LightGBM gain importance comes from a LightGBM fit on all
features (train rows, early stopping on valid). Then, for each order, LightGBM is fitted on
its first k features for a grid of k (same parameters, early stopping on valid) and scored
on test. Printed per data set (mean over seeds):

- ``all``: test AUC on every feature (what a user gets without selection);
- ``af_half`` / ``gain_half``: test AUC of the top half (k = ceil(n / 2)) by each order;
- ``af_area`` / ``gain_area``: mean test AUC over k = 1..n (trapezoid over the k grid), the
  area under the AUC-vs-k curve divided by its width: high when the good features come first.

Columns are handed to LightGBM as a user would: strings and the data set's id columns as
categoricals (codes from the train rows; unseen and missing are missing), known numbers as
numbers. Known label leaks (TalkingData's attributed_time, the generator's conversion_time)
and split markers are dropped first, as a user would drop them; ids are kept.
autofeat's order is its clean features in rank order followed by the columns it flags
(ids, constants, duplicates, ...), so both orders cover every column.

    python benchmarks/bench_selection.py                    # every data set, 3 seeds (~40 min on 2 cores)
    python benchmarks/bench_selection.py --only criteo,ctr-a --seeds 1
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE.parent))

import autofeat  # noqa: E402
from autofeat.datasets import CTRSpec, make_ctr, make_recsys  # noqa: E402
from autofeat.io.sources import open_source, read_table  # noqa: E402


@dataclass
class DataSet:
    name: str
    label: str
    load: Callable[[], pa.Table]
    numeric: list[str] = field(default_factory=list)  # LightGBM sees these as numbers
    drop: list[str] = field(default_factory=list)


def _read(file: str, header: bool = True, delimiter: str | None = None) -> Callable[[], pa.Table]:
    return lambda: read_table(open_source(SHARED / file, header=header, delimiter=delimiter))


def _generated(rows: int, seed: int, **spec: object) -> Callable[[], pa.Table]:
    return lambda: make_ctr(rows, spec=CTRSpec(**spec), seed=seed)[0]  # type: ignore[arg-type]


GEN_NUMERIC = ["num_signal", "num_noise"]
GEN_DROP = ["conversion_time"]
# Generator seeds 101-106 are not used by any test nor by tuning.
DATASETS = [
    DataSet("talkingdata", "is_attributed", _read("talkingdata_100k.csv"), drop=["attributed_time"]),
    DataSet("criteo", "0", _read("criteo_8k.tsv", header=False, delimiter="\t"),
            numeric=[str(i) for i in range(1, 14)]),
    DataSet("avazu", "click", _read("avazu_8k.csv")),
    DataSet("movielens", "label", _read("movielens1m_ctr_100k.csv.gz"), numeric=["timestamp", "year"]),
    DataSet("trivago", "label", _read("trivago_clickout_impressions_312k.csv.gz"),
            numeric=["timestamp", "step", "position", "price", "n_impressions", "item_prior_interactions"]),
    DataSet("ipinyou", "label", _read("ipinyou_2997_48k.csv.gz"), drop=["split"]),
    DataSet("ctr-a 50k", "click", _generated(50_000, 101), numeric=GEN_NUMERIC, drop=GEN_DROP),
    DataSet("ctr-b 400k", "click", _generated(400_000, 102), numeric=GEN_NUMERIC, drop=GEN_DROP),
    DataSet("ctr zipf0.8 100k", "click", _generated(100_000, 103, zipf=0.8), numeric=GEN_NUMERIC, drop=GEN_DROP),
    DataSet("ctr zipf1.4 100k", "click", _generated(100_000, 104, zipf=1.4), numeric=GEN_NUMERIC, drop=GEN_DROP),
    DataSet("ctr noise-card 100k", "click",
            _generated(100_000, 105, n_noise=10, n_uniform_noise=4, max_noise_cardinality=200_000),
            numeric=GEN_NUMERIC, drop=GEN_DROP),
    DataSet("recsys 100k", "label", lambda: make_recsys(100_000, seed=106)[0]),
]

LGB_PARAMS = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20,
              "verbose": -1, "num_threads": 2, "deterministic": True, "force_row_wise": True}


def _encode(table: pa.Table, label: str, numeric: list[str], train: np.ndarray) -> tuple[dict[str, np.ndarray], set[str]]:
    """Columns as float arrays for LightGBM; categoricals as codes of the train rows' values."""
    cols: dict[str, np.ndarray] = {}
    cats: set[str] = set()
    for name in table.column_names:
        if name == label:
            continue
        col = table.column(name)
        if name in numeric and (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
            cols[name] = col.to_numpy(zero_copy_only=False).astype(np.float64)
            continue
        values = pc.cast(col, pa.string()).to_numpy(zero_copy_only=False)
        missing = pc.is_null(col).to_numpy(zero_copy_only=False)
        present = values[~missing].astype(str)
        vocab = np.unique(values[train & ~missing].astype(str))
        out = np.full(len(values), np.nan)
        pos = np.minimum(np.searchsorted(vocab, present), max(len(vocab) - 1, 0))
        hit = vocab[pos] == present if len(vocab) else np.zeros(pos.size, bool)
        out[~missing] = np.where(hit, pos, np.nan)
        cols[name] = out
        cats.add(name)
    return cols, cats


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from scipy.stats import rankdata

    r = rankdata(p)
    npos = y.sum()
    return float((r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos)))


class Evaluator:
    def __init__(self, cols: dict[str, np.ndarray], cats: set[str], y: np.ndarray,
                 parts: tuple[np.ndarray, np.ndarray, np.ndarray], seed: int) -> None:
        self.cols, self.cats, self.y, self.parts, self.seed = cols, cats, y, parts, seed
        self.cache: dict[frozenset[str], float] = {}

    def fit(self, features: list[str]):  # type: ignore[no-untyped-def]
        import lightgbm as lgb

        tr, va, _ = self.parts
        x = np.column_stack([self.cols[f] for f in features])
        cat = [i for i, f in enumerate(features) if f in self.cats]
        dtr = lgb.Dataset(x[tr], self.y[tr], categorical_feature=cat, feature_name=list(features), free_raw_data=False)
        dva = lgb.Dataset(x[va], self.y[va], reference=dtr, categorical_feature=cat)
        params = dict(LGB_PARAMS, seed=self.seed, metric="auc")
        booster = lgb.train(params, dtr, num_boost_round=500, valid_sets=[dva],
                            callbacks=[lgb.early_stopping(30, verbose=False)])
        return booster, x

    def test_auc(self, features: list[str]) -> float:
        key = frozenset(features)
        if key not in self.cache:
            booster, x = self.fit(features)
            te = self.parts[2]
            self.cache[key] = _auc(self.y[te], booster.predict(x[te], num_iteration=booster.best_iteration))
        return self.cache[key]


def _grid(n: int) -> list[int]:
    if n <= 16:
        return list(range(1, n + 1))
    ks = {1, 2, 3, 4, 6, 8, 12, 16, math.ceil(n / 2), n}
    ks |= set(range(16, n, 8))
    return sorted(k for k in ks if k <= n)


def _area(ks: list[int], aucs: list[float]) -> float:
    if len(ks) == 1:
        return aucs[0]
    return float(np.trapezoid(aucs, ks) / (ks[-1] - ks[0]))


def run(ds: DataSet, seeds: list[int]) -> dict[str, list[float]]:
    table = ds.load()
    table = table.drop_columns([c for c in ds.drop if c in table.column_names])
    y = table.column(ds.label).to_numpy(zero_copy_only=False).astype(np.int64)
    n = table.num_rows
    out: dict[str, list[float]] = {k: [] for k in ("all", "af_half", "gain_half", "af_area", "gain_area", "rank_s")}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        u = rng.random(n)
        tr, va, te = u < 0.7, (u >= 0.7) & (u < 0.85), u >= 0.85
        cols, cats = _encode(table, ds.label, ds.numeric, tr)
        ev = Evaluator(cols, cats, y, (tr, va, te), seed)
        names = list(cols)
        t = time.perf_counter()
        ranking = autofeat.rank(table.filter(pa.array(tr)), label=ds.label, seed=seed, quiet=True)
        out["rank_s"].append(time.perf_counter() - t)
        clean = ranking.top(len(names))
        af_order = clean + [f for f in ranking.names if f not in clean] + [f for f in names if f not in ranking.names]
        af_order = [f for f in af_order if f in cols]
        booster, _ = ev.fit(names)
        gains = booster.feature_importance("gain")
        gain_order = [names[i] for i in np.argsort(-gains, kind="stable")]
        ks = _grid(len(names))
        af = [ev.test_auc(af_order[:k]) for k in ks]
        gn = [ev.test_auc(gain_order[:k]) for k in ks]
        half = math.ceil(len(names) / 2)
        out["all"].append(ev.test_auc(names))
        out["af_half"].append(ev.test_auc(af_order[:half]))
        out["gain_half"].append(ev.test_auc(gain_order[:half]))
        out["af_area"].append(_area(ks, af))
        out["gain_area"].append(_area(ks, gn))
        print(f"  {ds.name} seed {seed}: af top {af_order[:6]}, gain top {gain_order[:6]}", file=sys.stderr)
    out["n"] = [len(cols)]
    out["rows"] = [n]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated data set names (prefix match)")
    args = ap.parse_args()
    chosen = [d for d in DATASETS if not args.only or any(d.name.startswith(o) for o in args.only.split(","))]
    if not SHARED.exists():
        chosen = [d for d in chosen if d.name.startswith(("ctr", "recsys"))]
        print(f"{SHARED} not found: generated data sets only", file=sys.stderr)
    seeds = list(range(args.seeds))
    print("| data | rows | features | all | autofeat half | gain half | half: af - gain | af - all "
          "| autofeat area | gain area | rank s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for ds in chosen:
        r = run(ds, seeds)
        m = {k: float(np.mean(v)) for k, v in r.items()}
        d_half = np.array(r["af_half"]) - np.array(r["gain_half"])
        print(f"| {ds.name} | {int(m['rows']):,} | {int(m['n'])} | {m['all']:.4f} | {m['af_half']:.4f} "
              f"| {m['gain_half']:.4f} | {d_half.mean():+.4f} ± {d_half.std():.4f} | {m['af_half'] - m['all']:+.4f} "
              f"| {m['af_area']:.4f} | {m['gain_area']:.4f} | {m['rank_s']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
