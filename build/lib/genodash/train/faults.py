"""Memory faults: refusing a model too large for a job, and recovering from running out of
GPU memory (smaller batches first, then the CPU)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from genodash.device import DEVICE_TITLES
from genodash.limits import Limits
from genodash.models import MODELS
from genodash.models.memory import MemoryEstimate, check_training_memory
from genodash.train.loop import TrainConfig

T = TypeVar("T")
SMALLEST_BATCH = 8


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` means a device (GPU or CPU) ran out of memory.

    Parameters
    ----------
    error
        An exception raised while training.
    """
    import torch

    return isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower()
    )


def check_job_memory(estimate: MemoryEstimate, model_name: str) -> None:
    """Refuse to train ``model_name`` when one step needs more memory than one job may use.

    Parameters
    ----------
    estimate
        The memory of one training step, e.g. from
        :func:`genodash.train.sequence.training_memory`.
    model_name
        The model, named in the message by its short name when it is registered.

    Raises
    ------
    ConfigError
        The step needs more than the job's memory limit (see
        :func:`genodash.models.memory.check_training_memory`).
    """
    check_training_memory(
        estimate,
        Limits.from_env().max_job_memory_bytes,
        model=MODELS[model_name].short if model_name in MODELS else model_name,
    )


def train_with_memory_fallback(
    train: Callable[[TrainConfig, str], T],
    config: TrainConfig,
    device: str,
    *,
    notify: Callable[[str], None] = lambda message: None,
) -> T:
    """Run ``train(config, device)``; on out-of-memory, halve the batch and try again, and
    below :data:`SMALLEST_BATCH` move to the CPU. Each change is reported through ``notify``.

    Parameters
    ----------
    train
        The training to run, given the training settings and a device name.
    config
        The training settings to start with; only ``batch_size`` is changed on retries.
    device
        ``"cuda"``, ``"mps"`` or ``"cpu"``; on the CPU an out-of-memory error is not retried.
    notify
        Called with one sentence for each change of batch size or device.

    Returns
    -------
    What ``train`` returned.

    Raises
    ------
    Exception
        Any error of ``train`` other than running out of memory, and out-of-memory on the CPU.
    """
    while True:
        try:
            return train(config, device)
        except Exception as error:
            if not is_out_of_memory(error) or device == "cpu":
                raise
            _free_gpu_memory()
            if config.batch_size // 2 >= SMALLEST_BATCH:
                smaller = config.batch_size // 2
                notify(
                    f"{DEVICE_TITLES.get(device, device)} ran out of memory at batch size "
                    f"{config.batch_size}; retrying with batch size {smaller}"
                )
                config = dataclasses.replace(config, batch_size=smaller)
            else:
                notify(
                    f"{DEVICE_TITLES.get(device, device)} ran out of memory even at batch size "
                    f"{config.batch_size}; continuing on the CPU"
                )
                device = "cpu"


def _free_gpu_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
