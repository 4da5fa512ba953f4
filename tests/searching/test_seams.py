"""The search stage's seams: the candidates value, the evaluator protocol and registry, and
each gate method's own options type."""

from __future__ import annotations

import typing

import numpy as np
import pytest

import autofeat
from autofeat.cli import main
from autofeat.datasets import make_ctr
from autofeat.errors import OptionError
from autofeat.searching.candidates import Candidates, training_data
from autofeat.searching.evaluators.base import EVALUATORS, Evaluator, evaluator_class
from autofeat.searching.gates.options import DNISOptions, GateOptions, OptFSOptions, OptInterOptions, options_for
from autofeat.searching.registry import GATE_METHODS, METHODS, gate_method


@pytest.fixture(scope="module")
def ranked():
    table, truth = make_ctr(6000, seed=5)
    return table, truth, autofeat.rank(table, "click", quiet=True)


def test_candidates_hold_the_rankings_choice_once(ranked):
    _, _, ranking = ranked
    c = Candidates.from_ranking(ranking, 6)
    assert list(c.features) == ranking.top(6)
    assert all(c.kinds[f] == ranking.feature(f).kind for f in c.features)
    assert c.bins == int(ranking.options["bins"]) and c.label == "click"
    assert all(a in c.features and b in c.features for a, b in c.ranked_pairs)
    assert c.relevance[c.features[0]] == ranking.feature(c.features[0]).score
    with pytest.raises(OptionError, match="--include nope"):
        Candidates.from_ranking(ranking, 6, include=["nope"])


def test_candidate_pairs_put_ranked_pairs_first_then_pairs_of_the_best():
    c = Candidates(label="y", features=("a", "b", "c", "d"), kinds={}, bins=20,
                   ranked_pairs=(("c", "d"), ("d", "c"), ("a", "c")), relevance={})
    names = ["a", "b", "c", "d"]
    assert c.pairs(names, 3) == [(2, 3), (0, 2), (0, 1)]
    assert c.pairs(names, 10) == [(2, 3), (0, 2), (0, 1), (0, 3), (1, 2), (1, 3)]
    assert c.pairs(["a", "c"], 5) == [(0, 1)]  # among the fields given only


def test_one_data_path_for_every_search(ranked):
    table, _, ranking = ranked
    c = Candidates.from_ranking(ranking, 5)
    opts = GateOptions(seed=3, valid_fraction=0.2, test_fraction=0.1)
    td = training_data(table, c, opts)
    assert td.names == list(c.features) and td.test.size == 600 and td.valid.size == 1200
    from autofeat.searching.optuna_search import OptunaSearchOptions

    td2 = training_data(table, c, OptunaSearchOptions(seed=3, valid_fraction=0.2, test_fraction=0.1))
    assert np.array_equal(td.ids, td2.ids) and np.array_equal(td.test, td2.test)


@pytest.mark.parametrize("name", list(EVALUATORS))
def test_every_registered_evaluator_has_the_protocol(name):
    cls = evaluator_class(name)
    assert cls.name == name
    for attr in typing.get_type_hints(Evaluator, include_extras=True):
        assert hasattr(cls, attr), (name, attr)
    for method in ("suggest", "fit", "outcome"):
        assert callable(getattr(cls, method))
    assert set(cls.default_space) <= set(cls.sections)
    assert "n_features" in cls.second_objectives
    with pytest.raises(OptionError, match="evaluator 'xgb': unknown"):
        evaluator_class("xgb")


def test_lightgbm_evaluator_gives_a_stored_trial_the_same_configuration(ranked):
    import optuna

    from autofeat.searching.optuna_search import OptunaSearchOptions
    from autofeat.searching.spaces import load_space

    table, _, ranking = ranked
    c = Candidates.from_ranking(ranking, 8)
    opts = OptunaSearchOptions(seed=0)
    cls = evaluator_class("lightgbm")
    ev = cls(training_data(table, c, opts), load_space(cls.default_space), c, opts)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    config = ev.suggest(trial)
    again = ev.suggest(optuna.trial.FixedTrial(trial.params))
    assert config.features == again.features and config.params == again.params
    fitted = ev.fit(config)
    assert 0.5 < fitted.valid_auc <= 1 and fitted.params is None and "best_iteration" in fitted.attrs()
    assert fitted.predict(ev.td.valid).shape == ev.td.valid.shape


def test_each_gate_method_has_its_own_options_type():
    kinds = {m: gate_method(m).options_type() for m in GATE_METHODS}
    assert kinds == {"optfs": OptFSOptions, "dnis": DNISOptions, "optinter": OptInterOptions}
    assert all(issubclass(k, GateOptions) for k in kinds.values())
    assert "penalty" in OptFSOptions.__dataclass_fields__ and "penalty" not in DNISOptions.__dataclass_fields__
    assert options_for("optinter", {"pairs_top": 3}).pairs_top == 3
    shared = GateOptions(dim=8)
    assert options_for("dnis", shared) == DNISOptions(dim=8)  # the shared part carried over
    with pytest.raises(OptionError, match="penalty is an option of --method optfs, not of --method dnis"):
        options_for("dnis", {"penalty": 1.0})
    with pytest.raises(OptionError, match="unknown option.*: nope"):
        options_for("optfs", {"nope": 1})
    with pytest.raises(OptionError, match="DNISOptions given for --method optfs, whose options are OptFSOptions"):
        options_for("optfs", DNISOptions(keep=0.3))
    assert METHODS["optinter"].search_epochs == 2


def test_a_setting_of_another_method_is_refused_by_name(ranked, tmp_path, capsys):
    pytest.importorskip("torch")  # the gate options check it
    table, _, ranking = ranked
    with pytest.raises(OptionError, match="penalty is an option of --method optfs"):
        autofeat.search(table, "click", method="dnis", ranking=ranking, penalty=5.0)
    data = tmp_path / "d.csv"
    from autofeat.datasets import write_ctr_csv

    write_ctr_csv(data, 2000, seed=1)
    code = main(["search", str(data), "--label", "click", "--method", "dnis", "--penalty", "5", "--out",
                 str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "--penalty applies to --method optfs, not to dnis" in err and len(err.splitlines()) == 1


def test_a_job_names_the_method_a_stray_key_belongs_to(tmp_path):
    from autofeat.jobs import load_job

    job = tmp_path / "job.toml"
    job.write_text('[data]\npath = "d.csv"\nlabel = "click"\n[output]\ndir = "o"\n'
                   '[[search]]\nname = "g"\nmethod = "dnis"\npenalty = 2.0\n')
    with pytest.raises(OptionError, match=r"unknown key\(s\) in \[\[search\]\] with method 'dnis': penalty "
                                          r"\(penalty is optfs's\)"):
        load_job(job)
