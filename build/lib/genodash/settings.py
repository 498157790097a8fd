"""Settings fields: a dataclass field that also carries what a UI needs to draw its widget,
and the bounds every value given to it is checked against (:func:`checked_value`)."""

from __future__ import annotations

import math
import numbers
from dataclasses import Field, field
from typing import Any

from genodash.errors import ConfigError

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
    "max": "max (does the motif occur?)",
    "average": "average (how often? composition)",
    "max+average": "max and average",
}


def option_title(value: object) -> str:
    """How a choice from a settings field reads on screen (``"conv-stem"`` → ``"convolution
    stem"``); values without a title are shown as they are.

    Parameters
    ----------
    value
        A choice as stored in a config (any value; non-text values are shown with ``str``).
    """
    return OPTION_TITLES.get(value, str(value)) if isinstance(value, str) else str(value)


def param(
    default: object,
    label: str,
    low: float | None = None,
    high: float | None = None,
    help: str = "",
    options: tuple[str, ...] = (),
    *,
    step: float | None = None,
) -> Any:
    """A settings field with a label, bounds, help text and choices for its widget.

    Parameters
    ----------
    default
        The value the field takes when none is given; its type also sets the kind of value
        :func:`checked_value` accepts.
    label
        Short name shown next to the widget.
    low, high
        Smallest and largest allowed value for a number, or ``None`` for no bound.
    help
        Longer explanation shown as the widget's tooltip.
    options
        The allowed choices for a text field; empty for free values.
    step
        The widget's increment; ``None`` for its default (1 for whole numbers, 0.01 on a
        slider).

    Returns
    -------
    A :func:`dataclasses.field` whose ``metadata`` holds ``label``, ``min``, ``max``,
    ``help``, ``options`` and ``step``.
    """
    metadata = {"label": label, "min": low, "max": high, "help": help, "options": options}
    return field(default=default, metadata={**metadata, "step": step})


def checked_value(setting: Field[Any], value: object) -> Any:
    """``value`` for the settings field ``setting``, checked against its type and its bounds.

    The kind of value is read from the field's default: a whole number, a number, yes/no or
    text; a field with ``options`` takes one of them. Whole numbers given as floats without
    a fraction (``64.0``, as JSON may hold them) are returned as ``int``.

    Parameters
    ----------
    setting
        A dataclass field made with :func:`param` (e.g. from :func:`dataclasses.fields`).
    value
        The value given for it, e.g. from a widget, a command-line option or JSON.

    Raises
    ------
    ConfigError
        The value is of the wrong kind, outside ``[min, max]`` or not one of the options;
        the message names the setting, the value and what is allowed.
    """
    name, meta, default = setting.name, setting.metadata, setting.default
    low, high, options = meta.get("min"), meta.get("max"), tuple(meta.get("options") or ())
    if options:
        if not isinstance(value, str) or value not in options:
            raise ConfigError(f"unknown {name} {_shown(value)}; choose one of {', '.join(options)}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {_shown(value)}")
        return value
    if isinstance(default, int):
        whole = _whole_number(value)
        if whole is None:
            raise ConfigError(
                f"{name} must be a whole number{_range(low, high)}, got {_shown(value)}"
            )
        value = whole
    elif isinstance(default, float):
        if not _is_number(value) or not math.isfinite(value):
            raise ConfigError(f"{name} must be a number{_range(low, high)}, got {_shown(value)}")
        value = float(value)
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text, got {_shown(value)}")
        return value
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be{_range(low, high)}, got {_shown(value)}")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _whole_number(value: object) -> int | None:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if _is_number(value) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" between {_number(low)} and {_number(high)}"
    if low is not None:
        return f" of at least {_number(low)}"
    if high is not None:
        return f" of at most {_number(high)}"
    return ""


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"
