"""AutoFeatSelector: the scikit-learn contract, pipelines on pandas and polars, dtypes kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import autofeat
from autofeat import AutoFeatSelector


@parametrize_with_checks([AutoFeatSelector(k=2, pairs_top=3), AutoFeatSelector(k="all", redundancy=False)])
def test_sklearn_contract(estimator, check):
    check(estimator)


def _frame(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    site = rng.choice(["news", "sport", "shop", "blog"], n)
    hour = rng.integers(0, 24, n)
    price = rng.normal(size=n)
    logit = -2 + 1.5 * (site == "shop") + 0.8 * price + 0.6 * (hour > 18)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame({
        "site": pd.Categorical(site),
        "hour": hour.astype("int32"),
        "price": price,
        "device": rng.choice(["ios", "android"], n),      # noise, string
        "noise_id": rng.integers(0, 5000, n),              # high-cardinality noise
        "row": np.arange(n),                               # an id column
    })
    df.loc[rng.random(n) < 0.05, "price"] = np.nan
    return df, y


def test_pipeline_pandas_keeps_dtypes():
    X, y = _frame()
    seen = {}

    class Spy(HistGradientBoostingClassifier):
        def fit(self, X, y, **kw):
            seen["columns"], seen["dtypes"] = list(X.columns), dict(X.dtypes.astype(str))
            return super().fit(X, y, **kw)

    pipe = Pipeline([("select", AutoFeatSelector(k=3)), ("model", Spy(categorical_features="from_dtype"))])
    pipe.set_output(transform="pandas")
    pipe.fit(X, y)
    assert set(seen["columns"]) == {"site", "price", "hour"}
    assert seen["dtypes"]["site"] == "category" and seen["dtypes"]["hour"] == "int32"
    assert pipe.score(X, y) > 0.7


@pytest.mark.slow  # the pandas pipeline stays in the quick run
def test_pipeline_polars_keeps_dtypes():
    X, y = _frame(seed=1)
    Xp = pl.from_pandas(X)
    sel = AutoFeatSelector(k=3).set_output(transform="polars").fit(Xp, y)
    out = sel.transform(Xp)
    assert isinstance(out, pl.DataFrame)
    assert set(out.columns) == {"site", "price", "hour"}
    assert out.schema["hour"] == pl.Int32 and out.schema["site"] == pl.Categorical
    pipe = Pipeline([("select", AutoFeatSelector(k=3)),
                     ("model", HistGradientBoostingClassifier(categorical_features="from_dtype"))])
    pipe.set_output(transform="polars").fit(Xp, y)
    assert pipe.named_steps["select"].get_feature_names_out().tolist() == out.columns


def test_learned_attributes_and_flags():
    X, y = _frame()
    sel = AutoFeatSelector(k="all").fit(X, y)
    assert sel.n_features_in_ == 6 and list(sel.feature_names_in_) == list(X.columns)
    names = list(X.columns)
    assert not sel.support_[names.index("row")]  # id-like columns are never selected
    assert sel.pvalues_[names.index("site")] < 1e-10
    assert abs(sel.scores_[names.index("noise_id")]) < 0.01 < sel.mi_[names.index("noise_id")] * 10
    assert sorted(sel.ranking_) == list(range(1, 7))
    alpha = AutoFeatSelector(k="all", alpha=1e-6).fit(X, y)
    assert set(alpha.get_feature_names_out()) <= {"site", "price", "hour"}


def test_same_random_state_same_result():
    X, y = _frame(seed=2)
    a = AutoFeatSelector(k=4, random_state=3).fit(X, y)
    b = AutoFeatSelector(k=4, random_state=3).fit(X, y)
    assert (a.scores_ == b.scores_).all() and (a.support_ == b.support_).all()


@pytest.mark.parametrize("make,msg", [
    (lambda X, y: (X, np.zeros_like(y)), "one class"),
    (lambda X, y: (X.iloc[:, :0], y), "0 feature"),
    (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
    (lambda X, y: (X, np.arange(len(y)) % 3), "must be binary"),
])
def test_bad_input_value_errors(make, msg):
    X, y = _frame(n=500)
    X2, y2 = make(X, y)
    with pytest.raises(ValueError, match=msg):
        AutoFeatSelector().fit(X2, y2)


def test_names_differ_between_fit_and_transform():
    X, y = _frame(n=800)
    sel = AutoFeatSelector(k=2).fit(X, y)
    with pytest.raises(ValueError, match="feature names"):
        sel.transform(X.rename(columns={"site": "website"}))


@pytest.mark.slow
def test_selector_with_search_keeps_a_subset_of_the_ranked_features(tmp_path):
    X, y = _frame(n=8000, seed=4)
    sel = AutoFeatSelector(k=4, search="optuna", search_trials=6, random_state=1).fit(X, y)
    chosen = set(sel.get_feature_names_out())
    ranked = set(AutoFeatSelector(k=4, random_state=1).fit(X, y).get_feature_names_out())
    assert chosen and chosen <= ranked
    assert sel.search_result_.method == "optuna"
    assert set(sel.search_result_.features) == chosen
    autofeat.write_report(sel.search_result_, tmp_path / "r.html")
    assert "Optimization history" in (tmp_path / "r.html").read_text()
    assert len(sel.search_result_.to_frame()) >= 6


@pytest.mark.slow
def test_selector_with_optfs_search_keeps_a_subset(tmp_path):
    pytest.importorskip("torch")
    X, y = _frame(n=8000, seed=4)
    sel = AutoFeatSelector(k=4, search="optfs", random_state=1).fit(X, y)
    chosen = list(sel.get_feature_names_out())
    assert chosen and set(chosen) <= set(sel.search_result_.features)
    assert sel.search_result_.method == "optfs" and sel.search_result_.kept_values is not None
