"""What a search takes from the ranking, worked out once: the candidate features in ranking
order, the kind each is encoded with, the numeric bins, the pairs worth an interaction and
each feature's relevance. Every search method (the Optuna study with either evaluator, the
gate methods) starts from a :class:`Candidates` and reads its rows through
:func:`training_data`, so they all see the same encoding and split.

Example:
    >>> import autofeat
    >>> from autofeat.datasets import make_ctr
    >>> from autofeat.searching.candidates import Candidates
    >>> table, truth = make_ctr(20_000, seed=0)
    >>> cands = Candidates.from_ranking(autofeat.rank(table, label="click"), max_features=5)
    >>> len(cands.features), cands.kinds[cands.features[0]] in ("categorical", "numeric")
    (5, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autofeat.encode.training import TrainingData, load_training_data
from autofeat.errors import OptionError
from autofeat.ranking.result import Ranking

__all__ = ["Candidates", "training_data", "PAIR_EVIDENCE"]

# A pair's gain counts as interaction evidence from this share of the strongest signal (a
# feature's corrected score or a pair's gain) among the candidates.
PAIR_EVIDENCE = 0.1


@dataclass(frozen=True)
class Candidates:
    """The features a search chooses among.

    Attributes:
        label: the ranking's label column.
        features: clean features (plus ``include``) in ranking order.
        kinds: ``categorical`` or ``numeric`` per feature, as the ranking encoded it (it may
            have been forced there by ``--numeric`` / ``--categorical``).
        bins: quantile bins of numeric features.
        ranked_pairs: pairs among ``features`` that the ranking scored, those with an
            interaction gain first (best first).
        relevance: each feature's ranking score (corrected MI, nats).
        p_values: each feature's p-value against a label permutation.
        pair_evidence: per ranked pair, ``count`` (a gain of the joint level counts: a cross
            worth memorizing), ``factorized`` (a gain of a factorized pair only) or ``""``;
            a gain counts from :data:`PAIR_EVIDENCE` of the strongest signal.
    """

    label: str
    features: tuple[str, ...]
    kinds: Mapping[str, str]
    bins: int
    ranked_pairs: tuple[tuple[str, str], ...]
    relevance: Mapping[str, float]
    p_values: Mapping[str, float] = field(default_factory=dict)
    pair_evidence: tuple[str, ...] = ()

    @classmethod
    def from_ranking(cls, ranking: Ranking, max_features: int, include: Sequence[str] = ()) -> Candidates:
        """The ranking's first ``max_features`` clean features, plus ``include``."""
        features = tuple(ranking.top(max_features, include=include))
        if not features:
            raise OptionError("the ranking has no clean feature to search over")
        kept = set(features)
        pairs = tuple((a, b) for a, b in ranking.pair_candidates() if a in kept and b in kept and a != b)
        # A pair's gain is evidence only well above the small positive gains that noise pairs
        # with many sparse joint cells keep after the chance correction (about 1e-3 nats at
        # 50k rows, against 5e-2 for a planted XOR): a share of the strongest signal here.
        top = max([0.0, *(f.score for f in ranking.features if f.name in kept),
                   *(p.score for p in ranking.pairs), *(p.gain for p in ranking.factorized_pairs)])
        floor = PAIR_EVIDENCE * top
        counted = {frozenset(p.features) for p in ranking.pairs if p.score > floor and p.score > 0}
        factorized = {frozenset(p.features) for p in ranking.factorized_pairs if p.gain > floor and p.gain > 0}
        evidence = tuple("count" if frozenset(p) in counted else "factorized" if frozenset(p) in factorized else ""
                         for p in pairs)
        scores = {f: ranking.feature(f) for f in features}
        return cls(label=ranking.label, features=features, kinds={f: s.kind for f, s in scores.items()},
                   bins=int(ranking.options.get("bins", 20)), ranked_pairs=pairs,
                   relevance={f: float(s.score) for f, s in scores.items()},
                   p_values={f: float(s.p_value) for f, s in scores.items()}, pair_evidence=evidence)

    def pair_hint(self, a: str, b: str) -> str:
        """The ranking's evidence on pair ``(a, b)``: ``count``, ``factorized`` or ``""``."""
        for (x, y), hint in zip(self.ranked_pairs, self.pair_evidence):
            if {x, y} == {a, b}:
                return hint
        return ""

    def informative(self, p_value: float = 0.01) -> list[str]:
        """Features with evidence against independence from the label (positive corrected
        score and a p-value below ``p_value``), in ranking order."""
        return [f for f in self.features if self.relevance.get(f, 0.0) > 0 and self.p_values.get(f, 1.0) < p_value]

    def with_evidence(self, p_value: float = 0.01) -> list[str]:
        """:meth:`informative` features plus those in a pair with an interaction gain (a
        pure interaction's fields have no signal of their own), in ranking order."""
        paired = {f for pair, hint in zip(self.ranked_pairs, self.pair_evidence) if hint for f in pair}
        strong = set(self.informative(p_value)) | paired
        return [f for f in self.features if f in strong]

    def pairs(self, names: Sequence[str], top: int) -> list[tuple[int, int]]:
        """Up to ``top`` pairs as indices into ``names`` (a ``TrainingData``'s fields, in ranking
        order): the ranked pairs among them first, then pairs of the best-ranked ones."""
        index = {n: i for i, n in enumerate(names)}
        out: list[tuple[int, int]] = []
        for a, b in self.ranked_pairs:
            if a in index and b in index:
                pair = (min(index[a], index[b]), max(index[a], index[b]))
                if pair not in out:
                    out.append(pair)
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if len(out) >= top:
                    return out[:top]
                if (i, j) not in out:
                    out.append((i, j))
        return out[:top]


def training_data(data: Any, candidates: Candidates, options: Any, *, header: bool = True,
                  delimiter: str | None = None) -> TrainingData:
    """The candidates' rows of ``data`` with the split and vocabularies every search trains on
    (train-only vocabularies with an OOV id and train-only bin edges, a seeded sample, a random
    or ``time_column`` split). ``options`` gives ``seed``, ``min_count``, ``sample_rows``,
    ``valid_fraction``, ``test_fraction`` and ``time_column``."""
    return load_training_data(data, candidates.label, list(candidates.features), kinds=dict(candidates.kinds),
                              bins=candidates.bins, min_count=options.min_count, header=header,
                              delimiter=delimiter, seed=options.seed, valid_fraction=options.valid_fraction,
                              test_fraction=options.test_fraction, time_column=options.time_column,
                              sample_rows=options.sample_rows)
