"""Leak findings from cross-fitted scores, and integer columns ranked in their better view."""

from __future__ import annotations

import numpy as np
import pytest

import autofeat
from autofeat.datasets import CTRSpec, make_ctr
from autofeat.ranking.crossfit import auc_grouped, folds, heldout_scores


def _noisy_copy(rng: np.random.Generator, y: np.ndarray, flip: float, card: int) -> np.ndarray:
    """A column that copies the label on all but ``flip`` of the rows, spread over ``card``
    levels (half of them for each class)."""
    noisy = y ^ (rng.random(y.size) < flip)
    half = max(card // 2, 1)
    return np.where(noisy == 1, rng.integers(0, half, y.size), half + rng.integers(0, card - half, y.size))


@pytest.mark.parametrize("seed", [11, pytest.param(12, marks=pytest.mark.slow)])  # one seed in the quick run
@pytest.mark.parametrize("flip", [0.02, 0.05])
@pytest.mark.parametrize("card", [2, 50])
def test_noisy_label_copy_is_a_leak(seed, flip, card):
    table, truth = make_ctr(30_000, spec=CTRSpec(n_uniform_noise=1, max_noise_cardinality=30_000), seed=seed)
    rng = np.random.default_rng(seed)
    y = table.column("click").to_numpy()
    table = table.append_column("copy", [_noisy_copy(rng, y, flip, card)])
    r = autofeat.rank(table, label="click", seed=seed)
    copy = r.feature("copy")
    assert "leak" in copy.flags, (copy.heldout_auc, copy.heldout_skill)
    assert "copy" not in r.top(100)
    # Ids are never leaks, and no real feature is.
    assert "leak" not in r.feature("row_id").flags
    for name in truth["informative"] + truth["noise"]:
        assert "leak" not in r.feature(name).flags, name


def test_strong_feature_of_a_rare_label_is_not_a_leak():
    # Like TalkingData's app: positives concentrate in a few levels (high AUC), but those
    # levels' click rates stay far from 1, so the column does not determine the label.
    rng = np.random.default_rng(3)
    n = 100_000
    app = rng.integers(0, 300, n)
    rate = np.where(app < 6, 0.15, 0.0005)
    y = (rng.random(n) < rate[app]).astype(np.int8)
    r = autofeat.rank({"app": app, "other": rng.integers(0, 9, n), "y": y}, label="y")
    f = r.feature("app")
    assert f.heldout_auc > 0.85 and f.heldout_skill < 0.3
    assert "leak" not in f.flags and r.names[0] == "app"


def test_heldout_scores_of_ids_noise_and_copies():
    rng = np.random.default_rng(0)
    m = 40_000
    y = (rng.random(m) < 0.2).astype(np.int8)
    cols = np.stack([np.arange(m), rng.integers(0, 50, m), y.astype(np.int64)]).astype(np.int32)
    auc, skill, _ = heldout_scores(cols, np.array([m, 50, 2]), y, folds(m, 0))
    assert abs(auc[0] - 0.5) < 0.01 and skill[0] < 0.001  # every level seen once
    assert abs(auc[1] - 0.5) < 0.02 and skill[1] < 0.01
    assert auc[2] == pytest.approx(1.0) and skill[2] > 0.99


def test_heldout_scores_match_numpy_reference(rng):
    from tests import naive

    m = 3000
    y = (rng.random(m) < 0.2).astype(np.int8)
    cols = np.stack([rng.integers(0, 2, m), rng.integers(0, 40, m), rng.integers(0, 2500, m),
                     np.where(rng.random(m) < 0.9, y, 1 - y), np.zeros(m, np.int64)]).astype(np.int32)
    cols[1][y == 1] %= 7  # some signal in column 1
    cards = np.array([2, 40, 2500, 2, 1])
    fold = folds(m, 3)
    fast = heldout_scores(cols, cards, y, fold)
    ref = naive.heldout_scores(cols, cards, y, fold)
    for got, want in zip(fast, ref):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_auc_grouped_matches_pairwise_count():
    rng = np.random.default_rng(5)
    score = rng.integers(0, 6, 40).astype(float)
    pos, neg = rng.integers(0, 4, 40), rng.integers(0, 4, 40)
    s_pos, s_neg = np.repeat(score, pos), np.repeat(score, neg)
    diff = s_pos[:, None] - s_neg[None, :]
    expect = ((diff > 0) + 0.5 * (diff == 0)).mean()
    assert auc_grouped(score, pos, neg) == pytest.approx(expect)


def _counts_table(seed: int, n: int = 60_000) -> dict[str, np.ndarray]:
    """Criteo-like integers: lognormal counts with thousands of distinct values whose click
    rate rises with the count, beside an informative id and noise."""
    rng = np.random.default_rng(seed)
    # Like Criteo's I5: most values are seen on a few rows only.
    count = np.floor(rng.lognormal(8.0, 1.5, n)).astype(np.int64)
    other = np.floor(rng.lognormal(8.0, 1.5, n)).astype(np.int64)  # a count with no effect
    ad = rng.integers(0, 40, n)
    ad_effect = rng.normal(0, 0.6, 40)
    lc = np.log1p(count)
    logit = -1.5 + 0.5 * (lc - lc.mean()) + ad_effect[ad]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return {"count": count, "other_count": other, "ad": ad, "noise": rng.integers(0, 1000, n), "y": y}


@pytest.mark.parametrize("seed", [0, 7, 21])
def test_count_integers_rank_by_their_binned_signal(seed):
    cols = _counts_table(seed)
    assert np.unique(cols["count"]).size > 1_000
    r = autofeat.rank(cols, label="y")
    f = r.feature("count")
    assert f.kind == "numeric" and f.kind_scores["numeric_heldout"] > f.kind_scores["categorical_heldout"]
    assert f.score == pytest.approx(f.kind_scores["numeric"])
    assert r.names[:2] == ["count", "ad"] or r.names[:2] == ["ad", "count"]
    assert r.feature("ad").kind == "categorical"  # 40 levels: both views equal, categories kept
    # A forced kind wins over the inferred one.
    forced = autofeat.rank(cols, label="y", categorical=["count"])
    assert forced.feature("count").kind == "categorical" and forced.feature("count").kind_scores is None


def test_chosen_kind_reaches_the_json(tmp_path):
    r = autofeat.rank(_counts_table(1, 20_000), label="y")
    doc = autofeat.Ranking.load(autofeat.save(r, tmp_path)[0]).feature("count")
    assert doc.kind == "numeric" and {"categorical", "numeric"} <= set(doc.kind_scores)
