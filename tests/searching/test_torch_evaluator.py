"""Optuna with a torch CTR model as the evaluator: trials choose fields, embedding widths and
pair methods; the result has the gate searches' shape and exports the same compact model."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pyarrow as pa
import pytest

torch = pytest.importorskip("torch")

import autofeat  # noqa: E402
from autofeat.datasets import make_ctr  # noqa: E402
from autofeat.errors import OptionError  # noqa: E402
from autofeat.models.export import load_compact  # noqa: E402
from autofeat.searching.optuna_search import OptunaSearchOptions  # noqa: E402
from autofeat.searching.storage import open_storage  # noqa: E402

FAST = dict(n_trials=3, epochs=2, max_features=5, seed=0)


@pytest.fixture(scope="module")
def data() -> tuple[pa.Table, autofeat.Ranking]:
    table, _ = make_ctr(4000, seed=3)
    return table, autofeat.rank(table, "click", quiet=True)


def test_torch_trials_search_widths_and_pair_methods_and_export(data, tmp_path):
    table, ranking = data
    res = autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="fm",
                          space=("feature_subset", "embedding_dims", "interactions"), **FAST)
    stored = json.loads((tmp_path / "result.json").read_text())
    assert stored["method"] == "optuna" and stored["model"] == "fm" and stored["evaluator"] == "torch"
    assert set(res.embedding_dims) == set(res.features)
    assert all(d in (2, 4, 8, 16, 32) for d in res.embedding_dims.values())
    assert res.interactions and all(p["method"] in ("naive", "memorize", "factorize") and set(p["features"]) <= set(res.features)
                                    for p in res.interactions)
    assert {"all_features_test_auc", "test_auc", "params_after"} <= set(res.metrics)
    # the chosen trial retrained with its seed is the model the trial scored
    assert res.metrics["valid_auc"] == pytest.approx(res.extra["best_trial"]["values"][0], abs=1e-6)
    model = load_compact(tmp_path / "model.pt")
    assert model.field_dims() == [res.embedding_dims[f] for f in res.features]
    p = model.predict(table.slice(0, 50))
    assert p.shape == (50,) and np.all((p > 0) & (p < 1))


def test_torch_trials_report_every_epoch_for_pruning(data, tmp_path):
    table, ranking = data
    autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="deepfm", baseline=False, **FAST)
    trials = optuna.load_study(study_name="autofeat", storage=open_storage(None, tmp_path)).get_trials()
    assert all(len(t.intermediate_values) >= 1 for t in trials if t.state.name == "COMPLETE")
    assert all("dim:" + f in t.params for t in trials for f in t.user_attrs["features"])  # default space: widths


def test_params_as_second_objective_gives_a_pareto_front(data, tmp_path):
    table, ranking = data
    res = autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="lr", second_objective="params",
                          baseline=False, **FAST)
    front = res.extra["pareto"]
    assert front and all("params" in t and t["params"] > 0 for t in front)


def test_latency_as_second_objective_is_measured_on_the_export(data, tmp_path):
    table, ranking = data
    res = autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="fm", second_objective="latency",
                          baseline=False, **{**FAST, "n_trials": 2})
    front = res.extra["pareto"]
    assert front and all(t["latency_us"] > 0 for t in front)
    study = optuna.load_study(study_name="autofeat", storage=open_storage(None, tmp_path))
    assert study.metric_names == ["valid_auc", "latency"]


@pytest.mark.parametrize("kw, msg", [
    (dict(space=("embedding_dims",)), "needs a torch CTR evaluator: add --model"),
    (dict(model="deepfm", space=("lightgbm",)), "is the LightGBM evaluator's"),
    (dict(second_objective="params"), "--second-objective params needs a torch evaluator"),
    (dict(second_objective="latency"), "--second-objective latency needs a torch evaluator"),
    (dict(epochs=3), "--epochs applies to the torch evaluator only"),
    (dict(model="nope"), "--model 'nope': unknown"),
])
def test_evaluator_mismatches_are_one_line_errors(data, tmp_path, kw, msg):
    table, ranking = data
    with pytest.raises(OptionError, match=msg):
        autofeat.search(table, "click", ranking=ranking, out=tmp_path, n_trials=1, **kw)
    assert not (tmp_path / "result.json").exists()


def test_options_check_without_running():
    with pytest.raises(OptionError):
        OptunaSearchOptions(dim=8).check()
    OptunaSearchOptions(model="dcn", dim=8, epochs=1).check()


# A torch study in a child process that SIGKILLs itself at its N-th trial fit (argv[1]),
# mid-trial: the trial stays RUNNING under the dead process, as when a machine dies.
KILL_AT_TORCH_FIT = """
import os, signal, sys
import autofeat
from autofeat.datasets import make_ctr
from autofeat.searching.evaluators import torch_eval
real, calls = torch_eval.TorchEvaluator.fit, [0]
def fit(self, *a, **k):
    calls[0] += 1
    if calls[0] == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, *a, **k)
torch_eval.TorchEvaluator.fit = fit
table, _ = make_ctr(3000, seed=3)
autofeat.search(table, "click", out=sys.argv[2], n_trials=4, model="fm", epochs=1, max_features=4,
                baseline=False, space=("embedding_dims", "interactions"))
"""


@pytest.mark.slow
def test_a_killed_torch_study_resumes_without_losing_or_repeating_a_trial(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.faults.helpers import ENV, ROOT

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", KILL_AT_TORCH_FIT, "3", str(out)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    before = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    done_before = {t.number: t.values for t in before if t.state.name == "COMPLETE"}
    assert len(done_before) == 2 and any(t.state.name == "RUNNING" for t in before)
    proc = subprocess.run([sys.executable, "-c", KILL_AT_TORCH_FIT, "0", str(out)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = optuna.load_study(study_name="autofeat", storage=open_storage(None, out)).get_trials()
    finished = [t for t in after if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 4 and {t.number: t.values for t in finished if t.number in done_before} == done_before
    params = [json.dumps(t.params, sort_keys=True) for t in finished]
    assert len(params) == len(set(params))  # the killed trial's retry is the only run of its parameters
    assert json.loads((out / "result.json").read_text())["n_trials"] + \
        json.loads((out / "result.json").read_text())["n_pruned"] == 4


def test_a_new_torch_study_starts_from_the_rankings_guess(data, tmp_path):
    from autofeat.searching.candidates import Candidates
    from autofeat.searching.optuna_search import WARM_START

    table, ranking = data
    res = autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="fm", baseline=False,
                          space=("embedding_dims", "interactions"), **{**FAST, "n_trials": 2})
    study = optuna.load_study(study_name="autofeat", storage=open_storage(None, tmp_path))
    first = study.trials[0]
    assert first.user_attrs.get(WARM_START) and not study.trials[1].user_attrs.get(WARM_START)
    cands = Candidates.from_ranking(ranking, FAST["max_features"])
    strong, evidence = set(cands.informative()), set(cands.with_evidence())
    widths = {k[4:]: v for k, v in first.params.items() if k.startswith("dim:")}
    assert strong and strong <= evidence and set(widths) == set(cands.features)
    assert min(widths[f] for f in evidence) > max((w for f, w in widths.items() if f not in evidence), default=0)
    # fields without evidence draw from the space's narrow choices in every trial
    for t in study.trials:
        assert all(v in (2, 4) for k, v in t.params.items() if k.startswith("dim:") and k[4:] not in evidence)
    for k, (a, b) in enumerate(cands.pairs(list(cands.features), 10)):
        hint = cands.pair_hint(cands.features[a], cands.features[b])
        assert first.params[f"pair:{k}"] == {"count": "memorize", "factorized": "factorize"}.get(hint, "naive")
    # the pick among trials minimizes the exported model's size, not the number of features
    assert "features" not in res.extra["chosen_by"] or "parameters" in res.extra["chosen_by"]
    # a resumed study does not queue the guess again
    autofeat.search(table, "click", ranking=ranking, out=tmp_path, model="fm", baseline=False,
                    space=("embedding_dims", "interactions"), **{**FAST, "n_trials": 3})
    study = optuna.load_study(study_name="autofeat", storage=open_storage(None, tmp_path))
    assert sum(bool(t.user_attrs.get(WARM_START)) for t in study.trials) == 1 and len(study.trials) == 3
