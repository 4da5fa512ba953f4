"""Arrow <-> NumPy helpers: same values as pyarrow's own conversion, slices and nulls included,
and a CSV ranking that never imports pandas (its import is a large share of start-up)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from autofeat.io.arrow import from_numpy, to_numpy, values_and_validity


@pytest.mark.parametrize("values,typ", [
    ([3, 1, 4, 1, 5, 9, 2, 6], pa.int64()), ([3, 1, 4, 1, 5, 9, 2, 6], pa.uint16()),
    ([0.5, 1.5, -2.0, 7.25, 8.0, 1e9, 0.0, 3.0], pa.float32()),
    ([True, False, True, True, False, False, True, False, True], pa.bool_()),
    (["a", "b", None, "c"], pa.string()), ([1, None, 3, 4, None, 6], pa.int32()),
])
def test_to_numpy_matches_pyarrow_on_slices(values, typ):
    arr = pa.array(values, typ)
    for piece in (arr, arr.slice(1), arr.slice(3, 3), pa.chunked_array([arr.slice(0, 2), arr.slice(2)])):
        ref = piece.to_numpy(zero_copy_only=False) if isinstance(piece, pa.Array) \
            else piece.combine_chunks().to_numpy(zero_copy_only=False)
        got = to_numpy(piece)
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)


def test_values_and_validity_and_from_numpy_round_trip():
    arr = pa.array([5, None, 7, None, 9, 10, None, 12, 13], pa.int64()).slice(1)
    values, valid = values_and_validity(arr)
    np.testing.assert_array_equal(valid, arr.is_valid().to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(values[valid], [7, 9, 10, 12, 13])
    back = from_numpy(np.where(valid, values, 0), mask=~valid)
    assert back.equals(arr)
    flags = from_numpy(np.array([True, False, True]))
    assert flags.to_pylist() == [True, False, True]


def test_rank_of_a_csv_does_not_import_pandas(tmp_path):
    path = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    lines = ["y,ad,price,site,flag"]
    for i in range(3000):
        y = "yes" if rng.random() < 0.3 else "no"
        price = "" if i % 7 == 0 else f"{rng.random() * 10:.2f}"
        ad = "" if i % 11 == 0 else str(int(rng.integers(0, 500)))
        lines.append(f"{y},{ad},{price},s{int(rng.integers(0, 30))},{i % 2 == 0}")
    path.write_text("\n".join(lines) + "\n")
    code = ("import sys; from autofeat.cli import main; "
            f"rc = main(['rank', {str(path)!r}, '--label', 'y', '--out', {str(tmp_path / 'out')!r}, '--quiet']); "
            "print(rc, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 False", out.stderr
