"""Search-space files: built-ins load, user files load, every malformed case is a one-line
OptionError that names the file and the key."""

from __future__ import annotations

import optuna
import pytest

from autofeat.errors import OptionError
from autofeat.searching.spaces import builtin_spaces, load_space


def test_every_builtin_space_loads():
    names = builtin_spaces()
    assert {"feature_subset", "lightgbm", "embedding_dims", "interactions"} <= set(names)
    for name in names:
        assert load_space([name]).sections


def test_params_suggest_from_a_trial():
    space = load_space(["feature_subset", "lightgbm"])
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    lr = space.get("lightgbm", "learning_rate").suggest(trial)
    leaves = space.get("lightgbm", "num_leaves").suggest(trial)
    assert 0.02 <= lr <= 0.3 and isinstance(leaves, int) and 8 <= leaves <= 128
    assert space.get("lightgbm", "num_boost_round").suggest(trial) == 300
    assert space.get("lightgbm", "missing_key", default=7).suggest(trial) == 7


def test_user_file_and_spaces_dir(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('[lightgbm]\nnum_leaves = { choices = [15, 31] }\nnum_boost_round = 50\n')
    assert load_space([str(f)]).get("lightgbm", "num_leaves").choices == (15, 31)
    assert load_space(["mine"], spaces_dir=tmp_path).has("lightgbm")


@pytest.mark.parametrize("text,msg", [
    ("[lightgbm\nx=1", "not valid TOML"),
    ("[gbm]\nx = 1", "unknown section [gbm]"),
    ("[lightgbm]\nnum_leafs = 3", "unknown key(s) in [lightgbm]: num_leafs"),
    ("[lightgbm]\nnum_leaves = { low = 10 }", "num_leaves: a range needs both low and high"),
    ("[lightgbm]\nlearning_rate = { low = 0.5, high = 0.1 }", "low 0.5 > high 0.1"),
    ("[lightgbm]\nlearning_rate = { low = 0, high = 0.1, log = true }", "log range needs low > 0"),
    ("[lightgbm]\nnum_boost_round = { low = 1, high = 9 }", "num_boost_round must be a fixed integer"),
    ("[interactions]\nchoices = ['cross']\ntop_pairs = 3", "subset of"),
    ("[embedding_dims]\nchoices = [8, -1]", "positive integers"),
    ("[embedding_dims]\nchoices = [8, 16]\nno_evidence_choices = [2, 32]", "no larger than the largest of choices (16)"),
    ("", "no sections"),
])
def test_malformed_space_names_file_and_key(tmp_path, text, msg):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(OptionError) as exc:
        load_space([str(f)])
    assert msg in str(exc.value) and str(f) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_unknown_space_and_duplicate_section():
    with pytest.raises(OptionError, match="unknown space 'nope'.*built-in: .*lightgbm"):
        load_space(["nope"])
    with pytest.raises(OptionError, match=r"section \[feature_subset\] also defined"):
        load_space(["feature_subset", "feature_flags"])
