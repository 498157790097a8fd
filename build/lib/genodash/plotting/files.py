"""Figures as files: HTML (plotly.js embedded, so it opens offline), PNG and SVG.

PNG and SVG of an embedding come from matplotlib redrawing its points (plotly's own image
export needs kaleido and a browser); other plotly figures are available as HTML only.
Sequence logos (matplotlib) are PNG or SVG.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

from genodash.errors import ConfigError

FIGURE_FORMATS = ("html", "png", "svg")


def figure_bytes(fig: Any, fmt: str) -> bytes:
    """A figure as a file.

    Parameters
    ----------
    fig
        A plotly figure (PNG and SVG need one made by ``embedding_figure`` or
        ``embedding_grid``), or a matplotlib figure (a sequence logo: PNG or SVG; it is
        closed afterwards).
    fmt
        ``"html"`` (interactive, works offline), ``"png"`` or ``"svg"`` (static).

    Raises
    ------
    ConfigError
        Unknown format, PNG/SVG of a plotly figure that is not an embedding, or HTML of a
        matplotlib figure.
    """
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"unknown figure format {fmt!r}; choose one of {FIGURE_FORMATS}")
    if not isinstance(fig, go.Figure):
        return _matplotlib_bytes(fig, fmt)
    if fmt == "html":
        return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    return _static_embedding_figure(fig, fmt)


def _static_embedding_figure(fig: go.Figure, fmt: str) -> bytes:
    """Redraw an embedding figure's points with matplotlib and return PNG or SVG bytes.

    Keeps the panels, their titles (with scores), the point colours, one legend for
    categories or a colour bar for values.
    """
    from matplotlib.figure import Figure

    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    if meta.get("kind") != "genodash-embedding":
        raise ConfigError("PNG and SVG are available for embedding figures; download HTML instead")
    titles = list(meta.get("panels", [])) or [""]
    panels = _traces_by_panel(fig)
    rows, cols = (2, 2) if len(panels) == 4 else (1, len(panels))
    canvas = Figure(figsize=(4.6 * cols + 1.6, 4.4 * rows), layout="constrained")
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
    canvas.savefig(buffer, format=fmt, dpi=150)
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
