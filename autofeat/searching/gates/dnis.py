"""DNIS: soft selection over embedding dimensions per frequency block, then pruning to a
parameter budget and a retrain.

Each field's ids are ordered by train frequency (id 1 the most frequent; the OOV id 0 goes
with the rarest block) and cut into at most ``blocks`` blocks with geometric boundaries
``V ** (b / L)``, so the head of a long tail gets blocks of its own. A selection matrix
``alpha`` (blocks x dim, init 1) scales the embeddings: ``e~_v = e_v * alpha[block(v)]``.

Search (first-order bilevel): weights step on a train batch; ``alpha`` steps on a
VALIDATION batch with ``loss + l1 * |alpha|_1``, its gradient normalized per block
(``g_b / (mean_k |g_bk| + 1e-8)``, so rare blocks move as fast as frequent ones), by SGD,
then clamped to [0, 1].

Pruning: entries ``(block, dim)`` are ranked by ``|alpha|``; the best are kept while the
embedding cells they cost (the block's values) fit in ``keep`` of the supernet's table.
Fields: in the pruned model (``alpha`` with the dropped cells at 0) each field is shuffled
across half of the validation rows (the half ``alpha`` never stepped on)
(:func:`~autofeat.searching.gates.base.field_decision`); a field whose shuffling raises the
valid log loss by less than ``field_z`` standard errors, alone and with the other failing
fields, is dropped whole (its dimensions and first-order weights), so a high-cardinality
noise field does not keep the dimensions its many values bought it.
``alpha`` is folded into the embeddings the retrain starts from, and the retrain fine-tunes
the pruned model with early stopping (``stop_on``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from autofeat.encode.training import TrainingData
from autofeat.searching.candidates import Candidates
from autofeat.searching.gates.base import (Arch, count_params, device_of, field_decision, search_epochs,
                                          snapshot, supernet_feed)
from autofeat.searching.gates.options import DNISOptions

__all__ = ["DimGate", "frequency_blocks", "search"]


def frequency_blocks(sizes: list[int], blocks: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``(block of every global id, (field, size) per block)``. Ids are frequency-ordered,
    so each block is a contiguous id range; OOV (id 0) joins the field's last block."""
    block_of = np.zeros(int(sum(sizes)), np.int64)
    info: list[tuple[int, int]] = []
    offset = 0
    for f, size in enumerate(sizes):
        v = size - 1  # real values; ids 1..v
        cuts = np.unique(np.round(np.power(float(max(v, 1)), np.arange(blocks + 1) / blocks)).astype(np.int64))
        cuts[0], cuts[-1] = 1, v + 1
        cuts = np.unique(cuts)
        local = np.zeros(size, np.int64)
        nb = max(len(cuts) - 1, 1)
        for b in range(len(cuts) - 1):
            local[cuts[b]:cuts[b + 1]] = b
        local[0] = nb - 1  # OOV with the rarest values
        first = len(info)
        block_of[offset:offset + size] = first + local
        for b in range(nb):
            info.append((f, int((local == b).sum())))
        offset += size
    return block_of, info


class DimGate(nn.Module):
    """``e~ = e * alpha[block(v)]``; ``alpha`` (blocks x dim) starts at 1."""

    def __init__(self, block_of: np.ndarray, n_blocks: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("block_of", torch.from_numpy(block_of))
        self.alpha = nn.Parameter(torch.ones(n_blocks, dim))

    def forward(self, gids: torch.Tensor, emb: torch.Tensor,
                first: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        return emb * self.alpha[self.block_of[gids]], first


def search(td: TrainingData, candidates: Candidates, options: DNISOptions, quiet: bool) -> Arch:
    from autofeat.models.backbones import CTRModel
    from autofeat.models.trainer import ArchStep, fit

    torch.manual_seed(options.seed)
    block_of, info = frequency_blocks(td.sizes, options.blocks)
    gate = DimGate(block_of, len(info), options.dim)
    model = CTRModel(td.sizes, options.dim, options.model, hidden=options.hidden, gate=gate)
    params_before = count_params(model)
    model.to(device_of(options))
    feed = supernet_feed(td, options)
    alpha = gate.alpha

    def normalize() -> None:
        g = alpha.grad
        if g is not None:
            g.div_(g.abs().mean(dim=1, keepdim=True) + 1e-8)

    def clamp() -> None:
        with torch.no_grad():
            alpha.clamp_(0.0, 1.0)

    alphas: list[list[float]] = []

    def after(e: int) -> dict[str, float]:
        alphas.append(alpha.detach().abs().mean(1).cpu().tolist())
        return {"mean_alpha": float(alpha.detach().mean())}

    step = ArchStep([alpha], lr=options.arch_lr, on_valid=True, optimizer="sgd", batch_fraction=0.25,
                    penalty=lambda: options.l1 * alpha.abs().sum(),
                    grad_transform=normalize, after_step=clamp)
    # alpha learns on validation rows, so the field test needs rows alpha has not seen: half
    # of the validation rows (seeded) are the search's, the other half the test's.
    shuffled = td.valid[np.random.default_rng([options.seed, 29]).permutation(td.valid.size)]
    arch_rows, held_rows = np.sort(shuffled[: td.valid.size // 2]), np.sort(shuffled[td.valid.size // 2:])
    report = fit(model, feed, td.train, arch_rows, options.train_options(quiet), epochs=search_epochs(options, "dnis"),
                 arch=step, after_epoch=after, early_stopping=False, desc="dnis search")
    a = alpha.detach().cpu().numpy()
    cost = np.array([n for _, n in info], np.float64)
    score = np.abs(a).ravel()
    order = np.argsort(-score, kind="stable")
    cells = np.repeat(cost, a.shape[1])[order]
    budget = options.keep * cost.sum() * a.shape[1]
    take = order[np.cumsum(cells) <= budget]
    keep = np.zeros(a.size, np.float32)
    keep[take[score[take] > 0]] = 1.0
    dim_keep = keep.reshape(a.shape)
    has_first = model.embedding.linear is not None
    names = td.names
    candidates = sorted({info[b][0] for b in range(len(info)) if dim_keep[b].any()} |
                        (set(range(len(td.sizes))) if has_first else set()))
    # The field test sees the pruned model: alpha with the dropped (block, dim) cells at 0.
    with torch.no_grad():
        alpha.mul_(torch.from_numpy(dim_keep).to(alpha.device))
    fields, dropped, tests = field_decision(model, feed, held_rows, candidates, options, names)
    with torch.no_grad():
        alpha.copy_(torch.from_numpy(a).to(alpha.device))
    for f in range(len(td.sizes)):
        if f not in candidates:
            dropped[names[f]] = {"reason": "no embedding dimension kept"}

    def block_dims(keep: np.ndarray) -> dict[str, list[int]]:
        return {names[f]: [int(keep[b].sum()) for b in range(len(info)) if info[b][0] == f]
                for f in range(len(td.sizes))}

    restore_keep = dim_keep.copy() if len(fields) < len(candidates) else None
    for b, (f, _) in enumerate(info):
        if f not in fields:
            dim_keep[b] = 0.0
    # Fold alpha into the embeddings the retrain starts from: the kept dims keep their scale.
    state = snapshot(model)
    fold = torch.from_numpy(a)[torch.from_numpy(block_of)]
    state["embedding.table.weight"] = state["embedding.table.weight"] * fold
    restore = None
    if restore_keep is not None:  # some fields failed the test: keep the way back
        restore = Arch(fields=candidates, block_of=block_of, dim_keep=restore_keep, state=state,
                       extra={"block_dims": block_dims(restore_keep)})
    return Arch(
        fields=fields, block_of=block_of, dim_keep=dim_keep, state=state, restore=restore, check_rows=held_rows,
        extra={"params_before": params_before, "search_history": report.history,
               "block_dims": block_dims(dim_keep),
               "block_sizes": {names[f]: [n for ff, n in info if ff == f] for f in range(len(td.sizes))},
               "alpha_history": alphas, "dropped_fields": dropped, "field_tests": tests},
    )
