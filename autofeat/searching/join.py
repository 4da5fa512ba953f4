"""One more worker on an Optuna study: run its trials until the global budget is done, write
nothing but the study (``autofeat worker``; the search fleets of :mod:`autofeat.fleet`).

The study is the one :func:`~autofeat.searching.optuna_search.optuna_search` opens with the
same options: the same storage, name, directions and candidate features (checked against the
stored study), the same evaluator over the same
:class:`~autofeat.encode.training.TrainingData`. The trial loop is
:func:`~autofeat.searching.optuna_search.run_worker`, so the exact budget, the heartbeats and
the recovery of dead workers' trials hold however many workers join. The result (the chosen
trial refitted, ``result.json``) is left to the run that owns the study.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from autofeat._progress import Progress
from autofeat.ranking.result import Ranking
from autofeat.searching.candidates import Candidates, training_data
from autofeat.searching.evaluators.base import evaluator_class
from autofeat.searching.optuna_search import (
    WARM_START,
    OptunaSearchOptions,
    _check_candidates,
    _check_directions,
    _check_space,
    _objective,
    _sampler,
    _show_progress,
    _study,
    run_worker,
)
from autofeat.searching.spaces import load_space
from autofeat.searching.storage import open_storage

__all__ = ["join_study"]


def join_study(data: Any, ranking: Ranking, out_dir: str | Path, options: OptunaSearchOptions, *,
               header: bool = True, delimiter: str | None = None, quiet: bool = True) -> tuple[int, int]:
    """Run trials of the study named by ``options`` (in ``options.storage``, or the journal in
    ``out_dir``) until it holds ``options.n_trials`` finished trials or ``options.timeout``
    ends; returns ``(trials this worker ran, finished trials in the study)``.

    Workers propose apart: the sampler is reseeded before every ask from the study's state
    and this process's id, so two workers never draw alike from the same state."""
    import optuna
    from optuna.trial import TrialState

    options.check()
    kind = evaluator_class(options.evaluator)
    if options.space == OptunaSearchOptions.space:
        options = replace(options, space=kind.default_space)
    space = load_space(options.space, spaces_dir=options.spaces_dir)
    _check_space(space, kind)
    candidates = Candidates.from_ranking(ranking, options.max_features, options.include)
    split = training_data(data, candidates, options, header=header, delimiter=delimiter)
    logs = not quiet and not sys.stderr.isatty()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.INFO if logs else optuna.logging.WARNING)
    try:
        evaluator = kind(split, space, candidates, options)
        study = _study(open_storage(options.storage, Path(out_dir)), options, evaluator.warmup_steps)
        _check_directions(study, options)
        _check_candidates(study, list(candidates.features), options)
        salt = os.getpid()

        def reseed(n: int, waiting: int) -> Any:
            return _sampler(options, (options.seed * 1_000_003 + n * 7_919 + waiting * 104_729 + salt) % (2**32))

        guess = getattr(evaluator, "warm_start", None)
        if guess is not None and not study.get_trials(deepcopy=False):
            study.enqueue_trial(guess(), user_attrs={WARM_START: True}, skip_if_exists=True)
        finished = (TrialState.COMPLETE, TrialState.PRUNED)
        bar = Progress(options.n_trials, "trials", f"optuna worker {os.getpid()}", quiet)
        try:
            _show_progress(study, bar, options.n_trials, finished)
            ran = run_worker(study, _objective(evaluator, options), options.n_trials, options.timeout, reseed, bar)
        finally:
            bar.close()
        return ran, len(study.get_trials(deepcopy=False, states=finished))
    finally:
        optuna.logging.set_verbosity(verbosity)
