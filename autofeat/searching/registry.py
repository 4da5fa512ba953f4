"""The search methods, in one place: the API, the CLI, job files and the selector read their
names here, and the gate searches are found here by name (imported on first use, so this
module imports neither torch nor a method).

Example:
    >>> from autofeat.searching.registry import METHODS, GATE_METHODS
    >>> list(METHODS)
    ['optuna', 'optfs', 'dnis', 'optinter']
    >>> GATE_METHODS
    ('optfs', 'dnis', 'optinter')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from autofeat.errors import OptionError

__all__ = ["Method", "METHODS", "GATE_METHODS", "gate_search"]


@dataclass(frozen=True)
class Method:
    """A search method.

    Attributes:
        name: what ``--method`` takes.
        summary: one line for help texts.
        search: ``"module:function"`` of a gate search ``(TrainingData, Ranking, GateOptions,
            quiet) -> Arch``; None for the Optuna study.
        search_epochs: a gate search's default ``--search-epochs``.
    """

    name: str
    summary: str
    search: str | None = None
    search_epochs: int | None = None


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("optuna", "an Optuna study: LightGBM, or a torch CTR model with --model, as the evaluator"),
    Method("optfs", "OptFS: a learnable gate per feature value (torch)", "autofeat.searching.gates.optfs:search", 3),
    Method("dnis", "DNIS: soft selection over embedding dimensions (torch)", "autofeat.searching.gates.dnis:search", 3),
    Method("optinter", "OptInter: memorize, factorize or naive per feature pair (torch)",
           "autofeat.searching.gates.optinter:search", 2),
)}
GATE_METHODS = tuple(name for name, m in METHODS.items() if m.search)


def gate_search(name: str) -> Callable[..., Any]:
    """The search function of gate method ``name``."""
    method = METHODS.get(name)
    if method is None or method.search is None:
        raise OptionError(f"--method {name!r}: not a gate method (gate methods: {', '.join(GATE_METHODS)})")
    module, _, function = method.search.partition(":")
    return getattr(import_module(module), function)
