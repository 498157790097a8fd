"""The one training loop, for every model genodash trains.

Model-agnostic: a task supplies ``step(model, batch) -> StepOutput`` (a loss and metric
sums); the loop does batching, optimisation, validation, early stopping on validation
loss with the best weights kept, a stop signal checked every batch, divergence
detection, mixed precision on CUDA only, and per-run random generators so that runs are
reproducible and independent of each other in one process.

Examples come as tensors held in memory or as :class:`Rows` read batch by batch (e.g. from
a file on disk). Under torchrun the same loop trains with ``DistributedDataParallel``
(see :mod:`genodash.train.distributed`).
"""

from __future__ import annotations

import copy
import math
import numbers
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol, TypedDict, cast, runtime_checkable

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from genodash.errors import ConfigError
from genodash.models.layers import SeededDropout
from genodash.models.summary import count_parameters
from genodash.settings import param
from genodash.splits import Split
from genodash.train.callbacks import Callbacks, Progress
from genodash.train.distributed import Distributed

StopReason = Literal[
    "completed", "early_stopping", "stopped", "tab_closed", "time_limit", "diverged"
]
STOP_REASON_TITLES: dict[str, str] = {
    "completed": "trained every epoch",
    "early_stopping": "stopped early (no improvement)",
    "stopped": "stopped by the user",
    "tab_closed": "stopped: the browser tab was closed",
    "time_limit": "stopped: the job's time limit",
    "diverged": "stopped: the loss was not a number",
}
_STOP_CAUSES = {
    "stopped": "stopped by the user",
    "tab_closed": "stopped because the browser tab that started it was closed",
    "time_limit": "stopped at the time limit of a training job",
}
# how rank 0 tells the other processes why to stop (0: go on)
_STOP_CODES = {cause: code for code, cause in enumerate(_STOP_CAUSES, start=1)}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (Adam).

    Early stopping: an epoch counts as an improvement only when validation loss drops by
    more than ``min_delta``; after ``patience`` epochs without one (0: never), training
    stops and the best epoch's weights are kept.
    """

    epochs: int = param(30, "Epochs (at most)")
    batch_size: int = param(64, "Batch size")
    learning_rate: float = param(1e-3, "Learning rate")
    weight_decay: float = param(0.0, "Weight decay")
    patience: int = param(5, "Early-stopping patience (epochs)")
    min_delta: float = param(1e-3, "Smallest improvement of validation loss")
    seed: int = param(0, "Training seed")
    mixed_precision: bool = param(True, "Mixed precision (CUDA only)")

    # setting: (whole number?, lowest allowed, lowest excluded?, highest allowed); the
    # highest seed is the largest numpy and scikit-learn accept (the split uses it too)
    LIMITS: ClassVar[dict[str, tuple[bool, float, bool, float | None]]] = {
        "epochs": (True, 1, False, None),
        "batch_size": (True, 1, False, None),
        "learning_rate": (False, 0, True, None),
        "weight_decay": (False, 0, False, None),
        "patience": (True, 0, False, None),
        "min_delta": (False, 0, False, None),
        "seed": (True, 0, False, 2**32 - 1),
    }

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            problem = self.setting_problem(name, value)
            if problem is not None:
                raise ConfigError(f"{name} {problem}")

    @classmethod
    def setting_problem(cls, name: str, value: object) -> str | None:
        """What is wrong with ``value`` for field ``name``, as the end of a sentence
        (``"must be a whole number of at least 1, got 0"``), or None if it is fine.

        The config puts the field name in front; the command line its option name
        (``--batch-size must be …``).
        """
        if name == "mixed_precision":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if name not in cls.LIMITS:
            return None
        whole, low, above, high = cls.LIMITS[name]
        if whole:
            kind = "a whole number"
            fits = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        else:
            kind = "a number"
            fits = isinstance(value, numbers.Real) and not isinstance(value, bool)
            fits = fits and math.isfinite(value)
        if high is not None:
            allowed = f"{kind} from {low:,} to {high:,}"
        else:
            allowed = f"{kind} above {low:g}" if above else f"{kind} of at least {low:g}"
        in_range = fits and (value > low if above else value >= low)
        if not in_range or (high is not None and value > high):
            return f"must be {allowed}, got {value!r}"
        return None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# how each training setting reads on screen
TRAIN_SETTING_TITLES = {setting.name: setting.metadata["label"] for setting in fields(TrainConfig)}


class TrainOptions(TypedDict, total=False):
    """The keyword arguments every ``train_*_model`` function takes, all optional.

    Attributes
    ----------
    model_config
        The model's settings over its defaults; ``None`` for all defaults.
    train_config
        Epochs, batch size, learning rate, early stopping and seed; ``None`` for the
        defaults of the task.
    device
        ``"cpu"`` (the default), ``"cuda"`` or ``"mps"`` (already resolved, not ``"auto"``).
    callbacks
        Progress and stop hooks (e.g. from the app or the command line), or ``None``.
    distributed
        This process's place among the processes torchrun started (already joined, its
        device is ``device``), or ``None`` to train in this process alone.
    """

    model_config: dict[str, Any] | None
    train_config: TrainConfig | None
    device: str
    callbacks: Callbacks | None
    distributed: Distributed | None


def checked_options(options: dict[str, Any]) -> TrainOptions:
    """``options`` as :class:`TrainOptions`, refusing a keyword it does not have.

    Parameters
    ----------
    options
        The keyword arguments a ``train_*_model`` function was given.

    Raises
    ------
    TypeError
        A keyword that is not a training option (a misspelt one would otherwise be
        ignored without a word).
    """
    unknown = sorted(set(options) - TrainOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"unexpected training option {', '.join(unknown)}")
    return cast(TrainOptions, options)


@dataclass(frozen=True)
class StepOutput:
    """One batch's mean loss and metric sums (e.g. ``{"correct": tensor(57.)}``)."""

    loss: torch.Tensor
    sums: dict[str, torch.Tensor] = field(default_factory=dict)


Step = Callable[[nn.Module, Sequence[torch.Tensor]], StepOutput]


@runtime_checkable
class Rows(Protocol):
    """Training or validation examples that are read batch by batch (e.g. from a file on disk)."""

    @property
    def n_rows(self) -> int: ...

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        """The rows at ``index`` (int64 CPU tensor), as tensors on ``device`` (inputs then
        targets)."""
        ...


class TensorRows:
    """Rows held in memory: tensors with the same first dimension (inputs then targets),
    moved to the training device once."""

    def __init__(self, tensors: Sequence[torch.Tensor], device: str) -> None:
        self.tensors = [t.to(device) for t in tensors]

    @property
    def n_rows(self) -> int:
        return self.tensors[0].shape[0]

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        """The rows at ``index`` of every tensor, on ``device``."""
        index = index.to(self.tensors[0].device)
        return [t[index].to(device) for t in self.tensors]


def _as_rows(data: Sequence[torch.Tensor] | Rows, device: str) -> Rows:
    return data if isinstance(data, Rows) else TensorRows(data, device)


@dataclass
class FitResult:
    """What training produced: history, the best weights (already loaded), and why it ended."""

    history: list[dict[str, float]]
    best_epoch: int
    epochs_run: int
    stop_reason: StopReason
    message: str
    seconds: float
    device: str
    samples_per_second: float

    def metrics(self, model: nn.Module) -> dict[str, Any]:
        """The figures every run records about its training, whatever the task.

        Parameters
        ----------
        model
            The trained model (its parameters are counted).
        """
        return {
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "train_seconds": self.seconds,
            "seconds_per_epoch": self.seconds / max(self.epochs_run, 1),
            "samples_per_second": self.samples_per_second,
            "parameters": count_parameters(model),
            "device": self.device,
            "stop_reason": self.stop_reason,
            "message": self.message,
        }

    def run_config(self, model_name: str, config: TrainConfig, split: Split) -> dict[str, Any]:
        """The part of a run's ``config.json`` every task shares: what was trained, with
        which training settings, on which split, when, and how it ended.

        Parameters
        ----------
        model_name
            The registered model.
        config
            The training settings.
        split
            The split the model trained on.
        """
        return {
            "model": model_name,
            "train_config": config.as_dict(),
            "seed": config.seed,
            "split": {
                "val_fraction": split.val_fraction,
                "test_fraction": split.test_fraction,
                "seed": split.seed,
            },
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": self.stop_reason,
        }


def fit(
    model: nn.Module,
    train: Sequence[torch.Tensor] | Rows,
    val: Sequence[torch.Tensor] | Rows,
    step: Step,
    *,
    config: TrainConfig,
    device: str = "cpu",
    callbacks: Callbacks | None = None,
    distributed: Distributed | None = None,
) -> FitResult:
    """Train ``model`` in place on ``train``; validate on ``val`` after each epoch.

    ``train`` and ``val`` are tuples of tensors with the same first dimension (inputs then
    targets), or :class:`Rows` read batch by batch; ``step`` turns a batch into a loss. On
    return the model holds the weights of the epoch with the lowest validation loss (or its
    initial weights if the very first epoch diverged) and is on ``device`` in eval mode.

    With ``distributed`` (under torchrun), every process calls ``fit`` with the same data,
    step and settings, and the model is wrapped in ``DistributedDataParallel``.
    ``config.batch_size`` is then the batch of all processes together: each epoch every
    process draws the same order of rows, trains on its share of each batch
    (:meth:`~genodash.train.distributed.Distributed.shard`) and weights its loss so that the
    averaged gradient is exactly that of the whole batch; a last batch with fewer rows than
    processes is skipped by all. Losses and metric sums are summed over the processes, so
    all have the same history and stop at the same epoch. Only rank 0 calls the callbacks
    and asks ``should_stop``; every process stops at the same batch. Dropout draws differ
    between processes.

    Parameters
    ----------
    model
        The model to train; its weights are changed in place.
    train, val
        Training and validation examples: tensors, one row per example (moved to
        ``device`` once), or :class:`Rows` (read one batch at a time).
    step
        Turns ``(model, batch)`` into a :class:`StepOutput`: the batch's mean loss and metric
        sums.
    config
        Epochs, batch size, learning rate, early stopping, seed and mixed precision.
    device
        ``"cpu"``, ``"cuda"`` or ``"mps"`` (with ``distributed``: that process's device,
        e.g. ``"cuda:1"``).
    callbacks
        Progress and stop hooks, or ``None``.
    distributed
        This process's place among the processes torchrun started (joined), or ``None``.

    Returns
    -------
    The per-epoch history, the best epoch, and why and when training ended.

    Raises
    ------
    ConfigError
        With ``distributed``: a batch, training set or validation set smaller than the
        number of processes.
    """
    callbacks = callbacks or Callbacks()
    runner = _Runner(model, train, val, step, config, device, callbacks, distributed)
    return runner.run()


class _Runner:
    def __init__(
        self,
        model: nn.Module,
        train: Sequence[torch.Tensor] | Rows,
        val: Sequence[torch.Tensor] | Rows,
        step: Step,
        config: TrainConfig,
        device: str,
        callbacks: Callbacks,
        distributed: Distributed | None,
    ) -> None:
        self.model = model.to(device)
        self.train, self.val = _as_rows(train, device), _as_rows(val, device)
        self.step, self.config, self.device, self.callbacks = step, config, device, callbacks
        self.distributed = distributed
        self.network = self._network()  # what trains: the model, or its DDP wrapper
        self.optimizer = torch.optim.Adam(
            model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.autocast, self.scaler = _mixed_precision(device, config.mixed_precision)
        _seed_dropout(model, device, config.seed, distributed.rank if distributed else 0)
        self.best_state = copy.deepcopy(model.state_dict())
        self.history: list[dict[str, float]] = []

    def _network(self) -> nn.Module:
        if self.distributed is None:
            return self.model
        self.distributed.check_batch_size(self.config.batch_size)
        world = self.distributed.world_size
        for name, rows in (("training", self.train), ("validation", self.val)):
            if rows.n_rows < world:
                raise ConfigError(
                    f"the {name} set has {rows.n_rows} rows, fewer than the {world} "
                    "processes; train on more data or with fewer processes"
                )
        ids = [self.device] if self.device.startswith("cuda") else None
        return DistributedDataParallel(self.model, device_ids=ids)

    @property
    def _is_main(self) -> bool:
        return self.distributed is None or self.distributed.is_main

    def run(self) -> FitResult:
        started = time.perf_counter()
        best_loss, best_epoch, waited = math.inf, 0, 0
        reason: StopReason = "completed"
        message = ""
        samples = 0
        for epoch in range(1, self.config.epochs + 1):
            epoch_start = time.perf_counter()
            outcome = self._train_epoch(epoch, started)
            samples += outcome["samples"]
            if outcome["status"] != "ok":
                reason, message = outcome["status"], outcome["message"]
                break
            record = {"epoch": epoch, **outcome["metrics"], **self._validate()}
            record["seconds"] = time.perf_counter() - epoch_start
            self.history.append(record)
            if not math.isfinite(record["val_loss"]):
                reason = "diverged"
                message = f"validation loss became {record['val_loss']} at epoch {epoch}"
                break
            if record["val_loss"] < best_loss - self.config.min_delta:
                best_loss, best_epoch, waited = record["val_loss"], epoch, 0
                self.best_state = copy.deepcopy(self.model.state_dict())
            else:
                waited += 1
            if self.callbacks.on_epoch_end and self._is_main:
                self.callbacks.on_epoch_end(record)
            if self.config.patience and waited >= self.config.patience:
                reason = "early_stopping"
                message = (
                    f"validation loss did not improve for {self.config.patience} "
                    f"epochs; kept epoch {best_epoch}"
                )
                break
        self.model.load_state_dict(self.best_state)
        self.model.eval()
        seconds = time.perf_counter() - started
        return FitResult(
            history=self.history,
            best_epoch=best_epoch,
            epochs_run=len(self.history),
            stop_reason=reason,
            message=message or _default_message(reason, best_epoch),
            seconds=seconds,
            device=self.device,
            samples_per_second=samples / seconds if seconds > 0 else 0.0,
        )

    def _train_epoch(self, epoch: int, started: float) -> dict[str, Any]:
        self.network.train()
        n = self.train.n_rows
        size = self.config.batch_size
        order = torch.randperm(n, generator=self.shuffle)  # on the CPU: Rows take CPU rows
        batches = math.ceil(n / size)
        total_loss = torch.zeros((), device=self.device)
        sums: dict[str, torch.Tensor] = {}
        trained = 0  # rows of the whole batches trained so far (all processes together)
        for b in range(batches):
            index = order[b * size : (b + 1) * size]
            if self.distributed and len(index) < self.distributed.world_size:
                continue  # some process would get no row: every process skips it
            cause = self._stop_cause()
            if cause and self.distributed is None:  # else all processes stop after the step
                return self._stopped(cause, epoch, trained)
            output, loss_sum, cause = self._optimise(index, cause)
            if cause == "diverged":
                return {
                    "status": "diverged",
                    "samples": trained,
                    "message": f"the loss became {(loss_sum / len(index)).item()} at epoch "
                    f"{epoch}, batch {b + 1}; the last good weights were kept",
                }
            if cause:
                return self._stopped(cause, epoch, trained)
            total_loss += loss_sum
            trained += len(index)
            for key, value in output.sums.items():
                sums[key] = sums.get(key, 0) + value.detach()
            if self.callbacks.on_batch_end and self._is_main:
                self.callbacks.on_batch_end(
                    Progress(
                        epoch, self.config.epochs, b + 1, batches, time.perf_counter() - started
                    )
                )
        sums = dict(zip(sums, self._sum_over_processes(list(sums.values())), strict=True))
        metrics = {"train_loss": float(total_loss) / trained}
        metrics.update({f"train_{key}": float(value) / trained for key, value in sums.items()})
        return {"status": "ok", "samples": trained, "metrics": metrics}

    def _stopped(self, cause: str, epoch: int, trained: int) -> dict[str, Any]:
        return {
            "status": cause,
            "samples": trained,
            "message": f"{_STOP_CAUSES[cause]} during epoch {epoch}",
        }

    def _stop_cause(self) -> str | None:
        """Why to stop now (a key of ``_STOP_CAUSES``), or None to go on; rank 0 decides."""
        if not (self._is_main and self.callbacks.should_stop):
            return None
        flag = self.callbacks.should_stop()
        if not flag:
            return None
        return flag if flag in _STOP_CAUSES else "stopped"

    def _optimise(
        self, index: torch.Tensor, cause: str | None
    ) -> tuple[StepOutput, torch.Tensor, str | None]:
        """One optimizer step on the batch of rows ``index`` (this process's share of it).

        Returns the step's output, the loss summed over the batch (all processes), and why
        to stop instead (``cause`` as rank 0 gave it, or ``"diverged"``); on a stop the
        weights are left unchanged.
        """
        local = index if self.distributed is None else self.distributed.shard(index)
        batch = self.train.take(local, self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast():
            output = self.step(self.network, batch)
        loss_sum = output.loss.detach() * len(local)
        if self.distributed is None:
            if not torch.isfinite(output.loss):
                return output, loss_sum, "diverged"
            self._backward(output.loss)
        else:
            agreed = self._agree(loss_sum, output.loss, cause)
            # DDP averages gradients over processes: weighting each by its share of the
            # batch makes the average exactly the gradient of the whole batch's mean loss
            self._backward(output.loss * (len(local) * self.distributed.world_size / len(index)))
            loss_sum, cause = agreed()
            if cause:
                return output, loss_sum, cause
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        return output, loss_sum, None

    def _backward(self, loss: torch.Tensor) -> None:
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()

    def _agree(
        self, loss_sum: torch.Tensor, loss: torch.Tensor, cause: str | None
    ) -> Callable[[], tuple[torch.Tensor, str | None]]:
        """Start summing the batch loss over the processes, and telling every process whether
        any loss was not a number and whether rank 0 was asked to stop (one small all-reduce,
        overlapping the backward pass, which every process runs either way so that DDP's
        own all-reduces match). The returned function waits and gives the summed loss and
        why to stop (rank 0's ``cause``, else ``"diverged"``), or None."""
        flags = torch.stack(
            [
                loss_sum.float(),
                (~torch.isfinite(loss.detach())).float(),
                torch.tensor(float(_STOP_CODES[cause] if cause else 0), device=self.device),
            ]
        )
        wait = self.distributed.start_all_reduce_sum(flags)

        def agreed() -> tuple[torch.Tensor, str | None]:
            packed = wait()
            not_finite, code = packed[1:].tolist()
            causes = {number: name for name, number in _STOP_CODES.items()}
            return packed[0], causes.get(int(code)) or ("diverged" if not_finite else None)

        return agreed

    def _sum_over_processes(self, values: list[torch.Tensor]) -> list[torch.Tensor]:
        """``values`` summed over the processes (unchanged in a single process)."""
        if self.distributed is None or not values:
            return values
        packed = self.distributed.all_reduce_sum(torch.stack([v.float() for v in values]))
        return list(packed.unbind())

    @torch.no_grad()
    def _validate(self) -> dict[str, float]:
        self.model.eval()
        n = self.val.n_rows
        start, stop = (0, n) if self.distributed is None else self.distributed.span(n)
        size = max(self.config.batch_size, 256)
        total = torch.zeros((), device=self.device)
        sums: dict[str, torch.Tensor] = {}
        for first in range(start, stop, size):
            batch = self.val.take(torch.arange(first, min(first + size, stop)), self.device)
            with self.autocast():
                output = self.step(self.model, batch)
            total += output.loss.float() * batch[0].shape[0]
            for key, value in output.sums.items():
                sums[key] = sums.get(key, 0) + value
        total, *summed = self._sum_over_processes([total, *sums.values()])
        sums = dict(zip(sums, summed, strict=True))
        result = {"val_loss": float(total) / max(n, 1)}
        result.update({f"val_{key}": float(value) / max(n, 1) for key, value in sums.items()})
        return result


def _mixed_precision(device: str, wanted: bool) -> tuple[Callable[[], Any], Any]:
    """Autocast and grad scaler on CUDA; plain float32 elsewhere (faster on CPU, measured)."""
    if not (wanted and device.startswith("cuda")):
        return nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast("cuda", dtype=dtype)), scaler


def _seed_dropout(model: nn.Module, device: str, seed: int, rank: int) -> None:
    # each process of a distributed run draws its own dropout masks; rank 0 those of a
    # single process
    generator = torch.Generator(device=device).manual_seed(seed + 1 + rank * 2**32)
    for module in model.modules():
        if isinstance(module, SeededDropout):
            module.generator = generator


def _default_message(reason: StopReason, best_epoch: int) -> str:
    if reason == "completed":
        return f"trained for all epochs; kept epoch {best_epoch} (lowest validation loss)"
    return reason
