"""Settings fields: a dataclass field that also carries what a UI needs to draw its widget."""

from __future__ import annotations

from dataclasses import field
from typing import Any

OPTION_TITLES = {
    "conv-stem": "convolution stem",
    "k-mer": "k-mers",
    "relu": "ReLU",
    "gelu": "GELU",
    "elu": "ELU",
    "tanh": "tanh",
    "gaussian": "Gaussian",
    "pca": "PCA",
    "tsne": "t-SNE",
    "umap": "UMAP",
    "auto": "automatic",
    "left": "keep the 5′ start",
    "right": "keep the 3′ end",
    "center": "keep the middle",
}


def option_title(value: object) -> str:
    """How a choice from a settings field reads on screen (``"conv-stem"`` → ``"convolution
    stem"``); values without a title are shown as they are."""
    return OPTION_TITLES.get(value, str(value)) if isinstance(value, str) else str(value)


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
