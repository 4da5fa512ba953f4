"""A scikit-learn selector on top of :func:`autofeat.rank`.

Example:
    >>> import numpy as np, pandas as pd
    >>> from autofeat import AutoFeatSelector
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"site": rng.choice(["a", "b", "c"], 4000),
    ...                   "noise": rng.integers(0, 1000, 4000)})
    >>> y = (rng.random(4000) < np.where(X["site"] == "a", 0.4, 0.1)).astype(int)
    >>> sel = AutoFeatSelector(k=1).set_output(transform="pandas").fit(X, y)
    >>> list(sel.get_feature_names_out()), list(sel.transform(X).columns)
    (['site'], ['site'])
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted, validate_data

from autofeat.errors import AutofeatError

__all__ = ["AutoFeatSelector"]


def _frame_kind(X: Any) -> Literal["pandas", "polars", None]:
    mod = type(X).__module__.split(".")[0]
    if mod == "pandas" and hasattr(X, "columns"):
        return "pandas"
    if mod == "polars" and hasattr(X, "columns"):
        return "polars"
    return None


def _column_to_arrow(col: np.ndarray) -> pa.Array:
    try:
        return pa.array(col, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # Mixed object columns (strings with numbers): compare values as text.
        return pa.array([None if v is None or (isinstance(v, float) and v != v) else str(v) for v in col])


class AutoFeatSelector(SelectorMixin, BaseEstimator):
    """Select features by cardinality-corrected mutual information with a binary target, in
    redundancy-aware (mRMR) order, skipping leaks, id-like, constant and duplicate columns.

    Accepts numeric, string and categorical columns and missing values, as pandas or polars
    DataFrames or arrays; ``transform`` of a DataFrame keeps its column dtypes (use
    ``set_output(transform="pandas" | "polars")`` to get a DataFrame back).

    Parameters:
        k: keep at most this many features (``"all"``: no limit), in ranking order.
        score_threshold: keep only features whose corrected score is at least this (nats).
        alpha: keep only features whose p-value is at most this.
        redundancy: order by mRMR (True) or by score alone.
        pairs_top: features paired for interaction gain, which also credits interacting
            features in the order (0: off).
        include_flagged: also select columns flagged as leaks, ids, constants or duplicates.
        search: ``"optuna"`` to choose the subset by an Optuna + LightGBM search over the
            ranking's best ``k`` features (validation AUC on a seeded split), or ``"optfs"``
            to keep the fields whose OptFS value gates stay open (a DeepFM trained with
            torch), instead of taking them all; ``None`` (default) selects by the ranking alone.
        search_trials: trials of the optuna search.
        bins: quantile bins for numeric columns.
        sample_rows: rank on a seeded sample of this many rows.
        random_state: seed for the row samples.
        n_jobs: threads (None: all cores).
        verbose: 0 silent; 1 shows a progress bar on stderr.

    Attributes:
        scores_: corrected score (MI minus its permutation expectation) per input feature.
        pvalues_: p-value per input feature.
        mi_: plain MI per input feature.
        ranking_: 1-based position of each input feature in the final order.
        support_: boolean mask of the selected features.
        result_: the full :class:`autofeat.Ranking` (pairs, quality findings, timings).
        search_result_: the :class:`autofeat.SearchResult` when ``search`` is set.
        n_features_in_, feature_names_in_: as in scikit-learn.
    """

    def __init__(
        self,
        k: int | Literal["all"] = 10,
        *,
        score_threshold: float | None = None,
        alpha: float | None = None,
        redundancy: bool = True,
        pairs_top: int = 20,
        include_flagged: bool = False,
        search: Literal["optuna", "optfs"] | None = None,
        search_trials: int = 20,
        bins: int = 20,
        sample_rows: int | None = None,
        random_state: int | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.k = k
        self.score_threshold = score_threshold
        self.alpha = alpha
        self.redundancy = redundancy
        self.pairs_top = pairs_top
        self.include_flagged = include_flagged
        self.search = search
        self.search_trials = search_trials
        self.bins = bins
        self.sample_rows = sample_rows
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.target_tags.required = True
        # The ranking measures information about a binary label.
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def _check_params(self) -> None:
        if not (self.k == "all" or (isinstance(self.k, (int, np.integer)) and self.k >= 0)):
            raise ValueError(f"k must be a non-negative int or 'all', got {self.k!r}")
        if self.alpha is not None and not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha!r}")
        if self.search not in (None, "optuna", "optfs"):
            raise ValueError(f"search must be None, 'optuna' or 'optfs', got {self.search!r}")
        if not isinstance(self.search_trials, (int, np.integer)) or self.search_trials < 1:
            raise ValueError(f"search_trials must be a positive int, got {self.search_trials!r}")

    def _to_table(self, X: Any, *, reset: bool) -> tuple[pa.Table, list[str]]:
        kind = _frame_kind(X)
        if kind is not None:
            X = validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[1] == 0:
                raise ValueError("0 feature(s) (shape=(%d, 0)) while a minimum of 1 is required." % X.shape[0])
            if X.shape[0] == 0:
                raise ValueError("0 sample(s) (shape=(0, %d)) while a minimum of 1 is required." % X.shape[1])
            names = [str(c) for c in X.columns]
            if kind == "pandas":
                table = pa.Table.from_pandas(X.set_axis(names, axis=1), preserve_index=False)
            else:
                table = X.to_arrow()
            return table, names
        X = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan")
        names = [f"x{i}" for i in range(X.shape[1])]
        return pa.table([_column_to_arrow(X[:, i]) for i in range(X.shape[1])], names=names), names

    def fit(self, X: Any, y: Any) -> AutoFeatSelector:
        """Rank the features of ``X`` against the binary target ``y``."""
        from autofeat.ranking.api import RankOptions, rank

        self._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        table, names = self._to_table(X, reset=True)
        y = np.asarray(y)
        if y.ndim != 1:
            y = y.ravel() if y.ndim == 2 and y.shape[1] == 1 else y
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if len(y) != table.num_rows:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: [{table.num_rows}, {len(y)}]"
            )
        classes = np.unique(y[~_isnan(y)]) if y.dtype.kind == "f" else np.unique(y.astype(str))
        if classes.size < 2:
            raise ValueError("y has one class only; the selector needs a binary target")
        if classes.size > 2:
            raise ValueError(f"y must be binary; it has {classes.size} classes")
        if y.dtype.kind == "f" and _isnan(y).any():
            raise ValueError("Input y contains NaN.")
        positive = classes[1]
        y01 = (y == positive) if y.dtype.kind == "f" else (y.astype(str) == positive)
        label = "__autofeat_y__"
        while label in names:
            label += "_"
        table = table.append_column(label, pa.array(y01.astype(np.int8)))
        options = RankOptions(
            bins=self.bins, sample_rows=self.sample_rows, pairs_top=self.pairs_top,
            redundancy=self.redundancy, seed=0 if self.random_state is None else int(self.random_state),
            n_jobs=self.n_jobs,
        )
        try:
            result = rank(table, label, options=options, quiet=not self.verbose)
        except AutofeatError as exc:
            raise ValueError(str(exc)) from None
        self.result_ = result
        by_name = {f.name: f for f in result.features}
        self.scores_ = np.array([by_name[n].score for n in names])
        self.pvalues_ = np.array([by_name[n].p_value for n in names])
        self.mi_ = np.array([by_name[n].mi for n in names])
        self.ranking_ = np.array([by_name[n].rank for n in names])
        keep = []
        for f in result.features:
            if f.flags and not self.include_flagged and set(f.flags) - {"mostly_missing", "near_constant"}:
                continue
            if self.score_threshold is not None and f.score < self.score_threshold:
                continue
            if self.alpha is not None and f.p_value > self.alpha:
                continue
            keep.append(f.name)
        if self.k != "all":
            keep = keep[: int(self.k)]
        if self.search is not None and len(keep) > 1:
            keep = self._search(table, label, result, keep)
        kept = set(keep)
        self.support_ = np.array([n in kept for n in names], dtype=bool)
        return self

    def _search(self, table: pa.Table, label: str, ranking: Any, candidates: list[str]) -> list[str]:
        from dataclasses import replace

        from autofeat.searching.api import run_search as search

        # Search only over the features the ranking already selected.
        trimmed = replace(ranking, features=[f for f in ranking.features if f.name in set(candidates)])
        try:
            extra = {"n_trials": self.search_trials} if self.search == "optuna" else {}
            res = search(table, label, method=self.search, ranking=trimmed, **extra,
                         max_features=len(candidates), quiet=not self.verbose,
                         seed=0 if self.random_state is None else int(self.random_state), n_jobs=self.n_jobs)
        except AutofeatError as exc:
            raise ValueError(str(exc)) from None
        self.search_result_ = res
        return [n for n in candidates if n in set(res.features)]

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def transform(self, X: Any) -> Any:
        """Keep the selected columns; DataFrames keep their dtypes."""
        check_is_fitted(self, "support_")
        kind = _frame_kind(X)
        if kind is None:
            X = validate_data(self, X, reset=False, dtype=None, ensure_all_finite="allow-nan")
            return X[:, self.support_]
        X = validate_data(self, X, reset=False, skip_check_array=True)
        cols = [c for c, keep in zip(X.columns, self.support_) if keep]
        return X.loc[:, cols] if kind == "pandas" else X.select(cols)


def _isnan(y: np.ndarray) -> np.ndarray:
    return np.isnan(y) if y.dtype.kind == "f" else np.zeros(y.shape, bool)
