"""``autofeat run JOB.toml``: rank -> prune -> search(es) -> summary, resumable.

A job file (paths relative to the file)::

    [data]
    path = "clicks.csv"          # required
    label = "click"              # required
    header = true                # optional: delimiter, ignore, numeric, categorical

    [rank]                       # optional: any RankOptions field
    pairs_top = 20

    [prune]
    top_k = 30                   # search candidates: the ranking's best clean features
    include = ["user_id"]        # optional: candidates whatever the ranking's flags (leak, id, ...)

    [[search]]                   # zero or more
    name = "lgb"                 # required, unique
    method = "optuna"
    space = ["feature_subset", "lightgbm"]
    trials = 30                  # optional: timeout, storage, study, seed, second_objective, sample_rows

    [output]
    dir = "out"                  # required

Every step records in ``OUT/manifest.json`` the hash of its inputs (the data file's size,
modification time and first and last MiB, the step's options, the hashes of the steps it
reads). A re-run skips a step whose hash matches and whose outputs exist, so after a crash it
continues where it stopped (an unfinished Optuna study continues from its storage), and a
re-run with nothing changed does nothing. An Optuna search's budget (``trials``, ``timeout``)
is recorded beside its hash, not in it: raising ``trials`` continues the same study.
``OUT/.lock`` (an OS file lock, released when the process ends, however it ends; the file is
removed when the run ends) stops two runs writing one folder.

With ``workers`` (``autofeat run JOB --workers N``) the Optuna searches' trials run in N
processes under the run's lock; ``autofeat worker JOB`` joins a job from another machine
(:mod:`autofeat.fleet`).

Exit codes: 0 done; 2 a bad job file or bad data; 75 another run holds the lock; a worker's
failure, its own code (2, 74, else 1).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import re
import time
import types
import typing
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autofeat._toml import parse_toml
from autofeat.errors import AutofeatError, DataError, OptionError

__all__ = ["Job", "load_job", "run_job", "LockedError", "EXIT_LOCKED"]

EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
# [[search]] keys every method takes, and those of the Optuna study only.
# The data and its split are the same for every method (one TrainingData path).
_SEARCH_DATA = ("seed", "sample_rows", "n_jobs", "valid_fraction", "test_fraction", "min_count", "time_column")
_SEARCH_COMMON = {"name", "method", *_SEARCH_DATA}
# model (with dim, epochs, device) makes a torch CTR model the study's evaluator.
_SEARCH_OPTUNA = {"space", "trials", "timeout", "storage", "study", "second_objective", "model", "dim", "epochs",
                  "device"}
# A search's budget: not part of the hash naming its study (raising trials continues it).
_SEARCH_BUDGET = ("trials", "timeout")
# Set from the prune step (prune.top_k, prune.include), not per search.
_SEARCH_FROM_PRUNE = {"max_features", "include"}
# A search's name names its folder OUT/search-NAME: no '/', no '..', no control characters.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


# Value types of the keys that are not dataclass fields (those take their field's type).
_TYPES: dict[str, dict[str, Any]] = {
    "data": {"path": str, "label": str | int, "header": bool, "delimiter": str,
             "ignore": list[str], "numeric": list[str], "categorical": list[str]},
    "prune": {"top_k": int, "include": list[str]},
    "output": {"dir": str},
    "search": {"name": str, "method": str, "trials": int, "study": str, "space": str | list[str]},
}
# [[search]] keys named differently from their options field.
_SEARCH_FIELDS = {"trials": "n_trials", "study": "study_name"}
# The keys each section allows: [data], [prune], [output] their typed keys; [rank] the
# RankOptions fields; [[search]] per method (_search_keys).
_SECTIONS: dict[str, set[str] | None] = {
    "data": set(_TYPES["data"]), "rank": None, "prune": set(_TYPES["prune"]), "search": None,
    "output": set(_TYPES["output"]),
}


def _search_keys(method: str) -> set[str]:
    """Keys a ``[[search]]`` table may have for ``method``: the Optuna study's, or for a
    gate method (optfs, dnis, optinter) every field of its own options type."""
    if method == "optuna":
        return _SEARCH_COMMON | _SEARCH_OPTUNA
    from autofeat.searching.gates.options import options_type

    return _SEARCH_COMMON | (set(options_type(method).__dataclass_fields__) - _SEARCH_FROM_PRUNE)


def _owned_elsewhere(keys: list[str], method: str) -> str:
    """``" (penalty is optfs's)"`` for keys that belong to another search method."""
    from autofeat.searching.gates.options import methods_with

    owners = {k: [m for m in methods_with(k) if m != method] for k in keys}
    said = [f"{k} is {' and '.join(v)}'s" for k, v in owners.items() if v]
    return f" ({'; '.join(said)})" if said else ""


class LockedError(AutofeatError):
    """Another run holds the output folder's lock."""


@dataclass
class Job:
    path: Path
    data: dict[str, Any]
    rank: dict[str, Any]
    top_k: int
    include: list[str]
    searches: list[dict[str, Any]]
    out: Path
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


def _options_class(section: str, method: str) -> type:
    """The dataclass whose fields type a [rank] or [[search]] table's keys."""
    if section == "rank":
        from autofeat.ranking.api import RankOptions

        return RankOptions
    if method == "optuna":
        from autofeat.searching.optuna_search import OptunaSearchOptions

        return OptunaSearchOptions
    from autofeat.searching.gates.options import options_type

    return options_type(method)


def _matches(value: Any, hint: Any) -> bool:
    """Whether a TOML value fits a type hint (a list stands for a tuple; an int for a float)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if origin is typing.Literal:
        return value in args
    if origin in (list, tuple):
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:  # TOML has nan and inf; no option takes them
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"a list of {_describe(args[0]).split(' ', 1)[-1]}s"
    return {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}.get(hint, str(hint))


def _check_types(path: Path, section: str, body: dict[str, Any]) -> None:
    """Every value has its key's type (``bins = "20"``, ``dir = 5`` failed later with a
    traceback; ``header = "false"`` was read as true, ``ignore = "id"`` as four letters)."""
    hints = dict(_TYPES.get(section, {}))
    if section in ("rank", "search"):
        fields = typing.get_type_hints(_options_class(section, body.get("method", "optuna")))
        for key in body:
            hints.setdefault(key, fields.get(_SEARCH_FIELDS.get(key, key), Any))
    for key, value in body.items():
        hint = hints.get(key, Any)
        if not _matches(value, hint):
            where = f"[[search]] {body.get('name')!r}: search.{key}" if section == "search" else f"{section}.{key}"
            raise OptionError(f"{path}: {where} = {value!r}: expected {_describe(hint)}")


def _search_options(spec: dict[str, Any], top_k: int, include: list[str]) -> tuple[str, dict[str, Any]]:
    """(method, options for autofeat.search) of a [[search]] table, without the study name
    (it depends on the step's inputs)."""
    method = spec.get("method", "optuna")
    opts: dict[str, Any] = {"max_features": top_k, "include": tuple(include)}
    if method == "optuna":
        opts["n_trials"] = spec.get("trials", 30)
        for k in ("timeout", "storage", "second_objective", "model", "dim", "epochs", "device"):
            if k in spec:
                opts[k] = spec[k]
        if "space" in spec:
            opts["space"] = tuple(spec["space"]) if isinstance(spec["space"], list) else spec["space"]
    else:  # every other key is a GateOptions field (checked when the file was read)
        opts.update({k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items()
                     if k not in ("name", "method")})
    for k in _SEARCH_DATA:
        if k in spec:
            opts[k] = spec[k]
    return method, opts


# CLI flags in the library's messages, as the job file's keys (where they differ).
_FLAG_KEYS = {"--trials": "trials", "--study": "study", "--max-features": "prune.top_k", "--include": "prune.include",
              "--no-header": "header = false in [data]", "--delimiter": "data.delimiter", "--label": "data.label",
              "--numeric": "data.numeric", "--categorical": "data.categorical", "--ignore": "data.ignore"}


def _in_job_terms(message: str) -> str:
    """``message`` with CLI flags (``--n-jobs``) named as job keys (``n_jobs``): the checks are
    shared with the CLI, and a job file has no flags."""
    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)",
                  lambda m: _FLAG_KEYS.get(m.group(0), m.group(1).replace("-", "_")), message)


def _check_values(job: Job) -> None:
    """Range checks of [rank] and every [[search]], when the file is read: a bad value found
    by the search itself came after rank and prune had written their files."""
    from autofeat.searching.spaces import load_space

    try:
        _options_class("rank", "")(**job.rank).check()
    except OptionError as e:
        raise OptionError(f"{job.path}: [rank]: {_in_job_terms(str(e))}") from None
    for spec in job.searches:
        method, opts = _search_options(spec, job.top_k, job.include)
        if isinstance(opts.get("space"), str):
            opts["space"] = tuple(s for s in opts["space"].split(",") if s)
        try:
            _options_class("search", method)(**opts).check()
            if method == "optuna" and "space" in opts:
                load_space(opts["space"])
        except OptionError as e:
            raise OptionError(f"{job.path}: [[search]] {spec['name']!r}: {_in_job_terms(str(e))}") from None


def load_job(path: str | Path) -> Job:
    """Read and validate a job file; errors name the file and the key."""
    from autofeat.io.sources import check_delimiter_value
    from autofeat.ranking.api import RankOptions
    from autofeat.io.files import check_out_dir

    path = Path(path)
    if not path.is_file():
        raise OptionError(f"{path}: no such job file")
    doc = parse_toml(path.read_text(), str(path))
    for section, body in doc.items():
        if section not in _SECTIONS:
            raise OptionError(f"{path}: unknown section [{section}] (known: {', '.join(_SECTIONS)})")
        if section == "search" and isinstance(body, dict):
            raise OptionError(f"{path}: write searches as [[search]] tables")
        bodies = body if isinstance(body, list) and section == "search" else [body]
        for b in bodies:
            if not isinstance(b, dict):  # `data = 5`: failed with a traceback on set(5)
                shape = "[[search]] tables" if section == "search" else f"a [{section}] table"
                raise OptionError(f"{path}: {section} = {b!r}: expected {shape}")
            if section == "rank":
                allowed = set(RankOptions.__dataclass_fields__) - {"quality"}
            elif section == "search":
                from autofeat.searching.api import METHODS

                method = b.get("method", "optuna")
                if method not in METHODS:
                    raise OptionError(f"{path}: search.method {method!r}: unknown (available: {', '.join(METHODS)})")
                allowed = _search_keys(method)
            else:
                allowed = _SECTIONS[section]
            unknown = set(b) - allowed
            if unknown:
                where = f"[[search]] with method {b.get('method', 'optuna')!r}" if section == "search" else f"[{section}]"
                owned = _owned_elsewhere(sorted(unknown), b.get("method", "optuna")) if section == "search" else ""
                raise OptionError(f"{path}: unknown key(s) in {where}: {', '.join(sorted(unknown))}{owned}")
            _check_types(path, section, b)
    for section, key in (("data", "path"), ("data", "label"), ("output", "dir")):
        if key not in doc.get(section, {}):
            raise OptionError(f"{path}: missing key {section}.{key}")
    try:
        check_delimiter_value(doc["data"].get("delimiter"), "data.delimiter")
    except OptionError as e:
        raise OptionError(f"{path}: {e}") from None
    searches = doc.get("search", [])
    names = [s.get("name") for s in searches]
    if any(not n for n in names):
        raise OptionError(f"{path}: every [[search]] needs a name")
    for n in names:  # the name becomes a folder, OUT/search-NAME: it must stay one folder in OUT
        if not isinstance(n, str) or not _SAFE_NAME.fullmatch(n):
            raise OptionError(f"{path}: search.name {n!r}: use 1-100 letters, digits, '.', '_' or '-', "
                              "starting with a letter or digit")
    if len(set(names)) != len(names):
        raise OptionError(f"{path}: [[search]] names must be unique, got {names}")
    base = path.parent
    data = dict(doc["data"])
    data["path"] = str((base / data["path"]).resolve())
    out = (base / doc["output"]["dir"]).resolve()
    try:  # before the lock and the ranking: a file or an unwritable folder failed after them
        check_out_dir(out, "output.dir")
    except OptionError as e:
        raise OptionError(f"{path}: {e}") from None
    _refuse_overwriting_data(path, data["path"], out, names)
    top_k = doc.get("prune", {}).get("top_k", 40)  # types were checked above
    if top_k < 1:
        raise OptionError(f"{path}: prune.top_k must be an integer >= 1")
    include = doc.get("prune", {}).get("include", [])
    job = Job(path=path, data=data, rank=dict(doc.get("rank", {})), top_k=top_k, include=include,
              searches=[dict(s) for s in searches], out=out, raw=doc)
    _check_values(job)
    return job


def _refuse_overwriting_data(path: Path, data: str, out: Path, names: list[str]) -> None:
    """data.path must not be a file the job writes (e.g. OUT/rank/ranking.tsv): it would be
    replaced by the job's own output."""
    from autofeat.io.files import RANK_FILES, SEARCH_FILES, refuse_overwriting_input

    outputs = [out / "rank" / n for n in RANK_FILES]
    outputs += [out / n for n in ("candidates.json", "summary.json", "manifest.json", ".lock")]
    outputs += [out / f"search-{n}" / f for n in names for f in SEARCH_FILES]
    try:
        refuse_overwriting_input(data, outputs, "output.dir")
    except OptionError as e:
        raise OptionError(f"{path}: {e}") from None


def _file_fingerprint(path: str) -> str:
    """Size, mtime and the first and last MiB: cheap on multi-GB logs, and it changes when
    the file is rewritten or appended to."""
    p = Path(path)
    if not p.exists():
        raise OptionError(f"data.path {path}: no such file")
    st = p.stat()
    h = hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}".encode())
    with open(p, "rb") as f:
        h.update(f.read(1 << 20))
        if st.st_size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read())
    return h.hexdigest()


def _hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _rank_key(job: Job, data_key: str) -> str:
    return _hash("rank", data_key, job.data, job.rank)


def _prune_key(job: Job, rank_key: str) -> str:
    return _hash("prune", rank_key, job.top_k, *([job.include] if job.include else []))


def _search_key(spec: dict[str, Any], prune_key: str) -> str:
    """The hash of an ``[[search]]`` step: its table without the budget (trials, timeout)."""
    return _hash("search", prune_key, {k: v for k, v in spec.items() if k not in _SEARCH_BUDGET})


def _study_name(spec: dict[str, Any], key: str) -> str:
    """An Optuna search's study, named after the step's inputs: a crash with the same inputs
    resumes it, changed inputs start a new one instead of mixing candidate sets."""
    return f"{spec.get('study', spec['name'])}-{key[:8]}"


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold ``OUT/.lock`` for the run; on every way out (done, an error, Ctrl-C) remove it, and
    remove ``out`` (and the parents this run made) if the run made it and wrote nothing in it:
    a job that failed on its data left a folder holding only ``.lock``."""
    made = [d for d in (out, *out.parents) if not d.exists()]
    out.mkdir(parents=True, exist_ok=True)
    try:
        f = _take_lock(out / ".lock")
        try:
            yield
        finally:
            # Unlinked while still held: a run that opened the old file meanwhile gets its
            # lock only after this release, sees the name gone and takes the lock again
            # (_take_lock), so two runs never both hold the lock.
            with suppress(FileNotFoundError):
                os.unlink(out / ".lock")
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()
    finally:
        for d in made:  # deepest first; a folder with anything in it stays
            try:
                d.rmdir()
            except OSError:
                break


def _take_lock(path: Path) -> Any:
    """The open, exclusively locked ``path`` with this pid in it; LockedError if another run
    holds it."""
    from autofeat.io.files import open_no_follow

    while True:
        # Not open(..., "a+"): a .lock symlinked to another file had that file truncated to "pid N".
        f = os.fdopen(open_no_follow(path, os.O_RDWR | os.O_CREAT), "r+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise LockedError(f"{path.parent}: another run holds {path} ({holder}); try again when it ends") from None
        try:  # the run that held it may have removed it between our open and our lock
            if os.path.samestat(os.fstat(f.fileno()), os.lstat(path)):
                break
        except FileNotFoundError:
            pass
        f.close()
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}")
    f.flush()
    return f


class _Manifest:
    def __init__(self, out: Path) -> None:
        self.path = out / "manifest.json"
        self.steps: dict[str, Any] = {}
        if self.path.exists():
            try:
                self.steps = json.loads(self.path.read_text()).get("steps", {})
            except ValueError:
                self.steps = {}  # a manifest we cannot read: every step runs again

    def fresh(self, step: str, key: str, outputs: list[Path], *, trials: int | None = None) -> bool:
        """Whether ``step`` can be skipped; for an Optuna search, also whether its recorded
        budget covers ``trials`` (a bigger budget continues the study)."""
        rec = self.steps.get(step)
        return bool(rec and rec.get("hash") == key and rec.get("status") == "complete"
                    and (trials is None or rec.get("trials", 0) >= trials)
                    and all(p.exists() for p in outputs))

    def record(self, step: str, key: str, outputs: list[Path], seconds: float, *, complete: bool = True,
               trials: int | None = None) -> None:
        """Record a step; a partial one (a search stopped by its timeout) runs again next time."""
        from autofeat.io.files import write_text_atomic

        self.steps[step] = {"hash": key, "status": "complete" if complete else "partial", "seconds": round(seconds, 3),
                            "outputs": [str(p) for p in outputs], "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if trials is not None:
            self.steps[step]["trials"] = trials
        write_text_atomic(self.path, json.dumps({"steps": self.steps}, indent=1))


def _finished_trials(result: dict[str, Any]) -> int:
    """Finished (complete or pruned) trials of an Optuna search's result: what its budget
    counts (run_worker stops on these)."""
    return int(result.get("n_trials", 0)) + int(result.get("n_pruned", 0))


def run_job(path: str | Path, *, quiet: bool = True, log: Any = None, workers: int = 1,
            prepare_only: bool = False) -> dict[str, str]:
    """Run a job file; returns each step's outcome: ``"ran"``, ``"skipped"`` or, for an
    Optuna search whose ``timeout`` ended this run before ``trials`` finished trials,
    ``"partial"`` (the next run continues it).

    With ``workers`` > 1, that many worker processes share the Optuna searches' trials: this
    run, after its rank and prune steps and under its lock, is one of them and starts the
    others (:func:`autofeat.fleet.fleet`). ``prepare_only``: the rank and prune steps only
    (what ``autofeat worker`` needs before it joins the studies)."""
    from autofeat.ranking.api import RankOptions, rank
    from autofeat.ranking.result import Ranking
    from autofeat.io.files import refuse_link
    from autofeat.api import search
    from autofeat.report.outputs import save_ranking

    job = load_job(path)
    say = log or (lambda msg: None)
    outcome: dict[str, str] = {}
    with _locked(job.out), ExitStack() as stack:
        # Subfolders we write into must be ours: a link (rank -> /elsewhere) sent files outside OUT.
        for d in ["rank", *(f"search-{s['name']}" for s in job.searches)]:
            refuse_link(job.out / d)
        manifest = _Manifest(job.out)
        data_key = _file_fingerprint(job.data["path"])
        read_opts = {k: job.data[k] for k in ("header", "delimiter") if k in job.data}
        cols = {k: job.data.get(k, []) for k in ("ignore", "numeric", "categorical")}

        rank_dir = job.out / "rank"
        rank_key = _rank_key(job, data_key)
        if manifest.fresh("rank", rank_key, [rank_dir / "ranking.json"]):
            outcome["rank"] = "skipped"
            ranking = Ranking.load(rank_dir)
        else:
            t = time.perf_counter()
            try:
                ranking = rank(job.data["path"], job.data["label"], options=RankOptions(**job.rank),
                               quiet=quiet, **read_opts, **cols)
            except DataError as e:  # named after the file's keys, not the CLI's flags
                raise DataError(f"{job.path}: {_in_job_terms(str(e))}") from None
            save_ranking(ranking, rank_dir)
            manifest.record("rank", rank_key, [rank_dir / "ranking.json"], time.perf_counter() - t)
            outcome["rank"] = "ran"
        say(f"rank: {outcome['rank']}")

        try:
            candidates = ranking.top(job.top_k, include=job.include)
        except OptionError as e:
            raise OptionError(f"{job.path}: prune.include: {e}") from None
        prune_key = _prune_key(job, rank_key)
        prune_file = job.out / "candidates.json"
        if manifest.fresh("prune", prune_key, [prune_file]):
            outcome["prune"] = "skipped"
        else:
            from autofeat.io.files import write_text_atomic

            write_text_atomic(prune_file, json.dumps({"top_k": job.top_k, "include": job.include, "features": candidates}, indent=1))
            manifest.record("prune", prune_key, [prune_file], 0.0)
            outcome["prune"] = "ran"
        say(f"prune: {outcome['prune']} ({len(candidates)} candidates)")
        if prepare_only:
            return outcome
        share = None  # with workers: this process's share of the cores (the workers run until the block ends)
        if workers > 1:
            from autofeat.fleet import fleet

            share = stack.enter_context(fleet(job, workers, quiet=quiet, say=say))

        results = {}
        for spec in job.searches:
            name = spec["name"]
            step = f"search:{name}"
            sdir = job.out / f"search-{name}"
            method, opts = _search_options(spec, job.top_k, job.include)
            # The budget (trials, timeout) is left out of the hash that names the study and
            # recorded beside it: raising trials continues the same study with the extra
            # trials; a budget its complete study already covers skips the step.
            key = _search_key(spec, prune_key)
            trials = opts["n_trials"] if method == "optuna" else None
            if share is not None:
                opts["n_jobs"] = min(opts.get("n_jobs") or share, share)
            if manifest.fresh(step, key, [sdir / "result.json"], trials=trials):
                outcome[step] = "skipped"
            else:
                t = time.perf_counter()
                # The study is named after the step's inputs: a crash with the same inputs
                # resumes it, changed inputs start a new one instead of mixing candidate sets.
                if method == "optuna":
                    opts["study_name"] = _study_name(spec, key)
                try:
                    search(job.data["path"], job.data["label"], method=method,
                           ranking=ranking, out=sdir, quiet=quiet, **read_opts, **opts)
                except OptionError as e:
                    raise OptionError(f"{job.path}: [[search]] {name!r}: {_in_job_terms(str(e))}") from None
                # A study cut short by `timeout` holds fewer than `trials` finished trials: the
                # step stays partial, so the next run continues the same study (each run is
                # limited by timeout) until the budget is reached.
                results[name] = json.loads((sdir / "result.json").read_text())
                done = _finished_trials(results[name]) if method == "optuna" else None
                complete = done is None or done >= opts["n_trials"]
                manifest.record(step, key, [sdir / "result.json"], time.perf_counter() - t, complete=complete,
                                trials=trials)
                outcome[step] = "ran" if complete else "partial"
            results.setdefault(name, json.loads((sdir / "result.json").read_text()))
            if outcome[step] == "partial":
                say(f"{step}: partial ({done} of {opts['n_trials']} trials; run again to continue)")
            else:
                say(f"{step}: {outcome[step]}")

        # The searches' results, not only their input hashes: a partial search that continued
        # has the same hash and a new result.
        summary_key = _hash("summary", rank_key, prune_key, [manifest.steps.get(f"search:{s['name']}", {}).get("hash")
                                                            for s in job.searches], results)
        summary = job.out / "summary.json"
        if manifest.fresh("summary", summary_key, [summary]):
            outcome["summary"] = "skipped"
        else:
            from autofeat.io.files import write_text_atomic

            doc = {"job": str(job.path), "label": ranking.label, "rows": ranking.rows,
                   "top_features": ranking.top(10), "candidates": candidates,
                   "searches": {n: {"features": r["features"], "metrics": r["metrics"]} for n, r in results.items()}}
            write_text_atomic(summary, json.dumps(doc, indent=1))
            manifest.record("summary", summary_key, [summary], 0.0)
            outcome["summary"] = "ran"
        say(f"summary: {outcome['summary']} -> {summary}")
    return outcome
