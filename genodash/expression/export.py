"""Downloads: embedding tables, ``.h5ad`` files and figures (HTML, PNG, SVG).

HTML figures embed plotly.js, so they open offline. PNG and SVG come from matplotlib
redrawing an embedding figure's points (plotly's own image export needs kaleido and a
browser); other figures are available as HTML only.
"""

from __future__ import annotations

import html
import io
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.errors import ConfigError
from genodash.expression.preprocess import ProcessedMatrix

if TYPE_CHECKING:
    import plotly.graph_objects as go

FIGURE_FORMATS = ("html", "png", "svg")
_AXES = ("x", "y", "z")


def embedding_table(
    cell_ids: Sequence[Any],
    coords: np.ndarray,
    *,
    method: str,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """Coordinates as a table: ``cell``, ``x``, ``y`` (and ``z`` in 3-D), then ``extra``.

    Parameters
    ----------
    cell_ids
        One ID per cell.
    coords
        Cells × 2 or 3.
    method
        The embedding method, kept in ``table.attrs["method"]``.
    extra
        More columns (e.g. ``label``, ``batch``, ``cluster``), one value per cell.
    """
    coords = np.asarray(coords)
    n = len(cell_ids)
    if coords.ndim != 2 or coords.shape[0] != n or coords.shape[1] not in (2, 3):
        raise ConfigError(f"coordinates must be {n:,} cells × 2 or 3, got {coords.shape}")
    table = pd.DataFrame({"cell": [str(c) for c in cell_ids]})
    for i in range(coords.shape[1]):
        table[_AXES[i]] = coords[:, i]
    for name, values in (extra or {}).items():
        if len(values) != n:
            raise ConfigError(f"column {name!r} has {len(values):,} values for {n:,} cells")
        if name in table.columns:
            raise ConfigError(f"column {name!r} would replace a coordinate or cell column")
        table[name] = np.asarray(values)
    table.attrs["method"] = method
    return table


def h5ad_bytes(
    processed: ProcessedMatrix,
    *,
    embeddings: Mapping[str, np.ndarray] | None = None,
    latent: np.ndarray | None = None,
    clusters: Sequence[Any] | np.ndarray | None = None,
) -> bytes:
    """The processed matrix with its embeddings as an ``.h5ad`` file, as bytes.

    Parameters
    ----------
    processed
        The processed matrix (``X``, ``obs``, ``var``, the counts layer); not changed.
    embeddings
        Name → cells × k coordinates, stored as ``obsm["X_<name>"]`` (e.g. ``X_umap``).
    latent
        A model's latent coordinates, stored as ``obsm["X_latent"]``.
    clusters
        Cluster labels, stored as ``obs["leiden"]``.

    Returns
    -------
    bytes
        The file; ``uns["genodash_preprocessing"]`` holds the preprocessing record as JSON.
    """
    import anndata

    source = processed.adata
    n = source.n_obs
    obsm = {}
    for name, coords in {
        **(embeddings or {}),
        **({"latent": latent} if latent is not None else {}),
    }.items():
        key = "X_" + re.sub(r"[^A-Za-z0-9_]+", "_", name.removeprefix("X_"))
        obsm[key] = _cells_matrix(coords, n, key)
    obs = source.obs.copy()
    if clusters is not None:
        if len(clusters) != n:
            raise ConfigError(f"clusters has {len(clusters):,} labels for {n:,} cells")
        obs["leiden"] = pd.Categorical([str(c) for c in clusters])
    adata = anndata.AnnData(
        X=source.X,
        obs=obs,
        var=source.var.copy(),
        layers=dict(source.layers),
        obsm=obsm,
        uns={"genodash_preprocessing": json.dumps(processed.summary(), default=str)},
    )
    with tempfile.TemporaryDirectory(prefix="genodash-h5ad-") as folder:
        path = Path(folder) / "processed.h5ad"
        adata.write_h5ad(path)
        return path.read_bytes()


def _cells_matrix(values: np.ndarray, n: int, key: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != n:
        raise ConfigError(f"{key} must have one row per cell ({n:,}), got shape {array.shape}")
    return array


# --- figures ------------------------------------------------------------------------------


def figure_bytes(fig: go.Figure, fmt: str) -> bytes:
    """A figure as a file.

    Parameters
    ----------
    fig
        A plotly figure; PNG and SVG need one made by ``embedding_figure`` or
        ``embedding_grid``.
    fmt
        ``"html"`` (interactive, works offline), ``"png"`` or ``"svg"`` (static).

    Raises
    ------
    ConfigError
        Unknown format, or PNG/SVG of a figure that is not an embedding.
    """
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"unknown figure format {fmt!r}; choose one of {FIGURE_FORMATS}")
    if fmt == "html":
        return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
    return static_embedding_figure(fig, fmt)


def static_embedding_figure(fig: go.Figure, fmt: str) -> bytes:
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
