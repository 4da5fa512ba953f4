"""The scan on a cluster: Spark and Dask run the reduction of :mod:`autofeat.encode.partial`.

Each partition is encoded into a :class:`~autofeat.encode.partial.Partial` where it lives
(Spark: ``mapInArrow``; Dask: ``map_partitions``), the partials are merged pairwise as a tree
on the cluster (Spark ``treeReduce``, Dask delayed merges) and the driver finishes the one
that is left. Only partials travel: their size is O(columns x levels + sample), not rows.
The result is the same Scan, hence the same Ranking, as the local engine's on the same rows.

pyspark and dask are optional (``pip install 'autofeat[spark]'`` / ``'autofeat[dask]'``),
imported here only when an engine is used. The workers must be able to import autofeat.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from autofeat.encode.partial import Partial, PartialSpec, merge_all, plan_kinds
from autofeat.encode.scan import Scan, resolve_columns
from autofeat.errors import OptionError
from autofeat.io.sources import Source

__all__ = ["Engine", "ENGINES", "EngineOptions", "detect_engine", "scan_with_engine"]

Engine = Literal["local", "spark", "dask"]
ENGINES: tuple[Engine, ...] = ("local", "spark", "dask")
_EXTRAS = {"spark": ("pyspark", "pyspark"), "dask": ("distributed", "dask[distributed]")}
# Rows encoded at a time inside a partition (Arrow hands Spark partitions over in batches of
# 10,000 rows by default; bigger batches amortize the per-batch work).
_BATCH_ROWS = 1 << 17
# Partials merged per Dask task: fewer, larger merge tasks pay (de)serialization less often
# (each merge task unpickles its inputs and pickles its result once).
_FAN_IN = 8


@dataclass(frozen=True)
class EngineOptions:
    """Where the engine runs. ``address``: a Spark master URL (``local[2]``,
    ``spark://host:7077``) or a Dask scheduler address (``tcp://host:8786``); None: the
    active Spark session (or ``local[*]``), the current Dask client (or a local cluster)."""

    engine: Engine = "local"
    address: str | None = None


def detect_engine(data: Any) -> Engine | None:
    """``"spark"`` or ``"dask"`` for a Spark or Dask DataFrame, else None (judged by the
    type's module, so neither library is imported)."""
    module = type(data).__module__
    if module.startswith("pyspark."):
        return "spark"
    if module.startswith(("dask.", "dask_expr.")):
        return "dask"
    return None


def require(engine: Engine) -> None:
    """One line naming the extra to install when ``engine``'s library is absent."""
    module, extra = _EXTRAS[engine]
    try:
        __import__(module)
    except ImportError:
        raise OptionError(f"the {engine} engine needs {extra.split('[')[0]}: pip install 'autofeat[{engine}]'") from None


class _SchemaSource(Source):
    """Column names only, for the checks that :func:`resolve_columns` makes."""

    def __init__(self, name: str, names: list[str]) -> None:
        self.name, self.names, self.size, self.unit = name, names, 0, "rows"


def scan_with_engine(
    data: Any,
    label: str | int,
    options: EngineOptions,
    *,
    header: bool = True,
    delimiter: str | None = None,
    ignore: Sequence[str] = (),
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    bins: int = 20,
    sample_rows: int | None = None,
    analysis_rows: int = 100_000,
    seed: int = 0,
) -> Scan:
    """The :class:`Scan` of ``data`` (a Spark or Dask DataFrame, or a file path the engine
    reads) computed on ``options.engine``."""
    engine = options.engine
    if engine not in ("spark", "dask"):
        raise OptionError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    require(engine)
    found = detect_engine(data)
    if found not in (None, engine) or (found is None and not isinstance(data, (str, PathLike))):
        raise OptionError(f"--engine {engine} takes a {engine.capitalize()} DataFrame or a path, not a "
                          f"{type(data).__name__}")
    if engine == "spark":
        frame, name = _spark_frame(data, options.address, header, delimiter)
        schema = _spark_arrow_schema(frame)
    else:
        frame, name = _dask_frame(data, header, delimiter)
        schema = pa.Schema.from_pandas(frame._meta, preserve_index=False)
    label, features = resolve_columns(_SchemaSource(name, list(schema.names)), label, ignore, numeric, categorical)
    kinds = plan_kinds(name, schema, features, numeric, categorical)
    spec = PartialSpec(source=name, label=label, names=tuple(features), kinds=kinds,
                       cap=sample_rows if sample_rows else analysis_rows, count_all=not sample_rows, seed=seed)
    if engine == "spark":
        partial = _spark_reduce(frame, spec)
    else:
        partial = _dask_reduce(frame, spec, options.address)
    return partial.finish(bins=bins, analysis_rows=analysis_rows, categorical=sorted(categorical))


def encode_batches(spec: PartialSpec, batches: Iterator[pa.RecordBatch]) -> Partial:
    """One partition's partial, its batches gathered into runs of about ``_BATCH_ROWS``."""
    partial = Partial(spec)
    held: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        held.append(batch)
        rows += batch.num_rows
        if rows >= _BATCH_ROWS:
            partial.add(pa.Table.from_batches(held))
            held, rows = [], 0
    if rows:
        partial.add(pa.Table.from_batches(held))
    return partial


def _merge_bytes(*blobs: bytes) -> bytes:
    """Pickled partials merged into one, pickled: each is unpickled once and the merged
    partial pickled once, however many there are."""
    merged = pickle.loads(blobs[0])
    for blob in blobs[1:]:
        merged.merge(pickle.loads(blob))
    return pickle.dumps(merged, protocol=5)


# -- Spark -------------------------------------------------------------------------------

def _spark_frame(data: Any, master: str | None, header: bool, delimiter: str | None) -> tuple[Any, str]:
    if detect_engine(data) == "spark":
        return data, "Spark DataFrame"
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("autofeat")
    if master:
        builder = builder.master(master)
    spark = (builder.config("spark.sql.execution.arrow.maxRecordsPerBatch", str(_BATCH_ROWS))
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    path = str(data)
    if _is_parquet(path):
        return spark.read.parquet(path), path
    reader = spark.read.option("header", header).option("inferSchema", True)
    frame = reader.option("sep", delimiter or _sniff(path, header)).csv(path)
    if not header:  # Spark names them _c0, _c1, ...; the local engine 0, 1, ...
        frame = frame.toDF(*[str(i) for i in range(len(frame.columns))])
    return frame, path


def _spark_arrow_schema(frame: Any) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema)


def _spark_reduce(frame: Any, spec: PartialSpec) -> Partial:
    from pyspark.sql.functions import col

    def encode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        partial = encode_batches(spec, batches)
        yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(partial, protocol=5)]},
                                         schema=pa.schema([("partial", pa.binary())]))

    columns = [col(f"`{c}`") for c in (spec.label, *spec.names)]
    parts = frame.select(*columns).mapInArrow(encode, "partial binary")
    try:
        rdd = parts.rdd
    except Exception:  # Spark Connect has no RDDs: the driver merges the collected partials
        return merge_all([pickle.loads(bytes(row[0])) for row in parts.collect()])
    return pickle.loads(rdd.map(lambda row: bytes(row[0])).treeReduce(_merge_bytes))


# -- Dask --------------------------------------------------------------------------------

def _dask_frame(data: Any, header: bool, delimiter: str | None) -> tuple[Any, str]:
    if detect_engine(data) == "dask":
        frame = data
        if any(not isinstance(c, str) for c in frame.columns):
            frame = frame.rename(columns={c: str(c) for c in frame.columns})
        return frame, "Dask DataFrame"
    import dask.dataframe as dd

    path = str(data)
    # Arrow-backed columns keep integers with missing values integers, as the local engine reads them.
    if _is_parquet(path):
        return dd.read_parquet(path, dtype_backend="pyarrow"), path
    frame = dd.read_csv(path, sep=delimiter or _sniff(path, header), header=0 if header else None,
                        dtype_backend="pyarrow", blocksize="64MB")
    return frame.rename(columns={c: str(c) for c in frame.columns}), path


def _dask_encode(frame: Any, spec: PartialSpec) -> Any:
    import pandas as pd

    table = pa.Table.from_pandas(frame, preserve_index=False)
    partial = encode_batches(spec, iter(table.to_batches(max_chunksize=_BATCH_ROWS)))
    return pd.DataFrame({"partial": [pickle.dumps(partial, protocol=5)]})


def _dask_reduce(frame: Any, spec: PartialSpec, address: str | None) -> Partial:
    import dask
    import pandas as pd
    from distributed import Client, get_client

    client = None
    if address:
        client = Client(address)
    else:
        try:
            get_client()
        except ValueError:  # no client: dask's default scheduler runs it
            pass
    try:
        meta = pd.DataFrame({"partial": pd.Series([], dtype=object)})
        parts = frame[[spec.label, *spec.names]].map_partitions(_dask_encode, spec, meta=meta)
        level = [dask.delayed(lambda df: df["partial"].iloc[0])(d) for d in parts.to_delayed()]
        while len(level) > 1:  # a tree of merges, _FAN_IN partials per task
            level = [dask.delayed(_merge_bytes)(*level[i: i + _FAN_IN]) for i in range(0, len(level), _FAN_IN)]
        merged = level[0].compute() if client is None else client.compute(level[0]).result()
    finally:
        if client is not None:
            client.close()
    return pickle.loads(merged)


# -- files -------------------------------------------------------------------------------

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".bz2", ".zst", ".zstd")


def _is_parquet(path: str) -> bool:
    """Parquet unless the path names a delimited file; a remote path (``s3a://``, ``hdfs://``)
    is judged by its name only, a local folder by the files in it."""
    if "://" in path:
        return not path.lower().rstrip("/").endswith(_TEXT_SUFFIXES)
    p = Path(path)
    if p.is_dir():
        return any(q.suffix == ".parquet" for q in p.rglob("*.parquet"))
    return p.suffix.lower() in (".parquet", ".pq")


def _sniff(path: str, header: bool) -> str:
    """The delimiter the local engine would use (a remote file: by its name)."""
    if "://" in path:
        return "\t" if ".tsv" in path.lower() else ","
    from autofeat.io.sources import open_source

    return getattr(open_source(path, header=header), "delimiter", None) or ","
