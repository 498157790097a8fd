"""Training in a process of its own, with a memory cap, so that a job that runs out of memory
(or crashes) ends only itself, never the app that serves every user.

The job's thread in the app hands a :class:`TrainingTask` to a worker process
(``python -m genodash.train.worker``: a fresh interpreter that runs only this module, never
a copy of the app or a page) and relays what comes back: progress after
every batch, each epoch's record, messages. A stop request travels the other way and is
read before every batch. The worker saves the trained run atomically; the app then loads it
from disk like any other run (safetensors and JSON, checked against the manifest), so
nothing but plain progress data crosses back.

On the CPU the worker's data memory is capped (``RLIMIT_DATA``) at the job budget
(:attr:`~genodash.limits.Limits.max_job_memory_bytes`) plus its own runtime and data; an
allocation beyond it fails inside the worker, which reports it and is replaced. On a GPU
the host memory is left uncapped (the CUDA driver reserves address space of its own) and
the out-of-memory fallback of :mod:`genodash.train.faults` applies.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from genodash.errors import GenodashError, WorkerFailed
from genodash.processes import start_worker, worker_pipes
from genodash.train.callbacks import Callbacks
from genodash.train.loop import TrainConfig

RUNTIME_BYTES = 1024**3  # the worker's own interpreter, torch and buffers, beside the job
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class TrainingTask:
    """Everything a worker needs to train one model and save it (all picklable).

    ``train`` is a module-level training function such as
    :func:`genodash.train.sequence.train_sequence_model`.
    """

    train: Callable[..., Any]
    prepared: Any
    model_name: str
    model_config: dict[str, Any]
    train_config: TrainConfig
    device: str
    run_dir: Path
    threads: int


@dataclass(frozen=True)
class Relay:
    """Where a worker's reports go in the app: the job's callbacks and messages, and the
    stop signal (a reason in words, or False to go on)."""

    callbacks: Callbacks
    message: Callable[[str], None]
    should_stop: Callable[[], str | bool]


class TrainingProcess:
    """One worker process; it trains one task at a time."""

    def __init__(self, memory: int | None) -> None:
        self.memory = memory
        self.worker = start_worker("genodash.train.worker", str(memory or 0))

    def alive(self) -> bool:
        return self.worker.alive()

    def close(self) -> None:
        self.worker.stop()

    def train(self, task: TrainingTask, relay: Relay) -> Path:
        """Run ``task`` here, relaying its reports; return the folder of the saved run.

        Raises
        ------
        WorkerFailed
            The worker reported an error, ran out of memory or ended unexpectedly.
        """
        to_worker, from_worker = self.worker.requests, self.worker.replies
        to_worker.send(task)
        stop_sent = False
        while True:
            if not stop_sent and (reason := relay.should_stop()):
                to_worker.send(("stop", reason))
                stop_sent = True
            try:
                ready = from_worker.poll(_POLL_SECONDS)
                report = from_worker.recv() if ready else None
            except (EOFError, OSError) as err:
                raise WorkerFailed(_ended(self.memory)) from err
            if report is None:
                if not self.alive():
                    raise WorkerFailed(_ended(self.memory))
                continue
            kind, value = report
            if kind == "done":
                return Path(value)
            if kind == "failed":
                raise WorkerFailed(value)
            _relay(relay, kind, value)


def _relay(relay: Relay, kind: str, value: Any) -> None:
    if kind == "batch" and relay.callbacks.on_batch_end:
        relay.callbacks.on_batch_end(value)
    elif kind == "epoch" and relay.callbacks.on_epoch_end:
        relay.callbacks.on_epoch_end(value)
    elif kind == "message":
        relay.message(value)


def _ended(memory: int | None) -> str:
    cap = f" (more than the {memory / 1024**3:.1f} GiB it may use)" if memory else ""
    return (
        f"the training process ended unexpectedly, most likely out of memory{cap}; try a "
        "smaller batch or model"
    )


class WorkerPool:
    """Idle workers kept for the next job (starting one costs seconds: torch's import)."""

    def __init__(self) -> None:
        self._idle: list[TrainingProcess] = []
        self._lock = threading.Lock()

    def run(self, task: TrainingTask, relay: Relay, *, memory: int | None) -> Path:
        """Train ``task`` in an idle worker with this memory cap, or in a new one."""
        worker = self._take(memory) or TrainingProcess(memory)
        try:
            path = worker.train(task, relay)
        except BaseException:
            worker.close()  # it may hold the memory that failed: never reuse it
            raise
        with self._lock:
            self._idle.append(worker)
        return path

    def _take(self, memory: int | None) -> TrainingProcess | None:
        with self._lock:
            for worker in list(self._idle):
                self._idle.remove(worker)
                if worker.alive() and worker.memory == memory:
                    return worker
                worker.close()
        return None


POOL = WorkerPool()


def memory_cap(device: str, job_bytes: int, data_bytes: int) -> int | None:
    """The data-memory cap of a worker: none on a GPU (see the module docstring).

    Parameters
    ----------
    device
        The resolved training device: ``"cpu"``, ``"cuda"`` or ``"mps"``.
    job_bytes
        The memory budget of one training job, in bytes.
    data_bytes
        About how many bytes the prepared data takes (the cap allows twice as much).

    Returns
    -------
    The cap in bytes on the CPU (budget + :data:`RUNTIME_BYTES` + twice the data), else
    ``None``.
    """
    if device != "cpu":
        return None
    return job_bytes + RUNTIME_BYTES + 2 * data_bytes


# --- in the worker ---------------------------------------------------------------------


def _serve(requests: Connection, replies: Connection, memory: int) -> None:
    """The worker's loop: one task at a time until the app closes the pipe."""
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    while True:
        try:
            task = requests.recv()
        except (EOFError, OSError):
            return
        replies.send(_train_here(task, requests, replies))


def _train_here(task: TrainingTask, requests: Connection, replies: Connection) -> tuple[str, str]:
    import torch

    from genodash.train.faults import train_with_memory_fallback
    from genodash.train.runs import save_run

    torch.set_num_threads(task.threads)
    stop = _StopSignal(requests)
    callbacks = Callbacks(
        on_batch_end=lambda progress: replies.send(("batch", progress)),
        on_epoch_end=lambda record: replies.send(("epoch", record)),
        should_stop=stop,
    )
    try:
        run = train_with_memory_fallback(
            lambda config, device: task.train(
                task.prepared,
                task.model_name,
                model_config=task.model_config,
                train_config=config,
                device=device,
                callbacks=callbacks,
            ),
            task.train_config,
            task.device,
            notify=lambda text: replies.send(("message", text)),
        )
        run.model.cpu()
        return "done", str(save_run(run, task.run_dir))
    except GenodashError as error:
        return "failed", str(error)
    except MemoryError:
        return "failed", _ended_inside()
    except RuntimeError as error:
        if "alloc" in str(error).lower() or "out of memory" in str(error).lower():
            return "failed", _ended_inside()
        traceback.print_exc()
        return "failed", f"unexpected error: {type(error).__name__}: {error}"
    except Exception as error:  # a bug: report it, keep the worker's loop alive
        traceback.print_exc()
        return "failed", f"unexpected error: {type(error).__name__}: {error}"


def _ended_inside() -> str:
    return (
        "training ran out of the memory a job may use on this server; try a smaller batch or model"
    )


class _StopSignal:
    """``should_stop`` inside the worker: reads a stop request sent by the app, if any."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.reason: str | Literal[False] = False

    def __call__(self) -> str | Literal[False]:
        if not self.reason and self.connection.poll():
            message = self.connection.recv()
            if isinstance(message, tuple) and message[0] == "stop":
                self.reason = message[1]
        return self.reason


def default_threads(max_jobs: int) -> int:
    """Threads per training worker: the cores shared among the jobs that run at once.

    Parameters
    ----------
    max_jobs
        How many training jobs may run at once (see
        :func:`genodash.device.default_max_jobs`); at least one thread each.
    """
    return max(1, (os.cpu_count() or 2) // max(1, max_jobs))


if __name__ == "__main__":
    _serve(*worker_pipes(), memory=int(sys.argv[1]))
