"""Embeddings of an atlas: up to a million cells and more in one plotly figure.

Up to :data:`WEBGL_LIMIT` cells are drawn as WebGL points (:func:`embedding_figure`),
every one with hover and selection. Above it, a browser given every point as a marker
stalls, so every cell is drawn into one image with datashader (a pixel's colour: the mix
of the categories of its cells, or their highest value), placed on the axes as a layout
image; a seeded random sample of :data:`SAMPLE_SIZE` cells is drawn on top as faint
WebGL points, so that hover, box and lasso selection work on those cells (``customdata``
is each point's row in the whole data, as :func:`selection_indices` reads it). The
title says so.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from genodash.plotting._style import escape, escape_figure, markup
from genodash.plotting.expression import (
    MISSING_COLOR,
    category_colors,
    embedding_figure,
)

WEBGL_LIMIT = 50_000
SAMPLE_SIZE = 20_000
CANVAS = (1000, 700)  # pixels of the image of every cell: width, height
ATLAS_META = "genodash-atlas-embedding"
SAMPLE_OPACITY = 0.1  # faint: the image shows the cells, the points carry hover
_PAD = 0.02  # of each axis's span, around the cells


def atlas_embedding_figure(
    coords: np.ndarray,
    *,
    color: Sequence[Any] | np.ndarray | pd.Series | None,
    color_name: str,
    cell_ids: Sequence[Any] | np.ndarray | pd.Index,
    hover: Mapping[str, Sequence[Any] | np.ndarray | pd.Series] | None = None,
    title: str = "",
    continuous: bool | None = None,
    webgl_limit: int = WEBGL_LIMIT,
    sample_size: int = SAMPLE_SIZE,
    canvas: tuple[int, int] = CANVAS,
    seed: int = 0,
) -> go.Figure:
    """Every cell of an embedding: WebGL points up to ``webgl_limit`` cells, above it an
    image of every cell with a random sample as points for hover and selection.

    Parameters
    ----------
    coords
        Cells × 2 (UMAP, the first two PCs…).
    color
        One value per cell: categories (clusters, labels, batches) drawn with a legend,
        or numbers (a gene's expression) drawn with a colour bar; ``None`` for one colour.
    color_name
        What ``color`` is, for the legend, colour bar and hover.
    cell_ids
        One name per cell, shown on hover.
    hover
        Extra fields shown on hover (name → one value per cell).
    title
        The figure's title; a second line says how many cells are drawn and which carry
        hover and selection.
    continuous
        Force numbers (colour bar) or categories (legend); by default numbers with more
        than 12 distinct values are continuous.
    webgl_limit
        The most cells drawn as WebGL points; above it the image is drawn.
    sample_size
        Cells of the random sample with hover and selection, above ``webgl_limit``.
    canvas
        The image's width and height in pixels.
    seed
        Seed of the random sample.
    """
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"coords must be cells × 2, got {coords.shape}")
    if len(cell_ids) != n:
        raise ValueError(f"cell_ids has {len(cell_ids)} names for {n} cells")
    if n <= webgl_limit:
        caption = markup("all {:,} cells drawn, each with hover and selection", n)
        figure = embedding_figure(
            coords,
            color=_as_array(color),
            color_name=color_name,
            cell_ids=_as_array(cell_ids),
            hover={k: _as_array(v) for k, v in (hover or {}).items()},
            continuous=continuous,
            title=title,
        )
        return _titled(figure, title, caption)
    return _raster_figure(
        coords,
        color=color,
        color_name=color_name,
        cell_ids=cell_ids,
        hover=hover or {},
        title=title,
        continuous=continuous,
        sample_size=min(sample_size, n),
        canvas=canvas,
        seed=seed,
    )


def raster_png(figure: go.Figure) -> bytes | None:
    """The image of every cell in an :func:`atlas_embedding_figure` as PNG bytes, or
    ``None`` when the figure draws its cells as points.

    Parameters
    ----------
    figure
        A figure made by :func:`atlas_embedding_figure`.
    """
    if not figure.layout.images:
        return None
    source = figure.layout.images[0].source
    return base64.b64decode(source.partition("base64,")[2])


# --- the image of every cell ---------------------------------------------------------------


def _raster_figure(
    coords: np.ndarray,
    *,
    color: Any,
    color_name: str,
    cell_ids: Any,
    hover: Mapping[str, Any],
    title: str,
    continuous: bool | None,
    sample_size: int,
    canvas: tuple[int, int],
    seed: int,
) -> go.Figure:
    n = coords.shape[0]
    values = None if color is None else _as_array(color)
    if values is not None and len(values) != n:
        raise ValueError(f"color has {len(values)} values for {n} cells")
    if values is not None and continuous is None:
        continuous = values.dtype.kind in "fiu" and len(np.unique(values[:50_000])) > 12
    x_range, y_range = _ranges(coords)
    sample = np.sort(np.random.default_rng(seed).choice(n, size=sample_size, replace=False))
    if values is None:
        palette, png = {}, _shade_one(coords, x_range, y_range, canvas)
        low = high = 0.0
    elif continuous:
        numbers = values.astype(np.float64)
        finite = numbers[np.isfinite(numbers)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        palette = {}
        png = _shade_values(coords, numbers, (low, high), x_range, y_range, canvas)
    else:
        labels = _category_labels(values)
        palette = category_colors(labels.categories)
        png = _shade_categories(coords, labels, palette, x_range, y_range, canvas)
        values, low, high = np.asarray(labels), 0.0, 0.0
    figure = embedding_figure(
        coords[sample],
        color=None if values is None else values[sample],
        color_name=color_name,
        cell_ids=_as_array(cell_ids)[sample],
        hover={k: _as_array(v)[sample] for k, v in hover.items()},
        continuous=continuous,
        palette=palette or None,
        title=title,
    )
    _sample_points(figure, sample, palette)
    if continuous and values is not None:
        figure.update_layout(coloraxis={"cmin": low, "cmax": high})
    figure.add_layout_image(
        source="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        xref="x",
        yref="y",
        x=x_range[0],
        y=y_range[1],
        sizex=x_range[1] - x_range[0],
        sizey=y_range[1] - y_range[0],
        sizing="stretch",
        layer="below",
    )
    figure.update_xaxes(range=list(x_range), autorange=False)
    figure.update_yaxes(range=list(y_range), autorange=False)
    caption = markup("all {:,} cells drawn; hover and selection on a random {:,}", n, sample_size)
    figure.update_layout(meta={**figure.layout.meta, "kind": ATLAS_META, "sample": sample_size})
    return _titled(figure, title, caption)


def _sample_points(figure: go.Figure, sample: np.ndarray, palette: Mapping[str, str]) -> None:
    """Make the sample's points faint, their ``customdata`` rows of the whole data, and
    give each category a legend entry in full colour (a faint point reads badly there)."""
    for trace in figure.data:
        trace.customdata = sample[np.asarray(trace.customdata, dtype=np.int64)]
        trace.marker.opacity = SAMPLE_OPACITY
        trace.marker.size = 3
        trace.showlegend = False
        trace.hoverlabel = {"bgcolor": "white", "font": {"color": "#222222"}}  # legible
    for name, colour in palette.items():  # every category, even one the sample missed
        figure.add_trace(
            go.Scattergl(
                x=[None],
                y=[None],
                mode="markers",
                name=escape(name),
                legendgroup=escape(name),
                marker={"color": colour, "size": 9},
                hoverinfo="skip",
            )
        )


def _ranges(coords: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Each axis's range: the cells' finite extent and a margin (one unit if flat)."""
    ranges = []
    for axis in (0, 1):
        finite = coords[np.isfinite(coords[:, axis]), axis]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = (high - low) * _PAD or 0.5
        ranges.append((low - pad, high + pad))
    return ranges[0], ranges[1]


def _category_labels(values: np.ndarray) -> pd.Categorical:
    """The categories as text (missing ones as ``"nan"``), ordered as the legend lists
    them."""
    labels = pd.Categorical(values)
    if (labels.codes < 0).any():
        labels = labels.add_categories(["nan"]).fillna("nan")
    text = pd.Categorical(np.asarray(labels.categories.astype(str))[labels.codes])
    order = list(category_colors(text.categories))
    return text.reorder_categories(order)


def _canvas(
    x_range: tuple[float, float], y_range: tuple[float, float], size: tuple[int, int]
) -> Any:
    import datashader

    width, height = size
    return datashader.Canvas(plot_width=width, plot_height=height, x_range=x_range, y_range=y_range)


def _frame(coords: np.ndarray, **columns: Any) -> pd.DataFrame:
    return pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], **columns})


def _shade_categories(
    coords: np.ndarray,
    labels: pd.Categorical,
    palette: Mapping[str, str],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
) -> bytes:
    import datashader
    import datashader.transfer_functions as tf

    counts = _canvas(x_range, y_range, size).points(
        _frame(coords, c=labels), "x", "y", datashader.count_cat("c")
    )
    key = [palette.get(name, MISSING_COLOR) for name in labels.categories]
    return _png(tf.shade(counts, color_key=key, how="eq_hist", min_alpha=90))


def _shade_values(
    coords: np.ndarray,
    numbers: np.ndarray,
    span: tuple[float, float],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
) -> bytes:
    import datashader
    import datashader.transfer_functions as tf

    # the highest value of a pixel's cells, as WebGL points drawn highest on top show
    highest = _canvas(x_range, y_range, size).points(
        _frame(coords, v=numbers), "x", "y", datashader.max("v")
    )
    cmap = plotly.colors.sequential.Viridis
    low, high = span
    return _png(tf.shade(highest, cmap=cmap, how="linear", span=[low, max(high, low + 1e-9)]))


def _shade_one(
    coords: np.ndarray,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    size: tuple[int, int],
) -> bytes:
    import datashader
    import datashader.transfer_functions as tf

    counts = _canvas(x_range, y_range, size).points(_frame(coords), "x", "y", datashader.count())
    return _png(tf.shade(counts, cmap=["#9EC9E8", "#0072B2"], how="eq_hist", min_alpha=90))


def _png(image: Any) -> bytes:
    """A shaded datashader image as PNG, single cells spread to a few pixels so they show."""
    import datashader.transfer_functions as tf

    buffer = io.BytesIO()
    tf.dynspread(image, threshold=0.5, max_px=2).to_pil().save(buffer, format="PNG")
    return buffer.getvalue()


# --- shared --------------------------------------------------------------------------------


def _as_array(values: Any) -> Any:
    """Values as a numpy array (a pandas column or index without copying its strings)."""
    if values is None:
        return None
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy()
    return np.asarray(values)


def _titled(figure: go.Figure, title: str, caption: str) -> go.Figure:
    text = markup("{}<br><span style='font-size:12px'>{}</span>", title, caption)
    figure.update_layout(title={"text": text})
    return escape_figure(figure)
