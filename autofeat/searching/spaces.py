"""Declarative search spaces: TOML files, validated on load.

A space file has one or more sections; a study combines several files
(``--space feature_subset,lightgbm``). Built-in files live in ``search_spaces/`` (installed as
``autofeat.search_spaces``); a name can also be a path to a ``.toml`` file, or a file in a
folder given by ``spaces_dir``.

Sections and keys:

``[feature_subset]``
    ``top_k``: int or range, how many features along the ranking;
    ``include_flags_for``: int, a keep/drop flag for each of the first N features.
``[lightgbm]``
    any of ``learning_rate, num_leaves, min_data_in_leaf, feature_fraction, bagging_fraction,
    lambda_l1, lambda_l2, cat_smooth, cat_l2, max_cat_threshold, min_gain_to_split,
    max_depth`` as a value or range; ``num_boost_round`` and ``early_stopping_rounds`` fixed ints.
``[embedding_dims]``
    ``choices``: list of ints; ``per_field``: bool (one choice per field, else one global);
    ``no_evidence_choices``: list of ints, the choices of fields the ranking found no
    evidence for (neither a significant score nor an interaction gain), per field only.
``[interactions]``
    ``top_pairs``: int; ``choices``: subset of ``["naive", "memorize", "factorize"]``.

A parameter is a fixed value, ``{low, high}`` (ints if both are ints; ``log = true`` for a
log scale; ``step`` optional, > 0, not with ``log``) or ``{choices = [...]}``. Every value a
``[lightgbm]`` key can take is checked on load against LightGBM's limits (``num_leaves``
2..131072, fractions in (0, 1], ``learning_rate`` > 0, ...), so a bad space fails before the
first trial.

Example:
    >>> from autofeat.searching.spaces import load_space
    >>> space = load_space(["feature_subset", "lightgbm"])
    >>> sorted(space.sections)
    ['feature_subset', 'lightgbm']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from autofeat._toml import parse_toml
from autofeat.errors import OptionError

__all__ = ["Param", "SearchSpace", "load_space", "builtin_spaces"]

_LGB_KEYS = {
    "learning_rate", "num_leaves", "min_data_in_leaf", "feature_fraction", "bagging_fraction",
    "lambda_l1", "lambda_l2", "cat_smooth", "cat_l2", "max_cat_threshold", "min_gain_to_split",
    "max_depth",
}
_SECTIONS: dict[str, set[str]] = {
    "feature_subset": {"top_k", "include_flags_for"},
    "lightgbm": _LGB_KEYS | {"num_boost_round", "early_stopping_rounds"},
    "embedding_dims": {"choices", "per_field", "no_evidence_choices"},
    "interactions": {"top_pairs", "choices"},
}
_METHODS = {"naive", "memorize", "factorize"}
_INF = float("inf")
# LightGBM's own limits per key: (integer?, low, high, low excluded). A value outside them
# passed the loader and failed in the first trial, leaving a FAIL trial in the study.
_LGB_LIMITS: dict[str, tuple[bool, float, float, bool]] = {
    "learning_rate": (False, 0, _INF, True),
    "num_leaves": (True, 2, 131_072, False),
    "min_data_in_leaf": (True, 0, _INF, False),
    "feature_fraction": (False, 0, 1, True),
    "bagging_fraction": (False, 0, 1, True),
    "lambda_l1": (False, 0, _INF, False),
    "lambda_l2": (False, 0, _INF, False),
    "cat_smooth": (False, 0, _INF, False),
    "cat_l2": (False, 0, _INF, False),
    "max_cat_threshold": (True, 1, _INF, False),
    "min_gain_to_split": (False, 0, _INF, False),
    "max_depth": (True, -_INF, _INF, False),  # <= 0: no limit
}


@dataclass(frozen=True)
class Param:
    """One searchable (or fixed) value."""

    name: str
    fixed: Any = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] | None = None

    def suggest(self, trial: Any, prefix: str = "") -> Any:
        """Draw this parameter from an Optuna trial (or return the fixed value)."""
        name = prefix + self.name
        if self.choices is not None:
            return trial.suggest_categorical(name, list(self.choices))
        if self.low is None:
            return self.fixed
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(name, self.low, self.high, log=self.log, step=int(self.step or 1))
        return trial.suggest_float(name, float(self.low), float(self.high), log=self.log, step=self.step)


@dataclass(frozen=True)
class SearchSpace:
    """Sections name -> parameters, plus where each section came from."""

    sections: dict[str, dict[str, Param]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def has(self, section: str) -> bool:
        return section in self.sections

    def get(self, section: str, key: str, default: Any = None) -> Param:
        return self.sections.get(section, {}).get(key, Param(key, fixed=default))


def _builtin_root() -> Any:
    """The installed ``autofeat.search_spaces`` package, or ``search_spaces/`` of a checkout
    that runs without being installed."""
    try:
        return resources.files("autofeat.search_spaces")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "search_spaces"


def builtin_spaces() -> list[str]:
    """Names of the spaces shipped with autofeat."""
    return sorted(p.name[:-5] for p in _builtin_root().iterdir() if p.name.endswith(".toml"))


def _resolve(name: str, spaces_dir: Path | None) -> tuple[str, str]:
    """(file label for errors, TOML text) of a space name or path."""
    path = Path(name)
    if name.endswith(".toml"):
        if not path.exists():
            raise OptionError(f"--space {name}: no such file")
        return str(path), path.read_text()
    if spaces_dir is not None and (spaces_dir / f"{name}.toml").exists():
        p = spaces_dir / f"{name}.toml"
        return str(p), p.read_text()
    res = _builtin_root() / f"{name}.toml"
    if res.is_file():
        return f"search_spaces/{name}.toml", res.read_text()
    known = ", ".join(builtin_spaces())
    raise OptionError(f"--space: unknown space {name!r} (built-in: {known}; or give a .toml path)")


def _param(label: str, section: str, key: str, value: Any) -> Param:
    where = f"{label}: [{section}] {key}"
    if isinstance(value, dict):
        extra = set(value) - {"low", "high", "log", "step", "choices"}
        if extra:
            raise OptionError(f"{where}: unknown field(s) {sorted(extra)}")
        if "choices" in value:
            ch = value["choices"]
            if not isinstance(ch, list) or not ch:
                raise OptionError(f"{where}: choices must be a non-empty list")
            return Param(key, choices=tuple(ch))
        if "low" not in value or "high" not in value:
            raise OptionError(f"{where}: a range needs both low and high")
        low, high = value["low"], value["high"]
        if not all(_is_number(v) for v in (low, high)):
            raise OptionError(f"{where}: low and high must be numbers")
        if low > high:
            raise OptionError(f"{where}: low {low} > high {high}")
        log, step = value.get("log", False), value.get("step")
        if not isinstance(log, bool):
            raise OptionError(f"{where}: log must be true or false")
        if log and low <= 0:
            raise OptionError(f"{where}: a log range needs low > 0")
        # Optuna refuses these when the first trial draws the value (a FAIL trial, exit 1).
        if step is not None:
            if not _is_number(step) or step <= 0:
                raise OptionError(f"{where}: step must be a number > 0, got {step!r}")
            if log:
                raise OptionError(f"{where}: step and log = true cannot be combined")
            if isinstance(low, int) and isinstance(high, int) and not isinstance(step, int):
                raise OptionError(f"{where}: step of an integer range must be an integer, got {step!r}")
        return Param(key, low=low, high=high, log=log, step=step)
    if isinstance(value, list):
        return Param(key, choices=tuple(value))
    return Param(key, fixed=value)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _values(p: Param) -> list[Any]:
    """The values a parameter can take, as far as a check needs: fixed, choices or a range's ends."""
    if p.choices is not None:
        return list(p.choices)
    return [p.fixed] if p.low is None else [p.low, p.high]


def _check_lightgbm_value(where: str, key: str, p: Param) -> None:
    """Every value a [lightgbm] parameter can take (fixed, each choice, a range's ends) is of
    the key's type and within LightGBM's limits: checked at load, not in the first trial."""
    integer, low, high, open_low = _LGB_LIMITS[key]
    kind = "an integer" if integer else "a number"
    for v in _values(p):
        if not (isinstance(v, int) and not isinstance(v, bool) if integer else _is_number(v)):
            raise OptionError(f"{where}: must be {kind}, got {v!r}")
        if v < low or v > high or (open_low and v == low):
            if high == _INF:
                bounds = f"{'>' if open_low else '>='} {low:g}"
            else:
                bounds = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
            raise OptionError(f"{where}: must be {bounds}, got {v!r}")


def _check_section(label: str, section: str, params: dict[str, Param]) -> None:
    def fixed_int(key: str, low: int) -> None:
        p = params.get(key)
        if p is not None and (p.low is not None or p.choices is not None
                              or not isinstance(p.fixed, int) or p.fixed < low):
            raise OptionError(f"{label}: [{section}] {key} must be a fixed integer >= {low}")

    if section == "lightgbm":
        fixed_int("num_boost_round", 1)
        fixed_int("early_stopping_rounds", 1)
        for key, p in params.items():
            if key in _LGB_LIMITS:
                _check_lightgbm_value(f"{label}: [lightgbm] {key}", key, p)
    elif section == "feature_subset":
        fixed_int("include_flags_for", 0)
        top = params.get("top_k")
        values = [] if top is None else _values(top)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values):
            raise OptionError(f"{label}: [feature_subset] top_k must be an integer >= 1 or a range of them")
    elif section == "embedding_dims":
        ch = params.get("choices")
        if ch is None or ch.choices is None or not all(isinstance(c, int) and c > 0 for c in ch.choices):
            raise OptionError(f"{label}: [embedding_dims] choices must be a list of positive integers")
        low = params.get("no_evidence_choices")
        if low is not None and (low.choices is None or not all(
                isinstance(c, int) and 0 < c <= max(ch.choices) for c in low.choices)):
            raise OptionError(f"{label}: [embedding_dims] no_evidence_choices must be a list of positive integers "
                              f"no larger than the largest of choices ({max(ch.choices)})")
    elif section == "interactions":
        ch = params.get("choices")
        if ch is None or ch.choices is None or not set(ch.choices) <= _METHODS:
            raise OptionError(f"{label}: [interactions] choices must be a subset of {sorted(_METHODS)}")
        fixed_int("top_pairs", 1)


def load_space(names: Sequence[str], *, spaces_dir: str | Path | None = None) -> SearchSpace:
    """Load and validate the named spaces into one :class:`SearchSpace`.

    Raises:
        OptionError: unknown space, malformed TOML, unknown section or key, bad value; the
            message names the file and the key.
    """
    if not names:
        raise OptionError("--space: give at least one space")
    sdir = Path(spaces_dir) if spaces_dir else None
    sections: dict[str, dict[str, Param]] = {}
    sources: dict[str, str] = {}
    for name in names:
        label, text = _resolve(name.strip(), sdir)
        doc = parse_toml(text, label)
        if not doc:
            raise OptionError(f"{label}: no sections")
        for section, body in doc.items():
            if section not in _SECTIONS:
                raise OptionError(f"{label}: unknown section [{section}] (known: {', '.join(sorted(_SECTIONS))})")
            if section in sections:
                raise OptionError(f"{label}: section [{section}] also defined in {sources[section]}")
            if not isinstance(body, dict):
                raise OptionError(f"{label}: [{section}] must be a table")
            unknown = set(body) - _SECTIONS[section]
            if unknown:
                raise OptionError(f"{label}: unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
            params = {k: _param(label, section, k, v) for k, v in body.items()}
            _check_section(label, section, params)
            sections[section] = params
            sources[section] = label
    return SearchSpace(sections, sources)
