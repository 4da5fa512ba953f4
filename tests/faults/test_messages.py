"""Issue 15, faults 18 and 20: messages that named the wrong cause, and a demo that left its
data behind. A FIFO and piped stdin said "the file is empty" (they are read more than once:
now "not a regular file"); a header over 1 MiB said "empty" (now read with a larger block);
a file without a line break said "empty"; ``demo --rows 1`` wrote data.csv, then failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autofeat.cli import QUALITY_LINES, main
from autofeat.datasets import write_ctr_csv
from autofeat.errors import OptionError
from autofeat.ranking.api import RankOptions
from autofeat.searching.optuna_search import OptunaSearchOptions
from tests.faults.helpers import ENV, ROOT


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_fifo_is_refused_as_not_a_regular_file(tmp_path, capsys):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    assert main(["rank", str(fifo), "--label", "y", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "not a regular file" in _error(capsys)  # refused before opening: no writer needed
    assert not (tmp_path / "r").exists()


def test_piped_stdin_is_refused_as_not_a_regular_file(tmp_path):
    data = tmp_path / "d.csv"
    write_ctr_csv(data, 300, seed=1)
    proc = subprocess.run([sys.executable, "-m", "autofeat.cli", "rank", "/dev/stdin", "--label", "click", "--out",
                           str(tmp_path / "r"), "--quiet"], input=data.read_text(), capture_output=True, text=True,
                          cwd=ROOT, env=ENV, timeout=300)
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr and "save it to a file first" in proc.stderr


@pytest.mark.slow
def test_a_header_over_one_mebibyte_is_read(tmp_path, capsys):
    n = 45_000  # 25-byte names: 1.1 MiB of header
    path = tmp_path / "wide.csv"
    with open(path, "w") as f:
        f.write(",".join(f"a_rather_long_column_{i:05d}" for i in range(n)) + ",y\n")
        for r in range(6):
            f.write(",".join(str((i + r) % 2) for i in range(n)) + f",{r % 2}\n")
    assert path.stat().st_size > (1 << 20) + (1 << 19)
    assert main(["rank", str(path), "--label", "y", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "6 rows, label 'y'" in out and f"{n} features" in out
    # the summary names 20 findings, then counts the rest
    findings = out.split("quality findings:")[1].strip().split("\n\n")[0].splitlines()
    assert len(findings) == QUALITY_LINES + 1 and findings[-1].startswith("  ... and ")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_file_without_a_line_break_says_so(tmp_path, capsys, suffix):
    import gzip

    path = tmp_path / f"blob{suffix}"
    blob = b"x" * (2 << 20)
    path.write_bytes(gzip.compress(blob) if suffix.endswith(".gz") else blob)
    assert main(["rank", str(path), "--label", "y", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    line = _error(capsys)
    assert "no line break" in line and "empty" not in line


def test_demo_refuses_too_few_rows_before_writing(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--rows", "1", "--out", str(tmp_path / "demo")])
    assert exc.value.code == 2
    assert "at least 500 rows" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


def _job(tmp_path: Path, data: Path, label: str = "click", search: str = "") -> Path:
    job = tmp_path / "job.toml"
    job.write_text(f'[data]\npath = "{data}"\nlabel = "{label}"\n[output]\ndir = "{tmp_path / "out"}"\n'
                   f'[[search]]\nname = "a"\n{search}\n')
    return job


@pytest.mark.parametrize("search, key", [
    ("trials = 0", "trials must be >= 1"),
    ("trials = 2\nn_jobs = 0", "n_jobs must be >= 1"),
    ('method = "optfs"\nsample_rows = 0', "sample_rows must be >= 1"),
    ('method = "optfs"\nfinal_temp = 0.5', "final_temp must be >= 1"),
])
def test_job_errors_name_the_file_and_key_not_a_cli_flag(tmp_path, capsys, search, key):
    data = tmp_path / "d.csv"
    write_ctr_csv(data, 300, seed=1)
    assert main(["run", str(_job(tmp_path, data, search=search)), "--quiet"]) == 2
    line = _error(capsys)
    assert line.startswith(f"autofeat run: error: {tmp_path / 'job.toml'}: [[search]] 'a': ") and key in line
    assert "--" not in line
    assert not (tmp_path / "out").exists()  # found when the file was read: nothing written


def test_a_bad_label_in_a_job_names_the_job_keys(tmp_path, capsys):
    data = tmp_path / "d.csv"
    write_ctr_csv(data, 300, seed=1)
    assert main(["run", str(_job(tmp_path, data, label="nope")), "--quiet"]) == 2
    line = _error(capsys)
    assert "label column 'nope' not found" in line and "header = false in [data]" in line and "--" not in line


@pytest.mark.parametrize("options", [RankOptions(interaction_weight=float("nan")),
                                     OptunaSearchOptions(timeout=float("inf"))])
def test_nan_and_inf_options_are_refused_before_any_work(options):
    # NaN compares false, so it passed every range check: --penalty nan ran the whole search
    with pytest.raises(OptionError, match="must be a finite number"):
        options.check()


def test_a_gate_search_names_a_bad_label_by_its_row_in_the_file(tmp_path, capsys):
    pytest.importorskip("torch")
    data = tmp_path / "d.csv"
    write_ctr_csv(data, 400, seed=2)
    lines = data.read_text().splitlines()
    at = lines[0].split(",").index("click")
    row = lines[78].split(",")
    row[at] = "maybe"
    lines[78] = ",".join(row)  # data row 78 (line 79, after the header)
    data.write_text("\n".join(lines) + "\n")
    assert main(["search", str(data), "--label", "click", "--method", "optfs", "--out", str(tmp_path / "s"),
                 "--quiet"]) == 2
    assert "first in data row 78" in _error(capsys)  # was its row number within the train split
