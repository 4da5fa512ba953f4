"""The search methods, in one place: the API, the CLI, job files and the selector read their
names here, and the gate searches and their options types are found here by name (imported
on first use, so this module imports neither torch nor a method).

A gate method is a module with ``search(td, candidates, options, quiet) -> Arch`` (a
:class:`~autofeat.encode.training.TrainingData`, the
:class:`~autofeat.searching.candidates.Candidates`, the method's options type, which extends
:class:`~autofeat.searching.gates.options.GateOptions`); :func:`autofeat.searching.gates.base.run`
retrains, checks and exports whatever it returns. Adding one: the module, its options type,
and a line here.

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

__all__ = ["Method", "METHODS", "GATE_METHODS", "gate_method", "gate_search"]


@dataclass(frozen=True)
class Method:
    """A search method.

    Attributes:
        name: what ``--method`` takes.
        summary: one line for help texts.
        search: ``"module:function"`` of a gate search ``(TrainingData, Candidates, options,
            quiet) -> Arch``; None for the Optuna study.
        options: ``"module:Class"`` of a gate method's options type.
        search_epochs: a gate search's default ``--search-epochs``.
    """

    name: str
    summary: str
    search: str | None = None
    options: str | None = None
    search_epochs: int | None = None

    def options_type(self) -> Any:
        """The gate method's options type (a :class:`GateOptions` subclass)."""
        assert self.options is not None, self.name
        return _load(self.options)


_OPTIONS = "autofeat.searching.gates.options"
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("optuna", "an Optuna study: LightGBM, or a torch CTR model with --model, as the evaluator"),
    Method("optfs", "OptFS: a learnable gate per feature value (torch)", "autofeat.searching.gates.optfs:search",
           f"{_OPTIONS}:OptFSOptions", 3),
    Method("dnis", "DNIS: soft selection over embedding dimensions (torch)", "autofeat.searching.gates.dnis:search",
           f"{_OPTIONS}:DNISOptions", 3),
    # Its supernet is the heaviest per step, and its few pair weights settle in two epochs.
    Method("optinter", "OptInter: memorize, factorize or naive per feature pair (torch)",
           "autofeat.searching.gates.optinter:search", f"{_OPTIONS}:OptInterOptions", 2),
)}
GATE_METHODS = tuple(name for name, m in METHODS.items() if m.search)


def gate_method(name: str) -> Method:
    """Gate method ``name``; an :class:`OptionError` for any other name."""
    method = METHODS.get(name)
    if method is None or method.search is None:
        raise OptionError(f"--method {name!r}: not a gate method (gate methods: {', '.join(GATE_METHODS)})")
    return method


def gate_search(name: str) -> Callable[..., Any]:
    """The search function of gate method ``name`` (imports torch)."""
    return _load(gate_method(name).search)  # type: ignore[arg-type]


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(import_module(module), attr)
