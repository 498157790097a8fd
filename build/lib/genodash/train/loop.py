"""The one training loop, for every model genodash trains.

Model-agnostic: a task supplies ``step(model, batch) -> StepOutput`` (a loss and metric
sums); the loop does batching, optimisation, validation, early stopping on validation
loss with the best weights kept, a stop signal checked every batch, divergence
detection, mixed precision on CUDA only, and per-run random generators so that runs are
reproducible and independent of each other in one process.
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
from typing import Any, ClassVar, Literal, TypedDict, cast

import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.layers import SeededDropout
from genodash.models.summary import count_parameters
from genodash.settings import param
from genodash.splits import Split
from genodash.train.callbacks import Callbacks, Progress

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
    """

    model_config: dict[str, Any] | None
    train_config: TrainConfig | None
    device: str
    callbacks: Callbacks | None


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
    train: Sequence[torch.Tensor],
    val: Sequence[torch.Tensor],
    step: Step,
    *,
    config: TrainConfig,
    device: str = "cpu",
    callbacks: Callbacks | None = None,
) -> FitResult:
    """Train ``model`` in place on ``train``; validate on ``val`` after each epoch.

    ``train`` and ``val`` are tuples of tensors with the same first dimension (inputs then
    targets); ``step`` turns a batch into a loss. On return the model holds the weights of
    the epoch with the lowest validation loss (or its initial weights if the very first
    epoch diverged) and is on ``device`` in eval mode.

    Parameters
    ----------
    model
        The model to train; its weights are changed in place.
    train, val
        Training and validation tensors, one row per example, moved to ``device``.
    step
        Turns ``(model, batch)`` into a :class:`StepOutput`: the batch's mean loss and metric
        sums.
    config
        Epochs, batch size, learning rate, early stopping, seed and mixed precision.
    device
        ``"cpu"``, ``"cuda"`` or ``"mps"``.
    callbacks
        Progress and stop hooks, or ``None``.

    Returns
    -------
    The per-epoch history, the best epoch, and why and when training ended.
    """
    callbacks = callbacks or Callbacks()
    runner = _Runner(model, train, val, step, config, device, callbacks)
    return runner.run()


class _Runner:
    def __init__(
        self,
        model: nn.Module,
        train: Sequence[torch.Tensor],
        val: Sequence[torch.Tensor],
        step: Step,
        config: TrainConfig,
        device: str,
        callbacks: Callbacks,
    ) -> None:
        self.model = model.to(device)
        self.train = [t.to(device) for t in train]
        self.val = [t.to(device) for t in val]
        self.step, self.config, self.device, self.callbacks = step, config, device, callbacks
        self.optimizer = torch.optim.Adam(
            model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.autocast, self.scaler = _mixed_precision(device, config.mixed_precision)
        _seed_dropout(model, device, config.seed)
        self.best_state = copy.deepcopy(model.state_dict())
        self.history: list[dict[str, float]] = []

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
            if self.callbacks.on_epoch_end:
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
        self.model.train()
        n = self.train[0].shape[0]
        size = self.config.batch_size
        order = torch.randperm(n, generator=self.shuffle).to(self.device)
        batches = math.ceil(n / size)
        total_loss = torch.zeros((), device=self.device)
        sums: dict[str, torch.Tensor] = {}
        for b in range(batches):
            if cause := self._stop_cause():
                return {
                    "status": cause,
                    "samples": b * size,
                    "message": f"{_STOP_CAUSES[cause]} during epoch {epoch}",
                }
            index = order[b * size : (b + 1) * size]
            batch = [t[index] for t in self.train]
            output = self._optimise(batch)
            if not torch.isfinite(output.loss):
                return {
                    "status": "diverged",
                    "samples": b * size,
                    "message": f"the loss became {output.loss.item()} at epoch {epoch}, "
                    f"batch {b + 1}; the last good weights were kept",
                }
            total_loss += output.loss.detach() * len(index)
            for key, value in output.sums.items():
                sums[key] = sums.get(key, 0) + value.detach()
            if self.callbacks.on_batch_end:
                self.callbacks.on_batch_end(
                    Progress(
                        epoch, self.config.epochs, b + 1, batches, time.perf_counter() - started
                    )
                )
        metrics = {"train_loss": float(total_loss) / n}
        metrics.update({f"train_{key}": float(value) / n for key, value in sums.items()})
        return {"status": "ok", "samples": n, "metrics": metrics}

    def _stop_cause(self) -> str | None:
        """Why to stop now (a key of ``_STOP_CAUSES``), or None to go on."""
        flag = self.callbacks.should_stop() if self.callbacks.should_stop else False
        if not flag:
            return None
        return flag if flag in _STOP_CAUSES else "stopped"

    def _optimise(self, batch: list[torch.Tensor]) -> StepOutput:
        self.optimizer.zero_grad(set_to_none=True)
        with self.autocast():
            output = self.step(self.model, batch)
        if not torch.isfinite(output.loss):
            return output
        if self.scaler is not None:
            self.scaler.scale(output.loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            output.loss.backward()
            self.optimizer.step()
        return output

    @torch.no_grad()
    def _validate(self) -> dict[str, float]:
        self.model.eval()
        n = self.val[0].shape[0]
        size = max(self.config.batch_size, 256)
        total = torch.zeros((), device=self.device)
        sums: dict[str, torch.Tensor] = {}
        for start in range(0, n, size):
            batch = [t[start : start + size] for t in self.val]
            with self.autocast():
                output = self.step(self.model, batch)
            total += output.loss.float() * batch[0].shape[0]
            for key, value in output.sums.items():
                sums[key] = sums.get(key, 0) + value
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


def _seed_dropout(model: nn.Module, device: str, seed: int) -> None:
    generator = torch.Generator(device=device).manual_seed(seed + 1)
    for module in model.modules():
        if isinstance(module, SeededDropout):
            module.generator = generator


def _default_message(reason: StopReason, best_epoch: int) -> str:
    if reason == "completed":
        return f"trained for all epochs; kept epoch {best_epoch} (lowest validation loss)"
    return reason
