"""Search fleets: many worker processes share a job's Optuna searches, on one machine or many.

``autofeat run JOB.toml --workers N`` (:func:`fleet`): the run ranks and prunes under the
job's lock, then starts N - 1 ``autofeat worker JOB.toml --trials-only`` processes and is the
N-th worker itself. Each of the N takes its share of the usable cores as threads
(:func:`core_shares`). They all run the trials of the job's Optuna searches, in the job's
order, against each search's storage until its budget is done; the run then writes the
results and the summary as it does alone. The extra workers run under the run's lock (they
never take it), so nothing else writes the folder meanwhile. Ctrl-C (or SIGTERM) stops every
worker, each queueing its trial under way again; a worker that fails stops the others, and
the run exits with one line naming it. Gate searches (optfs, dnis, optinter) are one training
each: the run does them itself, once (while the workers search, when one comes before an
Optuna search in the job).

``autofeat worker JOB.toml`` (:func:`work`) joins a job from anywhere that sees its output
folder (a shared volume) and its storage (PostgreSQL, or a journal on that volume): a
scheduler's array task, a pod of a Kubernetes Job. It ranks only when the job's ranking is
missing or stale, and then under the job's lock, so of many workers started at once one ranks
and the others wait for it; it runs trials until the budgets are done; then, if no other run
holds the lock, it writes the results and the summary under the lock, through the run's own
steps and atomic writes (the last worker to finish finds them written and does nothing).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import _thread
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autofeat._threads import cap_jobs, usable_cores
from autofeat.errors import AutofeatError, OptionError

__all__ = ["fleet", "work", "core_shares", "WorkerFailed", "RANK_WAIT_SECONDS"]

# A worker that finds the ranking being made by another process looks again this often.
RANK_WAIT_SECONDS = 2.0
# Lines of a worker's output kept to name its failure.
_TAIL = 20


class WorkerFailed(AutofeatError, RuntimeError):
    """A worker process of ``autofeat run --workers`` failed; ``exit_code`` is what the run
    exits with (the worker's own 2 or 74, else 1)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def core_shares(n: int, cores: int | None = None) -> list[int]:
    """Threads for each of ``n`` workers on one machine: the usable cores split as evenly as
    they go, at least one each (``core_shares(3, 8) == [3, 3, 2]``)."""
    if n < 1:
        raise OptionError(f"--workers must be >= 1, got {n}")
    cores = usable_cores() if cores is None else cores
    return [max(1, cores // n + (i < cores % n)) for i in range(n)]


def _optuna_steps(job: Any, prune_key: str) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """``(spec, step key, options)`` of the job's Optuna searches, the study named as the run
    names it."""
    from autofeat.jobs import _search_key, _search_options, _study_name

    steps = []
    for spec in job.searches:
        method, opts = _search_options(spec, job.top_k, job.include)
        if method == "optuna":
            key = _search_key(spec, prune_key)
            steps.append((spec, key, {**opts, "study_name": _study_name(spec, key)}))
    return steps


def _pending(job: Any, manifest: Any, prune_key: str) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """The Optuna searches whose step is not done (a complete study covering ``trials``)."""
    return [(spec, key, opts) for spec, key, opts in _optuna_steps(job, prune_key)
            if not manifest.fresh(f"search:{spec['name']}", key, [job.out / f"search-{spec['name']}" / "result.json"],
                                  trials=opts["n_trials"])]


def _keys(job: Any) -> tuple[str, str]:
    from autofeat.jobs import _file_fingerprint, _prune_key, _rank_key

    rank_key = _rank_key(job, _file_fingerprint(job.data["path"]))
    return rank_key, _prune_key(job, rank_key)


def _prepared(job: Any, rank_key: str, prune_key: str) -> bool:
    """Whether the job's rank and prune steps are done for its current data and options."""
    from autofeat.jobs import _Manifest

    manifest = _Manifest(job.out)
    return (manifest.fresh("rank", rank_key, [job.out / "rank" / "ranking.json"])
            and manifest.fresh("prune", prune_key, [job.out / "candidates.json"]))


@contextmanager
def fleet(job: Any, n: int, *, quiet: bool = True, say: Any = None) -> Iterator[int | None]:
    """Start ``n - 1`` workers on the job's pending Optuna searches for the block; yields this
    process's threads (None when no Optuna search is left: nothing is started). Call it under
    the job's lock, after the rank and prune steps. On leaving the block it waits for the
    workers; an exception in the block (Ctrl-C) stops them first. A worker's failure
    interrupts the block and raises :class:`WorkerFailed`."""
    from autofeat.jobs import _Manifest

    say = say or (lambda msg: None)
    shares = core_shares(n)
    _, prune_key = _keys(job)
    if not _pending(job, _Manifest(job.out), prune_key):
        gates = [s["name"] for s in job.searches if s.get("method", "optuna") != "optuna"]
        say("workers: no Optuna search left to share" + (f"; gate searches ({', '.join(gates)}) run once, here"
                                                         if gates else ""))
        yield None
        return
    crew = _Crew(job, shares[1:], quiet)
    say(f"workers: {n} ({len(shares) - 1} started: pids {', '.join(str(p.pid) for p in crew.procs)}), "
        f"threads {'/'.join(map(str, shares))}")
    restore = _on_sigterm()
    try:
        yield shares[0]
    except BaseException:
        crew.stop()
        crew.wait()
        if crew.failure is not None:  # it interrupted the block: its line, not a KeyboardInterrupt
            raise crew.error() from None
        raise
    else:
        try:
            crew.wait()
        except KeyboardInterrupt:
            crew.stop()
            crew.wait()
            if crew.failure is None:
                raise
        if crew.failure is not None:
            raise crew.error()
    finally:
        restore()


def _on_sigterm() -> Any:
    """SIGTERM (a scheduler stopping the run) handled as Ctrl-C, so the workers stop as they do
    for it; returns what puts the previous handler back (off the main thread, where no handler
    can be set, nothing is changed)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    # None: a handler set outside Python, which cannot be put back; the default then.
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class _Crew:
    """The worker processes of one run: started in sessions of their own (Ctrl-C at the
    terminal reaches the run, which passes one SIGINT on to each), their output read by one
    thread each (kept for a failure's line; echoed unless quiet)."""

    def __init__(self, job: Any, shares: list[int], quiet: bool) -> None:
        self.total = len(shares) + 1
        self.failure: tuple[int, int, int, str] | None = None  # (worker number, pid, exit code, line)
        self._stopping = False
        self._lock = threading.Lock()
        self._main_waiting = False
        env = dict(os.environ)
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # several OpenMP processes share the cores
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.procs: list[subprocess.Popen] = []
        self._threads: list[threading.Thread] = []
        try:
            for i, share in enumerate(shares, start=2):
                cmd = [sys.executable, "-m", "autofeat.cli", "worker", str(job.path), "--trials-only",
                       "--n-jobs", str(share), *(["--quiet"] if quiet else [])]
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, errors="replace", env=env,
                                        start_new_session=True)
                self.procs.append(proc)
                t = threading.Thread(target=self._follow, args=(i, proc, quiet), name=f"autofeat-worker-{i}",
                                     daemon=True)
                t.start()
                self._threads.append(t)
        except BaseException:
            self.stop()
            self.wait()
            raise

    def _follow(self, number: int, proc: subprocess.Popen, quiet: bool) -> None:
        tail: deque[str] = deque(maxlen=_TAIL)
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            if not quiet:
                sys.stderr.write(f"worker {number}: {line}")
        rc = proc.wait()
        with self._lock:
            if rc == 0 or self._stopping or self.failure is not None:
                return
            said = [t for t in tail if t.strip()]
            self.failure = (number, proc.pid, rc, said[-1].strip() if said else "no output")
            self._stopping = True
            waiting = self._main_waiting
        for other in self.procs:  # the others requeue their trials and stop
            if other is not proc:
                _signal(other, signal.SIGINT)
        if not waiting:  # the run is in its own trials: stop it too (its trial is requeued)
            _thread.interrupt_main()

    def stop(self) -> None:
        """One SIGINT to each worker still running (each queues its trial again and exits)."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        for proc in self.procs:
            _signal(proc, signal.SIGINT)

    def wait(self) -> None:
        with self._lock:
            self._main_waiting = True
        for t in self._threads:
            t.join()

    def error(self) -> WorkerFailed:
        number, pid, rc, line = self.failure  # type: ignore[misc]
        how = f"was killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with code {rc}"
        return WorkerFailed(f"worker {number} of {self.total} (pid {pid}) {how}: {line}",
                            rc if rc in (2, 74) else 1)


def _signal(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:  # it ended meanwhile
            pass


def work(path: str | Path, *, trials_only: bool = False, n_jobs: int | None = None, quiet: bool = True,
         say: Any = None) -> dict[str, int]:
    """``autofeat worker``: run trials of the job's Optuna searches until their budgets are
    done; returns the trials this worker ran per search.

    Without ``trials_only`` it ranks and prunes first if the job's ranking is missing or stale
    (under the job's lock: one worker of many does; the others wait for it), and afterwards
    writes the results and the summary if no other run holds the lock and its searches are
    finished (not when its ``timeout`` stopped it first: the run's steps would search on for
    another ``timeout``). With ``trials_only`` (what ``autofeat run --workers`` starts, under
    its own lock) it never takes the lock: a missing ranking is an error, and the results are
    left to that run."""
    from autofeat.io.files import refuse_link
    from autofeat.jobs import LockedError, _in_job_terms, _Manifest, load_job, run_job
    from autofeat.ranking.result import Ranking
    from autofeat.searching.optuna_search import OptunaSearchOptions

    say = say or (lambda msg: None)
    job = load_job(path)
    if not any(s.get("method", "optuna") == "optuna" for s in job.searches):
        raise OptionError(f"{job.path}: no Optuna [[search]] to work on (workers share Optuna searches; "
                          "gate searches run once, in autofeat run)")
    prune_key = _wait_for_ranking(job, trials_only, quiet, say)
    ranking = Ranking.load(job.out / "rank")
    share = cap_jobs(n_jobs)
    read_opts = {k: job.data[k] for k in ("header", "delimiter") if k in job.data}
    ran: dict[str, int] = {}
    short = []  # searches not finished when this worker stopped (its timeout; others' trials under way)
    for spec, _, opts in _pending(job, _Manifest(job.out), prune_key):
        name = spec["name"]
        sdir = job.out / f"search-{name}"
        refuse_link(sdir)
        opts["n_jobs"] = min(opts.get("n_jobs") or share, share)
        try:
            ran[name], done = _join(job, ranking, sdir, OptunaSearchOptions(**opts), read_opts, quiet)
        except OptionError as e:
            raise OptionError(f"{job.path}: [[search]] {name!r}: {_in_job_terms(str(e))}") from None
        say(f"search:{name}: {ran[name]} trials run by this worker; {done} of {opts['n_trials']} finished")
        if done < opts["n_trials"]:
            short.append(f"{name}: {done} of {opts['n_trials']} trials finished")
    if trials_only:
        return ran
    if short:  # the run's steps would search on, for another timeout
        say(f"results: not written here ({'; '.join(short)}); the next worker or run writes them")
        return ran
    try:
        outcome = run_job(job.path, quiet=quiet, log=say)
    except LockedError:
        say("results: left to the run that holds the job's lock")
        return ran
    wrote = [k for k, v in outcome.items() if v in ("ran", "partial")]
    say(f"results: {'wrote ' + ', '.join(wrote) if wrote else 'up to date'}")
    return ran


def _join(job: Any, ranking: Any, sdir: Path, options: Any, read_opts: dict[str, Any],
          quiet: bool) -> tuple[int, int]:
    from autofeat._threads import limit_threads
    from autofeat.searching.join import join_study

    with limit_threads(options.n_jobs):
        return join_study(job.data["path"], ranking, sdir, options, quiet=quiet, **read_opts)


def _wait_for_ranking(job: Any, trials_only: bool, quiet: bool, say: Any) -> str:
    """The prune step's key once the job's ranking and candidates are up to date: there
    already, or made here under the job's lock, or (the lock held by another run or worker)
    waited for. A ``trials_only`` worker does not rank or wait: it fails."""
    from autofeat.jobs import LockedError, run_job

    rank_key, prune_key = _keys(job)
    told = False
    while not _prepared(job, rank_key, prune_key):
        if trials_only:
            raise OptionError(f"{job.out}: the job's ranking is missing or out of date, and a --trials-only worker "
                              f"does not rank; run 'autofeat run {job.path}' or a worker without --trials-only")
        try:
            run_job(job.path, quiet=quiet, log=say, prepare_only=True)
        except LockedError:
            if not told:
                say(f"waiting for the run that holds {job.out / '.lock'} to rank (looking every "
                    f"{RANK_WAIT_SECONDS:g} s)")
                told = True
            time.sleep(RANK_WAIT_SECONDS)
        rank_key, prune_key = _keys(job)
    return prune_key
