"""Options of the torch CTR searches, importable without torch (job files and the CLI check
them before anything is trained).

:class:`GateOptions` holds what every torch search shares: the backbone and its training,
the candidates and the data split. Each gate method's options type extends it with the
method's own settings (:class:`OptFSOptions`, :class:`DNISOptions`,
:class:`OptInterOptions`), so a setting of one method given to another is an error rather
than silently ignored. The Optuna torch evaluator trains with a plain :class:`GateOptions`.

Example:
    >>> from autofeat.searching.gates.options import OptFSOptions, options_for
    >>> OptFSOptions(penalty=5.0).penalty
    5.0
    >>> options_for("dnis", {"keep": 0.3, "model": "dcn"}).keep
    0.3
    >>> options_for("dnis", {"penalty": 5.0})
    Traceback (most recent call last):
    ...
    autofeat.errors.OptionError: penalty is an option of --method optfs, not of --method dnis
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import import_module
from typing import Any

from autofeat.encode.training import check_fractions
from autofeat.errors import OptionError, check_finite

__all__ = ["GateOptions", "FieldTestOptions", "OptFSOptions", "DNISOptions", "OptInterOptions", "options_type", "options_for",
           "require_torch", "TORCH_HINT", "misplaced", "methods_with"]

TORCH_HINT = ("pip install 'autofeat[torch]' (CPU only, no CUDA download: "
              "pip install torch --index-url https://download.pytorch.org/whl/cpu)")


def require_torch() -> None:
    """The gate methods and the torch evaluator train PyTorch models; torch is an optional
    dependency (ranking, the Optuna/LightGBM search and the selector do without it), so say in
    one line how to add it."""
    try:
        import_module("torch")
    except ImportError:
        raise OptionError(f"the torch CTR models (the gate methods optfs, dnis, optinter, and optuna with "
                          f"--model) need PyTorch, which is not installed: {TORCH_HINT}") from None


@dataclass(frozen=True)
class GateOptions:
    """What every torch CTR search shares (CLI flags have the same names with dashes).

    Attributes:
        model: backbone (lr, fm, deepfm, dcn, ipnn, dnn, autoint, finalmlp).
        dim: embedding width of the supernet (DNIS prunes below it).
        hidden: MLP widths of the backbone.
        epochs: most epochs of the retrain (early stopping on validation AUC).
        search_epochs: epochs of the search (None: the method's default, see
            :data:`~autofeat.searching.registry.METHODS`).
        batch_size, lr, patience, stop_on, seed, n_jobs, device: training settings (see
            :class:`~autofeat.models.trainer.TrainOptions`; early stopping on valid log loss
            by default).
        baseline: also train the same backbone on every candidate field, on the same split,
            and report it as ``metrics.all_features_*`` (the figure the search must beat).
        max_features: clean features taken from the ranking, in order.
        include: columns that are candidates whatever the ranking's flags (leak, id, ...).
        min_count: train rows a value needs for its own id (rarer ones share the OOV id).
        cross_min_count: train rows a memorized pair's cross value needs for its own id.
        sample_rows, valid_fraction, test_fraction, time_column: data and split.
    """

    model: str = "deepfm"
    dim: int = 16
    hidden: tuple[int, ...] = (256, 128)
    epochs: int = 10
    search_epochs: int | None = None
    batch_size: int | None = None
    lr: float = 1e-3
    patience: int = 1
    stop_on: str = "logloss"
    baseline: bool = True
    seed: int = 0
    n_jobs: int | None = None
    device: str = "cpu"
    max_features: int = 40
    include: tuple[str, ...] = ()
    min_count: int = 2
    cross_min_count: int = 5
    sample_rows: int | None = None
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    time_column: str | None = None

    def check(self) -> None:
        """Raise :class:`OptionError` on the first bad value (torch must be installed)."""
        require_torch()
        from autofeat.models.backbones import BACKBONES

        if self.model not in BACKBONES:
            raise OptionError(f"--model {self.model!r}: unknown (available: {', '.join(BACKBONES)})")
        check_finite(self)
        self.train_options(quiet=True).check()
        check_fractions(self.valid_fraction, self.test_fraction, self.sample_rows)
        for name in ("dim", "search_epochs", "max_features", "cross_min_count"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise OptionError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if any(h < 1 for h in self.hidden):
            raise OptionError("--hidden widths must be >= 1")

    def train_options(self, quiet: bool) -> Any:
        from autofeat.models.trainer import TrainOptions

        return TrainOptions(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                            patience=self.patience, stop_on=self.stop_on, seed=self.seed, n_jobs=self.n_jobs,
                            device=self.device, quiet=quiet)

    def epochs_of_search(self, default: int) -> int:
        """``search_epochs``, or the method's ``default``."""
        return self.search_epochs or default


@dataclass(frozen=True)
class FieldTestOptions(GateOptions):
    """The searches that test each field after the search (OptFS, DNIS; see
    :func:`autofeat.searching.gates.base.field_decision`).

    Attributes:
        field_z: a field stays only if shuffling its values across the validation rows raises
            the searched model's valid log loss by at least this many standard errors (paired
            over rows); 0 keeps every field that has a kept value. When the retrained model
            then validates worse than the baseline, it is retrained with the test-dropped
            fields kept, and the lowest valid log loss of the two and the baseline itself is
            the result (``field_check``).
    """

    field_z: float = 1.0

    def check(self) -> None:
        super().check()
        if self.field_z < 0:
            raise OptionError(f"--field-z must be >= 0, got {self.field_z}")


@dataclass(frozen=True)
class OptFSOptions(FieldTestOptions):
    """OptFS: a learnable gate per feature value (see :mod:`autofeat.searching.gates.optfs`).

    Attributes:
        final_temp: gate temperature at the last search epoch (from 1).
        penalty: sparsity weight; the penalty is ``penalty * mean(gates)``, so its pull per
            value scales with 1/vocabulary size.
        gate_lr: Adam learning rate of the gates per 100 steps (scaled by 100 / steps per
            epoch, so the gates travel as far per epoch at any data size).
        rewind_epoch: the retrain starts from the embeddings after this search epoch.
        path_tolerance: the kept gate state is the sparsest along the search's path whose
            valid AUC is within this of the best state's (and log loss within twice it).
        field_z: see :class:`FieldTestOptions`.
    """

    final_temp: float = 200.0
    penalty: float = 20.0
    gate_lr: float = 1e-2
    rewind_epoch: int = 1
    path_tolerance: float = 0.001

    def check(self) -> None:
        super().check()
        if self.final_temp < 1:
            raise OptionError(f"--final-temp must be >= 1, got {self.final_temp}")
        if self.penalty < 0:
            raise OptionError(f"--penalty must be >= 0, got {self.penalty}")
        if self.gate_lr <= 0:
            raise OptionError(f"--gate-lr must be > 0, got {self.gate_lr}")
        epochs = self.epochs_of_search(_default_epochs("optfs"))
        if not 0 <= self.rewind_epoch <= epochs:
            raise OptionError(f"--rewind-epoch must be in 0..--search-epochs ({epochs}), got {self.rewind_epoch}")
        if self.path_tolerance < 0:
            raise OptionError(f"--path-tolerance must be >= 0, got {self.path_tolerance}")


@dataclass(frozen=True)
class DNISOptions(FieldTestOptions):
    """DNIS: soft selection over embedding dimensions (see :mod:`autofeat.searching.gates.dnis`).

    Attributes:
        blocks: frequency blocks per field.
        arch_lr: learning rate of the dimension weights.
        l1: L1 weight on the dimension weights.
        keep: fraction of embedding parameters kept.
        field_z: see :class:`FieldTestOptions`.
    """

    blocks: int = 4
    arch_lr: float = 1e-2
    l1: float = 1e-5
    keep: float = 0.5

    def check(self) -> None:
        super().check()
        if self.blocks < 1:
            raise OptionError(f"--blocks must be >= 1, got {self.blocks}")
        if self.arch_lr <= 0:
            raise OptionError(f"--arch-lr must be > 0, got {self.arch_lr}")
        if self.l1 < 0:
            raise OptionError(f"--l1 must be >= 0, got {self.l1}")
        if not 0 < self.keep <= 1:
            raise OptionError(f"--keep must be in (0, 1], got {self.keep}")


@dataclass(frozen=True)
class OptInterOptions(GateOptions):
    """OptInter: memorize, factorize or naive per pair (see
    :mod:`autofeat.searching.gates.optinter`).

    Attributes:
        pairs_top: candidate pairs (the ranking's best pairs among the features).
        arch_lr: learning rate of the mixing weights.
        min_temp: softmax temperature at the end of the search (from 1).
        pair_penalty: cost of a pair's weight on memorize (x1) and factorize (x0.5).
    """

    pairs_top: int = 10
    arch_lr: float = 1e-2
    min_temp: float = 0.01
    pair_penalty: float = 1e-3

    def check(self) -> None:
        super().check()
        if self.pairs_top < 1:
            raise OptionError(f"--pairs-top must be >= 1, got {self.pairs_top}")
        if self.arch_lr <= 0:
            raise OptionError(f"--arch-lr must be > 0, got {self.arch_lr}")
        if not 0 < self.min_temp <= 1:
            raise OptionError(f"--min-temp must be in (0, 1], got {self.min_temp}")
        if self.pair_penalty < 0:
            raise OptionError(f"--pair-penalty must be >= 0, got {self.pair_penalty}")


def _default_epochs(method: str) -> int:
    from autofeat.searching.registry import METHODS

    return int(METHODS[method].search_epochs or 1)


def options_type(method: str) -> type[GateOptions]:
    """The options type of gate method ``method`` (from the registry)."""
    from autofeat.searching.registry import gate_method

    return gate_method(method).options_type()


def options_for(method: str, values: Mapping[str, Any] | GateOptions | None = None) -> GateOptions:
    """``method``'s options from a mapping of field values or from another options value (a
    plain :class:`GateOptions`, or already the method's type). A setting that belongs to
    another gate method is refused by name."""
    kind = options_type(method)
    if isinstance(values, kind):
        return values
    if isinstance(values, GateOptions):
        if type(values) is not GateOptions:
            raise OptionError(f"{type(values).__name__} given for --method {method}, whose options are {kind.__name__}")
        values = {f.name: getattr(values, f.name) for f in fields(values)}
    values = dict(values or {})
    unknown = sorted(set(values) - set(kind.__dataclass_fields__))
    if unknown:
        raise OptionError(misplaced(method, unknown))
    return kind(**values)


def methods_with(key: str) -> list[str]:
    """The gate methods whose options type has the setting ``key``."""
    from autofeat.searching.registry import GATE_METHODS

    return [m for m in GATE_METHODS if key in options_type(m).__dataclass_fields__]


def misplaced(method: str, keys: list[str]) -> str:
    """Which method each of ``keys`` belongs to, in one line."""
    owners = {key: methods_with(key) for key in keys}
    if all(owners.values()):
        return "; ".join(f"{k} is an option of --method {' and '.join(v)}, not of --method {method}"
                         for k, v in owners.items())
    return f"unknown option(s) for --method {method}: {', '.join(keys)}"
