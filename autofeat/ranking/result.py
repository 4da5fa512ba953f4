"""The ranking stage's result: :class:`Ranking`, its JSON contract and its TSV/DataFrame views.

``ranking.json`` (read by later stages and external scripts; fields are only ever added)::

    {"label": str, "rows": int,
     "features": [{"name", "rank", "score", "mi", "cardinality", "p_value", ...}, ...],
     "pairs": [{"features": [str, str], "score": float, ...}, ...],   # strongest first
     "factorized_pairs": [{"features": [str, str], "gain": float, "additive_gain": float}, ...],
     "quality": [{"column", "kind", "detail"}, ...]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autofeat.errors import OptionError
from autofeat.io.jsonio import dumps

__all__ = ["FactorPair", "FeatureScore", "PairResult", "Ranking"]

SCHEMA_VERSION = 1
# Levels per feature kept in ``FeatureScore.top_levels``.
TOP_LEVELS = 5
# Redundancy with an earlier feature from which :meth:`Ranking.why` says why a feature sits lower.
WHY_REDUNDANCY = 0.5


@dataclass(frozen=True)
class FeatureScore:
    """One feature's line in the ranking.

    Attributes:
        name: column name. rank: 1-based position in the final (redundancy-aware) order.
        score: cardinality-corrected relevance, ``mi - expected_mi`` (nats); ~0 for noise.
        mi: plug-in mutual information with the label (nats).
        expected_mi: mean MI of the column under random label permutation.
        p_value: significance of ``mi`` under that null.
        cardinality: distinct non-missing values (numerics: bins used).
        interaction_gain: best pairwise gain with another top feature, count-based or
            factorized (0 if not paired).
        factorized_gain: best held-out gain of a factorized pair it is in (see
            :mod:`autofeat.ranking.factorized`).
        mrmr_score: the value at which the redundancy-aware order picked it.
        redundancy / redundant_with: largest normalized shared information with a feature
            ranked before it, and which one.
        flags: quality findings on this column (``leak``, ``id_like``, ...).
        heldout_auc / heldout_skill: the column's cross-fitted level rate as a prediction of
            the label, scored by AUC and Brier skill (see :mod:`autofeat.ranking.crossfit`).
        kind_scores: for an integer column whose kind was inferred, the corrected score as
            categories and as quantile bins (``kind`` is the better one).
        top_levels: the column's most frequent levels (``TOP_LEVELS`` at most, missing
            included as ``"<missing>"``), most rows first, as ``(value, rows, positives)``
            from the scan's counts.
    """

    name: str
    rank: int
    score: float
    mi: float
    expected_mi: float
    p_value: float
    cardinality: int
    kind: str
    missing_rate: float
    entropy: float
    interaction_gain: float = 0.0
    mrmr_score: float | None = None
    redundancy: float | None = None
    redundant_with: str | None = None
    flags: tuple[str, ...] = ()
    factorized_gain: float = 0.0
    heldout_auc: float | None = None
    heldout_skill: float | None = None
    kind_scores: dict[str, float] | None = None
    top_levels: list[tuple[str, int, int]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = list(self.flags)
        if self.top_levels is not None:
            d["top_levels"] = [list(t) for t in self.top_levels]
        return d


@dataclass(frozen=True)
class PairResult:
    """A feature pair: ``score`` is the interaction gain (see :mod:`autofeat.ranking.pairs`)."""

    features: tuple[str, str]
    score: float
    joint_score: float
    joint_mi: float
    levels: int

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "score": self.score,
                "joint_score": self.joint_score, "joint_mi": self.joint_mi, "levels": self.levels}


@dataclass(frozen=True)
class FactorPair:
    """A feature pair scored by a cross-fitted factorization machine: ``gain`` is its held-out
    log-loss gain over the additive model of the two columns (nats per row), ``additive_gain``
    that model's gain over the base rate."""

    features: tuple[str, str]
    gain: float
    additive_gain: float

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "gain": self.gain, "additive_gain": self.additive_gain}


@dataclass(frozen=True)
class Ranking:
    """Result of :func:`autofeat.rank`: features in final order, pairs, quality findings."""

    label: str
    rows: int
    positives: int
    source: str
    features: list[FeatureScore]
    pairs: list[PairResult]
    quality: list[dict[str, str]]
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    factorized_pairs: list[FactorPair] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Feature names in final order."""
        return [f.name for f in self.features]

    def top(self, k: int, *, include_flagged: bool = False, include: Sequence[str] = ()) -> list[str]:
        """The first ``k`` names in order, skipping flagged columns (leaks, ids, ...) unless asked.

        ``include`` names columns to keep whatever their flags or place: they are added to the
        first ``k`` clean names, in ranking order (a user who knows that an id-like column is a
        real feature asks for it by name). An unknown name is an :class:`OptionError`.
        """
        unknown = [n for n in include if n not in set(self.names)]
        if unknown:
            raise OptionError(f"--include {', '.join(unknown)}: not a ranked column "
                              f"(ranked: {', '.join(self.names[:12])}{', ...' if len(self.names) > 12 else ''})")
        keep = [f.name for f in self.features if include_flagged or not _excluded(f)][:k]
        wanted = set(keep) | set(include)
        return [n for n in self.names if n in wanted]

    def left_out(self) -> list[tuple[str, str]]:
        """(name, reason) of the columns :meth:`top` skips: leaks, ids, constants, duplicates,
        all-missing columns."""
        from autofeat.ranking.quality import EXCLUDING

        return [(f.name, next(fl for fl in f.flags if fl in EXCLUDING)) for f in self.features if _excluded(f)]

    def pair_candidates(self) -> list[tuple[str, str]]:
        """Feature pairs worth an interaction, best first: pairs with a positive gain, count-based
        or factorized, by that gain; then the other count-scored pairs in their order."""
        scored = [(p.score, tuple(p.features)) for p in self.pairs if p.score > 0]
        scored += [(p.gain, tuple(p.features)) for p in self.factorized_pairs if p.gain > 0]
        out: list[tuple[str, str]] = []
        seen: set[frozenset[str]] = set()
        ordered = [f for _, f in sorted(scored, key=lambda t: -t[0])] + [tuple(p.features) for p in self.pairs]
        for a, b in ordered:
            if frozenset((a, b)) not in seen:
                seen.add(frozenset((a, b)))
                out.append((a, b))
        return out

    def why(self, f: FeatureScore) -> list[str]:
        """Why ``f`` sits where its own score would not put it: ranked by an interaction (its
        score alone is ~0), or pushed down by redundancy with a feature ranked before it."""
        out = []
        if f.interaction_gain > max(f.score, 0.0):
            partner = next((p.features[1] if p.features[0] == f.name else p.features[0] for p in self.pairs
                            if f.name in p.features), None)
            out.append(f"interaction{f' with {partner}' if partner else ''} (+{f.interaction_gain:.4f})")
        if f.redundancy is not None and f.redundancy >= WHY_REDUNDANCY and f.redundant_with:
            out.append(f"redundant with {f.redundant_with} ({f.redundancy:.2f})")
        return out

    def feature(self, name: str) -> FeatureScore:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "label": self.label,
            "rows": self.rows,
            "positives": self.positives,
            "source": self.source,
            "features": [f.to_dict() for f in self.features],
            "pairs": [p.to_dict() for p in self.pairs],
            "factorized_pairs": [p.to_dict() for p in self.factorized_pairs],
            "quality": list(self.quality),
            "options": self.options,
            "timings": self.timings,
            "info": self.info,
        }

    def to_json(self, indent: int | None = 1) -> str:
        return dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Ranking:
        feats = [
            FeatureScore(**{**f, "flags": tuple(f.get("flags", ())),
                            "top_levels": None if f.get("top_levels") is None
                            else [tuple(t) for t in f["top_levels"]]})
            for f in d["features"]
        ]
        pairs = [
            PairResult(tuple(p["features"]), p["score"], p.get("joint_score", float("nan")),
                       p.get("joint_mi", float("nan")), p.get("levels", 0))
            for p in d.get("pairs", [])
        ]
        factor = [FactorPair(tuple(p["features"]), p["gain"], p.get("additive_gain", float("nan")))
                  for p in d.get("factorized_pairs", [])]
        return cls(d["label"], d["rows"], d.get("positives", 0), d.get("source", ""), feats,
                   pairs, d.get("quality", []), d.get("options", {}), d.get("timings", {}),
                   d.get("info", {}), factor)

    @classmethod
    def load(cls, path: str | Path) -> Ranking:
        """Read a ``ranking.json`` written by :meth:`save` or ``autofeat rank``."""
        from autofeat.errors import DataError

        path = Path(path)
        if path.is_dir():
            path = path / "ranking.json"
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DataError(f"{path}: no such file") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a ranking.json ({exc})") from None

    def to_tsv(self) -> str:
        cols = ["rank", "name", "score", "mi", "expected_mi", "p_value", "cardinality", "kind",
                "missing_rate", "heldout_auc", "interaction_gain", "mrmr_score", "redundancy", "redundant_with",
                "flags"]
        lines = ["\t".join(cols)]
        for f in self.features:
            d = f.to_dict()
            d["flags"] = ",".join(f.flags)
            lines.append("\t".join(_fmt(d[c]) for c in cols))
        return "\n".join(lines) + "\n"

    def to_frame(self):  # type: ignore[no-untyped-def]
        """The features as a pandas DataFrame, one row per feature in final order."""
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.features])


def _excluded(f: FeatureScore) -> bool:
    from autofeat.ranking.quality import EXCLUDING

    return any(flag in EXCLUDING for flag in f.flags)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    # A tab or line break in a column name would split its row (the usual TSV escapes).
    return str(v).translate(_TSV_ESCAPES)
