"""The public entry points that leave files: :func:`search` (a search and its output folder),
:func:`save` and :func:`write_report` (a ranking's or a search's folder or report). They sit
above the stages: the results are plain data, and :mod:`autofeat.report.outputs` owns the
files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autofeat.ranking.result import Ranking
from autofeat.report.outputs import save, save_search, write_report
from autofeat.searching.result import SearchResult

__all__ = ["search", "save", "write_report"]


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
        method: ``"optuna"`` (LightGBM evaluator over feature subsets and hyperparameters),
            ``"optfs"`` (value gates), ``"dnis"`` (embedding dimensions) or ``"optinter"``
            (pair interaction methods); the last three train a torch CTR model
            (see :mod:`autofeat.searching.gates`).
        ranking: a :class:`Ranking`, or the path of a ``ranking.json``; ranked here if omitted,
            on the train split's rows only, so no validation or test row shapes the candidates.
        out: folder for ``result.json``, ``report.html`` and the torch searches' compact
            ``model.pt`` (optuna: also the study's journal, so a re-run continues the study);
            nothing is kept when omitted.
        options: fields of :class:`~autofeat.searching.optuna_search.OptunaSearchOptions`
            (``n_trials``, ``space``, ``storage``, ``study_name``, ``seed``, ...) for optuna, of
            the method's options type for the others
            (:class:`~autofeat.searching.gates.options.OptFSOptions` and its siblings: the
            shared ``model``, ``dim``, ``search_epochs``, ``device``, ... and the method's own,
            e.g. ``penalty`` for optfs); another method's setting is refused by name.

    Example:
        >>> import autofeat
        >>> from autofeat.datasets import make_ctr
        >>> table, truth = make_ctr(20_000, seed=0)
        >>> result = autofeat.search(table, "click", n_trials=3)
        >>> result.metrics["test_auc"] > 0.6
        True
    """
    from autofeat.searching.api import run_search

    result = run_search(data, label, method=method, ranking=ranking, out=out, header=header, delimiter=delimiter,
                        ignore=ignore, numeric=numeric, categorical=categorical, quiet=quiet, **options)
    if out is not None:
        save_search(result, out)
    return result
