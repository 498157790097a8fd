"""Figures as files: HTML (plotly.js embedded, so it opens offline), PNG and SVG.

PNG and SVG of an embedding come from matplotlib redrawing its points (fast, and no browser
needed for thousands of cells); every other plotly figure is drawn by plotly's own image
export, kaleido, which needs the ``kaleido`` package and Chrome or Chromium on the machine.
Sequence logos (matplotlib) are PNG or SVG. A ``size`` (and ``scale``) gives a slide-sized
image: :data:`SLIDE_SIZE` at :data:`SLIDE_SCALE` is 1920 × 1080 pixels (16:9).
"""

from __future__ import annotations

import functools
import html
import io
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

from genodash.errors import ConfigError

FIGURE_FORMATS = ("html", "png", "svg")
SLIDE_SIZE = (1280, 720)  # the layout's width and height on a 16:9 slide, in CSS pixels
SLIDE_SCALE = 1.5  # × SLIDE_SIZE: a PNG of 1920 × 1080 pixels, text as large as on screen
SLIDE_TITLE_INSET = 40  # CSS pixels between a left-aligned title and the slide's edge
_DPI = 150


def figure_bytes(
    fig: Any, fmt: str, *, size: tuple[int, int] | None = None, scale: float = 1.0
) -> bytes:
    """A figure as a file.

    Parameters
    ----------
    fig
        A plotly figure, or a matplotlib figure (a sequence logo: PNG or SVG; it is closed
        afterwards).
    fmt
        ``"html"`` (interactive, works offline), ``"png"`` or ``"svg"`` (static).
    size
        Width and height of a plotly figure's PNG or SVG, in CSS pixels (e.g.
        :data:`SLIDE_SIZE`); ``None`` keeps the figure's own size. Ignored for HTML and
        matplotlib figures.
    scale
        Pixels of the PNG per CSS pixel of ``size`` (e.g. :data:`SLIDE_SCALE`): more pixels,
        same layout and relative text size.

    Raises
    ------
    ConfigError
        Unknown format, a size or scale that is not positive, HTML of a matplotlib figure,
        or PNG/SVG of a plotly figure on a machine without kaleido or Chrome.
    """
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"unknown figure format {fmt!r}; choose one of {FIGURE_FORMATS}")
    if (size is not None and min(size) <= 0) or scale <= 0:
        raise ConfigError(f"figure size {size} and scale {scale} must be positive")
    if not isinstance(fig, go.Figure):
        return _matplotlib_bytes(fig, fmt)
    if fmt == "html":
        return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    if _is_embedding(fig):
        return _static_embedding_figure(fig, fmt, size=size, scale=scale)
    return _kaleido_image(fig, fmt, size=size, scale=scale)


def slide_bytes(fig: go.Figure, fmt: str) -> bytes:
    """A plotly figure as a 16:9 slide: a PNG of 1920 × 1080 pixels, or an SVG.

    A figure up to 720 pixels tall is laid out at :data:`SLIDE_SIZE` (text 1.5 times as
    large as on screen); a taller one (panels one under another) keeps its height and gets
    the width that makes 16:9, so its panels are not squeezed together.

    Parameters
    ----------
    fig
        The plotly figure.
    fmt
        ``"png"`` or ``"svg"``.
    """
    height = -(-max(SLIDE_SIZE[1], int(fig.layout.height or 0)) // 9) * 9  # 16:9 exactly
    width = height * 16 // 9
    # a title at the figure's left edge has a page's margin around it on screen, not on a slide
    fig = go.Figure(fig).update_layout(title_pad_l=SLIDE_TITLE_INSET)
    scale = SLIDE_SIZE[0] * SLIDE_SCALE / width + 1e-9  # Chrome rounds pixels down
    return figure_bytes(fig, fmt, size=(width, height), scale=scale)


def static_export_ready(fig: Any) -> bool:
    """Whether this machine can make PNG and SVG of ``fig``: always for embeddings and
    matplotlib figures, for other plotly figures where kaleido is installed (it still needs
    Chrome or Chromium when drawing).

    Parameters
    ----------
    fig
        A plotly or matplotlib figure.
    """
    import importlib.util

    if not isinstance(fig, go.Figure) or _is_embedding(fig):
        return True
    return importlib.util.find_spec("kaleido") is not None and _browser_found()


@functools.cache
def _browser_found() -> bool:
    """Whether kaleido finds Chrome or Chromium to draw with (on the path, or its own)."""
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError:
        return False
    return Chromium.find_browser(skip_local=False) is not None


def _is_embedding(fig: go.Figure) -> bool:
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    return meta.get("kind") == "genodash-embedding"


def _kaleido_image(
    fig: go.Figure, fmt: str, *, size: tuple[int, int] | None, scale: float
) -> bytes:
    """PNG or SVG bytes drawn by plotly's image export (kaleido, driving Chrome)."""
    width, height = size or (None, None)
    try:
        return fig.to_image(format=fmt, width=width, height=height, scale=scale)
    except RuntimeError as error:  # plotly's type for "no kaleido" and "no Chrome"
        raise ConfigError(
            "PNG and SVG of this figure need the kaleido package (pip install kaleido) and "
            "Chrome or Chromium on the server; download the HTML instead. "
            f"Plotly said: {str(error).strip().splitlines()[0]}"
        ) from error


def _static_embedding_figure(
    fig: go.Figure, fmt: str, *, size: tuple[int, int] | None, scale: float
) -> bytes:
    """Redraw an embedding figure's points with matplotlib and return PNG or SVG bytes.

    Keeps the panels, their titles (with scores), the point colours, one legend for
    categories or a colour bar for values.
    """
    from matplotlib.figure import Figure

    meta = fig.layout.meta
    titles = list(meta.get("panels", [])) or [""]
    panels = _traces_by_panel(fig)
    rows, cols = (2, 2) if len(panels) == 4 else (1, len(panels))
    dpi = _DPI if size is None else 100 * scale  # a size in CSS pixels: 100 per inch
    inches = (4.6 * cols + 1.6, 4.4 * rows) if size is None else (size[0] / 100, size[1] / 100)
    canvas = Figure(figsize=inches, dpi=dpi, layout="constrained")
    coloraxis = fig.layout.coloraxis
    mappable = None
    for i, traces in enumerate(panels):
        three_d = traces[0].type == "scatter3d"
        ax = canvas.add_subplot(rows, cols, i + 1, projection="3d" if three_d else None)
        for trace in traces:
            mappable = _draw_trace(ax, trace, coloraxis, three_d=three_d) or mappable
        ax.set_title(_plain_title(titles[i] if i < len(titles) else ""), fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        if three_d:
            ax.set_zticks([])
    figure_title = _plain_title(fig.layout.title.text or "")
    if figure_title and len(panels) > 1:
        canvas.suptitle(figure_title, fontsize=12)
    color_name = _plain_title(str(meta.get("color_name") or ""))
    if mappable is not None:
        canvas.colorbar(mappable, ax=canvas.axes, label=color_name, shrink=0.8)
    elif any(t.showlegend for t in fig.data):
        handles = [_legend_handle(t) for t in fig.data if t.showlegend and t.name is not None]
        canvas.legend(handles=handles, title=color_name, loc="outside right upper", markerscale=1.5)
    buffer = io.BytesIO()
    canvas.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def _traces_by_panel(fig: go.Figure) -> list[list[Any]]:
    panels: dict[str, list[Any]] = {}
    for trace in fig.data:
        key = trace.scene if trace.type == "scatter3d" else f"{trace.xaxis}{trace.yaxis}"
        panels.setdefault(key or "scene", []).append(trace)
    return list(panels.values())


def _draw_trace(ax: Any, trace: Any, coloraxis: Any, *, three_d: bool) -> Any:
    columns = [np.asarray(trace.x, float), np.asarray(trace.y, float)]
    if three_d:
        columns.append(np.asarray(trace.z, float))
    size = float(trace.marker.size or 4) ** 2 / 3
    colour = trace.marker.color
    if isinstance(colour, str) or colour is None:
        ax.scatter(*columns, s=size, c=colour or "#0072B2", linewidths=0, label=trace.name)
        return None
    return ax.scatter(
        *columns,
        s=size,
        c=np.asarray(colour, float),
        cmap="viridis",
        vmin=coloraxis.cmin,
        vmax=coloraxis.cmax,
        linewidths=0,
    )


def _legend_handle(trace: Any) -> Any:
    from matplotlib.lines import Line2D

    label = _plain_title(str(trace.name))
    return Line2D([], [], marker="o", linestyle="", color=trace.marker.color, label=label)


def _plain_title(text: str) -> str:
    """Plotly's HTML as plain text for matplotlib: tags dropped, escaped user text restored."""
    text = text.replace("<br>", "\n")
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _matplotlib_bytes(figure: Any, fmt: str) -> bytes:
    """Render a matplotlib figure to PNG or SVG bytes, then close it."""
    if fmt == "html":
        raise ConfigError("this figure is an image: download it as PNG or SVG")
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
