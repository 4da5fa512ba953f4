"""The module graph follows the pipeline (docs/architecture.md): no package imports one of a
later stage, except the edges listed there, and top-level imports form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "autofeat"
# Stage of each package (modules at the package root: shared helpers, or the entry points;
# "" is autofeat/__init__.py, the public API, beside the CLI).
STAGES = {"_threads": 0, "_progress": 0, "_toml": 0, "errors": 0, "io": 1, "encode": 2, "datasets": 2, "ranking": 3,
          "models": 4, "searching": 4, "report": 5, "api": 6, "selector": 6, "jobs": 6, "fleet": 6, "cli": 7, "": 7}
# None left: results are plain data, report/outputs.py renders and writes them.
ALLOWED: set[tuple[str, str]] = set()


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text())
    return out


def _imports(tree: ast.Module, top_only: bool) -> set[str]:
    nodes = tree.body if top_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autofeat"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("autofeat"))
    return found


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1] if len(parts) > 1 else ""]


def test_no_package_imports_a_later_stage():
    mods = _modules()
    backward = {(m, i) for m, tree in mods.items() for i in _imports(tree, top_only=False)
                if i in mods and _stage(i) > _stage(m)}
    assert backward == ALLOWED


def test_top_level_imports_form_no_cycle():
    mods = _modules()
    graph = {m: {i for i in _imports(tree, top_only=True) if i in mods and i != m} for m, tree in mods.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]) if n in path
                                     else f"import cycle through {m} -> {n}")
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
