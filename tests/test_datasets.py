from __future__ import annotations

import numpy as np

from autofeat.datasets import CTRSpec, make_ctr


def test_generator_is_deterministic_and_planted():
    t, truth = make_ctr(5000, seed=9)
    assert t.equals(make_ctr(5000, seed=9)[0])
    a = {k: t.column(k).to_numpy(zero_copy_only=False) for k in t.column_names}
    assert 0.08 < a["click"].mean() < 0.3
    assert len(np.unique(a["row_id"])) == 5000
    assert (t.column("conversion_time").is_valid().to_numpy(zero_copy_only=False) == (a["click"] == 1)).all()
    assert t.column("mostly_missing").null_count > 0.9 * 5000
    assert (a["constant"] == 0).all()
    assert set(truth["informative"]) <= set(a)


def test_spec_without_planted_columns():
    cols, truth = make_ctr(1000, spec=CTRSpec(n_informative=2, n_noise=1, n_uniform_noise=1, planted=False))
    assert set(cols.column_names) == {"click", "inf_0", "inf_1", "noise_0", "hinoise_0"}
    assert truth["interactions"] == []
