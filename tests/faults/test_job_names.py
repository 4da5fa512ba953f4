"""Issue 15, fault 13: a ``[[search]]`` name is a folder name (OUT/search-NAME); a name like
``x/../../../ESCAPED`` wrote result.json, report.html and a journal outside ``output.dir``
and outside its lock. Names are now checked when the job file is read: one line naming the
file and the key, exit 2, nothing written."""

from __future__ import annotations

import pytest

from autofeat.jobs import load_job
from tests.faults.helpers import autofeat

JOB = """
[data]
path = "data.csv"
label = "click"

[[search]]
name = {name}
trials = 1

[output]
dir = "out/job"
"""


# Each name is a CLI process (~0.5 s): three in the quick run (-m "not slow"), all in the full one.
@pytest.mark.parametrize("name", ['"x/../../../ESCAPED"', '".."', "5", *(
    pytest.param(n, marks=pytest.mark.slow)
    for n in ['"a/b"', '"."', '".hidden"', '"a b"', '"tab\\there"', '"line\\nbreak"', '"-x"', '"' + "n" * 101 + '"'])])
def test_unsafe_search_names_are_refused(tmp_path, name):
    (tmp_path / "data.csv").write_text("a,click\n1,0\n2,1\n")
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(name=name))
    proc = autofeat("run", str(job), "--quiet")
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and str(job) in lines[0] and "search.name" in lines[0], proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "job.toml"]  # nothing written


@pytest.mark.parametrize("name", ["lgb", "LGB-2", "v1.2_final", "9"])
def test_safe_search_names_are_accepted(tmp_path, name):
    job = tmp_path / "job.toml"
    job.write_text(JOB.format(name=f'"{name}"'))
    assert load_job(job).searches[0]["name"] == name
