"""Settings fields: a dataclass field that also carries what a UI needs to draw its widget."""

from __future__ import annotations

from dataclasses import field
from typing import Any


def param(
    default: object,
    label: str,
    low: float | None = None,
    high: float | None = None,
    help: str = "",
    options: tuple[str, ...] = (),
) -> Any:
    """A config field with a label, bounds, help text and choices for its widget."""
    return field(
        default=default,
        metadata={"label": label, "min": low, "max": high, "help": help, "options": options},
    )
