"""The cardinality correction: noise scores ~0 at every cardinality, signal does not."""

from __future__ import annotations

import numpy as np

import autofeat


def _noise_table(seed: int, n: int = 50_000):
    rng = np.random.default_rng(seed)
    cards = [2, 10, 100, 1_000, 10_000, 100_000]
    cols = {f"noise_{c}": rng.integers(0, c, n) for c in cards}
    signal = rng.integers(0, 20, n)
    p = 0.1 + 0.02 * (signal % 10)
    cols["signal"] = signal
    cols["y"] = (rng.random(n) < p).astype(int)
    return cols, cards


def test_noise_scores_near_zero_at_every_cardinality():
    cols, cards = _noise_table(0)
    r = autofeat.rank(cols, label="y", pairs_top=0)
    assert r.features[0].name == "signal"
    assert r.feature("signal").p_value < 1e-10
    n = r.rows
    for c in cards:
        f = r.feature(f"noise_{c}")
        # Null spread of MI: G = 2N*MI ~ chi2(df = 2N*E[MI]), so sd(MI) = sqrt(E[MI] / N).
        null_sd = np.sqrt(f.expected_mi / n)
        assert abs(f.score) < 4 * null_sd, (c, f.score, null_sd)
        assert f.p_value > 1e-3, (c, f.p_value)
    big = r.feature("noise_100000")
    assert abs(big.score) < 0.01 * big.mi
    # Plain MI would have put the 100k-level noise column far above the signal.
    assert r.feature("noise_100000").mi > 5 * r.feature("signal").mi


def test_same_seed_same_ranking():
    cols, _ = _noise_table(1, n=20_000)
    a = autofeat.rank(cols, label="y", seed=5).to_dict()
    b = autofeat.rank(cols, label="y", seed=5).to_dict()
    a.pop("timings"), b.pop("timings")
    assert a == b
