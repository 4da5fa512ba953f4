"""autofeat: feature ranking and architecture search for large sparse CTR tables.

The top level is light: heavy modules load on first use, so ``import autofeat`` and
``autofeat rank`` never import torch, lightgbm or plotting code.

Example:
    >>> import autofeat
    >>> from autofeat.datasets import make_ctr
    >>> cols, truth = make_ctr(20_000, seed=0)
    >>> ranking = autofeat.rank(cols, label="click")
    >>> ranking.features[0].name in truth["informative"] + ["int_a", "int_b"]
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autofeat.errors import AutofeatError, DataError, OptionError

__version__ = "0.1.0"

__all__ = [
    "AutoFeatSelector",
    "AutofeatError",
    "DataError",
    "OptionError",
    "RankOptions",
    "Ranking",
    "SearchResult",
    "rank",
    "save",
    "search",
    "write_report",
    "__version__",
]

if TYPE_CHECKING:
    from autofeat.ranking.api import RankOptions, rank
    from autofeat.ranking.result import Ranking
    from autofeat.api import save, search, write_report
    from autofeat.searching.result import SearchResult
    from autofeat.selector import AutoFeatSelector

_LAZY = {
    "rank": ("autofeat.ranking.api", "rank"),
    "RankOptions": ("autofeat.ranking.api", "RankOptions"),
    "Ranking": ("autofeat.ranking.result", "Ranking"),
    "AutoFeatSelector": ("autofeat.selector", "AutoFeatSelector"),  # needs scikit-learn
    "search": ("autofeat.api", "search"),
    "save": ("autofeat.api", "save"),
    "write_report": ("autofeat.api", "write_report"),
    "SearchResult": ("autofeat.searching.result", "SearchResult"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autofeat' has no attribute {name!r}")
