"""The attention (AutoInt) and two-stream (FinalMLP) backbones and their shared layers:
shapes, heads, the layers against the papers' equations written out naively, gradients,
gate hosting, and a planted pairwise interaction that LR cannot fit."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autofeat.models.backbones import BACKBONES, CTRModel, make_backbone  # noqa: E402
from autofeat.models.layers import BilinearFusion, FeatureGate, PairInteractions, SelfAttention  # noqa: E402

NEW = ("autoint", "finalmlp")


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("n_extra", [0, 3])
def test_output_is_one_logit_per_row_with_and_without_pair_vectors(name, n_extra) -> None:
    torch.manual_seed(0)
    backbone = make_backbone(name, 5, n_extra, 4, hidden=(8,))
    emb = torch.randn(7, 5, 4)
    extra = torch.randn(7, n_extra, 4) if n_extra else None
    out = backbone(emb, None, extra)
    assert out.shape == (7,) and torch.isfinite(out).all()


def test_the_new_backbones_are_registered() -> None:
    assert set(NEW) <= set(BACKBONES)
    assert isinstance(make_backbone("autoint", 3, 0, 4), nn.Module)


@pytest.mark.parametrize("dim, heads, head_dim", [(8, 2, None), (8, 3, None), (8, 3, 5), (6, 4, 1)])
def test_self_attention_takes_any_number_of_heads(dim, heads, head_dim) -> None:
    layer = SelfAttention(dim, heads, head_dim)
    out = layer(torch.randn(2, 5, dim))
    assert out.shape == (2, 5, heads * (dim if head_dim is None else head_dim)) == (2, 5, layer.width_out)
    # AutoInt's default head width is ceil(dim / heads): a head count that does not divide works.
    backbone = make_backbone("autoint", 5, 0, dim, hidden=(), heads=heads, head_dim=head_dim)
    assert backbone(torch.randn(2, 5, dim), None, None).shape == (2,)


def test_bad_head_counts_are_refused_with_the_value_named() -> None:
    with pytest.raises(ValueError, match="heads=0"):
        SelfAttention(8, heads=0)
    with pytest.raises(ValueError, match="heads=0"):
        make_backbone("autoint", 3, 0, 8, heads=0)
    with pytest.raises(ValueError, match="att_layers"):
        make_backbone("autoint", 3, 0, 8, att_layers=0)
    with pytest.raises(ValueError, match=r"heads=5: must be in 1\.\.4"):
        BilinearFusion(4, 9, heads=5)
    with pytest.raises(ValueError, match="heads=0"):
        make_backbone("finalmlp", 3, 0, 4, hidden=(8,), fusion_heads=0)
    # More heads than a stream is wide: FinalMLP uses as many as fit.
    backbone = make_backbone("finalmlp", 3, 0, 4, hidden=(3,), fusion_heads=8)
    assert len(backbone.fusion.bilinear) == 3


def _naive_attention(layer: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    """AutoInt's interacting layer, eqs. (5)-(8), one head and one token at a time."""
    w = layer.width_out
    wq, wk, wv, wr = (layer.project.weight[i * w:(i + 1) * w] for i in range(4))
    heads = []
    for h in range(layer.heads):
        rows = slice(h * layer.head_dim, (h + 1) * layer.head_dim)
        q, k, v = x @ wq[rows].T, x @ wk[rows].T, x @ wv[rows].T
        tokens = []
        for m in range(x.shape[1]):
            psi = (q[:, m:m + 1] * k).sum(-1)  # <Wq e_m, Wk e_k> for every k
            a = torch.exp(psi) / torch.exp(psi).sum(1, keepdim=True)
            tokens.append((a.unsqueeze(-1) * v).sum(1))
        heads.append(torch.stack(tokens, 1))
    return torch.relu(torch.cat(heads, -1) + x @ wr.T)


@pytest.mark.parametrize("heads, head_dim", [(1, 4), (2, 3), (3, 2)])
def test_self_attention_matches_the_paper_equations(heads, head_dim) -> None:
    torch.manual_seed(1)
    layer = SelfAttention(4, heads, head_dim)
    x = torch.randn(3, 6, 4)
    torch.testing.assert_close(layer(x), _naive_attention(layer, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("width1, width2, heads", [(6, 6, 1), (6, 4, 2), (7, 5, 3)])
def test_bilinear_fusion_matches_the_formula(width1, width2, heads) -> None:
    torch.manual_seed(2)
    fusion = BilinearFusion(width1, width2, heads)
    o1, o2 = torch.randn(5, width1), torch.randn(5, width2)
    expected = fusion.linear1.bias + o1 @ fusion.linear1.weight[0] + o2 @ fusion.linear2.weight[0]
    for a, c, w in zip(torch.tensor_split(o1, heads, 1), torch.tensor_split(o2, heads, 1), fusion.bilinear):
        expected = expected + torch.einsum("bi,ij,bj->b", a, w.weight[0], c)
    torch.testing.assert_close(fusion(o1, o2), expected, rtol=1e-5, atol=1e-6)


def test_feature_gates_reweight_within_zero_and_two() -> None:
    torch.manual_seed(3)
    x = torch.randn(4, 6)
    learned, conditioned = FeatureGate(6, (5,), context_dim=3), FeatureGate(6, (5,))
    g_learned, g_cond = learned(x) / x, conditioned(x) / x
    for g in (g_learned, g_cond):
        assert ((g > 0) & (g < 2)).all()
    torch.testing.assert_close(g_learned, g_learned[:1].expand(4, 6))  # one re-weighting for all rows
    assert not torch.allclose(g_cond, g_cond[:1].expand(4, 6))  # per row


@pytest.mark.parametrize("name", NEW)
def test_gradients_reach_embeddings_and_pair_vectors(name) -> None:
    torch.manual_seed(4)
    inter = PairInteractions([(0, 1), (1, 2)], [5], 4, ["memorize", "factorize"])
    model = CTRModel([5, 6, 7], 4, name, hidden=(8,), interactions=inter, n_extra=inter.n_out)
    ids = torch.tensor([[1, 2, 3], [4, 5, 6], [0, 1, 2]])
    model(ids, torch.tensor([[1], [2], [4]])).sum().backward()
    for table in (model.embedding.table, inter.cross):
        grad = table.weight.grad.coalesce().values()
        assert grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.backbone.parameters())


@pytest.mark.parametrize("name", NEW)
def test_search_gates_train_through_the_new_backbones(name) -> None:
    """OptFS gates values, DNIS scales embedding dimensions, OptInter adds pair vectors:
    each gate's own weights get a gradient through either backbone."""
    from autofeat.searching.gates.dnis import DimGate
    from autofeat.searching.gates.optfs import ValueGate

    sizes = [5, 6, 7]
    ids = torch.tensor([[1, 2, 3], [4, 5, 6], [0, 1, 2]])
    gates = {"optfs": ValueGate(sum(sizes)), "dnis": DimGate(np.arange(sum(sizes)) % 3, 3, 4)}
    for gate in gates.values():
        torch.manual_seed(5)
        model = CTRModel(sizes, 4, name, hidden=(8,), gate=gate)
        model(ids).sum().backward()
        (param,) = gate.parameters()
        assert param.grad is not None and param.grad.abs().sum() > 0
    inter = PairInteractions([(0, 1), (0, 2)], [4, 4], 4, None)  # search mode: mixes every method
    model = CTRModel(sizes, 4, name, hidden=(8,), interactions=inter, n_extra=inter.n_out)
    model(ids, torch.tensor([[1, 2], [3, 0], [2, 2]])).sum().backward()
    assert inter.alpha.grad is not None and inter.alpha.grad.abs().sum() > 0


def _planted(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three fields of four values; the label is field 0 == field 1 (10% flipped). Each field
    alone says nothing about the label, so only a model of the pair can rank the rows."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, 4, (n, 3), generator=g)
    y = (ids[:, 0] == ids[:, 1]).float()
    flip = torch.rand(n, generator=g) < 0.1
    return ids, torch.where(flip, 1.0 - y, y)


def _auc(score: torch.Tensor, y: torch.Tensor) -> float:
    """P(a positive outscores a negative), ties counting half."""
    pos, neg = score[y == 1], score[y == 0]
    diff = pos.unsqueeze(1) - neg.unsqueeze(0)
    return float((diff > 0).float().mean() + 0.5 * (diff == 0).float().mean())


def _held_out_auc(name: str, steps: int = 60) -> float:
    ids, y = _planted(2048, 0)
    test_ids, test_y = _planted(1024, 1)
    torch.manual_seed(0)
    model = CTRModel([4] * 3, 8, name, hidden=(16,))
    sparse = [m.weight for m in model.modules() if isinstance(m, nn.Embedding)]
    dense = [p for p in model.parameters() if all(p is not s for s in sparse)]
    opts = [torch.optim.SparseAdam(sparse, lr=0.05), torch.optim.Adam(dense, lr=0.01)]
    for _ in range(steps):  # full batches: deterministic
        for o in opts:
            o.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(ids), y).backward()
        for o in opts:
            o.step()
    with torch.no_grad():
        return _auc(model(test_ids), test_y)


@pytest.mark.slow
def test_new_backbones_fit_a_planted_pair_that_lr_cannot() -> None:
    lr = _held_out_auc("lr")
    assert lr < 0.6  # LR sees no signal
    for name in NEW:
        auc = _held_out_auc(name)
        assert auc > 0.8, (name, auc, lr)  # Bayes AUC: 0.9 of each class ranked by the pair
