"""Progress reports and hooks of the training loop (no torch import, so the UI loads fast)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Progress:
    """Where training is, reported after every batch."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    seconds: float

    @property
    def fraction(self) -> float:
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)

    @property
    def eta_seconds(self) -> float:
        done = self.fraction
        return self.seconds * (1 - done) / done if done > 0 else math.nan


@dataclass
class Callbacks:
    """Hooks for a UI or a command line; all optional.

    ``should_stop`` returns False to go on, or why to stop: True or ``"stopped"`` (asked
    to), ``"tab_closed"`` (nobody is watching) or ``"time_limit"``.
    """

    on_batch_end: Callable[[Progress], None] | None = None
    on_epoch_end: Callable[[dict[str, float]], None] | None = None
    should_stop: Callable[[], bool | str] | None = None


class Reporter(Protocol):
    """Where long work reports to and asks whether to stop (a background job, the command
    line): passed down to training, so that training never imports what runs it."""

    def should_stop(self) -> str | bool:
        """False to go on; else why to stop (see :class:`Callbacks`)."""
        ...

    def message(self, text: str) -> None:
        """Say what is happening, in a sentence."""
        ...

    def callbacks(self, label: str) -> Callbacks:
        """Training callbacks that report progress under ``label`` (e.g. a model's name)."""
        ...


def progress_text(done: int, total: int, seconds: float) -> str:
    """How far long work has come, in words: ``"45 % · about 12 s left"``.

    Parameters
    ----------
    done, total
        Work done and in all, in any unit (bytes, reads, batches).
    seconds
        Time spent so far.
    """
    fraction = done / total if total else 1.0
    if fraction <= 0 or fraction >= 1:
        return f"{fraction:.0%}"
    left = seconds * (1 - fraction) / fraction
    return f"{fraction:.0%} · " + ("under 1 s left" if left < 1 else f"about {left:.0f} s left")
