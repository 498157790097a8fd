"""Training work as a background job: train one or several models, save each run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genodash.device import DEVICE_TITLES, resolve_device
from genodash.jobs import JobContext
from genodash.models import MODELS
from genodash.train.expression import PreparedMatrix, train_expression_model
from genodash.train.faults import train_with_memory_fallback
from genodash.train.loop import TrainConfig
from genodash.train.runs import Run, new_run_dir, save_run
from genodash.train.sequence import PreparedSequences, train_sequence_model


@dataclass(frozen=True)
class SavedRun:
    """A trained run and the folder it was saved to."""

    run: Run
    path: Path


def sequence_training(
    prepared: PreparedSequences,
    models: Sequence[tuple[str, dict[str, Any]]],
    *,
    train_config: TrainConfig,
    device: str,
    runs_root: Path,
) -> Callable[[JobContext], list[SavedRun]]:
    """Work for :class:`genodash.jobs.Job`: train each (name, settings) on the same split.

    Each finished model is saved under ``runs_root`` at once; a stop request ends the
    current model (its best weights are saved, marked stopped) and skips the rest.
    """
    return _training_work(train_sequence_model, prepared, models, train_config, device, runs_root)


def expression_training(
    prepared: PreparedMatrix,
    models: Sequence[tuple[str, dict[str, Any]]],
    *,
    train_config: TrainConfig,
    device: str,
    runs_root: Path,
) -> Callable[[JobContext], list[SavedRun]]:
    """Work for :class:`genodash.jobs.Job`: train each expression model (name, settings) on
    the same cells and split, saving each run as it finishes (as :func:`sequence_training`).
    """
    return _training_work(train_expression_model, prepared, models, train_config, device, runs_root)


def _training_work(
    train: Callable[..., Run],
    prepared: Any,
    models: Sequence[tuple[str, dict[str, Any]]],
    train_config: TrainConfig,
    device: str,
    runs_root: Path,
) -> Callable[[JobContext], list[SavedRun]]:
    """Train the models one after another with ``train(prepared, name, model_config=...,
    train_config=..., device=..., callbacks=...)``, falling back on out-of-memory errors;
    save each run as it finishes."""

    def work(context: JobContext) -> list[SavedRun]:
        resolved = resolve_device(device)
        saved = []
        for name, settings in models:
            if context.should_stop():
                break
            label = MODELS[name].short
            context.message(f"Training {label} on {DEVICE_TITLES.get(resolved, resolved)}")
            run = train_with_memory_fallback(
                lambda config, device, name=name, settings=settings, label=label: train(
                    prepared,
                    name,
                    model_config=settings,
                    train_config=config,
                    device=device,
                    callbacks=context.callbacks(label),
                ),
                train_config,
                resolved,
                notify=context.message,
            )
            release_device_memory(run)
            path = save_run(run, new_run_dir(runs_root, name))
            context.message(f"{label}: {run.metrics['message']}. Saved as “{run.title}”")
            saved.append(SavedRun(run, path))
        return saved

    return work


def release_device_memory(run: Run) -> None:
    """Move a finished model to the CPU and give cached GPU memory back to the device."""
    import torch

    run.model.cpu()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
