"""OptFS: one gate per feature VALUE, learned by continuation, then a hard mask and a retrain
from rewound weights.

Search: the gated embedding of value ``v`` is ``e_v * sigmoid(tau * m_v) / sigmoid(0.5)``
(``m_v`` starts at 0.5, so every gate starts at 1); the first-order weight is gated alike
and every interaction consumes gated embeddings, so a pair's gate is the product of its
values' gates. The temperature grows per epoch, ``tau_e = final_temp ** (e / (E - 1))``,
which drives ``sigmoid(tau * m)`` towards 0/1. The loss adds
``penalty * mean_v sigmoid(tau * m_v)``: a mean, so the pull on each value shrinks with the
vocabulary size. The gates have their own Adam.

Path: the gates' state (value ``v`` open iff ``m_v > 0``) is recorded ``CHECKPOINTS`` times
per epoch once the penalty is on, and each state is scored on the validation rows with the
closed values' gates set to exactly 0. The kept state is the sparsest whose valid AUC is
within ``path_tolerance`` of the best state's and whose valid log loss is within twice that
of the best (so the gates close only as far as validation allows: a path that keeps closing
past the point where accuracy falls is cut there, whatever the penalty).

The gates' Adam moves each logit by about ``lr`` per step whatever the gradient's scale, so
its rate is ``gate_lr * 100 / steps per epoch``: the path covers the same distance per epoch
at 20k rows and at 10M.

Fields: with the kept state's mask, each field that keeps a value is shuffled across the
validation rows (:func:`~autofeat.searching.gates.base.field_decision`); a field whose
shuffling raises the valid log loss by less than ``field_z`` standard errors, alone and with
the other failing fields, is dropped, with the reason in ``dropped_fields``. The retrain starts from the weights after epoch
``rewind_epoch`` (lottery-ticket rewinding; layers whose shape changed because fields were
dropped start fresh) and trains the masked model with early stopping (``stop_on``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from autofeat.encode.training import TrainingData
from autofeat.searching.candidates import Candidates
from autofeat.searching.gates.base import (Arch, count_params, device_of, field_decision, search_epochs,
                                          snapshot, supernet_feed)
from autofeat.searching.gates.options import OptFSOptions

__all__ = ["ValueGate", "choose_state", "search"]

_S0 = 1.0 / (1.0 + math.exp(-0.5))  # sigmoid(0.5): the initial gate value
HIST_EDGES = np.linspace(-4.0, 4.0, 33)
CHECKPOINTS = 4  # states of the path recorded per search epoch


class ValueGate(nn.Module):
    """``gids, emb, first -> gated emb, gated first`` with one logit per global value id.
    With ``mask`` set (0/1 per value), closed values are cut to exactly 0: how a state of
    the path is scored."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.gate_logits = nn.Parameter(torch.full((total,), 0.5))
        self.tau = 1.0
        self.mask: torch.Tensor | None = None

    def gates(self, gids: torch.Tensor | None = None) -> torch.Tensor:
        m = self.gate_logits if gids is None else self.gate_logits[gids]
        g = torch.sigmoid(self.tau * m) / _S0
        if self.mask is not None:
            g = g * (self.mask if gids is None else self.mask[gids])
        return g

    def forward(self, gids: torch.Tensor, emb: torch.Tensor,
                first: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        g = self.gates(gids)
        return emb * g.unsqueeze(-1), None if first is None else first * g


def choose_state(path: list[dict[str, Any]], tolerance: float) -> int:
    """Index of the sparsest state whose valid AUC is within ``tolerance`` of the best and
    whose valid log loss is within ``2 * tolerance`` of the best (the later one on a tie).
    When no state is near both bests (the best-AUC state's log loss is far off the lowest),
    the lowest log loss among the states near the best AUC."""
    best_auc = max(p["valid_auc"] for p in path)
    best_ll = min(p["valid_logloss"] for p in path)
    near_auc = [i for i, p in enumerate(path) if p["valid_auc"] >= best_auc - tolerance]
    ok = [i for i in near_auc if path[i]["valid_logloss"] <= best_ll + 2 * tolerance]
    if not ok:  # min() of nothing raised here on 6k generated rows
        return min(near_auc, key=lambda i: (path[i]["valid_logloss"], path[i]["kept"], -i))
    return min(ok, key=lambda i: (path[i]["kept"], -i))


def search(td: TrainingData, candidates: Candidates, options: OptFSOptions, quiet: bool) -> Arch:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import ArchStep, evaluate, fit, steps_per_epoch

    torch.manual_seed(options.seed)
    total = int(sum(td.sizes))
    gate = ValueGate(total)
    model = CTRModel(td.sizes, options.dim, options.model, hidden=options.hidden, gate=gate)
    params_before = count_params(model)
    model.to(device_of(options))
    feed = supernet_feed(td, options)
    epochs = search_epochs(options, "optfs")
    rewound: dict[str, Any] = {}
    histograms: list[list[int]] = []
    kept_share: list[float] = []
    path: list[dict[str, Any]] = []
    masks: list[np.ndarray] = []
    if options.rewind_epoch == 0:
        rewound.update(snapshot(model))
    steps = steps_per_epoch(td.train.size, options.batch_size)
    marks = {max(0, round(steps * q / CHECKPOINTS) - 1) for q in range(1, CHECKPOINTS + 1)}

    weight = [0.0]

    def before(e: int, n: int) -> None:
        gate.tau = options.final_temp ** (e / (n - 1)) if n > 1 else options.final_temp
        # The first epoch (tau = 1) trains embeddings and gates without the penalty: with
        # freshly initialized (tiny) embeddings every gate's loss gradient is tiny, and the
        # penalty alone would close gates before their values had a chance to matter.
        weight[0] = options.penalty if e > 0 or n == 1 else 0.0

    def record(e: int, step: int, n_steps: int) -> None:
        if step not in marks or (weight[0] == 0.0 and step != n_steps - 1):
            return  # before the penalty only the epoch's end is a state worth keeping
        keep = gate.gate_logits.detach().cpu().numpy() > 0
        if masks and np.array_equal(keep, masks[-1]):
            return
        gate.mask = torch.from_numpy(keep.astype(np.float32)).to(gate.gate_logits.device)
        try:
            auc, ll = evaluate(model, feed, td.valid)
        finally:
            gate.mask = None
        masks.append(keep)
        path.append({"epoch": e + (step + 1) / n_steps, "kept": int(keep.sum()), "kept_share": float(keep.mean()),
                     "valid_auc": auc, "valid_logloss": ll})

    def after(e: int) -> dict[str, float]:
        m = gate.gate_logits.detach().cpu().numpy()
        histograms.append(np.histogram(np.clip(m, HIST_EDGES[0], HIST_EDGES[-1]), HIST_EDGES)[0].tolist())
        kept_share.append(float((m > 0).mean()))
        if e + 1 == options.rewind_epoch:
            rewound.update(snapshot(model))
        return {"tau": gate.tau, "kept_share": kept_share[-1]}

    step = ArchStep([gate.gate_logits], lr=options.gate_lr * 100.0 / steps,
                    penalty=lambda: weight[0] * torch.sigmoid(gate.tau * gate.gate_logits).mean())
    report = fit(model, feed, td.train, td.valid, options.train_options(quiet), epochs=epochs, arch=step,
                 before_epoch=before, after_epoch=after, after_step=record, early_stopping=False,
                 desc="optfs search")
    chosen = choose_state(path, options.path_tolerance)
    keep = masks[chosen].astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(td.sizes)])
    names = td.names
    open_fields = [k for k in range(len(td.sizes)) if keep[offsets[k]:offsets[k + 1]].any()]
    gate.mask = torch.from_numpy(keep).to(gate.gate_logits.device)
    try:
        fields, dropped, tests = field_decision(model, feed, td.valid, open_fields, options, names)
    finally:
        gate.mask = None
    valid_ids = td.ids[td.valid]
    # Rows per value id on the train split (evenly spaced rows past 2M: a share needs no more).
    train_rows = td.train[:: max(1, td.train.size // 2_000_000)]
    train_counts = [np.bincount(td.ids[train_rows, k], minlength=size).astype(np.float64)
                    for k, size in enumerate(td.sizes)]

    def value_shares(mask: np.ndarray) -> dict[str, dict[str, float]]:
        fields = range(len(td.sizes))
        return {"kept_ratio": {names[k]: float(mask[offsets[k]:offsets[k + 1]].mean()) for k in fields},
                "kept_row_share": {names[k]: float(mask[offsets[k] + valid_ids[:, k]].mean()) for k in fields},
                "kept_train_row_share": {names[k]: float(train_counts[k] @ mask[offsets[k]:offsets[k + 1]]
                                                         / max(train_counts[k].sum(), 1.0)) for k in fields}}

    restore = None
    if len(fields) < len(open_fields):  # some fields failed the test: keep the way back
        restore = Arch(fields=open_fields, value_keep=keep.copy(), state=rewound, extra=value_shares(keep))
    for k in range(len(td.sizes)):
        if k not in fields:
            if k not in open_fields:
                dropped[names[k]] = {"reason": "every value's gate closed"}
            keep[offsets[k]:offsets[k + 1]] = 0.0
    return Arch(
        fields=fields, value_keep=keep, state=rewound, restore=restore,
        extra={"params_before": params_before, "search_history": report.history,
               "gate_histograms": {"edges": HIST_EDGES.tolist(), "counts": histograms},
               "path": path, "chosen_state": chosen,
               "dropped_fields": dropped,
               "field_tests": tests, **value_shares(keep)},
    )
