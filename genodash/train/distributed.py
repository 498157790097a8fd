"""Training on several processes (GPUs or CPU processes, on one or more machines) with
PyTorch's own launcher, ``torchrun``.

torchrun starts one process per GPU and tells each who it is through the environment
(``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``);
:meth:`Distributed.from_environment` reads that and :meth:`Distributed.init` joins the
process group (NCCL on CUDA, gloo on the CPU). :func:`genodash.train.loop.fit` then wraps
the model in ``DistributedDataParallel``: every process draws the same order of rows, the
batch size is that of all processes together (the global batch), and process ``r`` trains
on rows ``r, r + world, …`` of each global batch. Rank 0 alone reports, saves and prints.

:func:`torchrun_command` writes the command line that trains the app's current settings
this way.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

import torch
import torch.distributed as dist

from genodash.errors import ConfigError

# a peer that died or hangs ends every collective after this long (torchrun usually stops
# the other processes much sooner, as soon as one exits with an error)
TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Distributed:
    """This process's place among the processes torchrun started.

    Attributes
    ----------
    rank
        This process's number among all processes (0 is the main one).
    local_rank
        Its number on this machine (the GPU it uses).
    world_size
        How many processes train together.
    device
        This process's device once joined (e.g. ``"cuda:1"``); ``""`` before.
    """

    rank: int
    local_rank: int
    world_size: int
    device: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Distributed | None:
        """The process's place as torchrun gives it, or None when not run by torchrun
        (no ``WORLD_SIZE``) or run as a single process.

        Parameters
        ----------
        environ
            The environment to read; ``None`` for ``os.environ``.

        Raises
        ------
        ConfigError
            ``WORLD_SIZE`` without ``RANK`` and ``LOCAL_RANK``, or numbers that do not fit.
        """
        environ = os.environ if environ is None else environ
        if int(environ.get("WORLD_SIZE", "1")) <= 1:
            return None
        try:
            place = cls(
                rank=int(environ["RANK"]),
                local_rank=int(environ["LOCAL_RANK"]),
                world_size=int(environ["WORLD_SIZE"]),
            )
        except (KeyError, ValueError) as error:
            raise ConfigError(
                f"WORLD_SIZE is {environ['WORLD_SIZE']} but RANK or LOCAL_RANK is missing or "
                f"not a number ({error}); start several processes with torchrun"
            ) from None
        if not 0 <= place.rank < place.world_size:
            raise ConfigError(f"RANK {place.rank} is outside 0 … {place.world_size - 1}")
        return place

    @property
    def backend(self) -> Literal["nccl", "gloo"]:
        """NCCL between GPUs, gloo between CPU processes."""
        return "nccl" if self.device.startswith("cuda") else "gloo"

    @property
    def is_main(self) -> bool:
        """Whether this is rank 0, the process that reports, saves and prints."""
        return self.rank == 0

    def init(self, device: str) -> Distributed:
        """Join the process group (torchrun's rendezvous, ``env://``); the returned context
        holds this process's device.

        Parameters
        ----------
        device
            The resolved device kind: ``"cuda"`` (each process then uses GPU
            ``LOCAL_RANK``) or ``"cpu"``.

        Raises
        ------
        ConfigError
            MPS (it has no collective backend), or fewer GPUs than processes on this
            machine.
        """
        kind = device.split(":")[0]
        if kind == "mps":
            raise ConfigError("training on several processes needs CUDA GPUs or the CPU, not MPS")
        local = device
        if kind == "cuda":
            if self.local_rank >= torch.cuda.device_count():
                raise ConfigError(
                    f"process {self.local_rank} on this machine needs GPU {self.local_rank}, but "
                    f"there are {torch.cuda.device_count()}; start at most that many processes "
                    "per machine (--nproc_per_node)"
                )
            local = f"cuda:{self.local_rank}"
            torch.cuda.set_device(local)
        joined = replace(self, device=local)
        dist.init_process_group(
            joined.backend, rank=self.rank, world_size=self.world_size, timeout=TIMEOUT
        )
        return joined

    def check_batch_size(self, batch_size: int) -> None:
        """Refuse a global batch smaller than the number of processes.

        Parameters
        ----------
        batch_size
            The batch of all processes together.

        Raises
        ------
        ConfigError
            Some processes would get no rows.
        """
        if batch_size < self.world_size:
            raise ConfigError(
                f"batch size {batch_size} is the batch of all {self.world_size} processes "
                f"together; give at least {self.world_size}"
            )

    def shard(self, index: torch.Tensor) -> torch.Tensor:
        """This process's rows of a global batch: ``index[rank::world_size]``.

        Parameters
        ----------
        index
            Row numbers of one global batch, the same on every process.
        """
        return index[self.rank :: self.world_size]

    def span(self, n: int) -> tuple[int, int]:
        """This process's contiguous part ``[start, stop)`` of ``n`` rows (for validation);
        the parts of all processes cover the rows once and differ in size by at most one.

        Parameters
        ----------
        n
            The number of rows.
        """
        return self.rank * n // self.world_size, (self.rank + 1) * n // self.world_size

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over all processes, in place; every process gets the same sum.

        Parameters
        ----------
        tensor
            On this process's device (CPU for gloo, its GPU for NCCL).

        Returns
        -------
        ``tensor``, now holding the sum.
        """
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def start_all_reduce_sum(self, tensor: torch.Tensor) -> Callable[[], torch.Tensor]:
        """Start summing ``tensor`` over all processes without waiting (the sum runs while
        this process computes on).

        Parameters
        ----------
        tensor
            As for :meth:`all_reduce_sum`; not to be read or changed until the sum is done.

        Returns
        -------
        A function that waits for the sum and returns ``tensor``, then holding it.
        """
        work = dist.all_reduce(tensor, op=dist.ReduceOp.SUM, async_op=True)

        def finished() -> torch.Tensor:
            work.wait()
            return tensor

        return finished

    def close(self) -> None:
        """Leave the process group (safe to call when it was never joined)."""
        if dist.is_initialized():
            dist.destroy_process_group()

    def describe(self, batch_size: int) -> str:
        """How the work is shared, in a line for the log: processes, backend and how the
        global batch is split, e.g. ``2 processes (gloo), global batch 64 = 2 × 32``.

        Parameters
        ----------
        batch_size
            The global batch.
        """
        per, left = divmod(batch_size, self.world_size)
        share = f"{per}" if not left else f"{per}–{per + 1}"
        return (
            f"{self.world_size} processes ({self.backend}), global batch {batch_size} = "
            f"{self.world_size} × {share}"
        )


def torchrun_command(
    path: str,
    model: str,
    *,
    train_config: Any,
    model_settings: Mapping[str, Any] | None = None,
    processes: int = 2,
    length: int | None = None,
    align: str = "left",
    augment_rc: bool = False,
    width: int | None = None,
) -> str:
    """The command line that trains ``model`` on ``path`` with these settings on
    ``processes`` GPUs of one machine (``torchrun … -m genodash train …``).

    Parameters
    ----------
    path
        The data file, as the command line will read it.
    model
        A registered sequence model.
    train_config
        A :class:`~genodash.train.loop.TrainConfig`: epochs, batch size (the global batch),
        learning rate, patience and seed.
    model_settings
        The model's settings; those that differ from the model's defaults become ``--set``.
    processes
        Processes (GPUs) on the machine: torchrun's ``--nproc_per_node``.
    length
        ``--length``, when given (else the command line picks the longest, at most 1000).
    align
        ``--align``, written only when not ``"left"`` (the default).
    augment_rc
        Whether to add ``--augment-rc``.
    width
        Break the command into lines of at most about this many characters, each but the
        last ending in a backslash (a shell reads them as one line), an option kept with its
        value; ``None`` for one line.

    Raises
    ------
    ConfigError
        Fewer than one process, or an unknown model.
    """
    from genodash.models import model_spec

    if processes < 1:
        raise ConfigError(f"the number of processes must be at least 1, got {processes}")
    defaults = {field.name: field.default for field in model_spec(model, "sequence").fields()}
    head = ["torchrun", f"--nproc_per_node={processes}", "-m", "genodash", "train", path]
    options = [
        ["--model", model],
        ["--epochs", str(train_config.epochs)],
        ["--batch-size", str(train_config.batch_size)],
        ["--lr", repr(float(train_config.learning_rate))],
        ["--patience", str(train_config.patience)],
        ["--seed", str(train_config.seed)],
    ]
    if length is not None:
        options.append(["--length", str(length)])
    if align != "left":
        options.append(["--align", align])
    if augment_rc:
        options.append(["--augment-rc"])
    for name, value in (model_settings or {}).items():
        if name in defaults and value != defaults[name]:
            options.append(["--set", f"{name}={_setting_text(value)}"])
    lines = [shlex.join(head)]
    for option in map(shlex.join, options):
        if width is not None and len(lines[-1]) + 1 + len(option) > width:
            lines.append(f"    {option}")
        else:
            lines[-1] += f" {option}"
    return " \\\n".join(lines)


def _setting_text(value: Any) -> str:
    """A setting as ``--set`` parses it back (``true``/``false``, ``0.2``, ``max``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)  # every digit: the command must train exactly these settings
    return str(value)
