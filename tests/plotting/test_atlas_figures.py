"""The atlas embedding figure: WebGL points up to a limit, above it an image of every cell
(datashader) with a random sample as points for hover and selection."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from genodash.plotting.atlas import atlas_embedding_figure, raster_png
from genodash.plotting.expression import category_colors, selection_indices
from support import as_list, title

CANVAS = (100, 80)


def _two_groups(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Group "a" near (0, 0) and group "b" near (10, 10); nothing near (10, 0)."""
    rng = np.random.default_rng(1)
    groups = np.where(np.arange(n) % 2 == 0, "a", "b")
    centres = np.where(groups[:, None] == "a", 0.0, 10.0)
    return centres + rng.normal(scale=0.3, size=(n, 2)), groups


def _figure(**kw):
    coords, groups = _two_groups()
    options = {
        "color": groups,
        "color_name": "cluster",
        "cell_ids": [f"cell{i}" for i in range(len(groups))],
        "title": "UMAP",
        "webgl_limit": 100,
        "sample_size": 50,
        "canvas": CANVAS,
    }
    return atlas_embedding_figure(coords, **{**options, **kw})


def _pixel(fig, x: float, y: float) -> tuple[int, int, int, int]:
    """The image's RGBA at data point (x, y)."""
    image = Image.open(io.BytesIO(raster_png(fig))).convert("RGBA")
    assert image.size == CANVAS
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    column = int((x - x0) / (x1 - x0) * image.width)
    row = int((y1 - y) / (y1 - y0) * image.height)  # the image's first row is the top
    return image.getpixel((column, row))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


def _sample_traces(fig):
    return [t for t in fig.data if t.customdata is not None]


def test_up_to_the_limit_every_cell_is_a_webgl_point():
    coords, groups = _two_groups(60)
    fig = atlas_embedding_figure(
        coords, color=groups, color_name="cluster", cell_ids=list(range(60)), title="UMAP"
    )
    assert not fig.layout.images and raster_png(fig) is None
    assert {t.type for t in fig.data} == {"scattergl"}
    rows = sorted(r for t in fig.data for r in as_list(t.customdata))
    assert rows == list(range(60))
    assert "all 60 cells drawn, each with hover and selection" in title(fig)


def test_above_the_limit_the_image_has_the_cells_where_they_are():
    fig = _figure()
    assert len(fig.layout.images) == 1
    image = fig.layout.images[0]
    assert (image.xref, image.yref, image.layer, image.sizing) == ("x", "y", "below", "stretch")
    assert image.x == fig.layout.xaxis.range[0] and image.y == fig.layout.yaxis.range[1]
    colors = category_colors(["a", "b"])
    a, b, empty = _pixel(fig, 0, 0), _pixel(fig, 10, 10), _pixel(fig, 10, 0)
    assert a[3] > 0 and b[3] > 0 and empty[3] == 0
    assert _hex(a) == colors["a"] and _hex(b) == colors["b"]


def test_a_seeded_sample_carries_hover_and_selection():
    fig = _figure()
    coords, _ = _two_groups()
    sample = _sample_traces(fig)
    rows = np.concatenate([np.asarray(t.customdata) for t in sample])
    assert len(rows) == len(set(rows)) == 50 and rows.max() < 400
    for trace in sample:
        np.testing.assert_allclose(trace.x, coords[np.asarray(trace.customdata), 0])
        assert trace.marker.opacity < 0.5 and trace.hovertemplate
    assert "<b>cell" in sample[0].text[0]
    again = np.concatenate([np.asarray(t.customdata) for t in _sample_traces(_figure())])
    assert sorted(again) == sorted(rows)
    other = _figure(seed=5)
    assert sorted(np.concatenate([t.customdata for t in _sample_traces(other)])) != sorted(rows)
    event = {"selection": {"points": [{"customdata": int(rows[0])}, {"customdata": 399}]}}
    assert selection_indices(event) == sorted({int(rows[0]), 399})
    assert "all 400 cells drawn; hover and selection on a random 50" in title(fig)


def test_categories_get_a_legend_in_their_colours():
    fig = _figure()
    legend = [t for t in fig.data if t.showlegend is not False and t.customdata is None]
    colors = category_colors(["a", "b"])
    assert [(t.name, t.marker.color) for t in legend] == [("a", colors["a"]), ("b", colors["b"])]
    assert fig.layout.legend.title.text == "cluster"
    for trace in _sample_traces(fig):
        assert trace.marker.color == colors[trace.name] and trace.legendgroup == trace.name


def test_a_gene_is_drawn_with_a_colour_bar_over_its_whole_range():
    _, groups = _two_groups()
    values = np.where(groups == "a", 0.0, 4.0) + np.linspace(0, 1, len(groups))
    fig = _figure(color=values, color_name="Gene1")
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, values.max())
    assert fig.layout.coloraxis.colorbar.title.text == "Gene1"
    low, high = _pixel(fig, 0, 0), _pixel(fig, 10, 10)
    assert sum(high[:3]) > sum(low[:3]) + 150  # viridis: dark purple to yellow-green


def test_one_colour_without_a_colouring_and_bad_shapes_are_refused():
    fig = _figure(color=None, color_name="")
    assert _pixel(fig, 0, 0)[3] > 0 and _pixel(fig, 10, 0)[3] == 0
    with pytest.raises(ValueError, match="cells × 2"):
        atlas_embedding_figure(np.zeros((5, 3)), color=None, color_name="", cell_ids=range(5))
    with pytest.raises(ValueError, match="4 names for 5 cells"):
        atlas_embedding_figure(np.zeros((5, 2)), color=None, color_name="", cell_ids=range(4))
