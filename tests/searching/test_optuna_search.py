"""Optuna search: seeded result, resume after SIGKILL, exact global budget across workers
(journal file, and PostgreSQL when a server is reachable), and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

import autofeat
from autofeat.cli import main
from autofeat.datasets import CTRSpec, make_ctr, write_ctr_csv
from autofeat.searching.optuna_search import OptunaSearchOptions
from autofeat.searching.storage import open_storage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    p = tmp_path_factory.mktemp("search") / "data.csv"
    write_ctr_csv(p, 30_000, spec=CTRSpec(n_informative=4, n_noise=4, n_uniform_noise=1), seed=5)
    return p


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "search", *args, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _trials(storage_url: str | None, out: Path, study: str = "autofeat"):
    st = optuna.load_study(study_name=study, storage=open_storage(storage_url, out))
    return st.get_trials(deepcopy=False)


def _finished(trials):
    return [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]


@pytest.mark.slow
def test_seeded_search_keeps_the_informative_features(tmp_path):
    table, truth = make_ctr(30_000, spec=CTRSpec(n_informative=4, n_noise=6, n_uniform_noise=1), seed=1)
    ranking = autofeat.rank(table, label="click")
    kw = dict(n_trials=10, seed=3, space=("feature_subset", "lightgbm"))
    a = autofeat.search(table, "click", ranking=ranking, out=tmp_path / "a", **kw)
    b = autofeat.search(table, "click", ranking=ranking, out=tmp_path / "b", **kw)
    # The strongest planted signal LightGBM can use at 24k training rows: the XOR pair, the
    # numeric signal and inf_2 (inf_1 adds little: some trials without it validate best).
    strong = {"int_a", "int_b", "num_signal", "inf_2"}
    assert strong <= set(a.features)
    # The fewest features within one standard error of the best: no noise column.
    assert not set(a.features) & set(truth["noise"]), (a.features, a.extra["chosen_by"])
    # The baseline (every candidate, the chosen trial's parameters) comes with the result.
    assert a.metrics["all_features_n"] == len(ranking.top(40))
    assert 0.5 < a.metrics["all_features_test_auc"] <= 1
    assert a.features == b.features and a.metrics["valid_auc"] == b.metrics["valid_auc"]
    assert a.metrics["test_auc"] > 0.68
    doc = json.loads((tmp_path / "a" / "result.json").read_text())
    assert doc["method"] == "optuna" and doc["n_trials"] >= 1 and doc["features"] == a.features
    assert {"valid_auc", "test_auc", "test_logloss"} <= set(doc["metrics"])
    assert doc["importances"] and abs(sum(doc["importances"].values()) - 1) < 1e-6
    html = (tmp_path / "a" / "report.html").read_text()
    assert "Optimization history" in html and "Parameter importances" in html and "<svg" in html
    # The report is rendered from result.json alone.
    from autofeat.report.search_html import search_html

    assert search_html(doc) == html


def test_one_se_rule_and_auc_standard_error():
    from autofeat.searching.optuna_search import auc_standard_error

    # Hanley-McNeil: AUC 0.5 with 100 + 100 rows has SE about 0.041 (their table).
    assert auc_standard_error(0.5, 100, 100) == pytest.approx(0.0408, abs=5e-4)
    assert auc_standard_error(0.8, 1000, 1000) < auc_standard_error(0.8, 100, 100)
    assert auc_standard_error(0.7, 0, 10) == 0.0


@pytest.mark.slow
def test_multi_objective_gives_a_pareto_front(tmp_path):
    table, _ = make_ctr(20_000, seed=2)
    r = autofeat.search(table, "click", out=tmp_path, n_trials=6, second_objective="n_features")
    assert r.extra["pareto"] and all("n_features" in p for p in r.extra["pareto"])


@pytest.mark.slow
def test_resume_after_sigkill_loses_nothing(data_csv, tmp_path):
    """SIGKILL in the middle of the third trial (placed by an event: the third LightGBM fit
    kills its process), then resume: nothing finished is lost, changed or run again."""
    from tests.faults.helpers import KILL_AT_FIT
    from tests.faults.helpers import autofeat as run_cli

    out = tmp_path / "out"
    args = ["search", str(data_csv), "--label", "click", "--trials", "8", "--out", str(out), "--quiet"]
    killed = run_cli("3", *args, code=KILL_AT_FIT)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    before = _trials(None, out)
    assert len(_finished(before)) == 2 and any(t.state.name == "RUNNING" for t in before)
    done_before = {t.number: t.values for t in _finished(before)}

    rerun = run_cli(*args)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    after = _trials(None, out)
    # No finished trial lost or changed; the killed trial's parameters were retried once.
    assert {n: v for n, v in ((t.number, t.values) for t in _finished(after)) if n in done_before} == done_before
    assert len(_finished(after)) == 8
    finished_params = [json.dumps(t.params, sort_keys=True) for t in _finished(after)]
    assert len(finished_params) == len(set(finished_params)), "a finished configuration ran twice"
    assert not [t for t in after if t.state.name == "RUNNING"]


def _two_workers(data_csv: Path, out: Path, storage: str, budget: int = 7) -> list:
    args = [str(data_csv), "--label", "click", "--trials", str(budget), "--out", str(out), "--storage", storage,
            "--study", "shared", "--space", "feature_subset,lightgbm"]
    procs = [_cli(*args), _cli(*args)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    return _trials(storage, out, "shared")


@pytest.mark.slow
def test_two_workers_journal_reach_exactly_the_budget(data_csv, tmp_path):
    trials = _two_workers(data_csv, tmp_path, f"journal:{tmp_path / 'shared.journal'}")
    assert len(_finished(trials)) == 7
    assert len({t.user_attrs.get('autofeat:worker') for t in _finished(trials)}) >= 1


def test_two_workers_postgresql(data_csv, tmp_path):
    url = os.environ.get("AUTOFEAT_TEST_POSTGRES")
    if not url:
        pytest.skip("no PostgreSQL server: set AUTOFEAT_TEST_POSTGRES (.ci/run starts one and sets it)")
    optuna.delete_study(study_name="shared", storage=url) if "shared" in optuna.get_all_study_names(url) else None
    trials = _two_workers(data_csv, tmp_path, url)
    assert len(_finished(trials)) == 7


@pytest.mark.parametrize("extra,msg", [
    (["--space", "nope"], "unknown space 'nope'"),
    (["--space", "feature_subset,embedding_dims"], "[embedding_dims] (search_spaces/embedding_dims.toml) needs a torch"),
    (["--storage", "postgresql://nobody:secret@127.0.0.1:1/none"], "cannot connect"),
    (["--storage", "redis-ish"], "expected journal:PATH"),
    (["--ranking", "/nonexistent/ranking.json"], "no such file"),
    (["--include", "no_such_column"], "--include no_such_column: not a ranked column"),
])
def test_bad_search_input_exit_2(data_csv, tmp_path, capsys, extra, msg):
    code = main(["search", str(data_csv), "--label", "click", "--trials", "1", "--out", str(tmp_path / "o"),
                 "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err
    assert "secret" not in err


@pytest.mark.slow
def test_study_with_other_directions_is_refused(data_csv, tmp_path, capsys):
    base = ["search", str(data_csv), "--label", "click", "--trials", "1", "--out", str(tmp_path), "--quiet"]
    assert main(base + ["--second-objective", "n_features"]) == 0
    capsys.readouterr()
    assert main(base) == 2
    assert "directions" in capsys.readouterr().err


@pytest.mark.slow
def test_study_with_other_candidates_is_refused(data_csv, tmp_path, capsys):
    base = ["search", str(data_csv), "--label", "click", "--trials", "1", "--out", str(tmp_path), "--quiet"]
    assert main(base + ["--max-features", "5"]) == 0
    capsys.readouterr()
    assert main(base + ["--max-features", "3"]) == 2
    assert "other candidate features" in capsys.readouterr().err


@pytest.mark.slow
def test_flagged_columns_are_candidates_only_when_named(data_csv, tmp_path):
    # conversion_time is flagged leak by the ranking: left out by default, a candidate when named.
    out = tmp_path / "o"
    base = ["search", str(data_csv), "--label", "click", "--trials", "1", "--max-features", "3", "--quiet"]
    assert main(base + ["--out", str(out)]) == 0
    plain = json.loads((out / "result.json").read_text())
    assert main(base + ["--out", str(tmp_path / "i"), "--include", "conversion_time"]) == 0
    named = json.loads((tmp_path / "i" / "result.json").read_text())
    assert plain["metrics"]["candidates"] == 3 and named["metrics"]["candidates"] == 4


def test_search_encodes_features_as_the_ranking_did(tmp_path):
    # An integer column is categorical by default; forced numeric in the ranking, the search
    # must bin it as numeric too (not re-infer it).
    from autofeat.searching import candidates as mod  # every search's data path

    table, _ = make_ctr(8000, seed=4)
    seen = {}
    real = mod.load_training_data

    def spy(*a, **k):
        td = real(*a, **k)
        seen.update((f.name, f.kind) for f in td.fields)
        return td

    mod.load_training_data = spy
    try:
        r = autofeat.search(table, "click", out=tmp_path, n_trials=1, numeric=["inf_1"], max_features=40)
    finally:
        mod.load_training_data = real
    assert r.method == "optuna"
    assert seen["inf_1"] == "numeric" and seen["inf_2"] == "categorical"


@pytest.mark.parametrize("given_ranking", [True, False])
@pytest.mark.slow
def test_no_test_row_influences_an_optuna_search(tmp_path, given_ranking):
    # The same data path as the gates: vocabularies and bin edges from train rows, the
    # ranking (when made here) on train rows. Rewriting every test row (labels flipped,
    # unseen values) must change the test score and nothing else.
    from tests.searching.helpers import scramble_test_rows

    table, _ = make_ctr(6000, seed=9)
    scrambled = scramble_test_rows(table, 0, "click")
    kw = dict(n_trials=4, max_features=8, seed=0, one_se=False)
    if given_ranking:
        kw["ranking"] = autofeat.rank(table, "click", quiet=True)
    a = autofeat.search(table, "click", out=tmp_path / "a", **kw)
    b = autofeat.search(scrambled, "click", out=tmp_path / "b", **kw)
    assert a.features == b.features and a.extra["best_trial"] == b.extra["best_trial"]
    assert [h["value"] for h in a.extra["history"]] == [h["value"] for h in b.extra["history"]]
    assert a.metrics["test_auc"] != pytest.approx(b.metrics["test_auc"], abs=1e-3)  # the test rows did change


def test_one_se_compares_smaller_trials_paired_with_the_best():
    # Both smaller trials validate within the best's *unpaired* error (told values); on the
    # same rows one is clearly worse (it lost a useful feature) and one is as good: the paired
    # comparison tells them apart.
    import numpy as np

    from autofeat.searching.metrics import auc_difference
    from autofeat.searching.optuna_search import _chosen

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    signal = y + rng.normal(scale=1.0, size=y.size)
    scores = {0: signal + rng.normal(scale=0.2, size=y.size),  # best: 3 features
              1: signal + rng.normal(scale=0.2, size=y.size),  # 1 feature: as good
              2: signal + rng.normal(scale=0.6, size=y.size)}  # 2 features: worse on the same rows
    assert auc_difference(y, scores[0], scores[2])[0] > 2 * auc_difference(y, scores[0], scores[2])[1]

    def study_of(trials):
        study = optuna.create_study(direction="maximize")
        for n, value in trials:
            t = study.ask()
            t.set_user_attr("features", [f"f{i}" for i in range(n)])
            study.tell(t, value)
        return study

    opts = OptunaSearchOptions()
    pick, _, why = _chosen(study_of([(3, 0.800), (1, 0.797), (2, 0.797)]), y, opts, lambda t: scores[t.number])
    assert pick.number == 1 and "paired" in why
    worse = {0: scores[0], 1: scores[2]}
    assert _chosen(study_of([(3, 0.800), (2, 0.797)]), y, opts, lambda t: worse[t.number])[0].number == 0


def test_the_report_has_a_trials_table_with_rounded_values(tmp_path):
    from autofeat.report.search_html import search_html

    doc = {"method": "optuna", "metrics": {"valid_auc": 0.81234567, "test_auc": 0.8, "test_logloss": 0.4,
                                           "candidates": 5},
           "n_trials": 2, "n_pruned": 1, "features": ["a", "b"],
           "best_trial": {"number": 2, "params": {"lgb:learning_rate": 0.0312345678, "top_k": 2}},
           "history": [{"number": 0, "value": 0.7512345, "state": "complete", "n_features": 5},
                       {"number": 1, "value": None, "state": "pruned", "n_features": 4},
                       {"number": 2, "value": 0.81234567, "state": "complete", "n_features": 2}]}
    html = search_html(doc)
    assert "3 trials finished (2 complete, 1 stopped early by the pruner)" in html
    assert "<h2>Trials</h2>" in html and "<td>0.7512</td>" in html and "<td>0.7512345</td>" not in html
    assert "<tr style='font-weight:bold'><td>2</td>" in html  # the chosen trial
    assert "0.03123" in html and "0.0312345678" not in html
