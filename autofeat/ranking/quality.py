"""Data-quality findings: columns a model should not be given as they are.

Kinds: ``all_missing``, ``constant``, ``near_constant``, ``mostly_missing``, ``id_like``
(a new value on nearly every row), ``leak`` (nearly determines the label), ``duplicate``
(a one-to-one relabelling of an earlier column). Findings of the kinds in
:data:`EXCLUDING` also take the column out of the redundancy-aware order (it is listed after
the ranked features, with its flags).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from autofeat.ranking.measures import Relevance
from autofeat.ranking.sample_stats import SampleStats

__all__ = ["Finding", "QualityThresholds", "find_quality", "EXCLUDING"]

EXCLUDING = frozenset({"all_missing", "constant", "id_like", "leak", "duplicate"})


@dataclass(frozen=True)
class QualityThresholds:
    """Where a column starts to count as a problem.

    Attributes:
        near_constant: share of rows in the most common value (missing included).
        mostly_missing: share of rows missing.
        id_like: distinct values / non-missing rows, for categorical columns.
        leak_auc, leak_skill: a column whose cross-fitted level rate (see
            :mod:`autofeat.ranking.crossfit`) ranks the label with at least this AUC *and*
            explains at least this share of its variance out of fold is a leak: a label copy
            with up to ~5% of rows flipped at any cardinality, while the best real features
            of a rare label (TalkingData's app: AUC 0.94, skill 0.13) are not.
        leak_auc_alone: a cross-fitted AUC this high is a leak whatever the skill.
        leak, leak_score: also a leak when plug-in MI / label entropy >= ``leak`` and
            corrected MI / label entropy >= ``leak_score`` (the column nearly determines the
            label on every row). Ids are never leaks: a level seen once has no out-of-fold
            rate, and an id's plug-in MI is all chance.
        min_rows_id: fewer non-missing rows than this never count as id-like.
    """

    near_constant: float = 0.999
    mostly_missing: float = 0.95
    id_like: float = 0.95
    leak_auc: float = 0.9
    leak_skill: float = 0.5
    leak_auc_alone: float = 0.99
    leak: float = 0.9
    leak_score: float = 0.5
    min_rows_id: int = 100


@dataclass(frozen=True)
class Finding:
    column: str
    kind: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "kind": self.kind, "detail": self.detail}


def find_quality(
    names: list[str],
    kinds: list[str],
    counts: list[np.ndarray],
    rel: Relevance,
    stats: SampleStats,
    th: QualityThresholds,
    auc: np.ndarray | None = None,
    skill: np.ndarray | None = None,
) -> list[Finding]:
    """All findings, in column order (a column may have several)."""
    out: list[Finding] = []
    signatures: dict[bytes, list[int]] = defaultdict(list)
    for f, (name, kind, c) in enumerate(zip(names, kinds, counts)):
        totals = c[:, 0] + c[:, 1]
        n = int(totals.sum())
        missing = int(totals[0])
        present = n - missing
        levels = int((totals[1:] > 0).sum())
        if present == 0:
            out.append(Finding(name, "all_missing", f"all {n:,} rows are missing"))
            continue
        top = int(totals.max())
        if levels + (missing > 0) <= 1:
            out.append(Finding(name, "constant", f"one value on all {n:,} rows"))
            continue
        if top / n >= th.near_constant:
            out.append(Finding(name, "near_constant", f"{top / n:.2%} of rows share one value"))
        if missing / n >= th.mostly_missing:
            out.append(Finding(name, "mostly_missing", f"{missing / n:.1%} of rows are missing"))
        if (
            kind == "categorical"
            and present >= th.min_rows_id
            and levels >= th.id_like * present
        ):
            out.append(Finding(
                name, "id_like", f"{levels:,} distinct values in {present:,} non-missing rows"
            ))
        hy = rel.label_entropy
        a = 0.5 if auc is None else float(auc[f])
        sk = 0.0 if skill is None else float(skill[f])
        if (
            (a >= th.leak_auc and sk >= th.leak_skill)
            or a >= th.leak_auc_alone
            or (hy > 0 and rel.mi[f] >= th.leak * hy and rel.score[f] >= th.leak_score * hy)
        ):
            share = rel.score[f] / hy if hy > 0 else 0.0
            out.append(Finding(
                name, "leak", f"predicts the label out of fold with AUC {a:.3f} and explains "
                f"{share:.0%} of its entropy; is it known before the click?"
            ))
        sig = np.sort(totals[totals > 0]).tobytes()
        signatures[sig].append(f)
    out.extend(_duplicates(names, signatures, stats))
    order = {n: i for i, n in enumerate(names)}
    out.sort(key=lambda x: order[x.column])
    return out


def _duplicates(
    names: list[str], signatures: dict[bytes, list[int]], stats: SampleStats
) -> list[Finding]:
    """Columns with the same level-size profile are candidates; a candidate pair is a
    relabelling when, on the sample, the pair has no more distinct values than each column."""
    out: list[Finding] = []
    for group in signatures.values():
        if len(group) < 2:
            continue
        dup_of: dict[int, int] = {}
        for i, a in enumerate(group):
            if a in dup_of:
                continue
            rest = [b for b in group[i + 1:] if b not in dup_of]
            joints = stats.joint([(a, b) for b in rest])
            ka = stats.single(a)[1]
            for b, (_, kab) in zip(rest, joints):
                if kab == ka == stats.single(b)[1]:
                    dup_of[b] = a
        for b, a in dup_of.items():
            out.append(Finding(names[b], "duplicate", f"one-to-one relabelling of {names[a]!r}"))
    return out
