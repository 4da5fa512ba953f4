"""The search stage's result, shared by every method: ``result.json`` (written with the rest
of the output folder by :mod:`autofeat.report.outputs`).

    {"method": str, "features": [str, ...],
     "kept_values": {field: int, ...},            # value-gate methods only
     "embedding_dims": {field: int, ...},
     "interactions": [{"features": [a, b], "method": "memorize"|"factorize"|"naive"}, ...],
     "metrics": {"valid_auc", "test_auc", "test_logloss", ...},
     ...method-specific fields (optuna: best_trial, n_trials, pareto)}
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from autofeat.io.jsonio import dumps

__all__ = ["SearchResult", "field_shares", "NEGLIGIBLE_ROW_SHARE"]

# A value-gated field (OptFS) whose kept values cover less than this share of the rows counts
# as dropped in summaries: its embedding is zero on nearly every row.
NEGLIGIBLE_ROW_SHARE = 0.01


@dataclass
class SearchResult:
    method: str
    features: list[str]
    metrics: dict[str, float]
    embedding_dims: dict[str, int] = field(default_factory=dict)
    # One entry per searched pair; the names are a list, not an "a|b" key, so that column
    # names holding "|" stay unambiguous.
    interactions: list[dict[str, Any]] = field(default_factory=list)
    kept_values: dict[str, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Files handed over beside result.json (name -> a function writing that file at the path
    # it is given: the torch searches' model.pt); not part of result.json.
    artifacts: dict[str, Callable[[Path], object]] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if f.name != "artifacts"}
        extra = d.pop("extra")
        if d["kept_values"] is None:
            d.pop("kept_values")
        d.update(extra)
        return d

    def to_json(self) -> str:
        return dumps(self.to_dict())

    def to_frame(self):  # type: ignore[no-untyped-def]
        """The trial history as a pandas DataFrame (number, value, state)."""
        import pandas as pd

        return pd.DataFrame(self.extra.get("history", []))

    def used_features(self) -> list[str]:
        """The kept features less those whose kept values cover a negligible share of the
        rows (value-gate methods; the same as ``features`` otherwise)."""
        return [f["name"] for f in field_shares(self.to_dict()) if f["status"] == "kept"] \
            if self.extra.get("kept_row_share") or self.extra.get("kept_train_row_share") else list(self.features)

    @classmethod
    def load(cls, path: str | Path) -> SearchResult:
        path = Path(path)
        d = json.loads((path / "result.json" if path.is_dir() else path).read_text())
        known = {"method", "features", "metrics", "embedding_dims", "interactions", "kept_values"}
        return cls(**{k: d[k] for k in known if k in d}, extra={k: v for k, v in d.items() if k not in known})


def field_shares(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per candidate field of a value-gate result (``result.json`` as a dict, OptFS): ``name``,
    ``status`` (``kept``; ``negligible``, kept values covering under ``NEGLIGIBLE_ROW_SHARE``
    of the rows; ``dropped``), ``value_share`` and ``row_share`` (None where the result has
    none), ``rows`` (``training``, from ``kept_train_row_share``, or ``validation``, from
    ``kept_row_share``), ``kept_values``, ``vocabulary`` and the drop ``reason``; kept fields
    first, by row share. Empty for a result without per-field shares."""
    ratio = result.get("kept_ratio") or {}
    # Training rows where the search recorded them; results that have only the validation
    # rows' share (``kept_row_share``) say so in ``rows``.
    split = "training" if result.get("kept_train_row_share") else "validation"
    rows = result.get("kept_train_row_share") or result.get("kept_row_share") or {}
    if not ratio and not rows:
        return []
    vocab = result.get("vocabulary") or {}
    kept_values = result.get("kept_values") or {}
    dropped = result.get("dropped_fields") or {}
    kept = set(result.get("features", []))
    out = []
    for name in list(vocab) or list(ratio):
        share = rows.get(name)
        if name not in kept:
            status, reason = "dropped", str((dropped.get(name) or {}).get("reason", "dropped"))
        elif share is not None and share < NEGLIGIBLE_ROW_SHARE:
            status = "negligible"
            reason = f"its kept values cover under {NEGLIGIBLE_ROW_SHARE:.0%} of the {split} rows"
        else:
            status, reason = "kept", ""
        out.append({"name": name, "status": status, "value_share": ratio.get(name), "row_share": share, "rows": split,
                    "kept_values": kept_values.get(name, 0 if name not in kept else None),
                    "vocabulary": vocab.get(name), "reason": reason})
    order = {"kept": 0, "negligible": 1, "dropped": 2}
    return sorted(out, key=lambda f: (order[f["status"]], -(f["row_share"] or 0.0), -(f["value_share"] or 0.0)))
