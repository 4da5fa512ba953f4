"""Issue 15, fault 15: about 30 inputs and options exited 1 with a traceback (some only after
the whole computation, some leaving a FAIL trial or a journal behind). Each one must be a
user error: exit 2, exactly one line on stderr naming the file, column or option to fix, and
nothing written.

Every case runs the CLI in a subprocess on a few hundred generated rows; ``tmp`` (the
case's working folder, where --out and job/space files go) must hold the same files after
the run as before it. Before the fix 37 of the 40 cases failed (exit 1 with a traceback; the
step-0 space and job ``header = "false"`` exit 0; ``--timeout nan`` exit 2 after writing a
journal, naming no option); the two ``--out`` files already passed; the read-only folder is
skipped where the user (root) can write into a mode 555 folder.
"""

from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from autofeat.datasets import CTRSpec, write_ctr_csv
from tests.faults.helpers import autofeat

ROWS = 300


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    """Input files shared by the cases (never written by them)."""
    d = tmp_path_factory.mktemp("inputs")
    spec = CTRSpec(n_informative=2, n_noise=1, n_uniform_noise=0, max_cardinality=50, planted=False)
    write_ctr_csv(d / "ok.csv", ROWS, spec=spec, seed=15)
    text = (d / "ok.csv").read_text()
    header, body = text.split("\n", 1)
    names = header.split(",")
    label = names.index("click")
    first, second = [i for i in range(len(names)) if i != label][:2]
    dup = list(names)
    dup[second] = names[first]
    (d / "dup.csv").write_text(",".join(dup) + "\n" + body)
    (d / "label2.csv").write_text(header + ",click\n" + "\n".join(r + ",0" for r in body.splitlines()) + "\n")
    raw = text.encode()
    (d / "trunc.csv.gz").write_bytes(gzip.compress(raw)[: len(gzip.compress(raw)) // 2])
    (d / "trunc.csv.bz2").write_bytes(bz2.compress(raw)[: len(bz2.compress(raw)) // 2])
    (d / "fake.csv.gz").write_bytes(raw)
    (d / "fake.csv.bz2").write_bytes(raw)
    (d / "latin1.csv").write_bytes(("caf\u00e9," + header + "\n").encode("latin-1")
                                   + b"".join(b"1," + r.encode() + b"\n" for r in body.splitlines()))
    words = ["alpha", "beta", "gamma"]
    (d / "text.csv").write_text(header + ",txt\n" + "\n".join(f"{r},{words[i % 3]}" for i, r in
                                                               enumerate(body.splitlines())) + "\n")
    y = pa.array([i % 2 for i in range(ROWS)])
    x = pa.array([i % 7 for i in range(ROWS)])
    pq.write_table(pa.table([x, x, y], names=["a", "a", "click"]), d / "dup.parquet")
    nested = {
        "list": pa.array([[i % 3, 1] for i in range(ROWS)]),
        "struct": pa.array([{"p": i % 3, "q": "z"} for i in range(ROWS)]),
        "map": pa.array([[("k", i % 3)] for i in range(ROWS)], pa.map_(pa.string(), pa.int64())),
    }
    for kind, col in nested.items():
        pq.write_table(pa.table({"x": x, f"{kind}_col": col, "click": y}), d / f"{kind}.parquet")
    return d


OK = "{d}/ok.csv"
RANK = ["rank", OK, "--label", "click", "--out", "out", "--quiet", "--pairs-top", "0", "--factor-top", "0"]
SEARCH = ["search", OK, "--label", "click", "--out", "out", "--quiet", "--trials", "1"]
JOB_DATA = '[data]\npath = "{d}/ok.csv"\nlabel = "click"\n'
JOB_OUT = '[output]\ndir = "out"\n'

# id: (argv, files written into tmp before the run, words the error line must contain)
CASES: dict[str, tuple[list[str], dict[str, str], list[str]]] = {
    # data files
    "duplicate-columns-csv": (["rank", "{d}/dup.csv", *RANK[2:]], {}, ["dup.csv", "inf_"]),
    "duplicate-columns-parquet": (["rank", "{d}/dup.parquet", *RANK[2:]], {}, ["dup.parquet", "'a'"]),
    "label-twice": (["rank", "{d}/label2.csv", *RANK[2:]], {}, ["label2.csv", "'click'"]),
    "truncated-gz": (["rank", "{d}/trunc.csv.gz", *RANK[2:]], {}, ["trunc.csv.gz"]),
    "truncated-bz2": (["rank", "{d}/trunc.csv.bz2", *RANK[2:]], {}, ["trunc.csv.bz2"]),
    "fake-gz": (["rank", "{d}/fake.csv.gz", *RANK[2:]], {}, ["fake.csv.gz"]),
    "fake-bz2": (["rank", "{d}/fake.csv.bz2", *RANK[2:]], {}, ["fake.csv.bz2"]),
    "latin1-header": (["rank", "{d}/latin1.csv", *RANK[2:]], {}, ["latin1.csv", "UTF-8"]),
    "parquet-list": (["rank", "{d}/list.parquet", *RANK[2:]], {}, ["list.parquet", "list_col"]),
    "parquet-struct": (["rank", "{d}/struct.parquet", *RANK[2:]], {}, ["struct.parquet", "struct_col"]),
    "parquet-map": (["rank", "{d}/map.parquet", *RANK[2:]], {}, ["map.parquet", "map_col"]),
    "numeric-on-text": (["rank", "{d}/text.csv", *RANK[2:], "--numeric", "txt"], {}, ["--numeric", "txt"]),
    # options
    "rank-seed-negative": ([*RANK, "--seed", "-1"], {}, ["--seed"]),
    "search-seed-negative": ([*SEARCH, "--seed", "-1"], {}, ["--seed"]),
    "delimiter-two-chars": ([*RANK, "--delimiter", ",,"], {}, ["--delimiter"]),
    "delimiter-escaped-tab": ([*RANK, "--delimiter", "\\t"], {}, ["--delimiter"]),
    "hidden-not-numbers": ([*SEARCH[:-2], "--method", "optfs", "--hidden", "a,b"], {}, ["--hidden"]),
    "lr-nan": ([*SEARCH[:-2], "--method", "optfs", "--lr", "nan"], {}, ["--lr"]),
    "timeout-nan": ([*SEARCH, "--timeout", "nan"], {}, ["--timeout"]),
    "penalty-nan": ([*SEARCH[:-2], "--method", "optfs", "--penalty", "nan"], {}, ["--penalty"]),
    "field-z-inf": ([*SEARCH[:-2], "--method", "dnis", "--field-z", "inf"], {}, ["--field-z"]),
    "storage-journal-folder": ([*SEARCH, "--storage", "journal:{d}"], {}, ["--storage", "folder"]),
    "storage-journal-empty": ([*SEARCH, "--storage", "journal:"], {}, ["--storage"]),
    # search space files: they passed the loader and failed in the first trial
    "space-step-0": ([*SEARCH, "--space", "s.toml"],
                     {"s.toml": "[lightgbm]\nnum_leaves = { low = 8, high = 16, step = 0 }\n"},
                     ["s.toml", "num_leaves", "step"]),
    "space-num-leaves-1": ([*SEARCH, "--space", "s.toml"], {"s.toml": "[lightgbm]\nnum_leaves = 1\n"},
                           ["s.toml", "num_leaves"]),
    "space-feature-fraction": ([*SEARCH, "--space", "s.toml"],
                               {"s.toml": "[lightgbm]\nfeature_fraction = { low = 1.5, high = 2.0 }\n"},
                               ["s.toml", "feature_fraction"]),
    "space-learning-rate-text": ([*SEARCH, "--space", "s.toml"], {"s.toml": '[lightgbm]\nlearning_rate = "fast"\n'},
                                 ["s.toml", "learning_rate"]),
    # output folders
    "rank-out-is-file": ([*RANK[:5], "f.txt", *RANK[6:]], {"f.txt": "keep"}, ["--out", "f.txt"]),
    "search-out-is-file": ([*SEARCH[:5], "f.txt", *SEARCH[6:]], {"f.txt": "keep"}, ["--out", "f.txt"]),
    "rank-out-under-proc": ([*RANK[:5], "/proc/autofeat-out", *RANK[6:]], {}, ["--out", "/proc/autofeat-out"]),
    "search-out-under-proc": ([*SEARCH[:5], "/proc/autofeat-out", *SEARCH[6:]], {}, ["--out", "/proc/autofeat-out"]),
    "rank-out-read-only": ([*RANK[:5], "ro/out", *RANK[6:]], {"ro/.keep": ""}, ["--out", "ro/out"]),
    "demo-out-is-file": (["demo", "--out", "f.txt", "--rows", "500", "--quiet"], {"f.txt": "keep"},
                         ["--out", "f.txt"]),
    # job files: values of the wrong type
    "job-bins-text": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + '[rank]\nbins = "20"\n' + JOB_OUT},
                      ["job.toml", "rank.bins"]),
    "job-trials-text": (["run", "job.toml", "--quiet"],
                        {"job.toml": JOB_DATA + JOB_OUT + '[[search]]\nname = "s"\ntrials = "many"\n'},
                        ["job.toml", "trials"]),
    "job-dir-number": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + "[output]\ndir = 5\n"},
                       ["job.toml", "output.dir"]),
    "job-path-number": (["run", "job.toml", "--quiet"], {"job.toml": '[data]\npath = 5\nlabel = "click"\n' + JOB_OUT},
                        ["job.toml", "data.path"]),
    "job-data-number": (["run", "job.toml", "--quiet"], {"job.toml": "data = 5\n" + JOB_OUT}, ["job.toml", "data"]),
    # read as true / as four letters before (issue 15, fault 19), now typed too
    "job-header-text": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + 'header = "false"\n' + JOB_OUT},
                        ["job.toml", "data.header"]),
    "job-ignore-string": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + 'ignore = "inf_0"\n' + JOB_OUT},
                          ["job.toml", "data.ignore"]),
    "job-delimiter-two-chars": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + 'delimiter = ",,"\n' + JOB_OUT},
                                ["job.toml", "data.delimiter"]),
    "job-dir-is-file": (["run", "job.toml", "--quiet"], {"job.toml": JOB_DATA + '[output]\ndir = "f.txt"\n',
                                                         "f.txt": "keep"}, ["job.toml", "output.dir"]),
}


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


# One case of each kind in the quick run (-m "not slow"); each case is a CLI process (~0.5 s).
QUICK = {"duplicate-columns-csv", "parquet-list", "rank-seed-negative", "timeout-nan", "space-step-0",
         "rank-out-is-file", "job-header-text"}


@pytest.mark.parametrize("case", [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow) for c in CASES])
def test_bad_input_is_one_line_exit_2_nothing_written(case, d, tmp_path):
    argv, files, words = CASES[case]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text.replace("{d}", str(d)))
    if case == "rank-out-read-only":
        (tmp_path / "ro").chmod(0o555)
        if os.access(tmp_path / "ro", os.W_OK):  # root writes into a read-only folder anyway
            (tmp_path / "ro").chmod(0o755)
            pytest.skip("this user can write into a mode 555 folder")
    before, inputs = _tree(tmp_path), _tree(d)
    try:
        proc = autofeat(*(a.replace("{d}", str(d)) for a in argv), cwd=tmp_path)
    finally:
        (tmp_path / "ro").exists() and (tmp_path / "ro").chmod(0o755)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1, f"exit {proc.returncode}:\n{proc.stderr[-3000:]}"
    assert lines[0].startswith("autofeat"), lines[0]
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    assert _tree(tmp_path) == before, "the run wrote files"
    assert _tree(d) == inputs
    assert not Path("/proc/autofeat-out").exists()
