"""Every ```python block in README.md and docs/*.md runs, so the examples cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [
    pytest.param(code, id=f"{path.name}:{i}")
    for path in DOCS
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))
]


@pytest.mark.parametrize("code", BLOCKS)
def test_doc_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "<doc>", "exec"), {"__name__": "__doc_example__"})


def test_there_are_examples():
    assert len(BLOCKS) >= 3


def test_api_reference_is_current():
    import runpy

    render = runpy.run_path(str(ROOT / "docs" / "build_api.py"), run_name="build_api")["render"]
    assert (ROOT / "docs" / "api.md").read_text() == render(), "regenerate with: python docs/build_api.py"
