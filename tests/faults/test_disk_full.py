"""Issue 15, fault 17: a full disk (or a file-size limit) while saving. ranking.json and .tsv
were left without report.html; now the files of one result are written all or none, and the
CLI says so on one line with exit code 74 (EX_IOERR).

The full disk is real where it can be (RLIMIT_FSIZE makes every write past the limit fail
with EFBIG) and injected where the failing file must be a given one."""

from __future__ import annotations

import errno
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from autofeat.datasets import write_ctr_csv
from autofeat.errors import WriteError
from autofeat.io.files import write_files_atomic
from tests.faults.helpers import ENV, ROOT, autofeat

# The CLI, except that writing any file whose name contains argv[1] fails with ENOSPC.
FULL_AT = """
import errno, os, pathlib, sys
real = pathlib.Path.write_bytes
def write_bytes(self, data):
    if sys.argv[1] in self.name:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real(self, data)
pathlib.Path.write_bytes = write_bytes
from autofeat.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("full") / "data.csv"
    write_ctr_csv(p, 2000, seed=4)
    return p


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


def test_a_group_is_written_all_or_none(tmp_path):
    (tmp_path / "a.txt").write_text("old a")

    def fails(path: Path) -> None:
        path.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteError, match=r"cannot write .*b\.bin: No space left on device; nothing was written"):
        write_files_atomic({tmp_path / "a.txt": "new a", tmp_path / "b.bin": fails, tmp_path / "c.txt": b"c"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left either
    assert (tmp_path / "a.txt").read_text() == "old a"  # the old result stays whole
    write_files_atomic({tmp_path / "a.txt": "new a", tmp_path / "b.bin": b"b"})
    assert (tmp_path / "a.txt").read_text() == "new a" and (tmp_path / "b.bin").read_bytes() == b"b"


def test_rank_with_a_full_disk_at_the_report_writes_nothing(data_csv, tmp_path):
    out = tmp_path / "r"
    proc = autofeat("report.html", "rank", str(data_csv), "--label", "click", "--out", str(out), "--quiet",
                    code=FULL_AT)
    assert proc.returncode == 74
    line = _one_line(proc.stderr)
    assert "report.html" in line and "No space left on device" in line and "nothing was written" in line
    assert not out.exists() or not any(out.iterdir())


def test_rank_under_a_file_size_limit_exits_74_and_writes_nothing(data_csv, tmp_path):
    out = tmp_path / "r"

    def limit() -> None:  # runs in the child: a write past 4 KiB fails with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run([sys.executable, "-m", "autofeat.cli", "rank", str(data_csv), "--label", "click",
                           "--out", str(out), "--quiet"], capture_output=True, text=True, cwd=ROOT, env=ENV,
                          timeout=300, preexec_fn=limit)
    assert proc.returncode == 74, proc.stderr[-2000:]
    assert "File too large" in _one_line(proc.stderr)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_search_with_a_full_disk_at_the_report_keeps_no_result(data_csv, tmp_path):
    out = tmp_path / "s"
    proc = autofeat("report.html", "search", str(data_csv), "--label", "click", "--trials", "2",
                    "--max-features", "4", "--no-baseline", "--out", str(out), "--quiet", code=FULL_AT)
    assert proc.returncode == 74
    assert "report.html" in _one_line(proc.stderr)
    assert not (out / "result.json").exists()  # the journal keeps the trials: a rerun only writes the result
    proc = autofeat("search", str(data_csv), "--label", "click", "--trials", "2", "--max-features", "4",
                    "--no-baseline", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "result.json").exists() and (out / "report.html").exists()
