"""The training loop every search method and retrain shares.

Rows are reshuffled every epoch (seeded), embedding tables get sparse updates (SparseAdam)
and the rest Adam; the model is scored on the VALIDATION split after each epoch, and with
early stopping the best epoch's weights are restored at the end. Architecture parameters
(gates) step either with the weights on train batches or, for bilevel methods, on
validation batches drawn from their own cycling order (so an epoch is never cut short by
the shorter validation split).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from autofeat._progress import Progress
from autofeat._threads import cap_jobs
from autofeat.errors import OptionError
from autofeat.searching.metrics import log_loss, roc_auc

STOP_ON = ("logloss", "auc")

__all__ = ["TrainOptions", "Feed", "ArchStep", "FitReport", "fit", "predict", "resolve_device", "evaluate"]


@dataclass(frozen=True)
class TrainOptions:
    """How to train (CLI flags have the same names with dashes).

    Attributes:
        epochs: most epochs of a training (early stopping may end it sooner).
        batch_size: rows per step (None: train rows / 100, clamped to 256..4096, so small
            tables still get enough steps per epoch).
        lr: Adam learning rate of the weights.
        weight_decay: L2 on dense weights (embedding tables get none).
        patience: epochs without a better validation score before stopping.
        stop_on: the validation score that picks the best epoch: ``"logloss"`` (lowest log
            loss: a CTR model's probabilities are used as probabilities, and AUC can creep
            up while calibration falls apart) or ``"auc"`` (highest AUC).
        seed: seeds initialization and shuffling.
        n_jobs: torch threads (None: torch's default).
        device: ``"cpu"`` or ``"cuda"``.
    """

    epochs: int = 10
    batch_size: int | None = None
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 1
    stop_on: str = "logloss"
    seed: int = 0
    n_jobs: int | None = None
    device: str = "cpu"
    quiet: bool = True

    def check(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise OptionError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if not (math.isfinite(self.lr) and self.lr > 0):  # nan passed `lr <= 0` and trained NaN weights
            raise OptionError(f"--lr must be a number > 0, got {self.lr}")
        if self.seed < 0:  # NumPy refuses a negative seed, after the data was read
            raise OptionError(f"--seed must be >= 0, got {self.seed}")
        if self.stop_on not in STOP_ON:
            raise OptionError(f"--stop-on {self.stop_on!r}: unknown (known: {', '.join(STOP_ON)})")
        if self.n_jobs is not None and self.n_jobs < 1:
            raise OptionError(f"--n-jobs must be >= 1, got {self.n_jobs}")
        resolve_device(self.device)


def resolve_device(name: str) -> torch.device:
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise OptionError(f"--device {name}: no CUDA device on this machine (torch {torch.__version__}); use --device cpu")
        return torch.device(name)
    raise OptionError(f"--device {name!r}: unknown (use cpu or cuda)")


class Feed:
    """All rows as tensors on the device: ids ``(n, F)``, optional cross ids ``(n, P)``, labels."""

    def __init__(self, ids: np.ndarray, y: np.ndarray, cross: np.ndarray | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.ids = torch.from_numpy(np.ascontiguousarray(ids, dtype=np.int64)).to(self.device)
        self.cross = None if cross is None else torch.from_numpy(np.ascontiguousarray(cross, dtype=np.int64)).to(self.device)
        self.y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)).to(self.device)

    def batch(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        t = torch.from_numpy(idx).to(self.device)
        return self.ids[t], None if self.cross is None else self.cross[t], self.y[t]


@dataclass
class ArchStep:
    """How architecture parameters learn.

    Attributes:
        params: the parameters (gates, selection weights).
        lr: their Adam learning rate.
        on_valid: bilevel (first order): step them on validation batches, after each train step.
        penalty: extra loss term on the step that updates them.
        grad_transform: called on the gradients before their step (e.g. per-block normalization).
        after_step: called after their step (e.g. clamping).
        optimizer: ``"adam"``, or ``"sgd"`` where the gradient scale must matter (after a
            normalization Adam would undo).
        batch_fraction: with ``on_valid``, validation batches are this fraction of a train
            batch: the architecture has few parameters, and the validation pass is the
            bilevel search's overhead over plain training.
    """

    params: Sequence[nn.Parameter]
    lr: float = 1e-2
    on_valid: bool = False
    optimizer: str = "adam"
    penalty: Callable[[], torch.Tensor] | None = None
    grad_transform: Callable[[], None] | None = None
    after_step: Callable[[], None] | None = None
    batch_fraction: float = 1.0


@dataclass
class FitReport:
    best_auc: float  # valid AUC of the kept epoch
    best_epoch: int
    epochs_run: int
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def _optimizers(model: nn.Module, opts: TrainOptions, arch: ArchStep | None) -> list[torch.optim.Optimizer]:
    arch_ids = {id(p) for p in (arch.params if arch else [])}
    sparse: list[nn.Parameter] = []
    for m in model.modules():
        if isinstance(m, nn.Embedding) and m.sparse and m.weight.requires_grad:
            sparse.append(m.weight)
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if p.requires_grad and id(p) not in sparse_ids | arch_ids]
    out: list[torch.optim.Optimizer] = []
    if sparse:
        out.append(torch.optim.SparseAdam(sparse, lr=opts.lr))
    if dense:
        out.append(torch.optim.Adam(dense, lr=opts.lr, weight_decay=opts.weight_decay))
    return out


@torch.no_grad()
def predict(model: nn.Module, feed: Feed, idx: np.ndarray, batch_size: int = 65536) -> np.ndarray:
    """Click probabilities of rows ``idx``."""
    was = model.training
    model.eval()
    out = []
    for s in range(0, idx.size, batch_size):
        ids, cross, _ = feed.batch(idx[s:s + batch_size])
        out.append(torch.sigmoid(model(ids, cross)).cpu().numpy())
    model.train(was)
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def evaluate(model: nn.Module, feed: Feed, idx: np.ndarray) -> tuple[float, float]:
    """(AUC, log loss) on rows ``idx``."""
    p = predict(model, feed, idx).astype(np.float64)
    y = feed.y[torch.from_numpy(idx).to(feed.device)].cpu().numpy()
    return roc_auc(y, p), log_loss(y, p)


@contextmanager
def _deterministic() -> Iterator[None]:
    """Same seed, same result: multi-threaded sparse-gradient kernels otherwise sum in a
    varying order (warn_only: a CUDA op without a deterministic version still runs)."""
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was)


@_deterministic()
def fit(
    model: nn.Module,
    feed: Feed,
    train: np.ndarray,
    valid: np.ndarray,
    opts: TrainOptions,
    *,
    epochs: int | None = None,
    arch: ArchStep | None = None,
    penalty: Callable[[], torch.Tensor] | None = None,
    before_epoch: Callable[[int, int], None] | None = None,
    after_epoch: Callable[[int], dict[str, float] | None] | None = None,
    after_step: Callable[[int, int, int], None] | None = None,
    early_stopping: bool = True,
    score_start: bool = False,
    on_score: Callable[[int, float, float], None] | None = None,
    desc: str = "train",
) -> FitReport:
    """Train ``model`` on rows ``train``; score on ``valid`` after every epoch.

    Args:
        epochs: overrides ``opts.epochs``.
        arch: architecture parameters and how they learn (None: none).
        penalty: extra term of the training loss (e.g. a gate sparsity penalty).
        before_epoch: ``(epoch, epochs)`` hook, e.g. to set a temperature.
        after_epoch: ``(epoch)`` hook returning values to record in the history.
        after_step: ``(epoch, step, steps per epoch)`` hook after every training step, e.g.
            to record a search's state along its path.
        early_stopping: stop after ``opts.patience`` epochs without a better validation score
            (``opts.stop_on``) and restore the best epoch's weights; without it all epochs run and the last
            weights stay.
        on_score: ``(epoch, valid AUC, valid log loss)`` after every epoch's score, e.g. to
            report it to an Optuna trial, which may stop the training by raising TrialPruned.
        score_start: score the model before the first epoch too (history epoch -1) and keep
            those weights if no epoch beats them: a warm-started model (a search's weights)
            can already be past its best, as CTR models often are after one pass.
    """
    # Always set: torch's default is every core of the host, past a container's quota.
    torch.set_num_threads(cap_jobs(opts.n_jobs))
    n_epochs = epochs or opts.epochs
    batch = opts.batch_size or auto_batch_size(train.size)
    optims = _optimizers(model, opts, arch)
    arch_opt: torch.optim.Optimizer | None = None
    if arch is not None:
        arch_opt = (torch.optim.SGD if arch.optimizer == "sgd" else torch.optim.Adam)(list(arch.params), lr=arch.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    rng = np.random.default_rng([opts.seed, 11])
    valid_order: list[np.ndarray] = []
    best_auc, best_epoch, best_state, bad = -1.0, -1, None, 0
    best_key = -np.inf  # higher is better: AUC, or minus the log loss
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    progress = Progress(train.size * n_epochs, "rows", desc, opts.quiet)
    if score_start:
        auc, ll = evaluate(model, feed, valid)
        history.append({"epoch": -1.0, "valid_auc": auc, "valid_logloss": ll})
        best_auc, best_key = auc, _stop_key(opts, auc, ll)
        if early_stopping:
            best_state = copy.deepcopy(model.state_dict())
    model.train()
    epoch = 0
    try:
        for epoch in range(n_epochs):
            if before_epoch is not None:
                before_epoch(epoch, n_epochs)
            order = train[rng.permutation(train.size)]
            steps = steps_per_epoch(order.size, batch)
            for s in range(0, order.size, batch):
                ids, cross, y = feed.batch(order[s:s + batch])
                for o in optims:
                    o.zero_grad(set_to_none=True)
                joint = arch is not None and not arch.on_valid
                if joint:
                    arch_opt.zero_grad(set_to_none=True)  # type: ignore[union-attr]
                loss = loss_fn(model(ids, cross), y)
                if penalty is not None:
                    loss = loss + penalty()
                if joint and arch.penalty is not None:  # type: ignore[union-attr]
                    loss = loss + arch.penalty()  # type: ignore[union-attr]
                loss.backward()
                for o in optims:
                    o.step()
                if arch is not None:
                    if arch.on_valid:
                        vidx = _next_valid(valid_order, valid, max(1, int(batch * arch.batch_fraction)), rng)
                        vids, vcross, vy = feed.batch(vidx)
                        arch_opt.zero_grad(set_to_none=True)  # type: ignore[union-attr]
                        vloss = loss_fn(model(vids, vcross), vy)
                        if arch.penalty is not None:
                            vloss = vloss + arch.penalty()
                        vloss.backward(inputs=list(arch.params))
                    if arch.grad_transform is not None:
                        arch.grad_transform()
                    arch_opt.step()  # type: ignore[union-attr]
                    if arch.after_step is not None:
                        arch.after_step()
                if after_step is not None:
                    after_step(epoch, s // batch, steps)
                progress.update_to(epoch * train.size + min(s + batch, order.size))
            auc, ll = evaluate(model, feed, valid)
            rec = {"epoch": float(epoch), "valid_auc": auc, "valid_logloss": ll}
            if after_epoch is not None:
                rec.update(after_epoch(epoch) or {})
            history.append(rec)
            if on_score is not None:
                on_score(epoch, auc, ll)
            key = _stop_key(opts, auc, ll)
            if key > best_key:
                best_auc, best_key, best_epoch, bad = auc, key, epoch, 0
                if early_stopping:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                bad += 1
                if early_stopping and bad >= opts.patience:
                    break
    finally:
        progress.close()
    if early_stopping and best_state is not None:
        model.load_state_dict(best_state)
    return FitReport(best_auc, best_epoch, epoch + 1, time.perf_counter() - start, history)


def _stop_key(opts: TrainOptions, auc: float, ll: float) -> float:
    return auc if opts.stop_on == "auc" else -ll


def auto_batch_size(n_train: int) -> int:
    return int(min(4096, max(256, n_train // 100)))


def steps_per_epoch(n_train: int, batch_size: int | None) -> int:
    """Training steps in one epoch over ``n_train`` rows (``batch_size`` None: automatic)."""
    return -(-n_train // (batch_size or auto_batch_size(n_train)))


def _next_valid(queue: list[np.ndarray], valid: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The next validation batch; a fresh shuffled pass starts whenever one runs out."""
    if not queue:
        order = valid[rng.permutation(valid.size)]
        queue.extend(order[s:s + size] for s in range(0, order.size, size))
        queue.reverse()
    return queue.pop()
