"""Issue 15, fault 7: two workers starting together on a new ``sqlite:///`` storage race to
create its schema; the loser died with "cannot connect" (table already exists, or a duplicate
alembic_version row). Creating the storage is now retried on that race.

The race is placed by an event, not by timing: both processes wait at a barrier inside
SQLAlchemy's create_all, after each has found the tables missing and before either creates
them, so both go on to create the same tables."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from autofeat.errors import OptionError
from autofeat.searching import storage as storage_module
from autofeat.searching.storage import open_storage


def _worker(barrier, url: str, out: str, results) -> None:
    import optuna
    from optuna.storages._rdb import models
    from sqlalchemy import event

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    waited = []

    def both_found_the_tables_missing(*_args, **_kwargs) -> None:
        if not waited:  # the first attempt only: a retry must not wait for the other again
            waited.append(True)
            barrier.wait(timeout=120)  # a safety net: the other process is at the same point

    event.listen(models.BaseModel.metadata, "before_create", both_found_the_tables_missing)
    try:
        study = optuna.create_study(study_name="s", storage=open_storage(url, Path(out)), load_if_exists=True)
        study.enqueue_trial({})  # the storage is usable
        results.put("ok")
    except BaseException as exc:  # reported to the test, which shows it
        results.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_two_workers_create_a_new_sqlite_storage_together(tmp_path):
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    url = f"sqlite:///{tmp_path / 'study.db'}"
    procs = [ctx.Process(target=_worker, args=(barrier, url, str(tmp_path), results)) for _ in range(2)]
    for p in procs:
        p.start()
    got = [results.get(timeout=300) for _ in procs]  # the timeout is a safety net only
    for p in procs:
        p.join()
    assert got == ["ok", "ok"], got


def test_schema_race_is_retried_and_other_errors_are_not(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    import optuna

    real, calls = optuna.storages.RDBStorage, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("CREATE TABLE studies", {}, Exception("table studies already exists"))
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", flaky)
    monkeypatch.setattr(storage_module.time, "sleep", lambda s: None)
    open_storage(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    assert len(calls) == 2

    def down(*args, **kwargs):
        calls.append(1)
        raise OperationalError("connect", {}, Exception("could not connect to server"))

    calls.clear()
    monkeypatch.setattr(optuna.storages, "RDBStorage", down)
    with pytest.raises(OptionError, match="cannot connect"):
        open_storage("postgresql://u@nowhere/db", tmp_path)
    assert len(calls) == 1  # not a race: no retry
