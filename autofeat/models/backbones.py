"""The model zoo: LR, FM, DeepFM, DCN (v2), IPNN, DNN, AutoInt(+) and FinalMLP on the shared layers, and
:class:`CTRModel`, which wires embedding -> gate -> pair interactions -> backbone.

Every backbone maps ``(emb (B, F, D), first (B, F), extra (B, P, D) | None)`` to a logit,
where ``extra`` holds the pair vectors an interaction search adds (OptInter). Gates never
touch a backbone: they transform the embedding output, so each search method works with
every backbone.

Example:
    >>> import torch
    >>> from autofeat.models.backbones import CTRModel
    >>> model = CTRModel([5, 7, 3], dim=4, backbone="deepfm", hidden=(8,))
    >>> model(torch.tensor([[1, 2, 0], [4, 6, 2]])).shape
    torch.Size([2])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from autofeat.models.layers import (MLP, BilinearFusion, CrossNet, FeatureGate, FieldEmbedding, SelfAttention,
                                     fm_term, inner_products)

__all__ = ["BACKBONES", "FIRST_ORDER", "CTRModel", "make_backbone"]

BACKBONES = ("lr", "fm", "deepfm", "dcn", "ipnn", "dnn", "autoint", "finalmlp")
FIRST_ORDER = ("lr", "fm", "deepfm")  # backbones with a first-order (linear) term


def _flat(emb: torch.Tensor, extra: torch.Tensor | None) -> torch.Tensor:
    x = emb.flatten(1)
    return x if extra is None else torch.cat([x, extra.flatten(1)], 1)


class LR(nn.Module):
    """Logistic regression on first-order weights (pair vectors, if any, through a linear head)."""

    def __init__(self, n_fields: int, n_extra: int, dim: int, **_: object) -> None:
        super().__init__()
        self.extra_head = nn.Linear(n_extra * dim, 1, bias=False) if n_extra else None

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        out = first.sum(1)
        if self.extra_head is not None and extra is not None:
            out = out + self.extra_head(extra.flatten(1)).squeeze(1)
        return out


class FM(LR):
    """Factorization machine: first-order term + all pairwise inner products."""

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        return super().forward(emb, first, extra) + fm_term(emb)


class DNN(nn.Module):
    """MLP over the concatenated embeddings."""

    def __init__(self, n_fields: int, n_extra: int, dim: int, hidden: Sequence[int] = (256, 128),
                 dropout: float = 0.0, **_: object) -> None:
        super().__init__()
        self.mlp = MLP((n_fields + n_extra) * dim, hidden, 1, dropout)

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        return self.mlp(_flat(emb, extra)).squeeze(1)


class DeepFM(DNN):
    """FM (with its first-order term) + MLP, sharing the embeddings."""

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        return first.sum(1) + fm_term(emb) + super().forward(emb, first, extra)


class DCN(nn.Module):
    """DCN-v2 (parallel): cross layers and an MLP over the concatenated embeddings."""

    def __init__(self, n_fields: int, n_extra: int, dim: int, hidden: Sequence[int] = (256, 128),
                 dropout: float = 0.0, cross_layers: int = 2, **_: object) -> None:
        super().__init__()
        width = (n_fields + n_extra) * dim
        self.cross = CrossNet(width, cross_layers)
        self.deep = MLP(width, hidden, 0, dropout)
        self.head = nn.Linear(width + self.deep.width_out, 1)

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        x0 = _flat(emb, extra)
        return self.head(torch.cat([self.cross(x0), self.deep(x0)], 1)).squeeze(1)


class IPNN(nn.Module):
    """Product network: embeddings and their pairwise inner products into an MLP."""

    def __init__(self, n_fields: int, n_extra: int, dim: int, hidden: Sequence[int] = (256, 128),
                 dropout: float = 0.0, **_: object) -> None:
        super().__init__()
        width = (n_fields + n_extra) * dim + n_fields * (n_fields - 1) // 2
        self.mlp = MLP(width, hidden, 1, dropout)

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        return self.mlp(torch.cat([_flat(emb, extra), inner_products(emb)], 1)).squeeze(1)


class AutoInt(nn.Module):
    """AutoInt (Song et al. 2019): stacked self-attention layers over the field embeddings
    (pair vectors, if any, join as further tokens), flattened into a linear head. With
    ``hidden`` non-empty this is AutoInt+: an MLP over the flat embeddings adds to the logit;
    ``hidden=()`` gives plain AutoInt.

    Args:
        heads, head_dim: heads per layer and each head's width (default ``ceil(dim / heads)``,
            so a layer is about as wide as the embeddings; it need not divide ``dim``).
        att_layers: interacting layers (default 3, as in the paper).
    """

    def __init__(self, n_fields: int, n_extra: int, dim: int, hidden: Sequence[int] = (256, 128),
                 dropout: float = 0.0, heads: int = 2, att_layers: int = 3, head_dim: int | None = None,
                 **_: object) -> None:
        super().__init__()
        if att_layers < 1:
            raise ValueError(f"AutoInt needs att_layers >= 1, got {att_layers}")
        layers, width = [], dim
        head_dim = -(-dim // max(heads, 1)) if head_dim is None else head_dim  # ceil; heads < 1 fails below
        for _ in range(att_layers):
            layers.append(SelfAttention(width, heads, head_dim))
            width = layers[-1].width_out
        self.attention = nn.Sequential(*layers)
        tokens = n_fields + n_extra
        self.head = nn.Linear(tokens * width, 1)
        self.deep = MLP(tokens * dim, hidden, 1, dropout) if hidden else None

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        x = emb if extra is None else torch.cat([emb, extra], 1)
        out = self.head(self.attention(x).flatten(1)).squeeze(1)
        if self.deep is not None:
            out = out + self.deep(x.flatten(1)).squeeze(1)
        return out


class FinalMLP(nn.Module):
    """FinalMLP (Mao et al. 2023): two MLP streams over the flat embeddings, each behind its
    own feature gate, fused by multi-head bilinear interaction.

    Stream 1's gate has a learned context vector, stream 2's is conditioned on the embeddings
    themselves: with no user/item roles among the fields, this gives the two streams the
    differing views the paper gets from different context features. Both streams have the
    widths ``hidden``.

    Args:
        fusion_heads: heads of the fusion (at most the streams' output width; fewer are used
            when ``hidden[-1]`` is narrower).
        gate_hidden: hidden widths of each gate's MLP.
    """

    def __init__(self, n_fields: int, n_extra: int, dim: int, hidden: Sequence[int] = (256, 128),
                 dropout: float = 0.0, fusion_heads: int = 2, gate_hidden: Sequence[int] = (64,),
                 **_: object) -> None:
        super().__init__()
        width = (n_fields + n_extra) * dim
        self.select1 = FeatureGate(width, gate_hidden, context_dim=dim)
        self.select2 = FeatureGate(width, gate_hidden)
        self.stream1 = MLP(width, hidden, 0, dropout)
        self.stream2 = MLP(width, hidden, 0, dropout)
        w1, w2 = self.stream1.width_out, self.stream2.width_out
        self.fusion = BilinearFusion(w1, w2, min(fusion_heads, w1, w2))

    def forward(self, emb: torch.Tensor, first: Any, extra: torch.Tensor | None) -> torch.Tensor:
        x = _flat(emb, extra)
        return self.fusion(self.stream1(self.select1(x)), self.stream2(self.select2(x)))


_ZOO: dict[str, type[nn.Module]] = {"lr": LR, "fm": FM, "deepfm": DeepFM, "dcn": DCN, "ipnn": IPNN, "dnn": DNN,
                                    "autoint": AutoInt, "finalmlp": FinalMLP}


def make_backbone(name: str, n_fields: int, n_extra: int, dim: int, **kwargs: object) -> nn.Module:
    """A backbone by name (see :data:`BACKBONES`)."""
    from autofeat.errors import OptionError

    if name not in _ZOO:
        raise OptionError(f"--model {name!r}: unknown (available: {', '.join(BACKBONES)})")
    return _ZOO[name](n_fields, n_extra, dim, **kwargs)


class CTRModel(nn.Module):
    """Embedding -> optional gate -> optional pair interactions -> backbone -> logit.

    Args:
        sizes: ids per field (OOV included).
        dim: embedding width.
        backbone: a name from :data:`BACKBONES`.
        hidden, dropout, cross_layers: backbone settings.
        gate: a module ``(gids, emb, first) -> (emb, first)`` (a search gate or a
            :class:`~autofeat.models.layers.FixedMask`).
        interactions: a module ``(emb, cross_ids) -> (B, P, D)`` with ``n_extra`` = P.

    ``forward(ids, cross=None)`` takes field-local ids ``(B, F)`` and returns logits ``(B,)``.
    """

    def __init__(self, sizes: Sequence[int], dim: int, backbone: str = "deepfm", *,
                 hidden: Sequence[int] = (256, 128), dropout: float = 0.0, cross_layers: int = 2,
                 gate: nn.Module | None = None, interactions: nn.Module | None = None,
                 n_extra: int = 0) -> None:
        super().__init__()
        self.sizes = list(sizes)
        self.dim = dim
        self.backbone_name = backbone
        self.hidden = tuple(hidden)
        self.cross_layers = cross_layers
        self.embedding = FieldEmbedding(sizes, dim, first_order=backbone in FIRST_ORDER)
        self.register_buffer("offsets", FieldEmbedding.offsets(sizes))
        self.gate = gate
        self.interactions = interactions
        self.backbone = make_backbone(backbone, len(sizes), n_extra, dim, hidden=hidden,
                                      dropout=dropout, cross_layers=cross_layers)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, ids: torch.Tensor, cross: torch.Tensor | None = None) -> torch.Tensor:
        gids = ids + self.offsets
        emb, first = self.embedding(gids)
        if self.gate is not None:
            emb, first = self.gate(gids, emb, first)
        extra = self.interactions(emb, cross) if self.interactions is not None else None
        return self.backbone(emb, first, extra) + self.bias
