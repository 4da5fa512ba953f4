"""One entry point for every search method (:func:`autofeat.search` adds the output folder)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from autofeat._threads import cap_jobs, limit_threads
from autofeat.errors import DataError, OptionError
from autofeat.io.sources import Source, open_source
from autofeat.ranking.result import Ranking
from autofeat.searching.registry import METHODS
from autofeat.searching.result import SearchResult

__all__ = ["run_search", "METHODS"]


def run_search(
    data: Any,
    label: str | int,
    *,
    method: str = "optuna",
    ranking: Ranking | str | Path | None = None,
    out: str | Path | None = None,
    header: bool = True,
    delimiter: str | None = None,
    ignore: Sequence[str] = (),
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    quiet: bool = True,
    **options: Any,
) -> SearchResult:
    """The search behind :func:`autofeat.search`, which also writes the output folder: the
    same arguments; ``out`` here is only where an Optuna study keeps its journal (a temporary
    folder when None); nothing else is written."""
    from autofeat.ranking.api import rank

    if method not in METHODS:
        raise OptionError(f"--method {method!r}: unknown (available: {', '.join(METHODS)})")
    if method == "optuna":
        from autofeat.searching.optuna_search import OptunaSearchOptions as Options
    else:
        from autofeat.searching.gates.options import misplaced, options_type

        Options = options_type(method)  # type: ignore[assignment]
    unknown = sorted(set(options) - set(Options.__dataclass_fields__))
    if unknown:
        raise OptionError(f"unknown option(s) for --method {method}: {', '.join(unknown)}" if method == "optuna"
                          else misplaced(method, unknown))
    if isinstance(options.get("space"), str):
        options["space"] = tuple(s for s in options["space"].split(",") if s)
    if isinstance(options.get("include"), (list, str)):
        inc = options["include"]
        options["include"] = tuple(inc.split(",") if isinstance(inc, str) else inc)
    if isinstance(options.get("hidden"), (list, str)):
        h = options["hidden"]
        try:
            options["hidden"] = tuple(int(x) for x in (h.split(",") if isinstance(h, str) else h))
        except (TypeError, ValueError):  # "a,b": a user's typo, not a bug
            raise OptionError(f"--hidden {h!r}: expected comma-separated integers") from None
    opts = Options(**options)
    opts.check()  # a bad option fails before any data is read
    if opts.n_jobs is not None:  # more threads than cores crashed LightGBM's OpenMP and torch
        opts = replace(opts, n_jobs=cap_jobs(opts.n_jobs))
    with limit_threads(opts.n_jobs):  # set for the search, restored after it
        if ranking is None:
            # Every search holds its rows in memory (TrainingData) anyway: read them once, and
            # rank the train split's rows only, so no validation or test row shapes the candidates.
            data = open_source(data, header=header, delimiter=delimiter)
            data, train_rows = _train_split(data, str(label), opts, ignore, numeric, categorical)
            ranking = rank(train_rows, label, ignore=ignore, numeric=numeric, categorical=categorical,
                           quiet=quiet, seed=opts.seed)
        elif not isinstance(ranking, Ranking):
            ranking = Ranking.load(ranking)
        if ranking.label != str(label):
            raise OptionError(f"the ranking is for label {ranking.label!r}, not {str(label)!r}")
        if method != "optuna":
            from autofeat.searching.gates.base import run

            return run(method, data, str(label), ranking, opts, header=header,  # type: ignore[arg-type]
                       delimiter=delimiter, quiet=quiet)
        from autofeat.searching.optuna_search import optuna_search

        if out is None:
            with tempfile.TemporaryDirectory(prefix="autofeat-search-") as tmp:
                return optuna_search(data, str(label), ranking, tmp, opts, header=header,  # type: ignore[arg-type]
                                     delimiter=delimiter, quiet=quiet)
        return optuna_search(data, str(label), ranking, out, opts, header=header,  # type: ignore[arg-type]
                             delimiter=delimiter, quiet=quiet)


def _train_split(source: Source, label: str, opts: Any, ignore: Sequence[str], numeric: Sequence[str],
                 categorical: Sequence[str]) -> tuple[Source, Source]:
    """``(all rows, the train split's rows)`` of ``source`` held in memory, with the row sample
    and split that the search's own loader will make, so that the ranking which picks the
    candidates never sees a validation or test row."""
    import pyarrow as pa

    from autofeat.encode.label import LabelParser
    from autofeat.encode.scan import resolve_columns
    from autofeat.encode.training import sample_and_split
    from autofeat.io.sources import read_table, table_source

    resolve_columns(source, label, ignore, numeric, categorical)  # bad columns fail before the read
    time_column = opts.time_column
    if time_column and time_column not in source.names:
        raise DataError(f"{source.name}: --time-column column {time_column!r} is not in the data")
    table = read_table(source)
    if table.num_rows == 0:
        raise DataError(f"{source.name}: no data rows (only a header?)")
    # The label checked on every row in file order: found by the ranking of the train rows,
    # a bad value was reported by its row number in that split (62 for file row 78).
    LabelParser(label, source.name).parse(table.column(label))
    keep, train, _, _ = sample_and_split(table.num_rows, opts.seed, opts.sample_rows, opts.valid_fraction,
                                         opts.test_fraction, table.column(time_column) if time_column else None,
                                         source.name, time_column)
    if keep is not None:
        table = table.take(pa.array(keep))
    return table_source(table, source.name), table_source(table.take(pa.array(train)), source.name)
