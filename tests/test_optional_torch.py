"""torch is optional: ranking and the Optuna search run without it, and a gate method asked
for without it is a one-line error that says how to install it (exit 2, nothing written)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autofeat.datasets import write_ctr_csv

pytestmark = pytest.mark.slow  # a search in a subprocess: seconds

# Makes `import torch` fail as on a machine without it, whatever is installed here (a finder,
# not sys.modules['torch'] = None, which libraries that look torch up in sys.modules trip on).
BLOCK = ("import sys\n"
         "class NoTorch:\n"
         "    def find_spec(self, name, path=None, target=None):\n"
         "        if name.split('.')[0] == 'torch':\n"
         "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
         "sys.meta_path.insert(0, NoTorch())\n")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], capture_output=True, text=True)


def test_rank_and_optuna_search_run_without_torch_and_gates_say_how_to_get_it(tmp_path):
    data = tmp_path / "d.csv"
    write_ctr_csv(data, 3000, seed=4)
    rank = _run(f"from autofeat.cli import main; raise SystemExit(main(['rank', {str(data)!r}, "
                f"'--label', 'click', '--out', {str(tmp_path / 'r')!r}, '--quiet']))")
    assert rank.returncode == 0, rank.stderr
    optuna = _run(f"from autofeat.cli import main; raise SystemExit(main(['search', {str(data)!r}, "
                  f"'--label', 'click', '--trials', '2', '--out', {str(tmp_path / 'o')!r}, '--quiet']))")
    assert optuna.returncode == 0, optuna.stderr
    gate = _run(f"from autofeat.cli import main; raise SystemExit(main(['search', {str(data)!r}, "
                f"'--label', 'click', '--method', 'optfs', '--out', {str(tmp_path / 'g')!r}, '--quiet']))")
    assert gate.returncode == 2
    lines = gate.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'autofeat[torch]'" in lines[0], gate.stderr
    assert not (tmp_path / "g").exists()
