"""The one look shared by every genodash figure: colours, fonts, margins, and safe text.

Plotly reads every text it draws (titles, axis titles and ticks, legend entries, hover
text, annotations, category labels) as HTML: ``<a href>`` becomes a link, ``<b>`` bold.
Labels, gene names, metadata, sequence IDs, file names and run titles come from users, so
:func:`style`, which every builder calls last, escapes every such text in the figure,
unless it is :class:`Html`: genodash's own markup, composed with :func:`markup`, which
escapes the user parts it is given. The type is what marks text as escaped, so escaping
twice changes nothing, and no builder needs to escape on its own. Plotly shows ``&lt;``
as ``<``, so escaped labels still read as typed.
"""

from __future__ import annotations

import html
import numbers
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}
CLASS_COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#332288",
    "#117733",
    "#AA4499",
    "#88CCEE",
)
TEMPLATE = "plotly_white"
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}

# Trace and layout properties that plotly draws as HTML. Data values (x, y, z, labels,
# customdata) are drawn as category ticks and in hover templates (``%{x}``). A legend group
# is not drawn, but is escaped like the name it usually is, so no raw markup reaches the
# browser at all.
_TRACE_TEXT = (
    "name",
    "legendgroup",
    "text",
    "hovertext",
    "x",
    "y",
    "z",
    "labels",
    "customdata",
    "legendgrouptitle.text",
    "colorbar.title.text",
    "colorbar.ticktext",
    "marker.colorbar.title.text",
    "marker.colorbar.ticktext",
)
_AXIS_TEXT = ("title.text", "ticktext", "categoryarray")
_SPECIAL = re.compile(r"[&<>]")


class Html(str):
    """Text that is already HTML for plotly: drawn as it is, never escaped again.

    Make it with :func:`escape` (user text) or :func:`markup` (genodash's own markup with
    user parts), or ``Html("…")`` for a constant written in genodash's code.
    """

    __slots__ = ()

    # immutable like str: plotly deep-copies every array it is given, and without these a
    # copy rebuilt each of 100,000 hover texts one by one
    def __copy__(self) -> Html:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Html:
        return self


def escape(text: object) -> Html:
    """User text as HTML that plotly shows as that very text (``<`` as ``&lt;``…).

    Idempotent: :class:`Html` is returned as it is. Only ``&``, ``<`` and ``>`` are
    escaped: user text never goes inside an attribute, and plotly shows ``&quot;``
    literally.
    """
    if isinstance(text, Html):
        return text
    return Html(html.escape(str(text), quote=False))


def markup(template: str, *parts: object, **named: object) -> Html:
    """genodash's own ``template`` (with ``<b>``, ``<br>``…), its ``{}`` fields filled
    with ``parts`` escaped: ``markup("<b>{}</b>", title)``. Numbers are kept as numbers,
    so format specs such as ``{:,}`` work."""

    def safe(part: object) -> object:
        return part if isinstance(part, numbers.Number) else escape(part)

    return Html(
        template.format(*(safe(p) for p in parts), **{k: safe(v) for k, v in named.items()})
    )


def class_color(index: int) -> str:
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def style(
    fig: go.Figure,
    *,
    title: str,
    x: str | None = None,
    y: str | None = None,
    height: int = 360,
    layout: Mapping[str, Any] | None = None,
) -> go.Figure:
    """Give ``fig`` the shared look and escape every text in it that is not :class:`Html`.

    Call it last, after every trace, annotation and text is in place. ``title``, ``x`` and
    ``y`` (the axis titles) are plain text unless :class:`Html`; ``layout`` is applied on
    top of the shared look (e.g. a legend placed elsewhere).
    """
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.0, "xanchor": "left"},
        font=FONT,
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    )
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    if layout:
        fig.update_layout(layout)
    return escape_figure(fig)


_TALLEST_ENLARGED = 900  # px: taller than a projector's screen is no help


def enlarged(fig: go.Figure, *, factor: float) -> go.Figure:
    """A copy of ``fig`` for a projector: its text and margins ``factor`` times larger and
    the figure as much taller, up to 900 pixels (the width follows the page); ``fig`` itself
    is left as it is.

    Parameters
    ----------
    fig
        Any plotly figure (e.g. a cached one: it is not changed).
    factor
        How much larger, e.g. 1.35; 1 gives an unchanged copy.
    """
    big = go.Figure(fig)
    layout = big.layout
    base = layout.font.size or FONT["size"]
    margin = {side: round((getattr(layout.margin, side) or 0) * factor) for side in "tblr"}
    height = layout.height or 450  # plotly's default
    big.update_layout(
        font={"size": round(base * factor)},
        height=max(height, min(round(height * factor), _TALLEST_ENLARGED)),
        margin={k: v for k, v in margin.items() if v},  # room for the larger titles and ticks
    )
    big.update_layout(
        title_font_size=round((layout.title.font.size or base * 1.2) * factor),
        legend_font_size=round((layout.legend.font.size or base) * factor),
    )
    # said outright: a dashboard's own theme (Streamlit's) sets these sizes, not the font's
    for axis in (*big.select_xaxes(), *big.select_yaxes()):
        axis.tickfont.size = round((axis.tickfont.size or base - 1) * factor)
        axis.title.font.size = round((axis.title.font.size or base) * factor)
    for note in layout.annotations:
        note.font.size = round((note.font.size or base) * factor)
    return big


def escape_figure(fig: go.Figure) -> go.Figure:
    """Escape, in place, every text of ``fig`` that plotly draws as HTML and that is not
    :class:`Html`; returns ``fig``. :func:`style` calls it: builders need not."""
    for trace in fig.data:
        _escape_props(trace, _TRACE_TEXT)
    layout = fig.layout
    _escape_props(layout, ("title.text", "legend.title.text"))
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        _escape_props(axis, _AXIS_TEXT)
    for scene in fig.select_scenes():
        for axis in (scene.xaxis, scene.yaxis, scene.zaxis):
            _escape_props(axis, _AXIS_TEXT)
    for coloraxis in fig.select_coloraxes():
        _escape_props(coloraxis, ("colorbar.title.text", "colorbar.ticktext"))
    for annotation in layout.annotations:
        _escape_props(annotation, ("text",))
    return fig


def _escape_props(obj: Any, paths: tuple[str, ...]) -> None:
    for path in paths:
        if path not in obj:
            continue
        value = obj[path]
        if _needs_escape(value):
            obj[path] = _escaped(value)


def _needs_escape(value: Any) -> bool:
    """Whether ``value`` holds a string, not :class:`Html`, with ``&``, ``<`` or ``>``
    (other strings read the same escaped or not)."""
    if isinstance(value, Html):
        return False
    if isinstance(value, str):
        return _SPECIAL.search(value) is not None
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "US":
            return any(_SPECIAL.search(v) for v in value.ravel().tolist())
        if value.dtype.kind != "O":
            return False  # numbers, dates, booleans
        return any(_needs_escape(v) for v in value.ravel().tolist())
    if isinstance(value, list | tuple):
        return any(_needs_escape(v) for v in value)
    return False


def _escaped(value: Any) -> Any:
    """``value`` with every string in it (nested lists and arrays too) escaped."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "USO":
            return value
        out = np.empty(value.shape, dtype=object)
        for index, item in np.ndenumerate(value):
            out[index] = _escaped(item)
        return out
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value
