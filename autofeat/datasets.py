"""CTR-like synthetic tables with planted structure, for demos, tests and benchmarks.

The generator knows the truth: which columns drive the label, which are noise, which pair
only matters jointly (an XOR interaction with no marginal signal), which columns are copies,
leaks or row ids. Ranking and search can be scored against that truth.

Example:
    >>> from autofeat.datasets import make_ctr
    >>> table, truth = make_ctr(1_000, seed=0)
    >>> table.num_rows, table.column("click").to_numpy().mean() < 0.5
    (1000, True)
    >>> truth["interactions"]
    [['int_a', 'int_b']]
    >>> df = table.to_pandas()  # or polars.from_arrow(table)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from autofeat.errors import OptionError

__all__ = ["make_ctr", "iter_ctr_chunks", "write_ctr_csv", "write_ctr_parquet", "CTRSpec", "make_recsys"]

LABEL = "click"


@dataclass(frozen=True)
class CTRSpec:
    """What to plant in a generated table.

    Attributes:
        n_informative: Zipf-distributed categoricals whose levels shift the click logit.
        n_noise: Zipf-distributed categoricals independent of the label, cardinality
            spread log-uniformly over ``[2, max_cardinality]``.
        n_uniform_noise: uniform high-cardinality noise columns (10k .. ``max_noise_cardinality``
            levels), the columns plain MI ranks first.
        max_cardinality: largest cardinality of the informative and Zipf noise columns.
        max_noise_cardinality: largest cardinality of the uniform noise columns.
        planted: add the structure columns: an XOR interaction pair, an informative and a
            noise numeric column, a relabelled duplicate, a coarsened copy, a label leak, a
            row id, a constant and a mostly-missing column.
        ctr: target click rate.
        zipf: exponent of the Zipf columns' level frequencies (larger: a few levels take
            most rows; real ids run from about 0.7 to 1.5).
    """

    n_informative: int = 6
    n_noise: int = 6
    n_uniform_noise: int = 2
    max_cardinality: int = 100_000
    max_noise_cardinality: int = 1_000_000
    planted: bool = True
    ctr: float = 0.17
    zipf: float = 1.1

    def __post_init__(self) -> None:
        for name in ("n_informative", "n_noise", "n_uniform_noise"):
            if getattr(self, name) < 0:
                raise OptionError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.max_cardinality < 2 or self.max_noise_cardinality < 2:
            raise OptionError("max_cardinality and max_noise_cardinality must be >= 2")
        if not 0.0 < self.ctr < 1.0:
            raise OptionError(f"ctr must be in (0, 1), got {self.ctr}")
        if not 0.0 < self.zipf <= 5.0:
            raise OptionError(f"zipf must be in (0, 5], got {self.zipf}")


def _log_spaced(n: int, lo: int, hi: int) -> list[int]:
    if n == 0:
        return []
    if n == 1:
        return [hi]
    return [int(round(v)) for v in np.geomspace(lo, hi, n)]


class _Plan:
    """Per-column distributions and effects, fixed by the seed; rows are drawn per chunk."""

    def __init__(self, spec: CTRSpec, seed: int) -> None:
        rng = np.random.default_rng([seed, 0])
        self.spec = spec
        self.columns: list[tuple[str, str, int]] = []  # (name, distribution, cardinality)
        self.cdfs: dict[str, np.ndarray] = {}
        self.effects: dict[str, np.ndarray] = {}
        inf_cards = _log_spaced(spec.n_informative, 4, min(spec.max_cardinality, 50_000))
        for i, card in enumerate(inf_cards):
            name = f"inf_{i}"
            self.columns.append((name, "zipf", card))
            # Spread the effect over the frequent levels so it is learnable; rare levels
            # carry small noise effects, as real ids do.
            eff = rng.normal(0.0, 1.0, card)
            eff[min(card, 50):] *= 0.3
            self.effects[name] = eff
        for i, card in enumerate(_log_spaced(spec.n_noise, 2, spec.max_cardinality)):
            self.columns.append((f"noise_{i}", "zipf", card))
        hi = spec.max_noise_cardinality
        for i, card in enumerate(_log_spaced(spec.n_uniform_noise, min(10_000, hi), hi)):
            self.columns.append((f"hinoise_{i}", "uniform", card))
        for name, dist, card in self.columns:
            if dist == "zipf":
                p = 1.0 / np.arange(1, card + 1) ** spec.zipf
                self.cdfs[name] = np.cumsum(p / p.sum())
        self.num_weight = 0.8
        self.xor_weight = 1.5
        self.intercept = self._fit_intercept(rng)

    def _fit_intercept(self, rng: np.random.Generator) -> float:
        logit = self._logit(self._draw_base(rng, 20_000, 0))
        lo, hi = -12.0, 6.0
        for _ in range(60):  # bisection on the mean click rate
            mid = (lo + hi) / 2
            if (1 / (1 + np.exp(-(logit + mid)))).mean() > self.spec.ctr:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    def _draw_base(self, rng: np.random.Generator, n: int, start: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for name, dist, card in self.columns:
            if dist == "zipf":
                codes = np.searchsorted(self.cdfs[name], rng.random(n), side="right")
                out[name] = np.minimum(codes, card - 1).astype(np.int64)
            else:
                out[name] = rng.integers(0, card, n, dtype=np.int64)
        if self.spec.planted:
            out["int_a"] = rng.integers(0, 4, n, dtype=np.int64)
            out["int_b"] = rng.integers(0, 6, n, dtype=np.int64)
            out["num_signal"] = rng.normal(0.0, 1.0, n)
            out["num_noise"] = rng.lognormal(0.0, 1.0, n)
        return out

    def _logit(self, base: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(base.values()))) if base else 0
        logit = np.zeros(n)
        for name, eff in self.effects.items():
            logit += eff[base[name]]
        if self.spec.planted:
            xor = (base["int_a"] % 2) ^ (base["int_b"] % 2)
            logit += self.xor_weight * (2 * xor - 1)
            logit += self.num_weight * base["num_signal"]
        return logit

    def chunk(self, rng: np.random.Generator, n: int, start: int) -> dict[str, np.ndarray]:
        base = self._draw_base(rng, n, start)
        p = 1 / (1 + np.exp(-(self._logit(base) + self.intercept)))
        y = (rng.random(n) < p).astype(np.int64)
        cols: dict[str, np.ndarray] = {LABEL: y}
        cols.update(base)
        if self.spec.planted and self.spec.n_informative >= 1:
            # A one-to-one relabelling of inf_0: a duplicate under another name.
            cols["dup_inf_0"] = base["inf_0"] * 7 + 1000
        if self.spec.planted and self.spec.n_informative >= 2:
            cols["coarse_inf_1"] = base["inf_1"] // 3  # redundant: a function of inf_1
        if self.spec.planted:
            # Set exactly when the row converted, like TalkingData's attributed_time.
            leak = np.where(y == 1, 1_600_000_000 + start + np.arange(n), -1)
            cols["conversion_time"] = leak
            cols["row_id"] = start + np.arange(n, dtype=np.int64)
            cols["constant"] = np.zeros(n, dtype=np.int64)
            mm = rng.integers(0, 50, n, dtype=np.int64)
            mm[rng.random(n) < 0.97] = -1
            cols["mostly_missing"] = mm
        return cols

    def truth(self) -> dict[str, Any]:
        names = [c[0] for c in self.columns]
        informative = [n for n in names if n.startswith("inf_")]
        truth: dict[str, Any] = {
            "label": LABEL,
            "informative": informative + (["num_signal"] if self.spec.planted else []),
            "noise": [n for n in names if "noise" in n],
            "interactions": [],
            "cardinality": {n: c for n, _, c in self.columns},
        }
        if self.spec.planted:
            truth["noise"] += ["num_noise", "mostly_missing"]
            truth["interactions"] = [["int_a", "int_b"]]
            truth["duplicate"] = [["dup_inf_0", "inf_0"]] if self.spec.n_informative else []
            truth["redundant"] = ["coarse_inf_1"] if self.spec.n_informative >= 2 else []
            truth["leak"] = ["conversion_time"]
            truth["id_like"] = ["row_id"]
            truth["constant"] = ["constant"]
            truth["mostly_missing"] = ["mostly_missing"]
            truth["numeric"] = ["num_signal", "num_noise"]
            truth["missing_value"] = {"conversion_time": -1, "mostly_missing": -1}
        return truth


def iter_ctr_chunks(
    n_rows: int, *, spec: CTRSpec | None = None, seed: int = 0, chunk_rows: int = 500_000
) -> Iterator[dict[str, np.ndarray]]:
    """Yield the table as dicts of numpy arrays of ``chunk_rows`` rows (``-1`` marks missing in
    the columns named by ``truth["missing_value"]``). The same arguments give the same rows."""
    if n_rows < 1:
        raise OptionError(f"rows must be >= 1, got {n_rows}")
    plan = _Plan(spec or CTRSpec(), seed)
    for k, start in enumerate(range(0, n_rows, chunk_rows)):
        rng = np.random.default_rng([seed, 1, k])
        yield plan.chunk(rng, min(chunk_rows, n_rows - start), start)


def make_ctr(
    n_rows: int = 100_000, *, spec: CTRSpec | None = None, seed: int = 0
) -> tuple[pa.Table, dict[str, Any]]:
    """Generate a CTR-like table in memory.

    Returns:
        ``(table, truth)``: an Arrow table (label ``click`` first; categoricals as int64 ids,
        numerics as float64, nulls where a planted column is missing) and a dict naming the
        planted structure. ``table.to_pandas()`` or ``polars.from_arrow(table)`` convert it.
    """
    truth, tables = _arrow_chunks(n_rows, spec, seed)
    return pa.concat_tables(list(tables)).combine_chunks(), truth


def _arrow_chunks(n_rows: int, spec: CTRSpec | None, seed: int) -> tuple[dict[str, Any], Iterator[pa.Table]]:
    """The truth of a generated table and its chunks as Arrow tables (planted missing values
    as nulls), generated as they are consumed."""
    spec = spec or CTRSpec()
    truth = _Plan(spec, seed).truth()
    missing = truth.get("missing_value", {})
    return truth, (_to_arrow(c, missing) for c in iter_ctr_chunks(n_rows, spec=spec, seed=seed))


def _to_arrow(cols: dict[str, np.ndarray], missing: dict[str, int]) -> pa.Table:
    arrays = []
    for name, arr in cols.items():
        if name in missing:
            arrays.append(pa.array(arr, mask=arr == missing[name]))
        else:
            arrays.append(pa.array(arr))
    return pa.table(arrays, names=list(cols))


def write_ctr_csv(
    path: str | Path,
    n_rows: int,
    *,
    spec: CTRSpec | None = None,
    seed: int = 0,
    delimiter: str = ",",
    header: bool = True,
) -> dict[str, Any]:
    """Stream a generated table to a CSV file (missing values as empty fields) and return its
    truth. Writes to a temporary name and renames, so a failed run leaves no partial file."""
    import pyarrow.csv as pacsv

    from autofeat.io.files import atomic_path

    truth, tables = _arrow_chunks(n_rows, spec, seed)
    with atomic_path(path) as tmp:
        # Every generated value is a number and every name a plain word: nothing is quoted,
        # so naive CSV readers (OutRank splits on the delimiter) read the same table.
        opts = pacsv.WriteOptions(include_header=False, delimiter=delimiter, quoting_style="none")
        writer = None
        with open(tmp, "wb") as f:
            for table in tables:
                if writer is None:
                    if header:
                        f.write((delimiter.join(table.column_names) + "\n").encode())
                    writer = pacsv.CSVWriter(f, table.schema, write_options=opts)
                writer.write_table(table)
            assert writer is not None
            writer.close()
    return truth


def write_ctr_parquet(path: str | Path, n_rows: int, *, spec: CTRSpec | None = None, seed: int = 0) -> dict[str, Any]:
    """:func:`write_ctr_csv` as Parquet (one row group per generated chunk, missing values as
    nulls): the same table, streamed, written to a temporary name and renamed."""
    import pyarrow.parquet as pq

    from autofeat.io.files import atomic_path

    truth, tables = _arrow_chunks(n_rows, spec, seed)
    with atomic_path(path) as tmp:
        writer = None
        for table in tables:
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        assert writer is not None
        writer.close()
    return truth


def make_recsys(
    n_rows: int = 100_000,
    *,
    n_users: int = 1_000,
    n_items: int = 500,
    negatives: int = 4,
    factors: int = 8,
    strength: float = 2.0,
    seed: int = 0,
) -> tuple[pa.Table, dict[str, Any]]:
    """A recommender log with negatives sampled per user, as many public recommender
    benchmarks and "click vs sampled non-click" logs are built.

    Each positive row is a (user, item) pair drawn by the user's activity and the item's
    popularity times ``exp(strength * <u, i> / sqrt(factors))`` (latent vectors); each
    positive comes with ``negatives`` rows of the same user and items drawn uniformly. Every
    user therefore has the same click rate ``1 / (1 + negatives)``: the user column's
    marginal MI is 0, and user and item matter through their factorized interaction.

    Columns: ``label``; ``user_id``, ``item_id``; ``item_category`` (a function of the item,
    8 levels), ``user_group`` (a function of the user, 8 levels, no effect); noise ``hour``
    (24), ``device`` (5) and ``session`` (uniform, 10k levels).

    Example:
        >>> from autofeat.datasets import make_recsys
        >>> table, truth = make_recsys(5_000, seed=0)
        >>> round(table.column("label").to_numpy().mean(), 2), truth["interactions"]
        (0.2, [['user_id', 'item_id']])
    """
    for name, v in (("n_rows", n_rows), ("n_users", n_users), ("n_items", n_items), ("factors", factors)):
        if v < 1:
            raise OptionError(f"{name} must be >= 1, got {v}")
    if negatives < 1:
        raise OptionError(f"negatives must be >= 1, got {negatives}")
    rng = np.random.default_rng([seed, 5])
    u_vec = rng.normal(0.0, 1.0, (n_users, factors))
    i_vec = rng.normal(0.0, 1.0, (n_items, factors))
    activity = 1.0 / np.arange(1, n_users + 1) ** 0.8
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.9
    rng.shuffle(activity)
    rng.shuffle(pop)
    n_pos = max(n_rows // (1 + negatives), 1)
    users = rng.choice(n_users, n_pos, p=activity / activity.sum())
    items = np.empty(n_pos, np.int64)
    # Items of each user's positives by popularity x exp(affinity), one user at a time.
    order = np.argsort(users, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(users[order]) != 0])
    for s, e in zip(starts, np.r_[starts[1:], n_pos]):
        u = users[order[s]]
        w = pop * np.exp(strength * (i_vec @ u_vec[u]) / np.sqrt(factors))
        items[order[s:e]] = rng.choice(n_items, e - s, p=w / w.sum())
    user = np.concatenate([users, np.repeat(users, negatives)])
    item = np.concatenate([items, rng.integers(0, n_items, n_pos * negatives)])
    label = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_pos * negatives, np.int64)])
    perm = rng.permutation(label.size)[:n_rows]
    user, item, label = user[perm], item[perm], label[perm]
    n = label.size
    group = rng.integers(0, 8, n_users)
    category = rng.integers(0, 8, n_items)
    table = pa.table({
        "label": label,
        "user_id": user,
        "item_id": item,
        "item_category": category[item],
        "user_group": group[user],
        "hour": rng.integers(0, 24, n),
        "device": rng.integers(0, 5, n),
        "session": rng.integers(0, 10_000, n),
    })
    truth = {
        "label": "label",
        "informative": ["item_id", "user_id"],
        "interactions": [["user_id", "item_id"]],
        "redundant": ["item_category", "user_group"],
        "noise": ["hour", "device", "session"],
    }
    return table, truth
