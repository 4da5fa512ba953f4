"""The output folders: which files a ranking and a search leave, rendered from the plain
results and written all or none (a failure, a full disk, leaves none of them).

    rank:   ranking.json, ranking.tsv, report.html
    search: result.json, report.html, and the search's artifacts (the torch searches'
            model.pt); an Optuna search's journal is its storage's, written as it runs

Example:
    >>> import autofeat, tempfile
    >>> from autofeat.datasets import make_ctr
    >>> from autofeat.report.outputs import save_ranking
    >>> table, truth = make_ctr(20_000, seed=0)
    >>> paths = save_ranking(autofeat.rank(table, label="click"), tempfile.mkdtemp())
    >>> [p.name for p in paths]
    ['ranking.json', 'ranking.tsv', 'report.html']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autofeat.io.files import write_files_atomic, write_text_atomic
from autofeat.ranking.result import Ranking
from autofeat.searching.result import SearchResult

__all__ = ["save", "write_report", "save_ranking", "save_search", "report_html"]


def report_html(result: Ranking | SearchResult) -> str:
    """The self-contained HTML report of a ranking or a search."""
    if isinstance(result, Ranking):
        from autofeat.report.html import ranking_html

        return ranking_html(result)
    if isinstance(result, SearchResult):
        from autofeat.report.search_html import search_html

        return search_html(result.to_dict())
    raise TypeError(f"expected a Ranking or a SearchResult, got {type(result).__name__}")


def save_ranking(ranking: Ranking, out_dir: str | Path, *, html: bool = True) -> list[Path]:
    """Write ``ranking.json``, ``ranking.tsv`` and (``html``) ``report.html`` into ``out_dir``."""
    out = Path(out_dir)
    files: dict[Path, Any] = {out / "ranking.json": ranking.to_json(), out / "ranking.tsv": ranking.to_tsv()}
    if html:
        files[out / "report.html"] = report_html(ranking)
    return write_files_atomic(files)


def save_search(result: SearchResult, out_dir: str | Path, *, html: bool = True) -> list[Path]:
    """Write ``result.json``, (``html``) ``report.html`` and the result's artifacts (name ->
    a function writing that file at the path it is given, e.g. the model) into ``out_dir``."""
    out = Path(out_dir)
    group: dict[Path, Any] = {out / name: write for name, write in result.artifacts.items()}
    group[out / "result.json"] = result.to_json()
    if html:
        group[out / "report.html"] = report_html(result)
    return write_files_atomic(group)


def save(result: Ranking | SearchResult, out_dir: str | Path, *, html: bool = True) -> list[Path]:
    """Write a ranking's or a search's output folder (see the module's docstring); returns the
    paths written."""
    if isinstance(result, Ranking):
        return save_ranking(result, out_dir, html=html)
    if isinstance(result, SearchResult):
        return save_search(result, out_dir, html=html)
    raise TypeError(f"save: expected a Ranking or a SearchResult, got {type(result).__name__}")


def write_report(result: Ranking | SearchResult, path: str | Path) -> Path:
    """Write the HTML report alone to ``path``."""
    write_text_atomic(path, report_html(result))
    return Path(path)
