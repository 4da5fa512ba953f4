"""The differentiable searches (OptFS, DNIS, OptInter) on generated data with planted structure."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

torch = pytest.importorskip("torch")

import autofeat  # noqa: E402
from autofeat.datasets import CTRSpec, make_ctr  # noqa: E402
from autofeat.encode.training import load_training_data  # noqa: E402
from autofeat.errors import DataError, OptionError  # noqa: E402
from autofeat.models.backbones import BACKBONES  # noqa: E402
from autofeat.searching.gates import base  # noqa: E402
from autofeat.searching.candidates import Candidates  # noqa: E402
from autofeat.searching.gates.options import GateOptions, options_for  # noqa: E402
from autofeat.searching.registry import gate_search  # noqa: E402
from tests.searching.helpers import scramble_test_rows as _scramble_test_rows  # noqa: E402

SPEC = CTRSpec(n_informative=4, n_noise=4, n_uniform_noise=1, max_cardinality=2000, max_noise_cardinality=20000)
FAST = dict(batch_size=1024, max_features=12, seed=0, baseline=False)


@pytest.fixture(scope="module")
def planted() -> tuple[pa.Table, dict, autofeat.Ranking]:
    table, truth = make_ctr(60_000, spec=SPEC, seed=0)
    return table, truth, autofeat.rank(table, "click")


def _noise(truth: dict) -> set[str]:
    return set(truth["noise"])


@pytest.fixture(scope="module")
def unseen() -> tuple[pa.Table, dict, autofeat.Ranking]:
    """A seed and size no default was tuned on."""
    table, truth = make_ctr(40_000, spec=SPEC, seed=7)
    return table, truth, autofeat.rank(table, "click")


def _search_keeping_informative_fields(method: str, unseen) -> tuple:
    """Search ``unseen`` with default options; assert that no informative candidate is lost
    and at least 80% of the noise candidates are dropped. Returns (result, truth, noise)."""
    table, truth, ranking = unseen
    res = autofeat.search(table, "click", method=method, ranking=ranking, max_features=12, seed=0)
    cands = ranking.top(12)
    lost = [f for f in cands if f in truth["informative"] and f not in res.features]
    noise = [f for f in cands if f in _noise(truth)]
    kept_noise = [f for f in noise if f in res.features]
    assert not lost and len(kept_noise) <= 0.2 * len(noise), (lost, kept_noise, res.extra["field_tests"])
    return res, truth, noise


@pytest.mark.slow
def test_optfs_keeps_informative_fields_and_drops_noise_fields(unseen) -> None:
    res, _, noise = _search_keeping_informative_fields("optfs", unseen)
    for name in noise:
        if name not in res.features:
            assert res.extra["dropped_fields"][name]["reason"]
    # The kept state is one of the path's, chosen on validation.
    path, chosen = res.extra["path"], res.extra["chosen_state"]
    assert path[chosen]["valid_auc"] >= max(p["valid_auc"] for p in path) - 0.001
    assert res.metrics["params_after"] < res.metrics["params_before"] / 2


def test_optfs_path_choice() -> None:
    from autofeat.searching.gates.optfs import choose_state

    path = [{"kept": 100, "valid_auc": 0.800, "valid_logloss": 0.40},
            {"kept": 50, "valid_auc": 0.8005, "valid_logloss": 0.399},
            {"kept": 20, "valid_auc": 0.7995, "valid_logloss": 0.4005},   # within tolerance: sparsest
            {"kept": 10, "valid_auc": 0.780, "valid_logloss": 0.41}]      # closed too far
    assert choose_state(path, 0.001) == 2
    assert choose_state(path, 0.0) == 1
    assert choose_state(path, 1.0) == 3
    # No state near both bests (the best AUC's log loss is far off the lowest): it used to
    # raise on min() of nothing; the lowest log loss among those near the best AUC is taken.
    apart = [{"kept": 100, "valid_auc": 0.80, "valid_logloss": 0.50},
             {"kept": 60, "valid_auc": 0.7995, "valid_logloss": 0.48},
             {"kept": 10, "valid_auc": 0.70, "valid_logloss": 0.40}]
    assert choose_state(apart, 0.001) == 1


@pytest.mark.slow
def test_dnis_dimensions_follow_signal_not_cardinality(unseen) -> None:
    res, truth, noise = _search_keeping_informative_fields("dnis", unseen)
    dims = res.embedding_dims
    card = truth["cardinality"]
    # Every informative categorical gets more dimensions than any noise field of like or
    # larger cardinality (a dropped field has none).
    for f in [f for f in dims if f in card and f.startswith("inf_")]:
        rivals = [n for n in noise if n in card and card[n] >= card[f] / 3]
        assert all(dims[f] > dims.get(n, 0) for n in rivals), (f, dims)
    assert res.metrics["params_after"] < res.metrics["params_before"]
    assert all(len(v) >= 1 for v in res.extra["block_dims"].values())


@pytest.mark.slow
def test_optinter_memorizes_the_planted_pair_and_leaves_noise_pairs_naive(planted) -> None:
    table, truth, ranking = planted
    res = autofeat.search(table, "click", method="optinter", ranking=ranking, **FAST)
    planted_pair = [p for p in res.interactions if set(p["features"]) == {"int_a", "int_b"}]
    assert planted_pair and planted_pair[0]["method"] != "naive"
    noise = _noise(truth)
    noisy = [p["method"] for p in res.interactions if any(n in noise for n in p["features"])]
    assert noisy and sum(v == "naive" for v in noisy) > len(noisy) / 2


@pytest.mark.parametrize("backbone", ["deepfm", "autoint", "finalmlp"])
@pytest.mark.parametrize("method", ["optfs", "dnis", "optinter"])
@pytest.mark.slow
def test_exported_model_predicts_like_the_retrained_one(planted, method, backbone, tmp_path) -> None:
    """Every gate method hosted by a backbone with a first-order term (DeepFM) and by the
    attention (AutoInt) and two-stream (FinalMLP) backbones."""
    from autofeat.models.export import export_compact, load_compact
    from autofeat.models.trainer import Feed, predict

    table, _, ranking = planted
    small = {}
    if backbone != "deepfm":  # they cost more per row: fewer rows, a narrower model
        table, small = table.slice(0, 20_000), dict(dim=8, hidden=(32,), **({"pairs_top": 5} if method == "optinter" else {}))
    opts = options_for(method, dict(model=backbone, search_epochs=2, epochs=2, **small, **FAST))
    cands = Candidates.from_ranking(ranking, 12)
    td = load_training_data(table, "click", list(cands.features), kinds=dict(cands.kinds))
    arch = gate_search(method)(td, cands, opts, True)
    model, cross, _ = base.retrain(td, arch, opts, True)
    compact = export_compact(model, td, arch, cross_keys=cross[2] if cross else None)
    feed = Feed(td.ids[:, arch.fields], td.y, None if cross is None else cross[0])
    expected = predict(model, feed, td.test)
    compact.save(tmp_path / "model.pt")
    loaded = load_compact(tmp_path / "model.pt")
    got = loaded.predict(table.take(pa.array(td.test)))  # from raw values
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    if method == "dnis":
        assert compact.n_params() < base.count_params(model)


@pytest.mark.parametrize("method", ["dnis", "optfs", "optinter"])
@pytest.mark.slow
def test_no_test_row_influences_any_choice(planted, method) -> None:
    table, _, ranking = planted
    scrambled = _scramble_test_rows(table, 0, "click")
    kw = dict(method=method, ranking=ranking, search_epochs=2, epochs=2, **FAST)
    a = autofeat.search(table, "click", **kw)
    b = autofeat.search(scrambled, "click", **kw)
    assert (a.features, a.embedding_dims, a.kept_values, a.interactions) == \
           (b.features, b.embedding_dims, b.kept_values, b.interactions)
    assert a.metrics["valid_auc"] == pytest.approx(b.metrics["valid_auc"], abs=1e-9)
    assert a.extra["search_history"] == b.extra["search_history"]
    assert a.metrics["test_auc"] != pytest.approx(b.metrics["test_auc"], abs=1e-3)  # the test rows did change


@pytest.mark.slow
def test_a_search_that_ranks_by_itself_ranks_on_train_rows_only(planted) -> None:
    # Without --ranking the ranking picks the candidates (and OptInter's pairs): had it seen
    # the test rows, rewriting them would change the candidates' order, kinds or pairs.
    table, _, _ = planted
    scrambled = _scramble_test_rows(table, 0, "click")
    kw = dict(method="optinter", search_epochs=1, epochs=1, pairs_top=4, **FAST)
    a = autofeat.search(table, "click", **kw)
    b = autofeat.search(scrambled, "click", **kw)
    assert (a.features, a.interactions) == (b.features, b.interactions)
    assert a.metrics["valid_auc"] == pytest.approx(b.metrics["valid_auc"], abs=1e-9)
    assert a.metrics["test_auc"] != pytest.approx(b.metrics["test_auc"], abs=1e-3)


def test_vocabulary_is_fitted_on_train_rows_with_an_oov_slot() -> None:
    values = np.array([f"v{i % 50}" for i in range(2_000)] + [f"rare{i}" for i in range(500)], dtype=object)
    y = (np.arange(values.size) % 3 == 0).astype(np.int8)
    td = load_training_data({"f": values, "y": y}, "y", ["f"], min_count=2, seed=1)
    f = td.fields[0]
    assert f.size == 51  # 50 frequent values + OOV; the 500 singletons share id 0
    assert (td.ids[np.char.startswith(values.astype(str), "rare"), 0] == 0).all()
    assert list(f.counts[1:]) == sorted(f.counts[1:], reverse=True)  # ids in train frequency order
    train_only = {v for v in values[td.train]}
    assert all(v in train_only for v in f.values.to_pylist())


def test_time_column_puts_the_newest_rows_in_test() -> None:
    n = 1_000
    t = np.arange(n)[::-1].copy()  # row 0 is the newest
    data = {"ts": t, "f": np.arange(n) % 7, "y": (np.arange(n) % 4 == 0).astype(np.int8)}
    td = load_training_data(data, "y", ["f"], time_column="ts")
    assert t[td.test].min() > t[td.valid].max() > t[td.train].max() - 1
    assert td.test.size == 100 and td.valid.size == 100


def test_bad_inputs_give_one_line_errors() -> None:
    n = 2_000
    y = np.zeros(n, np.int8)
    y[-3:] = 1
    with pytest.raises(DataError, match="one class only in the train split"):  # positives only in the newest rows
        load_training_data({"f": np.arange(n) % 5, "ts": np.arange(n), "y": y}, "y", ["f"], time_column="ts")
    ids = {"row_id": np.arange(n), "y": (np.arange(n) % 2).astype(np.int8)}
    with pytest.raises(DataError, match="out of vocabulary"):
        load_training_data(ids, "y", ["row_id"])
    table, _ = make_ctr(3_000, seed=0)
    with pytest.raises(OptionError, match="--model"):
        autofeat.search(table, "click", method="optfs", model="transformer")
    with pytest.raises(OptionError, match="--method"):
        autofeat.search(table, "click", method="autoint")
    if not torch.cuda.is_available():
        with pytest.raises(OptionError, match="no CUDA device"):
            autofeat.search(table, "click", method="dnis", device="cuda")
    with pytest.raises(OptionError, match="unknown option"):
        autofeat.search(table, "click", method="dnis", n_trials=3)


@pytest.mark.slow
def test_cli_gate_search_writes_result_model_and_report(tmp_path) -> None:
    data = tmp_path / "d.csv"
    from autofeat.datasets import write_ctr_csv

    write_ctr_csv(data, 20_000, spec=SPEC, seed=0)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "autofeat.cli", "search", str(data), "--label", "click", "--method", "optinter",
           "--model", "fm", "--out", str(out), "--quiet", "--search-epochs", "1", "--epochs", "1", "--max-features", "6"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    doc = json.loads((out / "result.json").read_text())
    for key in ("method", "features", "embedding_dims", "interactions", "metrics"):
        assert key in doc
    for key in ("valid_auc", "test_auc", "test_logloss", "params_before", "params_after", "search_seconds",
                "retrain_seconds", "all_features_test_auc", "all_features_test_logloss", "all_features_params"):
        assert key in doc["metrics"]
    assert (out / "model.pt").exists() and "Interaction methods" in (out / "report.html").read_text()
    bad = tmp_path / "bad"
    run = subprocess.run(cmd[:-9] + ["--out", str(bad), "--device", "cuda", "--quiet"], capture_output=True, text=True)
    if not torch.cuda.is_available():
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and "cuda" in run.stderr
        assert not bad.exists() or not any(bad.iterdir())
    run = subprocess.run(cmd[:-9] + ["--out", str(bad), "--trials", "3"], capture_output=True, text=True)
    assert run.returncode == 2 and "--trials does not apply" in run.stderr


@pytest.mark.parametrize("name", [pytest.param(b, marks=pytest.mark.slow) if b == "autoint" else b for b in BACKBONES])
def test_every_backbone_learns(planted, name) -> None:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import Feed, TrainOptions, evaluate, fit

    table, _, ranking = planted
    feats = ranking.top(6)
    td = load_training_data(table, "click", feats, kinds={f: ranking.feature(f).kind for f in feats})
    torch.manual_seed(0)
    model = CTRModel(td.sizes, 8, name, hidden=(32,))
    feed = Feed(td.ids, td.y)
    report = fit(model, feed, td.train, td.valid, TrainOptions(epochs=2, batch_size=1024, lr=3e-3))
    assert report.best_auc > 0.7
    assert evaluate(model, feed, td.valid)[0] == pytest.approx(report.best_auc)  # best epoch restored


def test_a_warm_started_training_keeps_its_start_when_no_epoch_beats_it(planted) -> None:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import Feed, TrainOptions, evaluate, fit

    table, _, ranking = planted
    feats = ranking.top(6)
    td = load_training_data(table, "click", feats, kinds={f: ranking.feature(f).kind for f in feats})
    torch.manual_seed(0)
    model = CTRModel(td.sizes, 8, "deepfm", hidden=(32,))
    feed = Feed(td.ids, td.y)
    fit(model, feed, td.train, td.valid, TrainOptions(epochs=2, batch_size=1024, lr=3e-3))
    start_auc = evaluate(model, feed, td.valid)[0]
    # A learning rate this large wrecks the model in its first epoch: the start must win.
    report = fit(model, feed, td.train, td.valid, TrainOptions(epochs=3, batch_size=1024, lr=5.0), score_start=True)
    assert report.history[0]["epoch"] == -1 and report.history[0]["valid_auc"] == pytest.approx(start_auc)
    assert report.best_epoch == -1 and report.history[1]["valid_auc"] < start_auc
    assert evaluate(model, feed, td.valid)[0] == pytest.approx(start_auc)


@pytest.mark.parametrize("method", ["optfs", "dnis"])
@pytest.mark.slow
def test_fields_dropped_by_a_test_come_back_when_the_search_validates_worse(unseen, method) -> None:
    """A field test far too strict for the data (--field-z 50) fails every field but the
    best: the retrained model then validates worse than the baseline on every field, and the
    retrain with the test-dropped fields kept wins on valid, so they come back."""
    table, truth, ranking = unseen
    res = autofeat.search(table, "click", method=method, ranking=ranking, max_features=12, seed=0,
                          field_z=50.0, search_epochs=2, epochs=3)
    check = res.extra["field_check"]
    assert check["search_valid_logloss"] > check["baseline_valid_logloss"]
    assert check["restored_valid_logloss"] < check["search_valid_logloss"]
    assert check["chosen"] in ("restored", "baseline")
    chosen_ll = check[f"{check['chosen']}_valid_logloss"]
    assert chosen_ll == min(v for k, v in check.items() if k.endswith("_valid_logloss"))
    if check["rows"] == res.extra["rows"]["valid"]:  # DNIS compares on the rows alpha did not see
        assert res.metrics["valid_logloss"] == pytest.approx(chosen_ll)
    cands = ranking.top(12)
    assert all(f in res.features for f in cands if f in truth["informative"])
    assert not set(check["restored_fields"]) & set(res.extra["dropped_fields"])
    if check["chosen"] == "baseline":
        assert res.metrics["test_auc"] == pytest.approx(res.metrics["all_features_test_auc"])
    from autofeat.report.search_html import search_html

    assert "Check against the baseline" in search_html(res.to_dict())


def test_the_plain_model_is_the_result_when_it_validates_best() -> None:
    class _TD:
        names = ["a", "b", "c"]
        sizes = [3, 4, 5]

    arch = base.Arch(fields=[0], extra={"dropped_fields": {"b": {"reason": "test"}}, "kept_ratio": {"a": 0.5},
                                        "params_before": 10})
    search_fit = ("search model", None, None, None)
    base_fit = ("plain model", None, None, None)
    rows = np.arange(10)
    chosen, fit = base._check_against_baseline(_TD(), arch, search_fit, 0.45, base_fit, 0.44, rows,
                                               GateOptions(), True, "cpu")
    assert fit is base_fit and chosen.fields == [0, 1, 2] and chosen.value_keep is None
    assert chosen.extra["dropped_fields"] == {} and "kept_ratio" not in chosen.extra
    assert chosen.extra["field_check"]["chosen"] == "baseline"
    assert "plain model" in base.describe_check(chosen.extra["field_check"])
    kept, fit = base._check_against_baseline(_TD(), arch, search_fit, 0.43, base_fit, 0.44, rows,
                                             GateOptions(), True, "cpu")
    assert fit is search_fit and kept.fields == [0] and kept.extra["field_check"]["chosen"] == "search"


def test_weak_fields_that_matter_together_are_not_all_dropped() -> None:
    tests = {0: (0.05, 0.01), 1: (0.004, 0.005), 2: (0.003, 0.005), 3: (-0.001, 0.002)}
    names = ["strong", "weak_a", "weak_b", "noise"]
    # Alone: only "strong" passes. Together the three failing fields still matter while
    # weak_a is among them; once it is back, the rest (weak_b, noise) do not.
    joint = {(1, 2, 3): (0.02, 0.005), (2, 3): (0.001, 0.004)}
    kept, dropped = base.drop_fields(tests, 1.0, names, joint=lambda fs: joint[tuple(fs)])
    assert kept == [0, 1] and set(dropped) == {"weak_b", "noise"}
    assert "together" in dropped["noise"]["reason"]
    kept, _ = base.drop_fields(tests, 1.0, names)
    assert kept == [0]
