"""Figures of single-cell expression: QC histograms, variable genes, embeddings.

Embedding figures use WebGL (``Scattergl``) in 2-D, so 100,000 cells stay responsive, and
``Scatter3d`` in 3-D. Every point's ``customdata`` is its row index in the data, so a
lasso selection maps back to cells (see :func:`selection_indices`). Categories get their
colour from one palette keyed by the sorted category names, so the same category has the
same colour in every panel and every figure.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.data import VALUE_NAMES
from genodash.plotting._style import CLASS_COLORS, Html, escape, markup, style

MISSING_COLOR = "#BBBBBB"
CONTINUOUS_SCALE = "Viridis"
EMBEDDING_META = "genodash-embedding"
_MISSING = {"nan", "none", "na", "<na>", ""}
_EXTRA_COLORS = (
    "#E41A1C",
    "#377EB8",
    "#4DAF4A",
    "#984EA3",
    "#FF7F00",
    "#A65628",
    "#F781BF",
    "#1B9E77",
    "#D95F02",
    "#7570B3",
    "#E7298A",
    "#66A61E",
    "#E6AB02",
    "#A6761D",
    "#666666",
    "#8DD3C7",
    "#BEBADA",
    "#FB8072",
    "#80B1D3",
    "#FDB462",
    "#B3DE69",
    "#FCCDE5",
    "#BC80BD",
    "#CCEBC5",
    "#FFED6F",
    "#1F78B4",
    "#33A02C",
    "#6A3D9A",
)
PALETTE = CLASS_COLORS + _EXTRA_COLORS
_SCORE_NAMES = {
    "knn_accuracy": "kNN acc.",
    "silhouette": "silhouette",
    "trustworthiness": "trust.",
    "batch_mixing": "batch mix",
    "ari": "ARI",
}
_QC_TITLES = {
    "total_counts": "Total counts per cell",
    "n_genes": "Genes detected per cell",
    "pct_mito": "Mitochondrial share (%)",
}
_QC_TITLES_NOT_COUNTS = {
    "total_counts": "Sum of the values per cell",
    "n_genes": "Genes with a non-zero value",
}


# --- colours ------------------------------------------------------------------------------


def category_order(values: Sequence[Any] | np.ndarray) -> list[str]:
    """Distinct categories in display order: numbers by value, then names alphabetically.

    Missing values (NaN, None, "") come last.

    Parameters
    ----------
    values
        One category per cell (e.g. a metadata column); each is compared as text.
    """
    names = {str(v) for v in values}
    return sorted(names, key=_category_key)


def _category_key(name: str) -> tuple[int, float, str]:
    if name.lower() in _MISSING:
        return (2, 0.0, name)
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def category_colors(values: Sequence[Any] | np.ndarray) -> dict[str, str]:
    """A fixed colour for each category, keyed by the sorted category names.

    Missing values (NaN, None, "") are grey. More categories than the palette holds
    reuse its colours.

    Parameters
    ----------
    values
        One category per cell (e.g. a metadata column); keys are the values as text.
    """
    colors = {}
    index = 0
    for name in category_order(values):
        if name.lower() in _MISSING:
            colors[name] = MISSING_COLOR
        else:
            colors[name] = PALETTE[index % len(PALETTE)]
            index += 1
    return colors


@dataclass(frozen=True)
class _Coloring:
    kind: str  # "none", "category" or "continuous"
    name: str
    values: np.ndarray | None = None
    colors: Mapping[str, str] | None = None
    low: float = 0.0
    high: float = 1.0


def _coloring(
    color: Sequence[Any] | np.ndarray | None,
    name: str,
    n: int,
    continuous: bool | None,
    palette: Mapping[str, str] | None,
) -> _Coloring:
    if color is None:
        return _Coloring("none", name)
    values = np.asarray(color)
    if values.shape != (n,):
        raise ValueError(f"color has {values.size} values for {n} cells")
    if continuous is None:
        continuous = _looks_continuous(values)
    if continuous:
        numbers = values.astype(np.float64)
        finite = numbers[np.isfinite(numbers)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        return _Coloring("continuous", name, numbers, low=low, high=high)
    labels = np.asarray([str(v) for v in values])
    return _Coloring("category", name, labels, colors=dict(palette or category_colors(labels)))


def _looks_continuous(values: np.ndarray) -> bool:
    if values.dtype.kind not in "fiu":
        return False
    return len(np.unique(values[: min(len(values), 50_000)])) > 12


def _marker_size(n: int, *, three_d: bool) -> float:
    size = 6.0 if n <= 2000 else 4.0 if n <= 20_000 else 2.5
    return size * 0.6 if three_d else size


def _hover_text(
    cell_ids: Sequence[Any], coloring: _Coloring, hover: Mapping[str, Sequence[Any]] | None
) -> np.ndarray:
    fields: dict[str, Any] = {}
    if coloring.values is not None and coloring.name:
        fields[coloring.name] = coloring.values
    fields.update(hover or {})
    shown: dict[tuple[type, Any], str] = {}  # values repeat (labels, batches): escape once

    def value_text(value: Any) -> str:
        known = (type(value), value)  # the type too: 1 and True are equal keys
        if known not in shown:
            shown[known] = escape(_hover_value(value))
        return shown[known]

    columns = [
        [f"{name}: {value_text(v)}" for v in values]
        for name, values in ((escape(k), v) for k, v in fields.items())
        if values is not None
    ]
    ids = [f"<b>{escape(c)}</b>" for c in cell_ids]
    # one Html per cell, in an object array: a str array would drop the type
    text = np.empty(len(ids), dtype=object)
    text[:] = [Html("<br>".join(parts)) for parts in zip(ids, *columns, strict=True)]
    return text


def _hover_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


# --- embeddings ---------------------------------------------------------------------------


def embedding_figure(
    coords: np.ndarray,
    *,
    color: Sequence[Any] | np.ndarray | None,
    color_name: str,
    cell_ids: Sequence[Any],
    hover: Mapping[str, Sequence[Any]] | None = None,
    title: str = "",
    continuous: bool | None = None,
    palette: Mapping[str, str] | None = None,
    unit: str = "cells",
) -> go.Figure:
    """Cells (or other items, such as sequences) as points, coloured by a category or a value.

    Parameters
    ----------
    coords
        Cells × 2 (drawn with WebGL) or cells × 3 (a rotatable 3-D scatter).
    color
        One value per cell: categories (labels, batches, clusters) or numbers (a gene's
        expression); ``None`` for one colour.
    color_name
        What ``color`` is, for the legend, colour bar and hover.
    cell_ids
        One ID per cell, shown on hover.
    hover
        Extra fields to show on hover (name → one value per cell).
    title
        Figure title.
    continuous
        Force numbers (colour bar) or categories (legend); by default numbers with more
        than 12 distinct values are continuous.
    palette
        Category → colour, to keep colours across figures with different categories.
    unit
        What the points are, plural (``"cells"``, ``"sequences"``): the name of the points
        when they have one colour.
    """
    return embedding_grid(
        [(title, coords, {})],
        color=color,
        color_name=color_name,
        cell_ids=cell_ids,
        hover=hover,
        continuous=continuous,
        palette=palette,
        title=title,
        unit=unit,
    )


def embedding_grid(
    panels: Sequence[tuple[str, np.ndarray, Mapping[str, float]]],
    *,
    color: Sequence[Any] | np.ndarray | None,
    color_name: str,
    cell_ids: Sequence[Any],
    hover: Mapping[str, Sequence[Any]] | None = None,
    continuous: bool | None = None,
    palette: Mapping[str, str] | None = None,
    title: str | None = None,
    unit: str = "cells",
) -> go.Figure:
    """Up to four embeddings side by side, with their scores under each panel title.

    Parameters
    ----------
    panels
        ``(title, coords, scores)`` per panel; ``scores`` maps score names (e.g.
        ``knn_accuracy``, ``trustworthiness``) to values. Two to three panels go in one
        row, four in a 2 × 2 grid.
    color, color_name, cell_ids, hover, continuous, palette, unit
        As in :func:`embedding_figure`; the same colours and one shared legend (or colour
        bar) serve every panel.
    title
        Figure title (default: "Embeddings coloured by <color_name>").
    """
    if not 1 <= len(panels) <= 4:
        raise ValueError(f"embedding_grid takes 1 to 4 panels, got {len(panels)}")
    n = len(cell_ids)
    for _, coords, _ in panels:
        if coords.shape[0] != n or coords.shape[1] not in (2, 3):
            raise ValueError(f"coords must be {n} cells × 2 or 3, got {coords.shape}")
    rows, cols = _grid_shape(len(panels))
    coloring = _coloring(color, color_name, n, continuous, palette)
    hover_text = _hover_text(cell_ids, coloring, hover)
    single = len(panels) == 1
    specs = [
        [
            _panel_spec(panels[r * cols + c][1]) if r * cols + c < len(panels) else None
            for c in range(cols)
        ]
        for r in range(rows)
    ]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        specs=specs,
        subplot_titles=None if single else [_panel_title(t, s) for t, _, s in panels],
        horizontal_spacing=0.06,
        vertical_spacing=0.12,
    )
    for i, (_, coords, _) in enumerate(panels):
        _add_points(
            fig,
            coords,
            coloring,
            hover_text,
            row=i // cols + 1,
            col=i % cols + 1,
            first=i == 0,
            unit=unit,
        )
    _finish_embedding(fig, coloring, panels, rows=rows, single=single, title=title)
    if not single:
        _square_panels(fig, [coords for _, coords, _ in panels], cols=cols)
    return fig


def _square_panels(fig: go.Figure, coords: Sequence[np.ndarray], *, cols: int) -> None:
    """Draw each 2-D panel in a square box, its points filling it (as scanpy does).

    On a narrow page the panels of a 2 × 2 grid were stretched into tall strips; a square
    box keeps each picture's shape and leaves the spare height empty.
    """
    for i, points in enumerate(coords):
        if points.shape[1] != 2:
            continue
        row, col = i // cols + 1, i % cols + 1
        x_range, y_range = _padded_range(points[:, 0]), _padded_range(points[:, 1])
        ratio = (x_range[1] - x_range[0]) / (y_range[1] - y_range[0])
        x_axis = fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
        fig.update_xaxes(range=x_range, constrain="domain", row=row, col=col)
        fig.update_yaxes(
            range=y_range,
            scaleanchor=x_axis,
            scaleratio=ratio,
            constrain="domain",
            row=row,
            col=col,
        )


def _padded_range(values: np.ndarray) -> list[float]:
    """The values' range with 4% room on each side (a range of 1 where they are all equal)."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    pad = (high - low) * 0.04 or 0.5
    return [low - pad, high + pad]


# one legend: beside a single picture; under a grid, whose panels need the page's width
_LEGEND_RIGHT = {"orientation": "v", "yanchor": "top", "y": 1, "xanchor": "left", "x": 1.02}
_LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0}


def _grid_shape(n_panels: int) -> tuple[int, int]:
    return (2, 2) if n_panels == 4 else (1, n_panels)


def _panel_spec(coords: np.ndarray) -> dict[str, str]:
    return {"type": "scene"} if coords.shape[1] == 3 else {"type": "xy"}


def _panel_title(title: str, scores: Mapping[str, float]) -> str:
    """The panel's title in bold, its scores under it two to a line (three on one line ran
    into the next panel's at 1,024 pixels)."""
    parts = format_scores(scores).split(" · ") if format_scores(scores) else []
    lines = [" · ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    template = "<b>{}</b>" + "".join("<br><span style='font-size:12px'>{}</span>" for _ in lines)
    return markup(template, title, *lines)


def format_scores(scores: Mapping[str, float]) -> str:
    """One line such as ``kNN acc. 0.95 · trust. 0.91`` (known scores only, NaN skipped).

    Parameters
    ----------
    scores
        Score name → value; the names read are ``knn_accuracy``, ``silhouette``,
        ``trustworthiness``, ``batch_mixing`` and ``ari``, others are ignored.

    Returns
    -------
    The line, or ``""`` when no known score has a value.
    """
    parts = [
        f"{label} {float(scores[key]):.2f}"
        for key, label in _SCORE_NAMES.items()
        if key in scores and scores[key] is not None and math.isfinite(float(scores[key]))
    ]
    return " · ".join(parts)


def _add_points(
    fig: go.Figure,
    coords: np.ndarray,
    coloring: _Coloring,
    hover_text: np.ndarray,
    *,
    row: int,
    col: int,
    first: bool,
    unit: str,
) -> None:
    three_d = coords.shape[1] == 3
    size = _marker_size(coords.shape[0], three_d=three_d)
    values = coloring.values
    if coloring.kind == "category" and values is not None:
        colors = coloring.colors or {}
        for name in category_order(values):
            rows = np.flatnonzero(values == name)
            marker = {"color": colors.get(name, MISSING_COLOR), "size": size}
            trace = _points(coords, rows, hover_text, marker, three_d=three_d)
            trace.update(name=name, legendgroup=name, showlegend=first)
            fig.add_trace(trace, row=row, col=col)
        return
    if coloring.kind == "continuous" and values is not None:
        rows = np.argsort(np.nan_to_num(values, nan=-np.inf), kind="stable")  # high on top
        marker = {"color": values[rows], "coloraxis": "coloraxis", "size": size}
    else:
        rows = np.arange(coords.shape[0])
        marker = {"color": CLASS_COLORS[0], "size": size}
    trace = _points(coords, rows, hover_text, marker, three_d=three_d)
    trace.update(name=coloring.name or unit, showlegend=False)
    fig.add_trace(trace, row=row, col=col)


def _points(
    coords: np.ndarray,
    rows: np.ndarray,
    hover_text: np.ndarray,
    marker: dict[str, Any],
    *,
    three_d: bool,
) -> go.Scattergl | go.Scatter3d:
    xyz = {"x": coords[rows, 0], "y": coords[rows, 1]}
    common = {
        "mode": "markers",
        "customdata": rows,
        "text": hover_text[rows],
        "hovertemplate": "%{text}<extra></extra>",
    }
    if three_d:
        return go.Scatter3d(**xyz, z=coords[rows, 2], marker=marker, **common)
    return go.Scattergl(**xyz, marker={**marker, "opacity": 0.85}, **common)


def _wrapped(title: str, width: int = 60) -> str:
    """A long plain title on lines of at most ``width`` characters (plotly does not wrap: a
    run's name ran past the figure at 1,024 pixels); genodash's own markup is left alone."""
    if isinstance(title, Html) or len(title) <= width:
        return title
    lines = textwrap.wrap(title, width)
    return markup("<br>".join("{}" for _ in lines), *lines)


def _finish_embedding(
    fig: go.Figure,
    coloring: _Coloring,
    panels: Sequence[tuple[str, np.ndarray, Mapping[str, float]]],
    *,
    rows: int,
    single: bool,
    title: str | None,
) -> None:
    if title is None:
        title = f"Embeddings coloured by {coloring.name}" if coloring.name else "Embeddings"
    title = _wrapped(title)
    if single and panels[0][2]:
        line = format_scores(panels[0][2])
        if line:
            title = markup("{}<br><span style='font-size:12px'>{}</span>", title, line)
    if coloring.kind == "continuous":
        fig.update_layout(
            coloraxis={
                "colorscale": CONTINUOUS_SCALE,
                "cmin": coloring.low,
                "cmax": coloring.high,
                "colorbar": {"title": {"text": coloring.name}},
            }
        )
    fig.update_xaxes(showgrid=False, zeroline=False, showticklabels=False)
    fig.update_yaxes(showgrid=False, zeroline=False, showticklabels=False)
    hidden = {"showticklabels": False, "title": {"text": ""}, "showbackground": False}
    fig.update_scenes(xaxis=hidden, yaxis=hidden, zaxis=hidden)
    style(
        fig,
        title=title,
        height=560 if single else 440 * rows + 110,
        layout={
            # the figure title at the very top, the panel titles (two lines) below it
            "title": {"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}},
            "legend": {"title": {"text": coloring.name}, "itemsizing": "constant"}
            | (_LEGEND_RIGHT if single else _LEGEND_BELOW),
            "margin": {"l": 40, "r": 20, "t": 90 if single else 130, "b": 40},
            # as drawn (escaped), like every text of the figure
            "meta": {
                "kind": EMBEDDING_META,
                "color_name": escape(coloring.name),
                "panels": [escape(title)] if single else [_panel_title(t, s) for t, _, s in panels],
            },
            "dragmode": "lasso",
        },
    )


def selection_indices(selection_event: Any, figure: go.Figure | None = None) -> list[int]:
    """Row indices of the cells selected in an embedding figure.

    Parameters
    ----------
    selection_event
        What ``st.plotly_chart(..., on_select="rerun")`` returns (a dict-like with a
        ``"selection"`` entry), or that ``"selection"`` dict itself.
    figure
        The figure that was shown; used only when points carry no ``customdata``.

    Returns
    -------
    list of int
        Sorted, distinct row indices (empty when nothing is selected).
    """
    if selection_event is None:
        return []
    selection = _get(selection_event, "selection", None)
    if selection is None:
        selection = selection_event
    points = _get(selection, "points", None) or []
    indices: set[int] = set()
    for point in points:
        row = _point_row(point, figure)
        if row is not None:
            indices.add(row)
    return sorted(indices)


def _get(container: Any, key: str, default: Any) -> Any:
    if isinstance(container, Mapping):
        return container.get(key, default)
    try:
        return container[key]
    except (KeyError, TypeError, IndexError):
        return getattr(container, key, default)


def _point_row(point: Mapping[str, Any], figure: go.Figure | None) -> int | None:
    custom = point.get("customdata")
    if isinstance(custom, list | tuple | np.ndarray):
        custom = custom[0] if len(custom) else None
    if custom is not None:
        return int(custom)
    index = point.get("point_index", point.get("point_number"))
    if index is None:
        return None
    curve = int(point.get("curve_number", 0))
    if figure is not None and figure.data[curve].customdata is not None:
        return int(np.asarray(figure.data[curve].customdata)[int(index)])
    return int(index)


# --- QC and variable genes ----------------------------------------------------------------


def qc_figure(qc: pd.DataFrame, *, thresholds: Mapping[str, float] | None = None) -> go.Figure:
    """Histograms of the per-cell QC metrics (from ``qc_metrics`` or ``ProcessedMatrix.qc``).

    Parameters
    ----------
    qc
        Columns ``total_counts``, ``n_genes`` and optionally ``pct_mito``; with a boolean
        ``kept`` column, cells removed by the filters are shown in a second colour.
    thresholds
        Metric → filter threshold, drawn as a dashed line.
    """
    value_type = qc.attrs.get("value_type", "counts")
    titles = _QC_TITLES if value_type == "counts" else {**_QC_TITLES, **_QC_TITLES_NOT_COUNTS}
    metrics = [m for m in titles if m in qc.columns]
    fig = make_subplots(
        rows=1, cols=max(1, len(metrics)), subplot_titles=[titles[m] for m in metrics]
    )
    kept = qc["kept"].to_numpy(dtype=bool) if "kept" in qc.columns else np.ones(len(qc), bool)
    groups = [("kept", kept, CLASS_COLORS[0])]
    if not kept.all():
        groups.append(("removed by filters", ~kept, CLASS_COLORS[5]))
    for col, metric in enumerate(metrics, start=1):
        values = qc[metric].to_numpy(dtype=np.float64)
        for name, mask, colour in groups:
            fig.add_trace(
                go.Histogram(
                    x=values[mask],
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1 and len(groups) > 1,
                    marker_color=colour,
                    nbinsx=60,
                    hovertemplate=f"%{{x}}<br>cells: %{{y}}<extra>{name}</extra>",
                ),
                row=1,
                col=col,
            )
        if thresholds and metric in thresholds:
            fig.add_vline(
                x=float(thresholds[metric]), line_dash="dash", line_color="#444", row=1, col=col
            )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="cells", row=1, col=1)
    title = "Quality control per cell"
    if value_type != "counts":
        title += f" (the values are {VALUE_NAMES[value_type]}, not counts)"
    return style(fig, title=title, height=340)


def hvg_figure(gene_stats: pd.DataFrame) -> go.Figure:
    """Mean against normalized dispersion of every gene, highly variable genes highlighted.

    Parameters
    ----------
    gene_stats
        ``ProcessedMatrix.gene_stats``: one row per gene (index: gene names), with the
        columns ``means``, ``dispersions_norm`` and ``highly_variable`` (yes/no).
    """
    chosen = gene_stats["highly_variable"].to_numpy(dtype=bool)
    fig = go.Figure()
    for name, mask, colour in (
        ("other genes", ~chosen, MISSING_COLOR),
        ("highly variable", chosen, CLASS_COLORS[5]),
    ):
        fig.add_trace(
            go.Scattergl(
                x=gene_stats["means"].to_numpy()[mask],
                y=gene_stats["dispersions_norm"].to_numpy()[mask],
                text=gene_stats.index.to_numpy()[mask],
                mode="markers",
                name=name,
                marker={"color": colour, "size": 4},
                hovertemplate="%{text}<br>mean %{x:.3g}, dispersion %{y:.3g}<extra></extra>",
            )
        )
    title = f"Highly variable genes: {int(chosen.sum()):,} of {len(chosen):,} kept"
    return style(fig, title=title, x="mean expression (log)", y="normalized dispersion")


def gene_attention_figure(
    weights: np.ndarray, genes: Sequence[str], *, label: str, n_cells: int
) -> go.Figure:
    """Heatmap of the mean attention between genes in the cells of one label.

    Parameters
    ----------
    weights
        ``(n, n)``: row gene's attention to column gene (e.g.
        :class:`genodash.models.gene_transformer.GeneAttention`'s ``weights``).
    genes
        The ``n`` gene names, in the order of the rows and columns.
    label
        The cells' label (e.g. a cell type).
    n_cells
        How many cells the mean is over.
    """
    names = [str(g) for g in genes]
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=names,
            y=names,
            colorscale=CONTINUOUS_SCALE,
            zmin=0,
            colorbar={"title": "share"},
            hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", tickangle=-45)
    title = f"Attention between genes in {label} ({n_cells:,} cells, last layer, mean of heads)"
    return style(fig, title=title, x="attended gene", y="gene", height=520)
