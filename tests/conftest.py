from __future__ import annotations

import numpy as np
import pytest

from autofeat.datasets import make_ctr


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
