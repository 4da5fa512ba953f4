"""Data sources: every input becomes a stream of Arrow record batches.

Files are never loaded whole: CSV/TSV (optionally gzip/bz2/zstd-compressed) are parsed block
by block on a background thread, Parquet row group by row group. In-memory inputs (pandas,
polars, numpy, dicts, Arrow tables) are cut into batches of the same size.
"""

from __future__ import annotations

import os
import queue
import re
import stat
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa

from autofeat.errors import DataError, OptionError

__all__ = ["Source", "SchemaChanged", "check_delimiter", "check_delimiter_value", "open_source", "read_table",
           "table_source", "to_arrow_table"]

# Streaming parses 4 MiB blocks: Arrow's reader holds several blocks in flight, so memory
# grows with the block size (measured: 4 MiB -> 0.3 GB, 32 MiB -> 1.5 GB peak on 10M rows),
# and smaller blocks also parse faster. Blocks are joined into batches of STREAM_BATCH_ROWS.
DEFAULT_BLOCK_BYTES = 4 << 20
STREAM_BATCH_ROWS = 1 << 18
DEFAULT_BATCH_ROWS = 1 << 20
# Block sizes tried in turn for the header line (one block must hold it whole).
HEADER_BLOCKS = (1 << 20, 16 << 20, 64 << 20)
# Delimited files up to this size are parsed whole by Arrow's multithreaded reader; larger
# ones are streamed block by block (bounded memory, one parsing thread).
DEFAULT_IN_MEMORY_BYTES = 256 << 20
_CONVERSION_ERR = re.compile(r"In CSV column #(\d+): CSV conversion error")
# Compressed delimited files by suffix, as Arrow's codec names.
_CODECS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}
_DELIMITERS = (",", "\t", ";", "|")  # what the sniffer and the wrong-delimiter check try


class _NoLineBreak(Exception):
    """Arrow found text but no line break in one block (it says "Empty CSV file")."""


class Source:
    """A table that can be read as record batches, more than once.

    Attributes:
        name: what error messages call the input (a file path, or "DataFrame").
        names: column names in file order.
        size: total bytes (files) or rows (in-memory), for progress; ``unit`` says which.
    """

    name: str
    names: list[str]
    size: int
    unit: str

    def batches(self) -> Iterator[tuple[pa.RecordBatch, int]]:
        """Yield ``(batch, progress)``: progress is how much of ``size`` has been consumed."""
        raise NotImplementedError


def _rows_done(batches: Iterable[pa.RecordBatch]) -> Iterator[tuple[pa.RecordBatch, int]]:
    """Pair each batch with the number of rows handed out so far (progress in rows)."""
    done = 0
    for batch in batches:
        done += batch.num_rows
        yield batch, done


class _TableSource(Source):
    def __init__(self, table: pa.Table, name: str, batch_rows: int) -> None:
        self.table = table
        self.name = name
        self.names = list(table.column_names)
        self.size = table.num_rows
        self.unit = "rows"
        self.batch_rows = batch_rows

    def batches(self) -> Iterator[tuple[pa.RecordBatch, int]]:
        return _rows_done(self.table.to_batches(max_chunksize=self.batch_rows))


class _ParquetSource(Source):
    def __init__(self, path: Path, batch_rows: int) -> None:
        import pyarrow.parquet as pq

        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({_one_line(exc)})") from None
        self.name = str(path)
        self.names = list(self.file.schema_arrow.names)
        self.size = self.file.metadata.num_rows
        self.unit = "rows"
        self.batch_rows = batch_rows

    def batches(self) -> Iterator[tuple[pa.RecordBatch, int]]:
        return _rows_done(self.file.iter_batches(batch_size=self.batch_rows))


class _ParquetFolderSource(Source):
    """A folder of Parquet files (a partitioned table, as Spark and Dask write them), read file
    after file in name order; each file is open only while it is read (an open reader keeps
    what it decoded: memory grew with the files read)."""

    def __init__(self, path: Path, parts: list[Path], batch_rows: int) -> None:
        self.paths = parts
        self.batch_rows = batch_rows
        self.name = str(path)
        first = _ParquetSource(parts[0], batch_rows)
        self.names = first.names
        self.size = 0
        for p in parts:
            part = first if p == parts[0] else _ParquetSource(p, batch_rows)
            if part.names != self.names:
                raise DataError(f"{part.name}: columns {part.names[:8]} differ from {first.name}'s {self.names[:8]}")
            self.size += part.size
            part.file.close()
        self.unit = "rows"

    def batches(self) -> Iterator[tuple[pa.RecordBatch, int]]:
        def read() -> Iterator[pa.RecordBatch]:
            for p in self.paths:
                part = _ParquetSource(p, self.batch_rows)
                try:
                    yield from part.file.iter_batches(batch_size=self.batch_rows)
                finally:
                    part.file.close()

        return _rows_done(read())


class _CsvSource(Source):
    """CSV/TSV parsed by pyarrow's streaming reader on a background thread.

    Types are inferred from the first block; if a later block breaks that inference (a letter
    in a column of numbers), :class:`SchemaChanged` is raised and the next call of
    :meth:`batches` reads that column as text from the start, so dirty logs work.
    """

    def __init__(
        self, path: Path, *, header: bool, delimiter: str | None, block_bytes: int,
        in_memory: bool = False, batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        self.path = path
        self.in_memory = in_memory
        self.batch_rows = batch_rows
        self.name = str(path)
        self.size = path.stat().st_size
        self.unit = "bytes"
        self.header = header
        self.block_bytes = block_bytes
        self.delimiter = delimiter or _sniff_delimiter(path)
        self.forced_text: set[int] = set()
        self.names = self._read_names()

    def _options(self):  # type: ignore[no-untyped-def]
        import pyarrow.csv as pacsv

        names = None if self.header else getattr(self, "names", None)
        read = pacsv.ReadOptions(
            block_size=self.block_bytes,
            column_names=names,
            autogenerate_column_names=not self.header and names is None,
        )
        parse = pacsv.ParseOptions(delimiter=self.delimiter)
        types = {self.names[i]: pa.string() for i in self.forced_text} if self.forced_text else None
        convert = pacsv.ConvertOptions(
            strings_can_be_null=True, column_types=types, quoted_strings_can_be_null=True
        )
        return read, parse, convert

    @contextmanager
    def _open(self) -> Iterator[tuple[Any, Any]]:
        """``(raw file, streaming reader)``, both closed on exit: a reader left open keeps
        Arrow's read-ahead running, and one still running when the interpreter exits aborts
        the process ("terminate called without an active exception", exit 134)."""
        import pyarrow.csv as pacsv

        read, parse, convert = self._options()
        with _input_stream(self.path) as (raw, stream):
            try:
                reader = pacsv.open_csv(
                    stream, read_options=read, parse_options=parse, convert_options=convert
                )
            except (pa.ArrowInvalid, OSError) as exc:  # OSError: a truncated or fake .gz/.bz2
                if "Empty CSV file" in str(exc):
                    if self._has_text():
                        raise _NoLineBreak() from None
                    raise DataError(f"{self.path}: the file is empty") from None
                self._raise_read_error(exc, 0)
            try:
                yield raw, reader
            finally:
                reader.close()

    def _has_text(self) -> bool:
        """Whether the text (decompressed) has any byte: Arrow says "empty" for a block
        without a line break too."""
        with _input_stream(self.path) as (_, stream):
            return bool(stream.read(1))

    def _read_names(self) -> list[str]:
        # The names need one block holding the first line: small first, larger for a wide
        # header (60k columns are > 1 MiB); Arrow calls a block without a line break "empty".
        block = self.block_bytes
        try:
            for self.block_bytes in HEADER_BLOCKS:
                try:
                    with self._open() as (_, reader):
                        names = list(reader.schema.names)
                    block = max(block, self.block_bytes)  # the rows are as wide: stream them so
                    break
                except _NoLineBreak:
                    continue
            else:
                raise DataError(f"{self.path}: no line break in the text (read up to {HEADER_BLOCKS[-1] >> 20} MiB, "
                                "decompressed): not a delimited text file, or a first line "
                                "longer than that") from None
        except UnicodeDecodeError as exc:  # Arrow hands the names over as bytes; Python wants UTF-8
            byte = exc.object[exc.start:exc.start + 1]
            raise DataError(f"{self.path}: the header is not UTF-8 text (byte {byte!r}); convert the file, "
                            "e.g. iconv -f latin1 -t utf-8") from None
        finally:
            self.block_bytes = block
        if not self.header:
            names = [str(i) for i in range(len(names))]
        return names

    def batches(self) -> Iterator[tuple[Any, int]]:
        if self.in_memory:
            yield from self._whole_file()
            return
        with self._open() as (raw, reader):
            yield from self._stream(raw, reader)

    def _stream(self, raw: Any, reader: Any) -> Iterator[tuple[Any, int]]:
        q: queue.Queue[Any] = queue.Queue(maxsize=2)
        stop = threading.Event()

        def produce() -> None:  # parse the next block while the caller encodes this one
            try:
                for batch in reader:
                    if stop.is_set():
                        return
                    q.put((batch, raw.tell()))
                q.put(None)
            except BaseException as exc:  # handed to the consumer thread
                q.put(exc)

        worker = threading.Thread(target=produce, daemon=True)
        worker.start()
        rows = 0
        pending: list[pa.RecordBatch] = []
        held = 0
        try:
            while True:
                item = q.get()
                if item is None:
                    if pending:
                        yield pa.Table.from_batches(pending), self.size
                    return
                if isinstance(item, BaseException):
                    self._raise_read_error(item, rows)
                batch, done = item
                if rows == 0:
                    self._check_big_integers(batch)
                rows += batch.num_rows
                pending.append(batch)
                held += batch.num_rows
                if held >= STREAM_BATCH_ROWS:  # fewer, larger batches: less per-batch overhead
                    yield pa.Table.from_batches(pending), done
                    pending, held = [], 0
        finally:
            # The caller closes the reader, so the producer must be done with it first.
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    q.get(timeout=0.05)
                except queue.Empty:
                    pass

    def _whole_file(self) -> Iterator[tuple[Any, int]]:
        """Parse the whole file with all cores, then hand it out in slices of rows."""
        import pyarrow.csv as pacsv

        read, parse, convert = self._options()
        read.block_size = max(4 << 20, self.block_bytes)  # small blocks keep every core busy to the end
        try:
            table = pacsv.read_csv(self.path, read_options=read, parse_options=parse,
                                   convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                raise DataError(f"{self.path}: the file is empty") from None
            self._raise_read_error(exc, 0)
        if table.num_rows:
            self._check_big_integers(table.slice(0, self.batch_rows))
        for start in range(0, table.num_rows, self.batch_rows):
            part = table.slice(start, self.batch_rows)
            done = self.size * min(start + self.batch_rows, table.num_rows) // table.num_rows
            yield part, done

    def _check_big_integers(self, batch: Any) -> None:
        """20-digit ids (Avazu's ``id``) overflow int64 and are parsed as doubles, which
        merges distinct ids; a float column of whole numbers beyond 2**53 is re-read as text."""
        import pyarrow.compute as pc

        for i, name in enumerate(batch.schema.names):
            col = batch.column(i)
            if isinstance(col, pa.ChunkedArray):
                col = col.combine_chunks()
            if i in self.forced_text or not pa.types.is_floating(col.type) or col.null_count == len(col):
                continue
            big = pc.max(pc.abs(col)).as_py() >= 2.0**53
            if big and pc.all(pc.equal(pc.floor(col), col)).as_py():
                self.forced_text.add(i)
                raise SchemaChanged(name)

    def _raise_read_error(self, exc: BaseException, rows: int) -> NoReturn:
        codec = _codec(self.path)
        if codec and isinstance(exc, (OSError, pa.ArrowInvalid)) and _decompression_error(exc):
            raise DataError(f"{self.path}: cannot decompress as {codec} ({_one_line(exc)}): the file is truncated "
                            f"or not {codec}-compressed")
        if not isinstance(exc, pa.ArrowInvalid):
            raise exc
        msg = _one_line(exc)
        m = _CONVERSION_ERR.search(msg)
        if m and int(m.group(1)) not in self.forced_text:
            self.forced_text.add(int(m.group(1)))
            raise SchemaChanged(self.names[int(m.group(1))])
        m = re.search(r"Expected (\d+) columns, got (\d+): ?(.*)", msg)
        if m:
            where = f" after data row {rows:,}" if rows else ""
            raise DataError(
                f"{self.path}: ragged row{where}: expected {m.group(1)} fields, got "
                f"{m.group(2)} (delimiter {self.delimiter!r}): {m.group(3)[:60]!r}"
            )
        raise DataError(f"{self.path}: cannot parse ({msg})")


class SchemaChanged(Exception):
    """A later block broke the type inferred from the first one; the column will be read as
    text from now on, and the reader must start over from the first batch."""


def _default_in_memory_bytes() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return min(DEFAULT_IN_MEMORY_BYTES, total // 8)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _decompression_error(exc: BaseException) -> bool:
    """Whether Arrow's error comes from the decompressor (zlib, bz2, zstd), not the parser."""
    text = str(exc).lower()
    return any(w in text for w in ("gzip", "zlib", "inflate", "bz2", "bzip", "zstd", "compress", "truncated"))


def _check_names(source: Source) -> None:
    """Column names must be unique: every column is looked up by name (a duplicate, the label
    twice included, failed deep inside the scan with a traceback)."""
    seen: set[str] = set()
    for name in source.names:
        if name in seen:
            at = [i + 1 for i, n in enumerate(source.names) if n == name]
            raise DataError(f"{source.name}: column name {name!r} appears {len(at)} times (columns "
                            f"{', '.join(map(str, at))}); rename all but one")
        seen.add(name)


def check_delimiter_value(delimiter: str | None, name: str = "delimiter") -> None:
    """A delimiter is one character (Arrow's parser failed with a traceback on ',,')."""
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise OptionError(f"{name} {delimiter!r}: must be one character")


def _codec(path: Path) -> str | None:
    """Arrow's codec for a compressed file's suffix (None: not compressed)."""
    return _CODECS.get(path.suffix.lower())


@contextmanager
def _input_stream(path: Path) -> Iterator[tuple[Any, Any]]:
    """``(raw file, decompressed stream)`` of ``path``, both closed on exit; ``raw.tell()``
    is the position in the file (progress in bytes of ``path``). Native Arrow files, so
    Arrow's read-ahead threads never call back into Python."""
    raw = pa.OSFile(str(path), mode="r")
    stream: Any = raw
    try:
        codec = _codec(path)
        if codec:
            stream = pa.CompressedInputStream(raw, codec)
        yield raw, stream
    finally:
        if stream is not raw:
            stream.close()
        raw.close()


def _sniff_delimiter(path: Path) -> str:
    """The most frequent of , TAB ; | in the first line of the text, decompressed: counted
    on compressed bytes it is a guess from noise."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in _CODECS]
    if ".tsv" in suffixes or ".tab" in suffixes:
        return "\t"
    try:
        with _input_stream(path) as (_, stream):
            head = stream.read(1 << 16).split(b"\n", 1)[0]
    except (OSError, pa.ArrowException):  # unreadable or not really compressed: the reader says why
        return ","
    counts = {d: head.count(d.encode()) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def check_delimiter(source: Source, column: str) -> None:
    """Raise a :class:`DataError` naming the delimiter when ``column`` is missing from a
    delimited file only because it was split on the wrong one (a header "a;b;y" read with ","
    is one column named "a;b;y"): the column's name is not what to fix."""
    used = getattr(source, "delimiter", None)
    if used is None:
        return
    for d in _DELIMITERS:
        if d != used and any(column in name.split(d) for name in source.names):
            flag = "$'\\t'" if d == "\t" else repr(d)
            raise DataError(f"{source.name}: the header split by {used!r} has no column {column!r}, but split "
                            f"by {d!r} it has: wrong delimiter, pass --delimiter {flag}")


def _from_numpy(arr: np.ndarray, names: list[str] | None) -> pa.Table:
    if arr.ndim != 2:
        raise DataError(f"a numpy input must be 2-D (rows x columns), got shape {arr.shape}")
    names = names or [f"x{i}" for i in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise DataError(f"{len(names)} column names given for {arr.shape[1]} columns")
    return pa.table([pa.array(arr[:, i], from_pandas=True) for i in range(arr.shape[1])], names=names)


def to_arrow_table(data: Any, names: list[str] | None = None) -> tuple[pa.Table, str]:
    """Convert an in-memory table (pandas, polars, numpy, dict of columns, Arrow) to Arrow."""
    if isinstance(data, pa.Table):
        return data, "table"
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), "table"
    mod = type(data).__module__.split(".")[0]
    if mod == "pandas":
        df = data
        if not all(isinstance(c, str) for c in df.columns):
            df = df.rename(columns=str)
        return pa.Table.from_pandas(df, preserve_index=False), "DataFrame"
    if mod == "polars":
        return data.to_arrow(), "DataFrame"
    if isinstance(data, np.ndarray):
        return _from_numpy(data, names), "array"
    if isinstance(data, Mapping):
        cols = {str(k): pa.array(np.asarray(v) if not isinstance(v, pa.Array) else v, from_pandas=True)
                for k, v in data.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise DataError(f"columns have different lengths: {sorted(lengths)}")
        return pa.table(cols), "dict"
    raise DataError(
        f"cannot read data of type {type(data).__name__}: pass a file path, pandas or polars "
        "DataFrame, numpy array, dict of columns or pyarrow Table"
    )


def open_source(
    data: Any,
    *,
    header: bool = True,
    delimiter: str | None = None,
    names: list[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    in_memory_bytes: int | None = None,
) -> Source:
    """Open a file path or an in-memory table as a :class:`Source`.

    Args:
        data: path to a .csv/.tsv/.txt (optionally .gz/.bz2/.zst) or .parquet file, an in-memory
            table (pandas/polars DataFrame, numpy 2-D array, dict of columns, Arrow table), or
            a :class:`Source` (returned as it is).
        header: whether a delimited file starts with a header row; without one, columns are
            named by position ``"0"``, ``"1"``, ...
        delimiter: field separator; sniffed from the first (decompressed) line when omitted.
        names: column names for a numpy input.
        in_memory_bytes: delimited files up to this size (default: 256 MiB, at most an
            eighth of the machine's memory) are parsed whole with all cores; larger ones are
            streamed in blocks of ``block_bytes``.
    """
    if isinstance(data, Source):
        return data
    check_delimiter_value(delimiter)
    source = _open_source(data, header=header, delimiter=delimiter, names=names, batch_rows=batch_rows,
                          block_bytes=block_bytes, in_memory_bytes=in_memory_bytes)
    _check_names(source)
    return source


def _open_source(data: Any, *, header: bool, delimiter: str | None, names: list[str] | None, batch_rows: int,
                 block_bytes: int, in_memory_bytes: int | None) -> Source:
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.exists():
            raise DataError(f"{path}: no such file")
        if path.is_dir():
            parts = sorted(path.rglob("*.parquet"))
            if not parts:
                raise DataError(f"{path}: is a folder, not a data file (a folder must hold .parquet files)")
            return _ParquetFolderSource(path, parts, batch_rows)
        if not stat.S_ISREG(path.stat().st_mode):
            raise DataError(f"{path}: not a regular file (a pipe, socket or device); autofeat reads its input "
                            "more than once: save it to a file first")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the file is empty")
        if path.suffix.lower() in (".parquet", ".pq"):
            return _ParquetSource(path, batch_rows)
        limit = _default_in_memory_bytes() if in_memory_bytes is None else in_memory_bytes
        compressed = _codec(path) is not None
        return _CsvSource(path, header=header, delimiter=delimiter, block_bytes=block_bytes,
                          in_memory=not compressed and path.stat().st_size <= limit,
                          batch_rows=batch_rows)
    table, name = to_arrow_table(data, names)
    return _TableSource(table, name, batch_rows)


def table_source(table: pa.Table, name: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> Source:
    """An in-memory Arrow table as a :class:`Source` whose errors call it ``name`` (e.g. the
    path of the file it was read from)."""
    return _TableSource(table, name, batch_rows)


def read_table(source: Source) -> pa.Table:
    """Every row of ``source`` as one Arrow table, for work that needs all rows in memory
    anyway (the searches); a column re-typed mid-file is read again from the start."""
    while True:
        try:
            batches = [b for b, _ in source.batches()]
            break
        except SchemaChanged:
            continue
    if not batches:
        return pa.table({n: pa.array([], pa.string()) for n in source.names})
    return pa.concat_tables([pa.Table.from_batches([b]) if isinstance(b, pa.RecordBatch) else b for b in batches])
