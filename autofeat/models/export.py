"""The compact model a search hands over: tables that hold only the kept values, the kept
dimensions of each frequency block and the memorized pairs' crosses.

A retrained model still carries the supernet's full tables behind a mask; the export keeps,
per field and block, a segment ``(rows kept, dimensions kept)`` and drops the rest, so
``n_params()`` is what a serving system would store. Predictions equal the retrained
model's (the masks are folded in, nothing else changes). ``model.pt`` holds tensors and
plain Python values only, so it loads with ``torch.load(weights_only=True)``: kept values of
types without plain Python values (timestamps, dates, decimals, ...) are stored as their Arrow
IPC bytes.

Example:
    >>> from autofeat.models.export import load_compact
    >>> # model = load_compact("out/model.pt"); p = model.predict(table)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from autofeat.encode.training import FieldVocab, encode_fields, lookup_sorted
from autofeat.errors import DataError
from autofeat.models.backbones import make_backbone
from autofeat.models.layers import PairInteractions

__all__ = ["CompactModel", "export_compact", "load_compact"]

FORMAT = "autofeat-compact-1"


class CompactModel(nn.Module):
    """Inference model over the kept fields. ``forward(ids, cross)`` takes field-local ids
    (the training vocabulary's) and returns logits; :meth:`predict` takes a raw table."""

    def __init__(self, config: dict[str, Any], segments: list[dict[str, torch.Tensor]],
                 lookups: list[tuple[torch.Tensor, torch.Tensor]], vocab: list[FieldVocab],
                 cross_keys: list[np.ndarray]) -> None:
        super().__init__()
        self.config = config
        self.vocab = vocab
        self.cross_keys = cross_keys
        self.n_fields = len(lookups)
        self.dim = int(config["dim"])
        self.first_order = bool(config["first_order"])
        self.segments = segments
        for s, seg in enumerate(segments):
            for k in ("cols", "table", "lin"):
                self.register_buffer(f"seg{s}_{k}", seg[k])
        self.field_segments = [[s for s, seg in enumerate(segments) if int(seg["field"]) == k]
                               for k in range(self.n_fields)]
        for k, (seg_of, row_of) in enumerate(lookups):
            self.register_buffer(f"seg_of{k}", seg_of)
            self.register_buffer(f"row_of{k}", row_of)
        pairs = [tuple(p) for p in config["pairs"]]
        methods = config["pair_methods"]
        self.interactions = (PairInteractions(pairs, config["cross_sizes"], self.dim, methods)
                             if any(m != "naive" for m in methods) else None)
        n_extra = self.interactions.n_out if self.interactions is not None else 0
        self.backbone = make_backbone(config["model"], self.n_fields, n_extra, self.dim,
                                      hidden=tuple(config["hidden"]), cross_layers=int(config["cross_layers"]))
        self.bias = nn.Parameter(torch.zeros(1))
        self.eval()

    def n_params(self) -> int:
        """Stored parameters: kept table cells, kept first-order weights, crosses, backbone."""
        n = sum(int(seg["table"].numel()) + (int(seg["lin"].numel()) if self.first_order else 0)
                for seg in self.segments)
        return n + sum(int(p.numel()) for p in self.parameters())

    def kept_values(self) -> list[int]:
        """Values per field with a stored row (OOV slot included when kept)."""
        return [sum(int(self.segments[s]["table"].shape[0]) for s in segs) for segs in self.field_segments]

    def field_dims(self) -> list[int]:
        """Dimensions each field keeps: the mean over its kept values (blocks may differ)."""
        out = []
        for segs in self.field_segments:
            rows = [int(self.segments[s]["table"].shape[0]) for s in segs]
            cells = [r * int(self.segments[s]["cols"].numel()) for r, s in zip(rows, segs)]
            out.append(int(round(sum(cells) / sum(rows))) if sum(rows) else 0)
        return out

    def embed(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        b = ids.shape[0]
        emb = torch.zeros(b, self.n_fields, self.dim)
        first = torch.zeros(b, self.n_fields) if self.first_order else None
        for k, segs in enumerate(self.field_segments):
            seg = getattr(self, f"seg_of{k}")[ids[:, k]]
            row = getattr(self, f"row_of{k}")[ids[:, k]]
            for s in segs:
                m = torch.nonzero(seg == s).squeeze(1)
                cols = getattr(self, f"seg{s}_cols")
                if cols.numel():
                    emb[m.unsqueeze(1), k, cols.unsqueeze(0)] = getattr(self, f"seg{s}_table")[row[m]]
                if first is not None:
                    first[m, k] = getattr(self, f"seg{s}_lin")[row[m]]
        return emb, first

    def forward(self, ids: torch.Tensor, cross: torch.Tensor | None = None) -> torch.Tensor:
        emb, first = self.embed(ids)
        extra = self.interactions(emb, cross) if self.interactions is not None else None
        return self.backbone(emb, first, extra) + self.bias

    def encode(self, table: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Field ids and cross ids of a raw table (columns named as the kept features)."""
        ids = encode_fields(self.vocab, table)
        mem = [p for p, m in zip(self.config["pairs"], self.config["pair_methods"]) if m == "memorize"]
        if not mem:
            return ids, None
        cross = np.zeros((ids.shape[0], len(mem)), np.int32)
        for k, ((a, b), keys) in enumerate(zip(mem, self.cross_keys)):
            cross[:, k] = lookup_sorted(keys, ids[:, a].astype(np.int64) * self.vocab[b].size + ids[:, b])
        return ids, cross

    @torch.no_grad()
    def predict(self, table: Any, batch_size: int = 65536) -> np.ndarray:
        """Click probabilities for the rows of a raw table."""
        ids, cross = self.encode(table)
        out = []
        for s in range(0, ids.shape[0], batch_size):
            c = None if cross is None else torch.from_numpy(cross[s:s + batch_size].astype(np.int64))
            out.append(torch.sigmoid(self(torch.from_numpy(ids[s:s + batch_size].astype(np.int64)), c)).numpy())
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def save(self, path: str | Path) -> Path:
        """Write ``model.pt`` atomically (temporary name, then rename)."""
        from autofeat.io.files import write_files_atomic

        write_files_atomic({Path(path): self.write})
        return Path(path)

    def write(self, path: str | Path) -> None:
        """Write the model to ``path`` as it is (:meth:`save` writes it atomically)."""
        state = {
            "format": FORMAT, "config": self.config,
            "segments": self.segments,
            "lookups": [(getattr(self, f"seg_of{k}"), getattr(self, f"row_of{k}")) for k in range(self.n_fields)],
            "vocab": [{"name": f.name, "kind": f.kind, **_stored_values(f.values),
                       "edges": None if f.edges is None else torch.from_numpy(np.asarray(f.edges, np.float64))}
                      for f in self.vocab],
            "cross_keys": [torch.from_numpy(k.astype(np.int64)) for k in self.cross_keys],
            "weights": {k: v for k, v in self.state_dict().items() if not k.startswith(("seg", "row_of"))},
        }
        torch.save(state, path)


def load_compact(path: str | Path) -> CompactModel:
    """Load a ``model.pt`` written by a search."""
    state = torch.load(path, weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DataError(f"{path}: not an autofeat compact model")
    vocab = [FieldVocab(v["name"], v["kind"], _loaded_values(v),
                        None if v["edges"] is None else v["edges"].numpy(), np.zeros(0, np.int64))
             for v in state["vocab"]]
    model = CompactModel(state["config"], state["segments"], state["lookups"], vocab,
                         [k.numpy() for k in state["cross_keys"]])
    model.load_state_dict(state["weights"], strict=False)
    return model


def _plain(t: pa.DataType) -> bool:
    """Types whose Python values are str, int, float, bool or None: what
    ``torch.load(weights_only=True)`` accepts."""
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_null(t)
            or pa.types.is_string(t) or pa.types.is_large_string(t))


def _stored_values(values: pa.Array) -> dict[str, Any]:
    """A field's kept values in a weights_only-safe form: a list of plain values, or else
    the Arrow IPC stream of the array as a uint8 tensor. Timestamps, dates and decimals
    became datetime/date/Decimal objects in the list, and a model.pt holding them could not
    be loaded with weights_only=True; IPC also keeps the exact type (time zone, precision)."""
    if _plain(values.type):
        return {"values": values.to_pylist(), "type": str(values.type)}
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, pa.schema([("values", values.type)])) as writer:
        writer.write_batch(pa.record_batch([values], names=["values"]))
    data = np.frombuffer(sink.getvalue(), np.uint8).copy()
    return {"values": None, "type": str(values.type), "arrow_ipc": torch.from_numpy(data)}


def _loaded_values(entry: dict[str, Any]) -> pa.Array:
    """The kept values written by :func:`_stored_values` (or by an older version: a list)."""
    if entry.get("arrow_ipc") is not None:
        buf = pa.py_buffer(entry["arrow_ipc"].numpy().tobytes())
        return pa.ipc.open_stream(buf).read_all().column("values").combine_chunks()
    try:
        return pa.array(entry["values"], type=pa.type_for_alias(entry["type"]))
    except (ValueError, pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(entry["values"])


def export_compact(model: Any, td: Any, arch: Any, cross_keys: list[np.ndarray] | None = None) -> CompactModel:
    """The compact form of a retrained :class:`~autofeat.models.backbones.CTRModel` whose fields
    are ``arch.fields`` of ``td``. The compact model is on the CPU; ``model`` is left where it
    is (weights are copied, the caller may go on evaluating it on its device)."""
    w = model.embedding.table.weight.detach().cpu()
    lin = model.embedding.linear.weight.detach().cpu().squeeze(1) if model.embedding.linear is not None else None
    gate = model.gate
    total = w.shape[0]
    vk = gate.value_keep.cpu() if gate is not None and gate.value_keep is not None else torch.ones(total)
    if gate is not None and gate.dim_keep is not None:
        block_of, dim_keep = gate.block_of.cpu(), gate.dim_keep.cpu()
    else:
        block_of, dim_keep = torch.zeros(total, dtype=torch.long), torch.ones(1, w.shape[1])
    segments: list[dict[str, torch.Tensor]] = []
    lookups = []
    offset = 0
    for k, size in enumerate(model.sizes):
        rng = torch.arange(offset, offset + size)
        seg_of = torch.full((size,), -1, dtype=torch.long)
        row_of = torch.zeros(size, dtype=torch.long)
        kept = rng[vk[rng] > 0]
        for b in torch.unique(block_of[kept]).tolist():
            rows = kept[block_of[kept] == b]
            cols = torch.nonzero(dim_keep[b] > 0).squeeze(1)
            if cols.numel() == 0 and lin is None:
                continue  # nothing of these values reaches the model
            scale = dim_keep[b, cols].unsqueeze(0) * vk[rows].unsqueeze(1)
            seg_of[rows - offset] = len(segments)
            row_of[rows - offset] = torch.arange(rows.numel())
            segments.append({"field": torch.tensor(k), "cols": cols.clone(), "table": (w[rows][:, cols] * scale).clone(),
                             "lin": (lin[rows] * vk[rows]).clone() if lin is not None else torch.zeros(0)})
        lookups.append((seg_of, row_of))
        offset += size
    inter = model.interactions
    config = {
        "model": model.backbone_name, "dim": model.dim, "first_order": lin is not None,
        "hidden": list(getattr(model, "hidden", ())), "cross_layers": int(getattr(model, "cross_layers", 2)),
        "features": [td.fields[i].name for i in arch.fields],
        "pairs": [list(p) for p in inter.pairs] if inter is not None else [],
        "pair_methods": list(inter.pair_methods) if inter is not None else [],
        "cross_sizes": [int(k.size) + 1 for k in cross_keys or []],  # kept crosses + OOV
    }
    vocab = [td.fields[i] for i in arch.fields]
    compact = CompactModel(config, segments, lookups, vocab, list(cross_keys or []))
    compact.backbone.load_state_dict(_cpu_state(model.backbone))
    if inter is not None and compact.interactions is not None:
        compact.interactions.load_state_dict(_cpu_state(inter))
    with torch.no_grad():
        compact.bias.copy_(model.bias.detach().cpu())
    return compact


def _cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """A module's weights copied to the CPU (``module`` itself does not move)."""
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}
