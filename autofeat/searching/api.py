"""``autofeat.search``: one entry point for every search method."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autofeat.errors import OptionError
from autofeat.ranking.result import Ranking
from autofeat.searching.result import SearchResult

__all__ = ["search", "METHODS"]

METHODS = ("optuna",)


def search(
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
    """Search over the ranking's best features; returns the :class:`SearchResult` that the CLI
    writes as ``result.json``.

    Args:
        data, label, header, delimiter, ignore, numeric, categorical: as for
            :func:`autofeat.rank`; they shape the ranking made here when ``ranking`` is omitted
            (the search encodes each feature with the kind the ranking gave it).
        method: ``"optuna"`` (LightGBM evaluator over feature subsets and hyperparameters).
        ranking: a :class:`Ranking`, or the path of a ``ranking.json``; ranked here if omitted.
        out: folder for ``result.json`` and the study's journal (a re-run continues the study);
            a temporary folder when omitted.
        options: fields of :class:`~autofeat.searching.optuna_search.OptunaSearchOptions`
            (``n_trials``, ``space``, ``storage``, ``study_name``, ``seed``, ...).

    Example:
        >>> import autofeat
        >>> from autofeat.datasets import make_ctr
        >>> table, truth = make_ctr(20_000, seed=0)
        >>> result = autofeat.search(table, "click", n_trials=3)
        >>> result.metrics["test_auc"] > 0.6
        True
    """
    from autofeat.ranking.api import rank
    from autofeat.searching.optuna_search import OptunaSearchOptions, optuna_search

    if method not in METHODS:
        raise OptionError(f"--method {method!r}: unknown (available: {', '.join(METHODS)})")
    known = set(OptunaSearchOptions.__dataclass_fields__)
    unknown = sorted(set(options) - known)
    if unknown:
        raise OptionError(f"unknown search option(s): {', '.join(unknown)}")
    if isinstance(options.get("space"), str):
        options["space"] = tuple(s for s in options["space"].split(",") if s)
    opts = OptunaSearchOptions(**options)
    if ranking is None:
        ranking = rank(data, label, header=header, delimiter=delimiter, ignore=ignore,
                       numeric=numeric, categorical=categorical, quiet=quiet, seed=opts.seed)
    elif not isinstance(ranking, Ranking):
        ranking = Ranking.load(ranking)
    if ranking.label != str(label):
        raise OptionError(f"the ranking is for label {ranking.label!r}, not {str(label)!r}")
    if out is None:
        with tempfile.TemporaryDirectory(prefix="autofeat-search-") as tmp:
            return optuna_search(data, str(label), ranking, tmp, opts, header=header,
                                 delimiter=delimiter, quiet=quiet)
    return optuna_search(data, str(label), ranking, out, opts, header=header, delimiter=delimiter, quiet=quiet)
