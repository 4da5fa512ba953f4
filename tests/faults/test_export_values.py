"""Issue 15, fault 9: a ``model.pt`` whose kept categorical values are timestamps, dates or
decimals could not be loaded with ``torch.load(weights_only=True)`` (the values were stored as
datetime/date/Decimal objects). Such values are now stored as their Arrow IPC bytes (a uint8
tensor) and restored with their exact type on load."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pyarrow as pa
import pytest

torch = pytest.importorskip("torch")

from autofeat.encode.training import load_training_data  # noqa: E402
from autofeat.models.export import CompactModel, load_compact  # noqa: E402

KINDS = {"ts": "categorical", "day": "categorical", "price": "categorical", "clock": "categorical",
         "site": "categorical"}


def _table(n: int = 300) -> pa.Table:
    k = np.random.default_rng(9).integers(0, 5, n)
    return pa.table({
        "ts": pa.array([dt.datetime(2024, 1, 1 + int(i), 6, tzinfo=dt.timezone.utc) for i in k],
                       pa.timestamp("us", tz="UTC")),
        "day": pa.array([dt.date(2024, 2, 1 + int(i)) for i in k], pa.date32()),
        "price": pa.array([decimal.Decimal(f"{i}.25") for i in k], pa.decimal128(10, 2)),
        "clock": pa.array([dt.time(int(i), 30) for i in k], pa.time64("us")),
        "site": pa.array([f"s{i}" for i in k]),
        "click": pa.array((k > 2).astype(np.int64)),
    })


def _compact(fields) -> CompactModel:
    """A compact model over ``fields``: one segment per field keeping every value."""
    dim = 4
    gen = torch.Generator().manual_seed(0)
    segments, lookups = [], []
    for k, f in enumerate(fields):
        segments.append({"field": torch.tensor(k), "cols": torch.arange(dim),
                         "table": torch.randn(f.size, dim, generator=gen), "lin": torch.randn(f.size, generator=gen)})
        lookups.append((torch.full((f.size,), len(segments) - 1, dtype=torch.long), torch.arange(f.size)))
    config = {"model": "fm", "dim": dim, "first_order": True, "hidden": [], "cross_layers": 2,
              "features": [f.name for f in fields], "pairs": [], "pair_methods": [], "cross_sizes": []}
    return CompactModel(config, segments, lookups, list(fields), [])


def test_temporal_and_decimal_values_load_with_weights_only(tmp_path):
    table = _table()
    td = load_training_data(table, "click", list(KINDS), kinds=KINDS)
    model = _compact(td.fields)
    model.save(tmp_path / "model.pt")
    torch.load(tmp_path / "model.pt", weights_only=True)  # raised UnpicklingError before
    loaded = load_compact(tmp_path / "model.pt")
    for before, after in zip(td.fields, loaded.vocab):
        assert after.values.type == before.values.type and after.values.equals(before.values), before.name
    np.testing.assert_array_equal(loaded.encode(table)[0], model.encode(table)[0])  # raw values find their ids
    assert (loaded.encode(table)[0] > 0).all()
    np.testing.assert_allclose(loaded.predict(table), model.predict(table), rtol=1e-6)


def test_models_saved_with_plain_value_lists_still_load(tmp_path):
    # The older form of a field's values: a list and a type name (plain types keep it).
    table = _table().select(["site", "click"])
    td = load_training_data(table, "click", ["site"], kinds={"site": "categorical"})
    model = _compact(td.fields)
    model.save(tmp_path / "model.pt")
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert state["vocab"][0]["values"] == td.fields[0].values.to_pylist()
    np.testing.assert_allclose(load_compact(tmp_path / "model.pt").predict(table), model.predict(table), rtol=1e-6)
