"""Small readers of plotly figures shared by the figure-builder tests in this folder.

Not a conftest: a second ``conftest.py`` would shadow ``tests/conftest.py`` for the
``from conftest import ROOT`` imports of other tests.
"""

from __future__ import annotations

import plotly.graph_objects as go


def traces(fig: go.Figure) -> list[tuple[str, str | None]]:
    """``(type, name)`` of every trace, in drawing order."""
    return [(trace.type, trace.name) for trace in fig.data]


def title(fig: go.Figure) -> str:
    return fig.layout.title.text


def axis_titles(fig: go.Figure, axis: str = "x") -> list[str | None]:
    """The title of every x (or y) axis, in subplot order (``xaxis``, ``xaxis2``…)."""
    axes = fig.select_xaxes() if axis == "x" else fig.select_yaxes()
    return [a.title.text for a in axes]


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def as_list(values: object) -> list:
    """A trace's array property as a plain list (plotly keeps tuples or numpy arrays)."""
    return [v.item() if hasattr(v, "item") else v for v in list(values)]
