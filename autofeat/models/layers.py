"""Layers every backbone shares: the field embedding (the seam the gates plug into), the MLP,
the FM term, cross and product layers, self-attention (AutoInt), and FinalMLP's feature gate
and bilinear fusion."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["FieldEmbedding", "MLP", "fm_term", "CrossNet", "inner_products", "SelfAttention", "FeatureGate",
           "BilinearFusion", "FixedMask", "PairInteractions", "EMBED_STD"]

EMBED_STD = 0.01


class FieldEmbedding(nn.Module):
    """All fields' embedding rows in one table (one gather per batch) plus first-order weights.

    Input: global ids ``(batch, fields)`` (field-local id + the field's offset, see
    :meth:`offsets`). Output: embeddings ``(batch, fields, dim)`` and first-order weights
    ``(batch, fields)``. Tables are sparse (only the rows of a batch get gradients), so a
    field with millions of values costs nothing per step beyond the rows it uses.
    """

    def __init__(self, sizes: Sequence[int], dim: int, first_order: bool = True) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.dim = dim
        total = int(sum(sizes))
        self.table = nn.Embedding(total, dim, sparse=True)
        nn.init.normal_(self.table.weight, 0.0, EMBED_STD)
        # Backbones without a first-order term get no weights for it (nothing to count or store).
        self.linear = nn.Embedding(total, 1, sparse=True) if first_order else None
        if self.linear is not None:
            nn.init.zeros_(self.linear.weight)

    @staticmethod
    def offsets(sizes: Sequence[int]) -> torch.Tensor:
        out = torch.zeros(len(sizes), dtype=torch.long)
        if len(sizes) > 1:
            out[1:] = torch.cumsum(torch.tensor(list(sizes[:-1]), dtype=torch.long), 0)
        return out

    def forward(self, gids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        first = None if self.linear is None else self.linear(gids).squeeze(-1)
        return self.table(gids), first


class MLP(nn.Module):
    """Linear -> ReLU (-> dropout) stack; the last layer has ``out`` units and no activation."""

    def __init__(self, width_in: int, hidden: Sequence[int], out: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(width_in, h), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width_in = h
        if out:
            layers.append(nn.Linear(width_in, out))
        self.net = nn.Sequential(*layers)
        self.width_out = out or width_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def fm_term(emb: torch.Tensor) -> torch.Tensor:
    """Sum over field pairs of <e_i, e_j>: 0.5 * ((sum e)^2 - sum e^2), per row."""
    s = emb.sum(1)
    return 0.5 * (s * s - (emb * emb).sum(1)).sum(1)


def inner_products(emb: torch.Tensor) -> torch.Tensor:
    """<e_i, e_j> for every field pair i < j: ``(batch, F*(F-1)/2)``."""
    n = emb.shape[1]
    i, j = torch.triu_indices(n, n, offset=1, device=emb.device)
    return torch.bmm(emb, emb.transpose(1, 2))[:, i, j]  # one batched matmul, then the upper triangle


class CrossNet(nn.Module):
    """DCN-v2 cross layers: ``x_{l+1} = x0 * (W_l x_l + b_l) + x_l``."""

    def __init__(self, width: int, n_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(n_layers))

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x


class SelfAttention(nn.Module):
    """AutoInt's interacting layer: multi-head self-attention over tokens, a residual
    projection, ReLU.

    Per head h: ``a_mk = softmax_k(<Wq_h e_m, Wk_h e_k>)`` and ``o_m = sum_k a_mk Wv_h e_k``; the
    heads' outputs are concatenated and ``ReLU(o_m + Wr e_m)`` is returned. Each head has its
    own width ``head_dim`` (the paper's d'), so any number of heads fits any ``dim``. Inner
    products are not scaled, as in the paper. Input ``(B, T, dim)``, output
    ``(B, T, heads * head_dim)``.
    """

    def __init__(self, dim: int, heads: int = 2, head_dim: int | None = None) -> None:
        super().__init__()
        head_dim = dim if head_dim is None else head_dim
        if heads < 1 or head_dim < 1:
            raise ValueError(f"self-attention needs heads >= 1 and head_dim >= 1, got heads={heads}, "
                             f"head_dim={head_dim}")
        self.heads, self.head_dim = heads, head_dim
        self.width_out = heads * head_dim
        # Wq, Wk, Wv and Wr stacked in one matrix: one matmul per layer instead of four.
        self.project = nn.Linear(dim, 4 * self.width_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        # (B, T, 4, H, d') -> (4, B, H, T, d')
        q, k, v, r = self.project(x).reshape(b, t, 4, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        # The fused kernel computes softmax(q k^T * scale) v; scale 1: the paper's plain inner product.
        att = nn.functional.scaled_dot_product_attention(q, k, v, scale=1.0)
        return torch.relu((att + r).transpose(1, 2).reshape(b, t, self.width_out))


class FeatureGate(nn.Module):
    """FinalMLP's feature selection for one stream: ``x * 2 * sigmoid(MLP(context))``.

    With ``context_dim`` the context is a learned vector of that size (the paper's choice when
    no context features are named), so the gate is one learned re-weighting of the input;
    without it the gate is conditioned on the input itself, per row. Gates lie in (0, 2) and
    start near 1. ``(B, width) -> (B, width)``.
    """

    def __init__(self, width: int, hidden: Sequence[int] = (64,), context_dim: int | None = None) -> None:
        super().__init__()
        self.context = nn.Parameter(torch.zeros(context_dim)) if context_dim is not None else None
        self.mlp = MLP(width if context_dim is None else context_dim, hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ctx = x if self.context is None else self.context.unsqueeze(0)
        return x * 2.0 * torch.sigmoid(self.mlp(ctx))


class BilinearFusion(nn.Module):
    """FinalMLP's multi-head bilinear fusion of two stream outputs into a logit:
    ``b + w1^T o1 + w2^T o2 + sum_h o1_h^T W_h o2_h``.

    Head h takes the h-th consecutive chunk of each output; when a width does not divide by
    ``heads`` the first chunks are one wider (as :func:`torch.tensor_split`), so any
    ``1 <= heads <= min(width1, width2)`` works. ``(B, width1), (B, width2) -> (B,)``.
    """

    def __init__(self, width1: int, width2: int, heads: int = 1) -> None:
        super().__init__()
        if not 1 <= heads <= min(width1, width2):
            raise ValueError(f"bilinear fusion heads={heads}: must be in 1..{min(width1, width2)} "
                             f"(the narrower stream's width)")
        self.sizes1 = _chunks(width1, heads)
        self.sizes2 = _chunks(width2, heads)
        self.linear1 = nn.Linear(width1, 1)  # carries the bias b
        self.linear2 = nn.Linear(width2, 1, bias=False)
        self.bilinear = nn.ModuleList(nn.Bilinear(a, c, 1, bias=False) for a, c in zip(self.sizes1, self.sizes2))

    def forward(self, o1: torch.Tensor, o2: torch.Tensor) -> torch.Tensor:
        out = self.linear1(o1) + self.linear2(o2)
        for a, c, w in zip(o1.split(self.sizes1, 1), o2.split(self.sizes2, 1), self.bilinear):
            out = out + w(a, c)
        return out.squeeze(1)


def _chunks(width: int, heads: int) -> list[int]:
    """Sizes of ``heads`` consecutive chunks of ``width``, the first ``width % heads`` one wider."""
    base, extra = divmod(width, heads)
    return [base + (h < extra) for h in range(heads)]


class FixedMask(nn.Module):
    """A frozen selection applied to the embedding output: per value (0 drops the value's
    embedding and first-order weight) and/or per (frequency block, dimension). This is how a
    searched architecture is retrained; the export then stores only what the mask keeps."""

    def __init__(self, value_keep: torch.Tensor | None = None, block_of: torch.Tensor | None = None,
                 dim_keep: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("value_keep", value_keep)
        self.register_buffer("block_of", block_of)
        self.register_buffer("dim_keep", dim_keep)

    def forward(self, gids: torch.Tensor, emb: torch.Tensor,
                first: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.value_keep is not None:
            keep = self.value_keep[gids]
            emb = emb * keep.unsqueeze(-1)
            first = None if first is None else first * keep
        if self.dim_keep is not None:
            emb = emb * self.dim_keep[self.block_of[gids]]
        return emb, first


PAIR_METHODS = ("memorize", "factorize", "naive")


class PairInteractions(nn.Module):
    """One vector per feature pair (OptInter): memorized (an embedding of the pair's cross
    value), factorized (``e_a * e_b`` of the fields' own embeddings) or naive (nothing).

    In search mode (``methods=None``) every pair mixes the three with
    ``softmax(alpha / temperature)`` and every pair has a cross table. Otherwise only pairs
    that are not naive produce a vector and only memorized pairs have a table, so crosses
    that were not chosen are never materialized.

    Input: embeddings ``(B, F, D)`` and cross ids ``(B, M)`` (pair-local, 0 = rare/unseen) of
    the pairs with a table, in pair order. Output: ``(B, P', D)``.
    """

    def __init__(self, pairs: Sequence[tuple[int, int]], cross_sizes: Sequence[int], dim: int,
                 methods: Sequence[str] | None = None) -> None:
        super().__init__()
        self.search = methods is None
        self.methods = list(methods) if methods is not None else ["mixed"] * len(pairs)
        kept = [k for k, m in enumerate(self.methods) if m != "naive"]
        self.pairs = [tuple(pairs[k]) for k in kept]
        self.pair_methods = [self.methods[k] for k in kept]
        mem = [k for k, m in enumerate(self.pair_methods) if m in ("memorize", "mixed")]
        if len(cross_sizes) != len(mem):
            raise ValueError("one cross size per memorized pair")
        self.register_buffer("left", torch.tensor([p[0] for p in self.pairs], dtype=torch.long))
        self.register_buffer("right", torch.tensor([p[1] for p in self.pairs], dtype=torch.long))
        self.register_buffer("mem_pos", torch.tensor(mem, dtype=torch.long))
        self.register_buffer("cross_offsets", FieldEmbedding.offsets(list(cross_sizes)))
        self.cross = nn.Embedding(max(1, int(sum(cross_sizes))), dim, sparse=True) if mem else None
        if self.cross is not None:
            nn.init.normal_(self.cross.weight, 0.0, EMBED_STD)
        self.alpha = nn.Parameter(torch.zeros(len(self.pairs), 3)) if self.search else None
        self.temperature = 1.0

    @property
    def n_out(self) -> int:
        return len(self.pairs)

    def weights(self) -> torch.Tensor:
        """Mixing weights (P, 3) over (memorize, factorize, naive) in search mode."""
        assert self.alpha is not None
        return torch.softmax(self.alpha / self.temperature, dim=1)

    def forward(self, emb: torch.Tensor, cross: torch.Tensor | None) -> torch.Tensor:
        fact = emb[:, self.left] * emb[:, self.right]
        if self.cross is None:
            return fact
        assert cross is not None
        mem = self.cross(cross + self.cross_offsets)
        if self.search:
            w = self.weights()
            return w[:, 0, None] * mem + w[:, 1, None] * fact
        out = fact.clone()
        out[:, self.mem_pos] = mem
        return out
