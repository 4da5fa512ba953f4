from __future__ import annotations

import os

# OpenMP threads (LightGBM's, torch's) spin while they wait; on a busy 2-core CI machine that
# made in-process trials 10-40x slower. Set before any test imports an OpenMP library.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from autofeat.datasets import make_ctr  # noqa: E402


@pytest.fixture(scope="session")
def ctr_small():
    """A 30k-row generated table with every planted structure, and its truth."""
    return make_ctr(30_000, seed=3)


@pytest.fixture(scope="session")
def ctr_ranking(ctr_small):
    import autofeat

    cols, _ = ctr_small
    return autofeat.rank(cols, label="click")


@pytest.fixture()
def rng():
    return np.random.default_rng(12345)


# Slow tests (seconds each: model training, subprocess searches) in folders other people were
# editing when the quick subset was made; marked here by name until the marks can sit beside
# the tests. Elsewhere a slow test carries @pytest.mark.slow itself.
_SLOW_BY_FILE = {
    "tests/searching/test_gates.py": {
        "test_optfs_keeps_informative_fields_and_drops_noise_fields",
        "test_dnis_dimensions_follow_signal_not_cardinality",
        "test_optinter_memorizes_the_planted_pair_and_leaves_noise_pairs_naive",
        "test_exported_model_predicts_like_the_retrained_one",
        "test_no_test_row_influences_any_choice",
        "test_a_search_that_ranks_by_itself_ranks_on_train_rows_only",
        "test_cli_gate_search_writes_result_model_and_report",
        "test_fields_dropped_by_a_test_come_back_when_the_search_validates_worse",
        "test_every_backbone_learns[autoint]",
    },
    "tests/searching/test_optuna_search.py": {
        "test_seeded_search_keeps_the_informative_features",
        "test_multi_objective_gives_a_pareto_front",
        "test_resume_after_sigkill_loses_nothing",
        "test_two_workers_journal_reach_exactly_the_budget",
        "test_no_test_row_influences_an_optuna_search",
        "test_study_with_other_candidates_is_refused",
        "test_study_with_other_directions_is_refused",
        "test_flagged_columns_are_candidates_only_when_named",
    },
    "tests/models/test_backbones.py": {"test_new_backbones_fit_a_planted_pair_that_lr_cannot"},
    "tests/searching/test_torch_evaluator.py": {"test_a_killed_torch_study_resumes_without_losing_or_repeating_a_trial"},
}


def pytest_collection_modifyitems(config, items):  # noqa: ARG001 - pytest's hook signature
    for item in items:
        names = _SLOW_BY_FILE.get(item.nodeid.split("::", 1)[0], ())
        if item.name in names or getattr(item, "originalname", None) in names:  # one case or all
            item.add_marker(pytest.mark.slow)
