"""The kill soak (issue 15): workers SIGKILLed at random moments, two at a time on one storage,
must still end with the exact budget, no configuration run twice except as a retry, no stale
lock and no torn journal.

Each worker is the CLI (``search`` or ``run``) with one planted kill drawn from a seeded plan:
at its N-th LightGBM fit (mid-trial), right after its N-th ``ask`` (the trial RUNNING with no
worker recorded yet), or inside its N-th journal append (holding the lock, half a record
written). The kill is placed by an event, never by a sleep. After a round with a kill, the
RUNNING trials are aged past ``ORPHAN_SECONDS`` by back-dating their start in the storage: a
kill between ``ask`` and the worker's record leaves a trial only its age can recover, and the
wait is simulated, not slept.

Used by ``tests/faults/test_soak.py`` and ``benchmarks/bench_soak.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.faults.helpers import ENV

# The CLI with one kill planted: argv[1] = "fit:N", "ask:N", "append:N" or "none".
KILLER = """
import os, signal, sys
kind, _, n = sys.argv[1].partition(":")
n, calls = int(n or 0), [0]
def hit():
    calls[0] += 1
    return calls[0] == n
if kind == "fit":
    from autofeat.searching.evaluators import lightgbm_eval as m
    real_fit = m.fit_lightgbm
    def fit(*a, **k):
        if hit():
            os.kill(os.getpid(), signal.SIGKILL)
        return real_fit(*a, **k)
    m.fit_lightgbm = fit
elif kind == "ask":
    import optuna
    real_ask = optuna.Study.ask
    def ask(self, *a, **k):
        trial = real_ask(self, *a, **k)
        if hit():
            os.kill(os.getpid(), signal.SIGKILL)
        return trial
    optuna.Study.ask = ask
elif kind == "append":
    from autofeat.searching import storage
    cls = storage._journal_file()
    real_append = cls.append_logs
    def append_logs(self, logs):
        if hit():  # as a kill inside a write: the lock held, half a record on disk
            self._lock.acquire()
            fd = os.open(self._file_path, os.O_WRONLY | os.O_APPEND)
            os.write(fd, b'{"op_code": 5, "worker_id": "torn')
            os.kill(os.getpid(), signal.SIGKILL)
        return real_append(self, logs)
    cls.append_logs = append_logs
from autofeat.cli import main
sys.exit(main(sys.argv[2:]))
"""


@dataclass
class SoakReport:
    storage: str
    command: str
    kills: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    budget: int = 0
    finished: int = 0
    retries: int = 0
    duplicates: int = 0
    stale_locks: int = 0
    torn_lines: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.budget - self.finished


def _worker(plan: str, argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", KILLER, plan, *argv], cwd=cwd, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _plan(rng: random.Random, journal: bool) -> str:
    kinds = ["fit", "fit", "ask"] + (["append", "append"] if journal else [])
    kind = rng.choice(kinds)
    return f"{kind}:{rng.randint(1, 12 if kind == 'append' else 3)}"


def _backdate_orphans(storage: str) -> None:
    """Age every RUNNING trial's start by a day (the orphan wait, simulated)."""
    if storage.startswith("journal:"):
        path = Path(storage[len("journal:"):])
        text = path.read_text()

        def earlier(m: re.Match) -> str:
            return m.group(1) + (datetime.fromisoformat(m.group(2)) - timedelta(days=1)).isoformat() + '"'

        path.write_text(re.sub(r'("datetime_start":\s*")([^"]+)"', earlier, text))
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(storage)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(
            "UPDATE trials SET datetime_start = datetime_start - interval '1 day' WHERE state = 'RUNNING'"))
    engine.dispose()


def soak(data: Path, work: Path, storage: str, command: str, kills: int, seed: int = 0, budget: int = 40) -> SoakReport:
    """Kill workers until ``kills`` SIGKILLs landed, then let two clean workers finish; check
    the study and return the figures. ``storage`` is ``journal:PATH`` or a database URL;
    ``command`` is ``search`` (both workers on one --out) or ``run`` (a job each, in its own
    folder, with the search's storage shared)."""
    import optuna

    t0 = time.perf_counter()
    rng = random.Random(seed)
    journal = storage.startswith("journal:")
    report = SoakReport(storage="journal" if journal else storage.split(":", 1)[0], command=command, budget=budget)
    study_name = f"soak-{command}-{seed}"
    work.mkdir(parents=True, exist_ok=True)

    def argv(k: int) -> list[str]:
        if command == "search":
            return ["search", str(data), "--label", "click", "--trials", str(budget), "--max-features", "6",
                    "--no-baseline", "--out", str(work / "out"), "--storage", storage, "--study", study_name,
                    "--quiet"]
        job = work / f"job{k}.toml"
        job.write_text(f'[data]\npath = "{data}"\nlabel = "click"\n[rank]\npairs_top = 0\nfactor_top = 0\n'
                       f'[prune]\ntop_k = 6\n[output]\ndir = "{work / f"out{k}"}"\n'
                       f'[[search]]\nname = "s"\nstudy = "{study_name}"\ntrials = {budget}\nstorage = "{storage}"\n')
        return ["run", str(job), "--quiet"]

    def round_(plans: list[str]) -> list[int]:
        procs = [_worker(p, argv(k), work) for k, p in enumerate(plans)]
        codes = []
        for p in procs:
            _, err = p.communicate(timeout=600)
            if p.returncode not in (0, -signal.SIGKILL):
                raise AssertionError(f"a worker failed with exit {p.returncode}: {err[-2000:]}")
            codes.append(p.returncode)
        return codes

    while report.kills < kills:
        plans = [_plan(rng, journal) for _ in range(2)]
        codes = round_(plans)
        report.rounds += 1
        for plan, code in zip(plans, codes):
            if code == -signal.SIGKILL:
                report.kills += 1
                kind = plan.split(":")[0]
                report.kinds[kind] = report.kinds.get(kind, 0) + 1
        if any(c == -signal.SIGKILL for c in codes):  # an ask or an append kill may leave an orphan
            _backdate_orphans(storage)
        if all(c == 0 for c in codes):
            raise AssertionError(f"the budget of {budget} was reached after {report.kills} kills: raise it")
    for code in round_(["none", "none"]):
        assert code == 0

    st = _open(storage, work)
    trials = optuna.load_study(study_name=_stored_name(st, study_name), storage=st).get_trials(deepcopy=False)
    done = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    report.finished = len(done)
    report.retries = sum("autofeat:retry_of" in t.user_attrs for t in done)
    seen: dict[str, int] = {}
    for t in done:
        key = json.dumps(t.params, sort_keys=True)
        seen[key] = seen.get(key, 0) + 1
    report.duplicates = sum(n - 1 for n in seen.values())  # allowed only where a retry re-ran a dead trial
    if journal:
        path = Path(storage[len("journal:"):])
        report.stale_locks = int(os.path.lexists(f"{path}.lock"))
        for line in path.read_bytes().splitlines():
            try:
                json.loads(line)
            except ValueError:
                report.torn_lines += 1
    report.seconds = time.perf_counter() - t0
    return report


def _open(storage: str, work: Path):  # type: ignore[no-untyped-def]
    from autofeat.searching.storage import open_storage

    return open_storage(storage, work)


def _stored_name(storage, prefix: str) -> str:  # type: ignore[no-untyped-def]
    """The study's name: ``run`` appends its inputs' hash to the job's study name."""
    import optuna

    names = [s.study_name for s in optuna.get_all_study_summaries(storage) if s.study_name.startswith(prefix)]
    assert len(names) == 1, names
    return names[0]


def reset_postgres(url: str) -> None:
    import optuna

    for s in optuna.get_all_study_summaries(url):
        if s.study_name.startswith("soak-"):
            optuna.delete_study(study_name=s.study_name, storage=url)
