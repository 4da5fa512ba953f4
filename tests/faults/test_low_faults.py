"""Issue 15, faults 10, 19, 21, 22, 23: a dead local holder's journal lock is broken at once,
an in-memory SQLite storage and a -1/0/1 label are refused, a password given as a URL
parameter is masked in messages, ranking.tsv escapes tabs and line breaks in names, and
``generate`` writes real Parquet for a .parquet name and refuses compressed names."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from autofeat.cli import main
from autofeat.errors import OptionError
from autofeat.searching.storage import check_storage_url, safe_url


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url):
    with pytest.raises(OptionError, match="in-memory SQLite"):
        check_storage_url(url)


def test_passwords_never_reach_messages():
    assert "secret" not in safe_url("postgresql://u:secret@db/optuna?sslmode=require")
    masked = safe_url("postgresql://db/optuna?sslmode=require&password=secret&application_name=x")
    assert "secret" not in masked and "application_name=x" in masked and "sslmode=require" in masked


def test_generate_writes_parquet_and_refuses_compressed_names(tmp_path, capsys):
    out = tmp_path / "g.parquet"
    assert main(["generate", str(out), "--rows", "500", "--seed", "2"]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 500 and "click" in table.column_names
    assert (tmp_path / "g.parquet.truth.json").exists()
    assert main(["rank", str(out), "--label", "click", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["generate", str(tmp_path / "g.csv.gz"), "--rows", "500"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ".parquet name" in err[0]
    assert not (tmp_path / "g.csv.gz").exists()


@pytest.mark.parametrize("values", [["-1", "0", "1"], ["-1.0", "0.0", "1.0"]])
def test_a_label_with_minus_one_zero_and_one_is_refused(tmp_path, capsys, values):
    path = tmp_path / "d.csv"
    rows = [f"{values[i % 3]},{i % 7}" for i in range(300)]
    path.write_text("y,x\n" + "\n".join(rows) + "\n")
    assert main(["rank", str(path), "--label", "y", "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-1, 0 and 1" in err[0]
    assert not (tmp_path / "r").exists()


def test_tabs_and_line_breaks_in_column_names_keep_ranking_tsv_rows_whole():
    """Fault 22 (the TSV part): such names split ranking.tsv rows; they are escaped."""
    import numpy as np

    import autofeat

    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.3).astype(np.int64)
    cols = {"click": y, "ad\tid": np.where(rng.random(2000) < 0.8, y, 1 - y) * 3 + rng.integers(0, 3, 2000),
            "site\nname": rng.integers(0, 20, 2000), "back\\slash": rng.integers(0, 5, 2000)}
    lines = autofeat.rank(cols, label="click").to_tsv().splitlines()
    assert len(lines) == 4 and {len(line.split("\t")) for line in lines} == {15}
    names = {line.split("\t")[1] for line in lines[1:]}
    assert names == {"ad\\tid", "site\\nname", "back\\\\slash"}


def test_a_lock_left_by_a_dead_local_process_is_broken_at_once(tmp_path, monkeypatch):
    """Fault 10: a kill inside a journal append leaves the lock; a run restarted right away
    waited the 30 s grace period. The link names its holder; a dead local holder's lock is
    broken without waiting, a live holder's is waited for."""
    import os
    import socket
    import subprocess

    from autofeat.searching import storage

    journal = tmp_path / "study.journal"
    journal.touch()
    dead = subprocess.Popen(["true"])  # a pid that has ended
    dead.wait()
    lock_cls = storage._symlink_lock()

    def no_wait(_: float) -> None:
        raise AssertionError("waited")

    monkeypatch.setattr(storage.time, "sleep", no_wait)
    lock = lock_cls(str(journal), 3600)
    os.symlink(f"{journal}#{socket.gethostname()}:{dead.pid}", lock._lock_file)
    assert lock.acquire() is True
    assert os.readlink(lock._lock_file).endswith(f"#{storage.worker_id()}")
    lock.release()
    os.symlink(f"{journal}#{socket.gethostname()}:{os.getpid()}", lock._lock_file)  # alive: wait
    with pytest.raises(AssertionError, match="waited"):
        lock.acquire()


@pytest.mark.slow
def test_optinter_pairs_of_columns_with_a_bar_in_their_names_stay_unambiguous(tmp_path):
    # "a|b" keys could not tell ("x|y", "z") from ("x", "y|z"); pairs are now lists of names
    pytest.importorskip("torch")
    import numpy as np
    import pyarrow as pa

    import autofeat

    rng = np.random.default_rng(0)
    n = 3000
    cols = {name: rng.integers(0, 6, n) for name in ("x|y", "z", "x", "y|z")}
    logit = (cols["x|y"] == cols["z"]) * 2.0 - 1.0
    cols["click"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    table = pa.table({k: pa.array([f"v{v}" for v in c]) if k != "click" else pa.array(c) for k, c in cols.items()})
    res = autofeat.search(table, "click", method="optinter", out=tmp_path / "s", search_epochs=1, epochs=1,
                          quiet=True)
    pairs = [tuple(p["features"]) for p in res.interactions]
    assert pairs and all(len(p) == 2 and set(p) <= {"x|y", "z", "x", "y|z"} for p in pairs)
    stored = json.loads((tmp_path / "s" / "result.json").read_text())["interactions"]
    assert [tuple(p["features"]) for p in stored] == pairs
    assert "x|y" in (tmp_path / "s" / "report.html").read_text()
