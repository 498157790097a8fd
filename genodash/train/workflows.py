"""Training work: train one or several models one after another, each in a worker process,
saving each run; progress and stop requests go through a :class:`Reporter` (a background job
of the app, or the command line)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from genodash.data import MatrixSet, SequenceSet, dataset_nbytes
from genodash.device import DEVICE_TITLES, default_max_jobs, resolve_device
from genodash.limits import Limits
from genodash.models import MODELS
from genodash.models.memory import MemoryEstimate
from genodash.train import expression, sequence
from genodash.train.callbacks import Reporter
from genodash.train.expression import PreparedMatrix, train_expression_model
from genodash.train.loop import TrainConfig
from genodash.train.runs import Run, load_run, new_run_dir
from genodash.train.sequence import PreparedSequences, train_sequence_model
from genodash.train.worker import POOL, Relay, TrainingTask, default_threads, memory_cap


@dataclass(frozen=True)
class SavedRun:
    """A trained run and the folder it was saved to."""

    run: Run
    path: Path


def training_memory(
    prepared: PreparedSequences | PreparedMatrix,
    name: str,
    settings: dict[str, Any] | None,
    batch_size: int,
) -> MemoryEstimate:
    """The memory one training step of model ``name`` needs on ``prepared``: the estimate of
    the task the data belongs to (:func:`genodash.train.sequence.training_memory` or
    :func:`genodash.train.expression.training_memory`).

    Parameters
    ----------
    prepared
        Encoded sequences or prepared cells, as for :func:`model_training`.
    name
        A registered model of the data's kind.
    settings
        The model's settings over its defaults (``None``: the defaults).
    batch_size
        Examples per training step.
    """
    task = sequence if isinstance(prepared, PreparedSequences) else expression
    return task.training_memory(prepared, name, settings, batch_size)


def model_training(
    prepared: PreparedSequences | PreparedMatrix,
    models: Sequence[tuple[str, dict[str, Any]]],
    *,
    train_config: TrainConfig,
    device: str,
    runs_root: Path,
) -> Callable[[Reporter], list[SavedRun]]:
    """Work for :class:`genodash.jobs.Job`: train each (name, settings) on the same data and
    split, one after another, each in a worker process of its own (see
    :mod:`genodash.train.worker`) that saves the run.

    Each finished model is saved under ``runs_root`` at once; a stop request ends the
    current model (its best weights are saved, marked stopped) and skips the rest.

    Parameters
    ----------
    prepared
        Encoded sequences and their split, from
        :func:`genodash.train.sequence.prepare_sequences`, to train sequence classifiers;
        or cells and their split, from :func:`genodash.train.expression.prepare_matrix`, to
        train expression models.
    models
        ``(model name, settings)`` pairs, trained in this order.
    train_config
        Training settings shared by every model.
    device
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``; resolved when the work starts.
    runs_root
        Folder each run is saved in (a new subfolder per run).

    Returns
    -------
    The work: given a reporter, it trains the models and returns the saved runs.
    """
    if isinstance(prepared, PreparedSequences):
        train: Callable[..., Run] = train_sequence_model
    else:
        train = train_expression_model

    def work(context: Reporter) -> list[SavedRun]:
        resolved = resolve_device(device)
        limits = Limits.from_env()
        memory = memory_cap(resolved, limits.max_job_memory_bytes, _data_bytes(prepared))
        threads = default_threads(default_max_jobs())
        task_for = partial(
            TrainingTask, train, prepared, train_config=train_config, device=resolved
        )
        saved = []
        for name, settings in models:
            if context.should_stop():
                break
            label = MODELS[name].short
            context.message(f"Training {label} on {DEVICE_TITLES.get(resolved, resolved)}")
            run_dir = new_run_dir(runs_root, name)
            task = task_for(name, dict(settings), run_dir=run_dir, threads=threads)
            relay = Relay(context.callbacks(label), context.message, context.should_stop)
            path = POOL.run(task, relay, memory=memory)
            run = load_run(path)
            context.message(f"{label}: {run.message}. Saved as “{run.title}”")
            saved.append(SavedRun(run, path))
        return saved

    return work


def _data_bytes(prepared: Any) -> int:
    """About how much memory the prepared data takes (its arrays and its source)."""
    import numpy as np

    arrays = sum(v.nbytes for v in vars(prepared).values() if isinstance(v, np.ndarray))
    source = getattr(prepared, "source", None)
    # a converted read file is mapped read-only: its pages are not the process's own memory
    in_memory = isinstance(source, SequenceSet | MatrixSet)
    return arrays + (dataset_nbytes(source) if in_memory else 0)
