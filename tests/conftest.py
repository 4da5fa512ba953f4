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
