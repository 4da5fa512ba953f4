"""Optuna storages by URL, and recovery of trials whose worker died.

- no URL: a journal file ``study.journal`` in the output folder (one machine, many processes);
- ``journal:PATH``: a journal file elsewhere (e.g. on a shared file system);
- ``sqlite:///PATH``, ``postgresql://...``, ``mysql://...``: Optuna's RDB storage with a
  heartbeat: a worker that stops beating has its trial failed and retried by another.

Optuna records heartbeats and fails stale trials only inside ``Study.optimize``; our workers
ask and tell, so :func:`heartbeat` beats for the trial under way on a thread of its own and
:func:`fail_stale_trials` runs before every ask (any host's dead worker is found this way).

Journal files have no heartbeat, so each trial records its worker (``host:pid:start``, the
start time telling a reused pid apart); before every ask, a RUNNING trial of a process that no
longer exists on this host is failed and its parameters are queued again (what Optuna's
``RetryHeartbeatStaleTrialCallback`` does for RDB storages). So is a RUNNING trial that never
got its worker recorded (a kill between ``ask`` and recording it) once it is
``ORPHAN_SECONDS`` old, on any storage and from any host.

A journal and its lock are opened by absolute path: Optuna's lock is a symlink ``PATH.lock``
-> ``PATH``, and with a relative PATH (``--out search/``) the link resolved inside ``search/``
to a file that does not exist; a lock left by a kill was then never seen as stale and the
next run waited at 100% CPU forever. The lock (:func:`_symlink_lock`) also judges staleness
by the link itself, so such a link left by an older version is broken too.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from autofeat.errors import OptionError

__all__ = ["safe_url", "check_storage_url", "open_storage", "recover_dead_trials", "requeue", "may_die_unseen",
           "heartbeat", "fail_stale_trials",
           "WORKER_ATTR", "worker_id"]

WORKER_ATTR = "autofeat:worker"
RETRY_ATTR = "autofeat:retry_of"
# RDB storages: a trial whose worker has not beaten for GRACE_SECONDS is failed and retried.
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 30
# RDB storages: attempts at opening a new database while other workers create its schema.
SCHEMA_RETRIES = 6
# Journal files: a lock held this long is stale (a writer holds it for one append).
LOCK_GRACE_SECONDS = 30
# A RUNNING trial without a recorded worker this old is orphaned: its worker records itself
# milliseconds after the ask, so only a kill in between leaves one (generous for clock skew).
# Longer than a journal lock can be held (its grace period), so a worker waiting for the lock
# to record itself is never judged an orphan.
ORPHAN_SECONDS = 2 * LOCK_GRACE_SECONDS


def worker_id() -> str:
    """``host:pid:start`` of this process (``host:pid`` where the start time is unknown)."""
    start = _start_ticks(os.getpid())
    return f"{socket.gethostname()}:{os.getpid()}" + (f":{start}" if start else "")


def _start_ticks(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux; None elsewhere or for no
    such process): with the pid it names one process, even after the pid is reused."""
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def check_storage_url(url: str | None) -> None:
    """A one-line OptionError for a storage URL that cannot work, before any data is read
    (``journal:`` alone or on a folder failed with a traceback when the journal was opened)."""
    if url is None:
        return
    if url.startswith("journal:"):
        path = url[len("journal:"):]
        if not path:
            raise OptionError("--storage journal:: give the journal file's path, e.g. journal:runs/study.journal")
        if os.path.isdir(path):
            raise OptionError(f"--storage {url}: {path} is a folder; give a file in it, e.g. "
                              f"journal:{os.path.join(path, 'study.journal')}")
        return
    if "://" not in url:
        raise OptionError(f"--storage {safe_url(url)!r}: expected journal:PATH, sqlite:///PATH or postgresql://...")
    if url.split("?")[0] in ("sqlite://", "sqlite:///", "sqlite:///:memory:"):
        raise OptionError(f"--storage {safe_url(url)}: an in-memory SQLite database is lost when the process ends and cannot "
                          f"be resumed or shared; give a file, e.g. sqlite:///study.db")


def open_storage(url: str | None, out_dir: Path) -> Any:
    """An Optuna storage for ``url`` (see the module docstring); errors name the URL."""
    import optuna
    from optuna.storages import JournalStorage

    if url is None or url.startswith("journal:"):
        path = out_dir / "study.journal" if url is None else Path(url[len("journal:"):])
        path = Path(os.path.abspath(path))  # see the module docstring
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _symlink_lock()(str(path), LOCK_GRACE_SECONDS)
        return JournalStorage(_journal_file()(str(path), lock_obj=lock))
    if "://" not in url:
        raise OptionError(f"--storage {safe_url(url)!r}: expected journal:PATH, sqlite:///PATH or postgresql://...")
    try:
        for attempt in range(SCHEMA_RETRIES):
            try:
                with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna; we rely on them
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    return optuna.storages.RDBStorage(
                        url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
                        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2),
                        engine_kwargs={"pool_pre_ping": True},
                    )
            except Exception as exc:
                # Workers started together on a new database race to create its schema (each
                # checks, then creates): the loser sees "table ... already exists" or a
                # duplicate alembic_version row. Once the winner is done, a retry finds it all.
                if attempt + 1 == SCHEMA_RETRIES or not _schema_race(exc):
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")
    except ImportError:
        # The hint follows the URL's scheme (a mysql:// URL was told to install PostgreSQL's
        # driver); Optuna's own message names no package.
        dialect, _, driver = url.split("://", 1)[0].lower().partition("+")
        if dialect == "postgresql":
            hint = ("pip install psycopg2-binary" if driver == "psycopg2"
                    else "pip install 'psycopg[binary]' (or autofeat[postgres])")
        elif dialect == "mysql":
            hint = ("pip install pymysql" if driver == "pymysql"
                    else "pip install pymysql and write the URL as mysql+pymysql://USER:PASSWORD@HOST/DB")
        elif dialect == "sqlite":  # needs no package: only a Python built without SQLite lacks it
            hint = "this Python has no sqlite3 module; use a journal (journal:PATH) or another Python"
        else:
            hint = f"install the SQLAlchemy driver for {dialect}{'+' + driver if driver else ''}"
        raise OptionError(f"--storage {safe_url(url)}: database driver missing; {hint}") from None
    except Exception as exc:  # SQLAlchemy's OperationalError and friends: unreachable, bad auth
        msg = " ".join(str(exc).split())[:160]
        raise OptionError(f"--storage {safe_url(url)}: cannot connect ({type(exc).__name__}: {msg})") from None


@cache
def _journal_file() -> type:
    """Optuna's JournalFileBackend writing only to the journal itself (built on first use)."""
    from optuna.storages.journal import JournalFileBackend

    try:  # private helper; its module was renamed within Optuna 4
        from optuna.storages.journal._file import get_lock_file
    except ImportError:  # pragma: no cover - Optuna 4.0-4.x
        from optuna.storages.journal._file_lock import get_lock_file

    from autofeat.io.files import open_no_follow

    class JournalFile(JournalFileBackend):
        """Two changes to Optuna's backend:

        - it creates and appends with O_NOFOLLOW: Optuna's open(path, "ab") followed a symlink
          at the journal's name and appended the study's JSON to the link's target (or created
          it, for a dangling link);
        - before appending, under the lock, it truncates a torn last line (a writer killed by
          a full disk or a power loss; no line is written without its newline otherwise).
          Optuna's reader skips such a tail, but appended records merged with it into a line
          that is not JSON, and every later read failed with a JSONDecodeError.
        """

        def __init__(self, file_path: str, lock_obj: Any = None) -> None:
            os.close(open_no_follow(file_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND))
            super().__init__(file_path, lock_obj)  # the file exists now: Optuna does not open it

        def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
            try:
                yield from super().read_logs(log_number_from)
            except ValueError as exc:  # a record that is not JSON inside the journal: damaged
                raise OptionError(f"journal {self._file_path}: a record inside it is not JSON "
                                  f"({' '.join(str(exc).split())}); the journal is damaged: "
                                  "start a new one (another --out or --storage)") from None

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            with get_lock_file(self._lock):
                fd = open_no_follow(self._file_path, os.O_RDWR | os.O_APPEND)
                try:
                    _drop_torn_tail(fd)  # under the lock: no writer is between its first and last byte
                    data = memoryview(text.encode("utf-8"))
                    while data:  # O_APPEND: every write lands at the end
                        data = data[os.write(fd, data):]
                    os.fsync(fd)
                finally:
                    os.close(fd)

    return JournalFile


def _drop_torn_tail(fd: int) -> int:
    """Truncate the bytes after the journal's last newline (a torn record); returns how
    many were dropped."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    end, keep = size, 0
    while end > 0:  # back to the last newline, a block at a time
        start = max(0, end - (1 << 16))
        i = os.pread(fd, end - start, start).rfind(b"\n")
        if i >= 0:
            keep = start + i + 1
            break
        end = start
    os.ftruncate(fd, keep)
    return size - keep


@cache
def _symlink_lock() -> type:
    """Optuna's JournalFileSymlinkLock (its default), judging a held lock by the link itself
    (built on first use: importing this module does not import Optuna)."""
    from optuna.storages.journal import JournalFileSymlinkLock

    class SymlinkLock(JournalFileSymlinkLock):
        """Two changes to the waiting loop of Optuna's lock:

        - ``lstat``, not ``stat``: Optuna stats the link's target, and a link whose target does
          not resolve made it retry at once, without end, at 100% CPU;
        - a lock older than the grace period by the file system's clock is stale at once: the
          grace period counted from when this process first saw it made every resume after a
          kill wait it out;
        - the link names its holder (``TARGET#host:pid``; the target is never opened): a lock
          whose holder was a process of this host that is gone is broken at once, so a run
          restarted right after a kill inside an append does not wait the grace period out.
        """

        def acquire(self) -> bool:
            delay = 0.001
            seen: tuple[int, int] | None = None
            since = time.monotonic()
            while True:
                try:
                    os.symlink(f"{self._lock_target_file}#{worker_id()}", self._lock_file)
                    return True
                except FileExistsError:
                    pass
                try:
                    st = os.lstat(self._lock_file)
                except FileNotFoundError:
                    continue  # released meanwhile
                if _holder_gone(self._lock_file):
                    with suppress(RuntimeError):  # another waiter broke it first
                        self.release()
                    continue
                if (st.st_ino, st.st_mtime_ns) != seen:  # another holder: its own grace period
                    seen, since = (st.st_ino, st.st_mtime_ns), time.monotonic()
                grace = self.grace_period
                if grace is not None and (time.monotonic() - since > grace or _age(self._lock_file, st, grace) > grace):
                    with suppress(RuntimeError):  # another waiter broke it first
                        self.release()
                    delay = 0.001
                    continue
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    return SymlinkLock


def _holder_gone(lock: str) -> bool:
    """Whether the lock link names a holder on this host whose process has ended (a lock made
    by another host, by an older version without a holder, or by a live process: False)."""
    try:
        target = os.readlink(lock)
    except OSError:
        return False
    return "#" in target and _dead_local(target.rpartition("#")[2])


def _age(lock: str, st: os.stat_result, grace: float) -> float:
    """Seconds since ``lock`` was made, by the clock of the file system that holds it (on a
    shared file system the hosts' clocks may differ from the server's: a new probe file's
    mtime says what "now" is there). Only looked up for a lock that our clock says is old."""
    now = time.time()
    if now - st.st_mtime <= grace:
        return 0.0
    probe = f"{lock}.{uuid.uuid4().hex}.probe"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            now = os.fstat(fd).st_mtime
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError:
        pass  # no probe (read-only folder): this host's clock
    return now - st.st_mtime


def _schema_race(exc: Exception) -> bool:
    """Whether ``exc`` is another worker creating the same schema at the same time."""
    try:
        from sqlalchemy import exc as sa
    except ImportError:
        return False
    if isinstance(exc, sa.IntegrityError):  # a version row inserted by both
        return True
    text = str(exc).lower()
    return isinstance(exc, (sa.OperationalError, sa.ProgrammingError)) and (
        "already exists" in text or "database is locked" in text)


def safe_url(url: str) -> str:
    """The URL without its password (``user:password@`` or a ``password=`` parameter), for
    messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        url = f"{scheme}://{creds.split(':')[0]}:***@{host}"
    return re.sub(r"(?i)([?&](?:password|passwd|pwd)=)[^&]*", r"\1***", url)


def _dead_local(owner: str) -> bool:
    """Whether ``owner`` (``host:pid:start`` as :func:`worker_id` writes it, or ``host:pid`` as
    older versions did) is a process of this host that has ended: its pid is gone, or now
    names a process that started at another time (a reused pid)."""
    parts = owner.split(":")
    start = parts.pop() if len(parts) == 3 and parts[2].isdigit() else None
    host, pid = ":".join(parts[:-1]), parts[-1]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if not _alive(int(pid)):
        return True
    now = _start_ticks(int(pid))
    return start is not None and now is not None and now != start


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended: a zombie (killed, not yet reaped by its
    parent) holds nothing, but answers ``kill(pid, 0)``; its lock then looked held for the
    whole grace period."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    return stat is None or stat[0] not in ("Z", "X")  # no /proc (not Linux): trust kill()


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after ``pid (comm)`` (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].decode("ascii", "replace").split()  # comm may hold spaces


def recover_dead_trials(study: Any) -> int:
    """Fail the RUNNING trials whose worker process on this host is gone, and those that never
    recorded a worker and are ``ORPHAN_SECONDS`` old, and enqueue their parameters again;
    returns how many this call recovered. Workers may run it at once: the one whose FAIL lands
    first queues the retry, so a dead trial is retried once."""
    from optuna.trial import TrialState

    recovered = 0
    now = datetime.now()  # Optuna stores datetime_start as a naive local time
    me = worker_id()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = t.user_attrs.get(WORKER_ATTR)
        if owner:
            # This process runs one trial at a time and none while it recovers: a trial it
            # owns is left over from an earlier call that did not finish it.
            if owner != me and not _dead_local(owner):
                continue
        elif t.datetime_start is None or (now - t.datetime_start).total_seconds() < ORPHAN_SECONDS:
            continue
        recovered += requeue(study, t)
    return recovered


def requeue(study: Any, trial: Any) -> bool:
    """FAIL the RUNNING ``trial`` and queue its parameters again (a WAITING retry); False when
    it had finished already (another worker recovered it first, or its worker finished it)."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState

    try:
        study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    except UpdateFinishedTrialError:
        return False
    study.enqueue_trial(trial.params, user_attrs={RETRY_ATTR: trial.number}, skip_if_exists=False)
    return True


def may_die_unseen(study: Any, trial: Any) -> bool:
    """Whether RUNNING ``trial`` could end without this worker noticing: recorded by a process
    of another host on a storage without heartbeats (a journal). Any other, if its worker
    dies, is recovered here (ownerless: by age; this host: by its process; heartbeats: by
    their age), so a worker with nothing left to start waits for it."""
    owner = trial.user_attrs.get(WORKER_ATTR)
    return bool(owner) and owner.split(":")[0] != socket.gethostname() and not _beats(study._storage)


def _beats(storage: Any) -> bool:
    """Whether ``storage`` keeps heartbeats (Optuna's RDB storage with an interval set)."""
    return callable(getattr(storage, "record_heartbeat", None)) and storage.get_heartbeat_interval() is not None


@contextmanager
def heartbeat(study: Any, trial: Any) -> Iterator[None]:
    """Record ``trial``'s heartbeat every interval while the block runs, on storages that keep
    heartbeats (a no-op otherwise). The first beat is recorded before the block starts:
    Optuna never fails a RUNNING trial that has no heartbeat at all."""
    storage = study._storage  # what Optuna's own heartbeat thread beats on
    if not _beats(storage):
        yield
        return
    trial_id = trial._trial_id
    storage.record_heartbeat(trial_id)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(storage.get_heartbeat_interval()):
            try:
                storage.record_heartbeat(trial_id)
            except Exception:  # a missed beat (database busy, connection lost): only a grace
                pass           # period without any beat fails the trial, so keep trying

    thread = threading.Thread(target=beat, name=f"autofeat-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale_trials(study: Any) -> None:
    """Fail the RUNNING trials whose heartbeat is older than the grace period, whichever host
    ran them, and queue them again (the storage's RetryHeartbeatStaleTrialCallback); a no-op
    on storages without heartbeats."""
    import optuna

    if not _beats(study._storage):
        return
    with warnings.catch_warnings():  # "experimental" in Optuna; we rely on it
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
