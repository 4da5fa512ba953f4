"""OptFS: one gate per feature VALUE, learned by continuation, then a hard mask and a retrain
from rewound weights.

Search: the gated embedding of value ``v`` is ``e_v * sigmoid(tau * m_v) / sigmoid(0.5)``
(``m_v`` starts at 0.5, so every gate starts at 1); the first-order weight is gated alike
and every interaction consumes gated embeddings, so a pair's gate is the product of its
values' gates. The temperature grows per epoch, ``tau_e = final_temp ** (e / (E - 1))``,
which drives ``sigmoid(tau * m)`` towards 0/1. The loss adds
``penalty * mean_v sigmoid(tau * m_v)``: a mean, so the pull on each value shrinks with the
vocabulary size. The gates have their own Adam.

Result: value ``v`` is kept iff ``m_v > 0``; a field is kept iff one of its values is (its
OOV slot included). The retrain starts from the weights after epoch ``rewind_epoch``
(lottery-ticket rewinding; layers whose shape changed because fields were dropped start
fresh) and trains the masked model with early stopping on validation AUC.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from autofeat.encode.training import TrainingData
from autofeat.searching.gates.base import (Arch, GateOptions, count_params, device_of, search_epochs, snapshot,
                                          supernet_feed)

__all__ = ["ValueGate", "search"]

_S0 = 1.0 / (1.0 + math.exp(-0.5))  # sigmoid(0.5): the initial gate value
HIST_EDGES = np.linspace(-4.0, 4.0, 33)


class ValueGate(nn.Module):
    """``gids, emb, first -> gated emb, gated first`` with one logit per global value id."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.gate_logits = nn.Parameter(torch.full((total,), 0.5))
        self.tau = 1.0

    def gates(self, gids: torch.Tensor | None = None) -> torch.Tensor:
        m = self.gate_logits if gids is None else self.gate_logits[gids]
        return torch.sigmoid(self.tau * m) / _S0

    def forward(self, gids: torch.Tensor, emb: torch.Tensor,
                first: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        g = self.gates(gids)
        return emb * g.unsqueeze(-1), None if first is None else first * g


def search(td: TrainingData, ranking: Any, options: GateOptions, quiet: bool) -> Arch:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import ArchStep, fit

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
    if options.rewind_epoch == 0:
        rewound.update(snapshot(model))

    weight = [0.0]

    def before(e: int, n: int) -> None:
        gate.tau = options.final_temp ** (e / (n - 1)) if n > 1 else options.final_temp
        # The first epoch (tau = 1) trains embeddings and gates without the penalty: with
        # freshly initialized (tiny) embeddings every gate's loss gradient is tiny, and the
        # penalty alone would close gates before their values had a chance to matter.
        weight[0] = options.penalty if e > 0 or n == 1 else 0.0

    def after(e: int) -> dict[str, float]:
        m = gate.gate_logits.detach().cpu().numpy()
        histograms.append(np.histogram(np.clip(m, HIST_EDGES[0], HIST_EDGES[-1]), HIST_EDGES)[0].tolist())
        kept_share.append(float((m > 0).mean()))
        if e + 1 == options.rewind_epoch:
            rewound.update(snapshot(model))
        return {"tau": gate.tau, "kept_share": kept_share[-1]}

    step = ArchStep([gate.gate_logits], lr=options.gate_lr,
                    penalty=lambda: weight[0] * torch.sigmoid(gate.tau * gate.gate_logits).mean())
    report = fit(model, feed, td.train, td.valid, options.train_options(quiet), epochs=epochs, arch=step,
                 before_epoch=before, after_epoch=after, early_stopping=False, desc="optfs search")
    keep = (gate.gate_logits.detach().cpu().numpy() > 0).astype(np.float32)
    offsets = np.concatenate([[0], np.cumsum(td.sizes)])
    fields = [k for k in range(len(td.sizes)) if keep[offsets[k]:offsets[k + 1]].any()]
    return Arch(
        fields=fields, value_keep=keep, state=rewound,
        extra={"params_before": params_before, "search_history": report.history,
               "gate_histograms": {"edges": HIST_EDGES.tolist(), "counts": histograms},
               "kept_ratio": {td.fields[k].name: float(keep[offsets[k]:offsets[k + 1]].mean())
                              for k in range(len(td.sizes))}},
    )
