"""OptInter: memorize, factorize or be naive, per candidate feature pair.

Candidates are the ranking's best pairs among the searched features (``pairs_top``; pairs of
the best features when the ranking has none). Each pair yields a vector that joins the
backbone's input: memorized = an embedding of the pair's cross value (vocabulary from train
rows, values rarer than ``cross_min_count`` share an OOV id), factorized = ``e_a * e_b`` of
the fields' own embeddings, naive = nothing. During the search each pair mixes the three
with ``softmax(alpha / t)``; ``t`` anneals per epoch from 1 to ``min_temp``
(``t_e = min_temp ** (e / (E - 1))``), and ``alpha`` steps on VALIDATION batches (first-order
bilevel), so a memorized cross that only fits train rows does not win; a small cost on the
mixing weights (``pair_penalty`` x 1 for memorize, x 0.5 for factorize) settles pairs that do
not help the validation loss on naive. The retrain keeps the
argmax per pair, from scratch, and builds cross tables only for pairs that memorize.
"""

from __future__ import annotations

import numpy as np
import torch

from autofeat.encode.training import TrainingData
from autofeat.errors import OptionError
from autofeat.models.layers import PAIR_METHODS
from autofeat.searching.candidates import Candidates
from autofeat.searching.gates.base import (Arch, count_params, cross_ids, device_of, search_epochs,
                                          supernet_feed)
from autofeat.searching.gates.options import OptInterOptions

__all__ = ["search"]


def search(td: TrainingData, candidates: Candidates, options: OptInterOptions, quiet: bool) -> Arch:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.layers import PairInteractions
    from autofeat.models.trainer import ArchStep, fit

    pairs = candidates.pairs(td.names, options.pairs_top)
    if not pairs:
        raise OptionError("optinter needs at least two features and --pairs-top >= 1")
    cross, sizes, _ = cross_ids(td, pairs, options.cross_min_count)
    torch.manual_seed(options.seed)
    inter = PairInteractions(pairs, sizes, options.dim, None)
    model = CTRModel(td.sizes, options.dim, options.model, hidden=options.hidden,
                     interactions=inter, n_extra=inter.n_out)
    params_before = count_params(model)
    model.to(device_of(options))
    feed = supernet_feed(td, options, cross)
    weights: list[list[list[float]]] = []

    def before(e: int, n: int) -> None:
        inter.temperature = options.min_temp ** (e / (n - 1)) if n > 1 else options.min_temp

    def after(e: int) -> dict[str, float]:
        weights.append(inter.weights().detach().cpu().tolist())
        return {"temperature": inter.temperature}

    assert inter.alpha is not None
    cost = torch.tensor([1.0, 0.5, 0.0], device=inter.alpha.device)  # memorize, factorize, naive
    step = ArchStep([inter.alpha], lr=options.arch_lr, on_valid=True, batch_fraction=0.25,
                    penalty=lambda: options.pair_penalty * (inter.weights() * cost).sum())
    report = fit(model, feed, td.train, td.valid, options.train_options(quiet), epochs=search_epochs(options, "optinter"),
                 arch=step, before_epoch=before, after_epoch=after, early_stopping=False, desc="optinter search")
    choice = inter.alpha.detach().cpu().numpy().argmax(1)
    methods = [PAIR_METHODS[c] for c in choice]
    names = td.names
    return Arch(
        fields=list(range(len(td.sizes))), pairs=list(pairs), pair_methods=methods,
        extra={"params_before": params_before, "search_history": report.history,
               "pair_search": [{"features": [names[a], names[b]], "cross_size": int(s),
                                "weights": dict(zip(PAIR_METHODS, np.round(weights[-1][k], 4).tolist()))}
                               for k, ((a, b), s) in enumerate(zip(pairs, sizes))]},
    )
