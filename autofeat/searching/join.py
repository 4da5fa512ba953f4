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
from pathlib import Path
from typing import Any

from autofeat._progress import Progress
from autofeat.ranking.result import Ranking
from autofeat.searching.optuna_search import (
    OptunaSearchOptions,
    _objective,
    _show_progress,
    open_study,
    prepare_study,
    run_worker,
    study_logging,
)

__all__ = ["join_study"]


def join_study(data: Any, ranking: Ranking, out_dir: str | Path, options: OptunaSearchOptions, *,
               header: bool = True, delimiter: str | None = None, quiet: bool = True) -> tuple[int, int]:
    """Run trials of the study named by ``options`` (in ``options.storage``, or the journal in
    ``out_dir``) until it holds ``options.n_trials`` finished trials or ``options.timeout``
    ends; returns ``(trials this worker ran, finished trials in the study)``.

    Workers propose apart: the sampler is reseeded before every ask from the study's state
    and this process's id, so two workers never draw alike from the same state."""
    from optuna.trial import TrialState

    options, evaluator, candidates = prepare_study(data, ranking, options, header=header, delimiter=delimiter)
    with study_logging(quiet):
        study, reseed = open_study(Path(out_dir), options, evaluator, candidates, salt=os.getpid())
        finished = (TrialState.COMPLETE, TrialState.PRUNED)
        bar = Progress(options.n_trials, "trials", f"optuna worker {os.getpid()}", quiet)
        try:
            _show_progress(study, bar, options.n_trials, finished)
            ran = run_worker(study, _objective(evaluator, options), options.n_trials, options.timeout, reseed, bar)
        finally:
            bar.close()
        return ran, len(study.get_trials(deepcopy=False, states=finished))
