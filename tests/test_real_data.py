"""Sanity on the real CTR samples in ../shared/data (skipped where they are absent: users and
most machines do not have them; the project's CI does)."""

from __future__ import annotations

from pathlib import Path

import pytest

import autofeat

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _need(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present (real-data samples live only beside the project's CI)")
    return path


def _kinds(r):
    return {(q["column"], q["kind"]) for q in r.quality}


def test_talkingdata_attributed_time_is_a_leak():
    r = autofeat.rank(_need("talkingdata_100k.csv"), label="is_attributed")
    assert ("attributed_time", "leak") in _kinds(r)
    assert r.names[-1] == "attributed_time" or "attributed_time" not in r.top(10)
    assert r.top(1) == ["app"]


def test_avazu_id_is_id_like():
    r = autofeat.rank(_need("avazu_8k.csv"), label="click")
    assert ("id", "id_like") in _kinds(r)
    assert r.feature("id").cardinality == r.rows  # 20-digit ids kept apart, not merged as floats


def test_criteo_headerless():
    r = autofeat.rank(_need("criteo_8k.tsv"), label="0", header=False)
    assert len(r.features) == 39 and r.rows == 8000
    assert all(f.p_value <= 1 for f in r.features)
