"""Spark (``local[2]``) and Dask (a ``LocalCluster``) rank generated data with numeric,
categorical, missing and high-cardinality columns exactly as the local engine does: the
same order and the same scores to 1e-9 with the same sample seed."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import autofeat
from autofeat.datasets import CTRSpec, make_ctr
from autofeat.encode.engines import detect_engine, require
from autofeat.errors import OptionError

HAS_SPARK = importlib.util.find_spec("pyspark") is not None
HAS_JAVA = shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
HAS_DASK = importlib.util.find_spec("distributed") is not None and importlib.util.find_spec("dask") is not None
OPTIONS = {"analysis_rows": 4_000, "seed": 3}


def _table(n: int = 12_000) -> pa.Table:
    """make_ctr's planted columns (numeric, missing, ids, leaks) plus text with missing
    values and a high-cardinality text column."""
    t, _ = make_ctr(n, spec=CTRSpec(n_informative=3, n_noise=2, n_uniform_noise=1, max_noise_cardinality=50_000),
                    seed=4)
    rng = np.random.default_rng(4)
    site = np.array([f"s{i:x}" for i in rng.integers(0, 40, n)], dtype=object)
    site[rng.random(n) < 0.15] = None
    t = t.append_column("site", pa.array(site.tolist(), pa.string()))
    return t.append_column("device", pa.array([f"d{i}" for i in rng.integers(0, 8_000, n)], pa.string()))


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The table in four Parquet files (partitions of unequal size)."""
    t = _table()
    d = tmp_path_factory.mktemp("parts")
    cuts = [0, 1_000, 5_000, 5_001, t.num_rows]
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:])):
        pq.write_table(t.slice(a, b - a), d / f"part-{i}.parquet")
    return d


@pytest.fixture(scope="module")
def local_ranking(parquet_dir: Path) -> autofeat.Ranking:
    return autofeat.rank(pq.read_table(parquet_dir), label="click", **OPTIONS)


def _assert_same(local: autofeat.Ranking, other: autofeat.Ranking) -> None:
    assert [f.name for f in other.features] == [f.name for f in local.features]
    for a, b in zip(local.features, other.features):
        assert b.kind == a.kind and b.flags == a.flags and b.cardinality == a.cardinality
        for attr in ("score", "mi", "p_value", "heldout_auc", "interaction_gain", "factorized_gain"):
            assert getattr(b, attr) == pytest.approx(getattr(a, attr), abs=1e-9), (a.name, attr)
    assert [(p.features, round(p.score, 9)) for p in other.pairs] == [(p.features, round(p.score, 9))
                                                                        for p in local.pairs]
    assert other.rows == local.rows and other.positives == local.positives


def test_engines_are_detected_without_importing_them():
    assert detect_engine(pa.table({"a": [1]})) is None
    assert detect_engine("data.csv") is None


def test_missing_engine_names_the_extra(monkeypatch: pytest.MonkeyPatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in ("pyspark", "distributed"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(OptionError, match=r"pip install 'autofeat\[spark\]'"):
        require("spark")
    with pytest.raises(OptionError, match=r"pip install 'autofeat\[dask\]'"):
        require("dask")


@pytest.mark.slow
@pytest.mark.skipif(not HAS_DASK, reason="dask[distributed] is not installed (pip install 'autofeat[dask]')")
def test_dask_ranking_equals_local(parquet_dir: Path, local_ranking: autofeat.Ranking):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster):
        frame = dd.read_parquet(str(parquet_dir), dtype_backend="pyarrow")
        assert frame.npartitions > 1
        ranking = autofeat.rank(frame, label="click", **OPTIONS)
        _assert_same(local_ranking, ranking)
        by_address = autofeat.rank(str(parquet_dir), label="click", engine="dask", address=cluster.scheduler_address,
                                   **OPTIONS)
        _assert_same(local_ranking, by_address)
        sampled = autofeat.rank(frame, label="click", sample_rows=5_000, **OPTIONS)
        _assert_same(autofeat.rank(pq.read_table(parquet_dir), label="click", sample_rows=5_000, **OPTIONS), sampled)
        with pytest.raises(OptionError, match="takes a Dask DataFrame or a path"):
            autofeat.rank(pq.read_table(parquet_dir), label="click", engine="dask")


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("autofeat-test")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    yield session
    session.stop()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SPARK, reason="pyspark is not installed (pip install 'autofeat[spark]')")
@pytest.mark.skipif(not HAS_JAVA, reason="Spark needs a Java runtime (17): no java on PATH and no JAVA_HOME")
def test_spark_ranking_equals_local(spark, parquet_dir: Path, local_ranking: autofeat.Ranking):  # type: ignore[no-untyped-def]
    frame = spark.read.parquet(str(parquet_dir)).repartition(3)
    ranking = autofeat.rank(frame, label="click", **OPTIONS)
    _assert_same(local_ranking, ranking)
    by_path = autofeat.rank(str(parquet_dir), label="click", engine="spark", **OPTIONS)
    _assert_same(local_ranking, by_path)


def test_ranking_locally_imports_no_engine(tmp_path: Path):
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    rows = [f"{int(rng.random() < 0.3)},{rng.integers(0, 50)},{rng.normal():.3f}" for _ in range(3_000)]
    (tmp_path / "d.csv").write_text("y,a,x\n" + "\n".join(rows) + "\n")
    code = ("import sys; from autofeat.cli import main; "
            f"main(['rank', {str(tmp_path / 'd.csv')!r}, '--label', 'y', '--format', 'json', '--quiet']); "
            "print('loaded:' + ','.join(m for m in ('pyspark', 'dask', 'distributed', 'pandas', 'torch', 'lightgbm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "loaded:"


def test_cli_engine_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from autofeat.cli import main

    path = tmp_path / "d.csv"
    rng = np.random.default_rng(1)
    rows = [f"{int(rng.random() < 0.3)},{rng.integers(0, 50)},s{rng.integers(0, 9)}" for _ in range(2_000)]
    path.write_text("y,a,s\n" + "\n".join(rows) + "\n")
    assert main(["rank", str(path), "--label", "y", "--format", "json", "--quiet", "--master", "local[2]"]) == 2
    assert "--master goes with --engine spark" in capsys.readouterr().err
    if not HAS_DASK:
        pytest.skip("dask[distributed] is not installed (pip install 'autofeat[dask]')")
    assert main(["rank", str(path), "--label", "y", "--format", "json", "--quiet"]) == 0
    local = capsys.readouterr().out
    assert main(["rank", str(path), "--label", "y", "--format", "json", "--quiet", "--engine", "dask"]) == 0
    dask = capsys.readouterr().out

    def names(text: str) -> list[tuple[str, float]]:
        import json

        return [(f["name"], round(f["score"], 9)) for f in json.loads(text)["features"]]

    assert names(dask) == names(local)
