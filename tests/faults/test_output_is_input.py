"""Issue 15, fault 14: ``rank DIR/ranking.tsv --out DIR`` silently replaced its input data with
the ranking. An output file that resolves to the input (same path, relative or through a
symlink) is refused before any work: one line, exit 2, the input untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autofeat.datasets import write_ctr_csv
from tests.faults.helpers import autofeat


@pytest.fixture()
def data_dir(tmp_path) -> Path:
    d = tmp_path / "dir"
    d.mkdir()
    write_ctr_csv(d / "ranking.tsv", 500, seed=14, delimiter="\t")
    return d


def _refused(proc, data: Path, before: bytes) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "would overwrite the input" in lines[0], proc.stderr
    assert data.read_bytes() == before


def test_rank_refuses_to_overwrite_its_input(data_dir):
    data = data_dir / "ranking.tsv"
    before = data.read_bytes()
    _refused(autofeat("rank", str(data), "--label", "click", "--out", str(data_dir), "--quiet"), data, before)
    # relative paths, another spelling of the folder
    proc = autofeat("rank", "dir/ranking.tsv", "--label", "click", "--out", "./dir/../dir/", "--quiet",
                    cwd=data_dir.parent)
    _refused(proc, data, before)
    assert [p.name for p in data_dir.iterdir()] == ["ranking.tsv"]  # nothing written


def test_rank_refuses_an_input_linked_from_the_output(data_dir, tmp_path):
    data = data_dir / "ranking.tsv"
    before = data.read_bytes()
    link = tmp_path / "clicks.tsv"
    os.symlink(data, link)
    _refused(autofeat("rank", str(link), "--label", "click", "--out", str(data_dir), "--quiet"), data, before)


def test_search_refuses_to_overwrite_its_input(data_dir):
    data = data_dir / "ranking.tsv"
    data.rename(data_dir / "result.json")
    data = data_dir / "result.json"
    before = data.read_bytes()
    proc = autofeat("search", str(data), "--label", "click", "--delimiter", "\t", "--trials", "1",
                    "--out", str(data_dir), "--quiet")
    _refused(proc, data, before)


def test_run_refuses_data_that_the_job_writes(data_dir, tmp_path):
    data = data_dir / "ranking.tsv"
    (data_dir / "rank").mkdir()
    data = data.rename(data_dir / "rank" / "ranking.tsv")
    before = data.read_bytes()
    job = tmp_path / "job.toml"
    job.write_text('[data]\npath = "dir/rank/ranking.tsv"\nlabel = "click"\n[output]\ndir = "dir"\n')
    proc = autofeat("run", str(job), "--quiet")
    _refused(proc, data, before)
    assert str(job) in proc.stderr
    assert not (data_dir / ".lock").exists()  # refused when the file was read
