"""Optuna studies over feature subsets and LightGBM hyperparameters, or (``model=``) over the
fields, embedding widths and pair methods of a torch CTR model.

Every worker runs the same loop against one storage: ask a trial, train, tell. The budget is
global and exact: a trial whose number comes after ``n_trials`` non-failed trials is told
FAIL (marked ``autofeat:over_budget``) without training, so however many workers share the
study, exactly ``n_trials`` trials finish. A study re-opened with the same name and storage
continues where it stopped; finished trials are never re-run.

Example:
    >>> import autofeat
    >>> from autofeat.datasets import make_ctr
    >>> from autofeat.searching.optuna_search import OptunaSearchOptions, optuna_search
    >>> table, truth = make_ctr(20_000, seed=0)
    >>> ranking = autofeat.rank(table, label="click")
    >>> res = optuna_search(table, "click", ranking, "/tmp/af-doc-search",
    ...                     OptunaSearchOptions(n_trials=3, study_name="doc", fresh=True))
    >>> res.method, res.extra["n_trials"]
    ('optuna', 3)
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from autofeat._progress import Progress
from autofeat.encode.training import check_fractions
from autofeat.errors import OptionError, check_finite
from autofeat.ranking.result import Ranking
from autofeat.searching.candidates import Candidates, training_data
from autofeat.searching.evaluators.base import Evaluator, evaluator_class
from autofeat.searching.metrics import auc_difference
from autofeat.searching.result import SearchResult
from autofeat.searching.spaces import SearchSpace, load_space
from autofeat.searching.storage import (
    WORKER_ATTR,
    check_storage_url,
    fail_stale_trials,
    heartbeat,
    may_die_unseen,
    open_storage,
    recover_dead_trials,
    requeue,
    worker_id,
)

__all__ = ["OptunaSearchOptions", "optuna_search", "run_worker"]

OVER_BUDGET = "autofeat:over_budget"
WARM_START = "autofeat:warm_start"
# A worker with nothing left to start looks again this often at the trials still under way.
WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class OptunaSearchOptions:
    """Options of an Optuna search (CLI flags have the same names with dashes).

    Attributes:
        space: search-space names or .toml paths (see :mod:`autofeat.searching.spaces`).
        n_trials: global budget of finished trials over all workers.
        timeout: seconds this worker may spend (None: no limit).
        storage: storage URL (None: journal file in the output folder).
        study_name: study to create or continue.
        max_features: candidates taken from the ranking (clean features, in order).
        include: columns that are candidates whatever the ranking's flags (leak, id, ...).
        baseline: also fit LightGBM with the chosen trial's parameters on every candidate
            and report it as ``metrics.all_features_*``.
        one_se: report the smallest trial (fewest features; with ``model``, fewest exported
            parameters) whose valid AUC is within one standard error of the best's, paired
            (DeLong, on both refits' validation scores), instead of the best trial: extra
            harmless columns or dimensions do not lower the AUC, so the best trial is often
            one of the largest.
        seed, valid_fraction, test_fraction, sample_rows, min_count, time_column: the data
            and its split, as for the torch searches (the same
            :class:`~autofeat.encode.training.TrainingData`: vocabularies and bin edges from
            train rows only; values rarer than ``min_count`` share the out-of-vocabulary id).
        fresh: delete an existing default journal in the output folder first.
        model: a torch CTR backbone (``deepfm``, ``dcn``, ...) as the evaluator instead of
            LightGBM: trials then choose fields, embedding widths (``[embedding_dims]``) and
            pair methods (``[interactions]``), train with early stopping, are pruned epoch by
            epoch, and the chosen one is exported as ``model.pt`` (see
            :mod:`autofeat.searching.evaluators.torch_eval`).
        dim, epochs, device: the torch evaluator's embedding width (without
            ``[embedding_dims]``), epochs per trial and device (the gate searches' defaults).
        second_objective: ``n_features`` or, with ``model``, ``params`` or ``latency`` (of the exported
            model): NSGA-II over (valid AUC, that count), reported as a Pareto front.
    """

    space: tuple[str, ...] = ("feature_subset", "lightgbm")
    n_trials: int = 30
    timeout: float | None = None
    storage: str | None = None
    study_name: str = "autofeat"
    second_objective: Literal["n_features", "params", "latency"] | None = None
    max_features: int = 40
    include: tuple[str, ...] = ()
    baseline: bool = True
    one_se: bool = True
    seed: int = 0
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    sample_rows: int | None = None
    min_count: int = 2
    time_column: str | None = None
    n_jobs: int | None = None
    spaces_dir: str | None = None
    fresh: bool = False
    model: str | None = None
    dim: int | None = None
    epochs: int | None = None
    device: str = "cpu"

    def check(self) -> None:
        check_finite(self)
        if self.n_trials < 1:
            raise OptionError(f"--trials must be >= 1, got {self.n_trials}")
        if self.seed < 0:  # NumPy refuses it, after the data was read
            raise OptionError(f"--seed must be >= 0, got {self.seed}")
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout > 0):
            raise OptionError(f"--timeout must be a number of seconds > 0, got {self.timeout}")
        check_storage_url(self.storage)
        if self.max_features < 1:
            raise OptionError(f"--max-features must be >= 1, got {self.max_features}")
        if self.second_objective not in (None, "n_features", "params", "latency"):
            raise OptionError(f"--second-objective: unknown {self.second_objective!r} "
                              "(known: n_features, params, latency)")
        if self.model is None:
            if self.second_objective in ("params", "latency"):
                raise OptionError(f"--second-objective {self.second_objective} needs a torch evaluator: "
                                  "add --model (e.g. deepfm)")
            for name in ("dim", "epochs"):
                if getattr(self, name) is not None:
                    raise OptionError(f"--{name} applies to the torch evaluator only: add --model (e.g. deepfm)")
        else:
            self.gate_options().check()  # torch installed, a known backbone, dim/epochs >= 1
        if self.n_jobs is not None and self.n_jobs < 1:
            raise OptionError(f"--n-jobs must be >= 1, got {self.n_jobs}")
        check_fractions(self.valid_fraction, self.test_fraction, self.sample_rows)


    @property
    def evaluator(self) -> str:
        """The evaluator's name in :data:`~autofeat.searching.evaluators.base.EVALUATORS`."""
        return "lightgbm" if self.model is None else "torch"

    def gate_options(self) -> Any:
        """The torch evaluator's training options (the gate searches' defaults otherwise)."""
        from autofeat.searching.gates.options import GateOptions

        kw: dict[str, Any] = {k: getattr(self, k) for k in ("model", "dim", "epochs") if getattr(self, k) is not None}
        return GateOptions(**kw, seed=self.seed, n_jobs=self.n_jobs, device=self.device,
                           valid_fraction=self.valid_fraction, test_fraction=self.test_fraction,
                           min_count=self.min_count, baseline=self.baseline)


def _objective(evaluator: Evaluator, options: OptunaSearchOptions) -> Any:
    """Draw a configuration, train it (pruned step by step unless the study has two
    objectives: Optuna prunes single-objective studies only), return its value(s)."""
    multi = options.second_objective is not None

    def objective(trial: Any) -> Any:
        config = evaluator.suggest(trial)
        trial.set_user_attr("features", config.features)
        fitted = evaluator.fit(config, None if multi else trial)
        for key, value in fitted.attrs().items():
            trial.set_user_attr(key, value)
        if not multi:
            return fitted.valid_auc
        if options.second_objective == "latency":
            latency = fitted.latency_us()
            trial.set_user_attr("latency_us", latency)
            return fitted.valid_auc, latency
        return fitted.valid_auc, (fitted.params if options.second_objective == "params" else len(fitted.features))

    return objective


def _sampler(options: OptunaSearchOptions, seed: int) -> Any:
    import optuna

    if options.second_objective:
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=8)


def _study(storage: Any, options: OptunaSearchOptions, warmup: int) -> Any:
    import optuna

    directions = ["maximize", "minimize"] if options.second_objective else ["maximize"]
    sampler = _sampler(options, options.seed)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=warmup)
    try:
        study = optuna.create_study(study_name=options.study_name, storage=storage, directions=directions,
                                    sampler=sampler, pruner=pruner, load_if_exists=True)
    except ValueError as exc:
        raise OptionError(f"--study {options.study_name}: {' '.join(str(exc).split())}") from None
    if study.metric_names is None:  # optuna-dashboard showed "Objective 0"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(["valid_auc", *([options.second_objective] if options.second_objective else [])])
    return study


def _check_directions(study: Any, options: OptunaSearchOptions) -> None:
    import optuna

    want = [optuna.study.StudyDirection.MAXIMIZE]
    if options.second_objective:
        want.append(optuna.study.StudyDirection.MINIMIZE)
    if list(study.directions) != want:
        have = ", ".join(d.name.lower() for d in study.directions)
        raise OptionError(f"--study {options.study_name}: the stored study has directions [{have}]; "
                          "use another --study name or the same --second-objective")


def _check_candidates(study: Any, candidates: Sequence[str], options: OptunaSearchOptions) -> None:
    """A study searches one candidate list; continuing it with another would mix trials over
    different features."""
    stored = study.user_attrs.get("autofeat:candidates")
    if stored is None:
        study.set_user_attr("autofeat:candidates", list(candidates))
    elif list(stored) != list(candidates):
        raise OptionError(f"--study {options.study_name}: the stored study searched other candidate "
                          "features (another ranking or --max-features); use another --study name or --out")


def run_worker(study: Any, objective: Any, n_trials: int, timeout: float | None,
               reseed: Any = None, progress: Any = None) -> int:
    """Ask/tell until the study holds ``n_trials`` finished trials (or ``timeout``); returns
    the number of trials this worker ran. ``reseed(n, waiting)`` gives the sampler for the
    next ask when the study holds ``n`` trials, ``waiting`` of them queued. On storages with
    heartbeats (RDB) the trial under way beats; dead workers' trials are failed and retried
    before each ask."""
    import optuna
    from optuna.trial import TrialState

    start = time.monotonic()
    ran = 0
    # Done or under way. A WAITING trial (a dead worker's retry) is work still to do: it must
    # not stop the loop, or a kill in the last trial leaves every resume one trial short.
    finished = (TrialState.COMPLETE, TrialState.PRUNED)
    taken = (*finished, TrialState.RUNNING)
    # Trials numbered before this one that will finish (ask() hands out WAITING ones first).
    ahead_states = (*taken, TrialState.WAITING)
    while timeout is None or time.monotonic() - start < timeout:
        # A dead worker's trial becomes FAIL + a WAITING retry: by heartbeat (RDB, any host),
        # by its recorded process (this host) or, never recorded, by its age (any storage).
        fail_stale_trials(study)
        recover_dead_trials(study)
        trials = study.get_trials(deepcopy=False)
        if sum(t.state in taken for t in trials) >= n_trials:
            # Nothing left to start; but a trial under way may still die and need its retry
            # run here, or the study ends short of its budget. Wait for those this worker can
            # see die (see may_die_unseen), recovering them as they do.
            if sum(t.state in finished for t in trials) >= n_trials or all(
                    may_die_unseen(study, t) for t in trials if t.state == TrialState.RUNNING):
                break
            time.sleep(WAIT_SECONDS)
            continue
        if reseed is not None:
            study.sampler = reseed(len(trials), sum(t.state == TrialState.WAITING for t in trials))
        with warnings.catch_warnings():  # "use heartbeats with Study.optimize": we beat ourselves
            warnings.filterwarnings("ignore", message="Heartbeat of storage", category=UserWarning)
            trial = study.ask()
        # Beats from the ask on (a RUNNING trial that never beat is never failed). With
        # skip_if_finished, a worker cut off for longer than the grace period, whose trial
        # another worker has failed and retried meanwhile, drops its late result quietly.
        try:
            with heartbeat(study, trial):
                trial.set_user_attr(WORKER_ATTR, worker_id())
                ahead = sum(1 for t in study.get_trials(deepcopy=False)
                            if t.number < trial.number and t.state in ahead_states)
                if ahead >= n_trials:
                    trial.set_user_attr(OVER_BUDGET, True)
                    study.tell(trial, state=TrialState.FAIL)
                    continue  # the check above decides whether anything is left to do
                value = objective(trial)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker judged this trial dead (failed and queued it): its retry runs it
        except KeyboardInterrupt:
            # Ctrl-C: the trial is not this study's to lose. FAIL it and queue its parameters
            # again, as for a dead worker, so a later run still reaches the exact budget.
            requeue(study, trial)
            raise
        except Exception:
            study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise
        else:
            study.tell(trial, value, skip_if_finished=True)
        ran += 1
        if progress is not None:
            _show_progress(study, progress, n_trials, finished)
    return ran


def _show_progress(study: Any, progress: Any, n_trials: int, finished: tuple) -> None:
    """The study's finished trials (every worker's) and its best valid AUC so far."""
    done = [t for t in study.get_trials(deepcopy=False, states=finished)]
    values = [t.values[0] for t in done if t.values]
    progress.update_to(min(len(done), n_trials))
    if values:
        progress.postfix(f"best valid AUC {max(values):.4f}")


def optuna_search(
    data: Any,
    label: str,
    ranking: Ranking,
    out_dir: str | Path,
    options: OptunaSearchOptions | None = None,
    *,
    header: bool = True,
    delimiter: str | None = None,
    quiet: bool = True,
) -> SearchResult:
    """Run (or continue) a study over the ranking's best features (its journal, by default,
    in ``out_dir``); the caller writes the result (:mod:`autofeat.report.outputs`)."""
    from optuna.trial import TrialState

    options, evaluator, candidates = prepare_study(data, ranking, options or OptunaSearchOptions(),
                                                   header=header, delimiter=delimiter)
    out = Path(out_dir)
    if options.fresh and options.storage is None and (out / "study.journal").exists():
        (out / "study.journal").unlink()
    with study_logging(quiet):
        # Workers on a shared storage mix their process id into the sampler's seed so that
        # they do not propose alike (see open_study).
        study, reseed = open_study(out, options, evaluator, candidates,
                                   salt=os.getpid() if options.storage is not None else 0)
        t0 = time.perf_counter()
        bar = Progress(options.n_trials, "trials", "optuna search", quiet)
        try:
            _show_progress(study, bar, options.n_trials, (TrialState.COMPLETE, TrialState.PRUNED))
            ran = run_worker(study, _objective(evaluator, options), options.n_trials, options.timeout, reseed, bar)
        finally:
            bar.close()
        return _result(study, evaluator, candidates, options, ran, time.perf_counter() - t0, quiet)


def prepare_study(data: Any, ranking: Ranking, options: OptunaSearchOptions, *, header: bool = True,
                  delimiter: str | None = None) -> tuple[OptunaSearchOptions, Evaluator, list[str]]:
    """Check ``options``, load the space and the candidates' training data, and build the
    evaluator: ``(options with the evaluator's default space filled in, evaluator, candidate
    names)``. Every worker of a study prepares the same way."""
    options.check()
    kind = evaluator_class(options.evaluator)
    if options.space == OptunaSearchOptions.space:
        options = replace(options, space=kind.default_space)
    space = load_space(options.space, spaces_dir=options.spaces_dir)
    _check_space(space, kind)
    candidates = Candidates.from_ranking(ranking, options.max_features, options.include)
    # The data path of every search: train-only vocabularies (OOV id) and bin edges, the same
    # sample and split (random or by --time-column); each candidate encoded with the kind the
    # ranking gave it (it may have been forced there).
    split = training_data(data, candidates, options, header=header, delimiter=delimiter)
    return options, kind(split, space, candidates, options), list(candidates.features)


@contextmanager
def study_logging(quiet: bool) -> Iterator[None]:
    """On a terminal a progress bar over the trials; in a log, Optuna's line per trial. The
    caller's verbosity comes back afterwards."""
    import optuna

    logs = not quiet and not sys.stderr.isatty()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if logs else optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def _check_space(space: SearchSpace, kind: Any) -> None:
    """Every section of ``space`` is one the evaluator reads, and it has one at least."""
    for section in space.sections:
        if section not in kind.sections:
            if section in ("embedding_dims", "interactions") and kind.name == "lightgbm":
                raise OptionError(f"--space: [{section}] ({space.sources[section]}) needs a torch CTR evaluator: add "
                                  "--model (e.g. deepfm); the LightGBM evaluator searches feature_subset and lightgbm "
                                  "sections")
            whose = "is the LightGBM evaluator's" if section == "lightgbm" else f"is not read by the {kind.name} evaluator"
            raise OptionError(f"--space: [{section}] ({space.sources[section]}) {whose}; with --model give "
                              f"{', '.join(kind.sections)}")
    if not space.sections:
        raise OptionError(f"--space: give a {', '.join(kind.sections)} section")


def open_study(out: Path, options: OptunaSearchOptions, evaluator: Evaluator, candidates: list[str],
               salt: int) -> tuple[Any, Callable[[int, int], Any]]:
    """Open or create the study (checked against ``options`` and the candidates), queue the
    evaluator's warm start in a new one, and return it with the sampler factory
    ``reseed(trials, waiting)`` for :func:`run_worker`."""
    study = _study(open_storage(options.storage, out), options, evaluator.warmup_steps)
    _check_directions(study, options)
    _check_candidates(study, candidates, options)

    # A sampler seeded only once would replay the same proposals after a resume. Seeding it
    # from the study's state keeps one worker deterministic without repeating a proposal:
    # (trials, waiting) never recurs (a new or queued trial adds one; a retry taken from the
    # queue removes a waiting one, and the size alone then recurred: a retry and the next
    # new trial were proposed alike). ``salt`` (a worker's process id) keeps workers apart.
    def reseed(n: int, waiting: int) -> Any:
        return _sampler(options, (options.seed * 1_000_003 + n * 7_919 + waiting * 104_729 + salt) % (2**32))

    guess = getattr(evaluator, "warm_start", None)
    if guess is not None and not study.get_trials(deepcopy=False):
        # A new study starts from the ranking's guess (skip_if_exists: two workers that
        # start together enqueue it once).
        study.enqueue_trial(guess(), user_attrs={WARM_START: True}, skip_if_exists=True)
    return study, reseed


# Smaller trials whose refit is compared with the best trial's before the best is kept.
SMALLER_CHECKS = 4


def _chosen(study: Any, y_valid: np.ndarray, options: OptunaSearchOptions,
            valid_scores: Callable[[Any], np.ndarray]) -> tuple[Any, list[Any], str]:
    """(the reported trial, the Pareto front or [], why it was chosen): the front's best; or
    the best valid AUC; or (``one_se``) the smallest trial (:func:`_size`) whose valid AUC
    is not below the best's by more than one standard error of the *paired* difference
    (DeLong, on the two refits' valid scores from ``valid_scores(trial)``).

    The paired error matters: two models' AUCs on the same rows move together, and the
    error of one AUC (about 0.012 at 3k valid rows) let trials that had dropped a useful
    feature through, 0.03-0.06 of test AUC worse. Trials within that unpaired error are the
    ones checked, smallest first (up to ``SMALLER_CHECKS``)."""
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if not done:
        raise OptionError(f"study {options.study_name!r} has no finished trial yet")
    if options.second_objective:
        pareto = sorted(study.best_trials, key=lambda t: (-t.values[0], t.values[1]))
        return pareto[0], pareto, "best valid AUC on the Pareto front"
    best = study.best_trial
    if not options.one_se:
        return best, [], "best valid AUC"
    size = _size(best)
    unit = "parameters" if "params" in best.user_attrs else "features"
    se = auc_standard_error(float(best.values[0]), int(y_valid.sum()), int(y_valid.size - y_valid.sum()))
    near = sorted((t for t in done if t.values[0] >= best.values[0] - se and _size(t) < size),
                  key=lambda t: (_size(t), -t.values[0], t.number))
    if near:
        best_scores = valid_scores(best)
        for t in near[:SMALLER_CHECKS]:
            diff, diff_se = auc_difference(y_valid, best_scores, valid_scores(t))
            if diff <= diff_se:
                smallest = "fewest features" if unit == "features" else "smallest model"
                return t, [], (f"{smallest} whose valid AUC is within one standard error of the best's, paired "
                               f"(trial {best.number}: {best.values[0]:.4f} with {size:,} {unit}; "
                               f"difference {diff:.4f}, its standard error {diff_se:.4f})")
    return best, [], "best valid AUC"


def _size(trial: Any) -> int:
    """What the one-standard-error pick minimizes: the exported model's parameters where the
    evaluator counts them (torch: widths and pair methods change the size, not only the
    fields), else the number of features."""
    return int(trial.user_attrs["params"]) if "params" in trial.user_attrs else len(trial.user_attrs["features"])


def _importances(study: Any) -> dict[str, float]:
    """PED-ANOVA parameter importances (needs no scikit-learn); empty when there are too few
    finished trials or the parameters never varied."""
    import optuna
    from optuna.trial import TrialState

    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 5:
        return {}
    try:
        with warnings.catch_warnings():  # "fewer than 2 trials in some regime": per parameter, noise
            warnings.simplefilter("ignore", UserWarning)
            imp = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return {k: float(v) for k, v in imp.items()}


def _study_extra(study: Any, best: Any, pareto: list[Any], chosen_by: str, ran: int,
                 options: OptunaSearchOptions) -> dict[str, Any]:
    """What result.json says about the study, whichever evaluator ran it."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    return {
        "best_trial": {"number": best.number, "params": best.params, "values": list(best.values)},
        "chosen_by": chosen_by,
        "n_trials": sum(t.state == TrialState.COMPLETE for t in trials),
        "n_pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "trials_run_by_this_worker": ran,
        "study": options.study_name,
        "pareto": [{"number": t.number, "valid_auc": t.values[0], "n_features": len(t.user_attrs["features"]),
                    **({"params": int(t.user_attrs["params"])} if "params" in t.user_attrs else {}),
                    **({"latency_us": t.user_attrs["latency_us"]} if "latency_us" in t.user_attrs else {}),
                    "features": t.user_attrs.get("features")} for t in pareto],
        "history": [{"number": t.number, "value": t.values[0] if t.values else None, "state": t.state.name.lower(),
                     "n_features": len(t.user_attrs.get("features", [])),
                     **({"params": int(t.user_attrs["params"])} if "params" in t.user_attrs else {})}
                    for t in trials if not t.user_attrs.get(OVER_BUDGET)],
        "importances": _importances(study) if not options.second_objective else {},
        "options": {k: v for k, v in asdict(options).items() if k != "storage"},
    }


def auc_standard_error(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley and McNeil's (1982) standard error of an AUC estimated from ``n_pos`` positive
    and ``n_neg`` negative rows."""
    if n_pos < 1 or n_neg < 1:
        return 0.0
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return float(np.sqrt(max(var, 0.0)))


def _result(study: Any, evaluator: Evaluator, candidates: Sequence[str], options: OptunaSearchOptions,
            ran: int, seconds: float, quiet: bool) -> SearchResult:
    """The chosen trial refitted (deterministic, same seed: the model the trial had), scored
    on test by its evaluator; its files (``model.pt``) are the result's artifacts."""
    import optuna

    td = evaluator.td
    fits: dict[int, Any] = {}

    def refit(trial: Any) -> Any:
        if trial.number not in fits:
            fits[trial.number] = evaluator.fit(evaluator.suggest(optuna.trial.FixedTrial(trial.params)))
        return fits[trial.number]

    best, pareto, chosen_by = _chosen(study, td.y[td.valid], options, lambda t: refit(t).predict(td.valid))
    fitted = refit(best)
    outcome = evaluator.outcome(fitted, quiet)
    metrics = {**outcome.metrics, "n_features": len(fitted.features), "candidates": len(candidates),
               "search_seconds_this_worker": round(seconds, 3)}
    if fitted.params is not None:
        metrics.setdefault("params_after", fitted.params)
    result = SearchResult(method="optuna", features=list(fitted.features), metrics=metrics,
                          embedding_dims=outcome.embedding_dims, interactions=outcome.interactions,
                          extra={**outcome.extra, **_study_extra(study, best, pareto, chosen_by, ran, options)},
                          artifacts=outcome.files)
    return result
