"""export_compact on hand-built models: every backbone's compact form predicts like the model
(masks and pair vectors included), and the export leaves the caller's model where it is."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from autofeat.models.backbones import BACKBONES, CTRModel  # noqa: E402
from autofeat.models.export import export_compact  # noqa: E402
from autofeat.models.layers import FixedMask, PairInteractions  # noqa: E402

SIZES = [6, 5, 7, 4]
DIM = 4


def _model(name: str) -> tuple[CTRModel, torch.Tensor, torch.Tensor, list[np.ndarray]]:
    """A model with dropped values, pruned dimensions per block and three pairs (memorized,
    factorized, naive), its weights drawn large enough for every part to matter; and ids,
    cross ids and cross keys to run it on."""
    torch.manual_seed(0)
    total = sum(SIZES)
    value_keep = (torch.rand(total) > 0.3).float()
    block_of = torch.arange(total) % 2
    dim_keep = torch.tensor([[1.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]])
    inter = PairInteractions([(0, 1), (1, 2), (2, 3)], [5], DIM, ["memorize", "factorize", "naive"])
    model = CTRModel(SIZES, DIM, name, hidden=(8,), gate=FixedMask(value_keep, block_of, dim_keep),
                     interactions=inter, n_extra=inter.n_out)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    model.eval()
    ids = torch.stack([torch.randint(0, s, (32,)) for s in SIZES], 1)
    cross = torch.randint(0, 5, (32, 1))
    return model, ids, cross, [np.arange(4)]  # 4 kept cross keys + OOV = 5 ids


def _export(model: CTRModel, keys: list[np.ndarray]):
    td = SimpleNamespace(fields=[SimpleNamespace(name=f"f{k}") for k in range(len(SIZES))])
    return export_compact(model, td, SimpleNamespace(fields=list(range(len(SIZES)))), cross_keys=keys)


@pytest.mark.parametrize("name", BACKBONES)
def test_the_compact_model_predicts_like_the_model(name) -> None:
    model, ids, cross, keys = _model(name)
    compact = _export(model, keys)
    with torch.no_grad():
        torch.testing.assert_close(compact(ids, cross), model(ids, cross), rtol=1e-5, atol=1e-5)


def test_export_leaves_the_model_where_it_is(monkeypatch) -> None:
    """The export copies weights to the CPU; it used to move the caller's model there, and
    evaluating it on CUDA data afterwards failed. Module.to/cpu/cuda all go through _apply."""
    model, ids, cross, keys = _model("deepfm")
    before = {k: (v, v.device, v.data_ptr()) for k, v in model.state_dict(keep_vars=True).items()}
    with torch.no_grad():
        expected = model(ids, cross)
    own = set(map(id, model.modules()))
    moved = []
    apply = nn.Module._apply

    def spy(self, *args, **kwargs):
        if id(self) in own:
            moved.append(type(self).__name__)
        return apply(self, *args, **kwargs)

    monkeypatch.setattr(nn.Module, "_apply", spy)
    compact = _export(model, keys)
    assert not moved
    after = model.state_dict(keep_vars=True)
    assert after.keys() == before.keys()
    for k, (tensor, device, ptr) in before.items():
        assert after[k] is tensor and tensor.device == device and tensor.data_ptr() == ptr, k
    # Nothing of the compact model aliases the model's storage: changing one leaves the other.
    with torch.no_grad():
        for p in compact.parameters():
            p.add_(1.0)
        torch.testing.assert_close(model(ids, cross), expected)
