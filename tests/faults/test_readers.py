"""Issue 15, faults 3 and 4: every CSV reader is closed (no abort at exit after a one-line
error), and the delimiter of a compressed file is sniffed from its decompressed text."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from autofeat.cli import main
from autofeat.datasets import write_ctr_csv
from tests.faults.helpers import autofeat


def _compress(src: Path, dst: Path, codec: str) -> Path:
    with pa.CompressedOutputStream(str(dst), codec) as f:
        f.write(src.read_bytes())
    return dst


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("readers")
    # Over the 1 MiB block the names are read from, so Arrow's read-ahead is still parsing
    # the next block when the label check fails.
    plain = d / "big.csv"
    write_ctr_csv(plain, 30_000, seed=1)
    assert plain.stat().st_size > 2 << 20
    empty = d / "empty.csv"
    empty.write_text("")
    return {"gz": _compress(plain, d / "big.csv.gz", "gzip"), "plain": plain,
            "empty_gz": _compress(empty, d / "empty.csv.gz", "gzip"),
            "empty_bz2": _compress(empty, d / "empty.csv.bz2", "bz2")}


def _rank(path: Path, out: Path) -> subprocess.CompletedProcess:
    return autofeat("rank", str(path), "--label", "nope", "--out", str(out), "--quiet")


@pytest.mark.slow
def test_bad_label_or_empty_compressed_file_never_aborts(inputs, tmp_path):
    # Before the fix, 40-60% of the .gz runs ended "terminate called without an active
    # exception", exit 134, after the error line.
    runs = ["gz"] * 10 + ["empty_gz"] * 4 + ["empty_bz2"] * 4 + ["plain"] * 4
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda kv: _rank(inputs[kv[1]], tmp_path / f"o{kv[0]}"), enumerate(runs)))
    for kind, proc in zip(runs, done):
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1, (kind, proc.returncode, proc.stderr)
        assert ("label column 'nope' not found" if kind in ("gz", "plain") else "the file is empty") in lines[0]
    assert not any((tmp_path / f"o{i}").exists() for i in range(len(runs)))


@pytest.mark.parametrize("codec,suffix", [("bz2", "bz2"), ("gzip", "gz"), ("zstd", "zst")])
@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_delimiter_of_a_compressed_file_is_sniffed_from_its_text(tmp_path, capsys, codec, suffix, delimiter):
    plain = tmp_path / "d.txt"
    write_ctr_csv(plain, 2000, seed=2, delimiter=delimiter)
    path = _compress(plain, tmp_path / f"d.csv.{suffix}", codec)  # .csv: the suffix says nothing
    assert main(["rank", str(path), "--label", "click", "--format", "json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 2000 and "inf_0" in {f["name"] for f in doc["features"]}


def test_wrong_delimiter_is_named_not_the_label(tmp_path, capsys):
    plain = tmp_path / "d.txt"
    write_ctr_csv(plain, 500, seed=2, delimiter=";")
    path = _compress(plain, tmp_path / "d.csv.bz2", "bz2")
    assert main(["rank", str(path), "--label", "click", "--delimiter", ",", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "wrong delimiter, pass --delimiter ';'" in err, err
    assert "not found" not in err and not (tmp_path / "o").exists()
