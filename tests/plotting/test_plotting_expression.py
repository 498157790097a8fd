from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from genodash.plotting.expression import (
    MISSING_COLOR,
    category_colors,
    embedding_figure,
    embedding_grid,
    format_scores,
    hvg_figure,
    qc_figure,
    selection_indices,
)

N = 60
RNG = np.random.default_rng(0)
COORDS = RNG.normal(size=(N, 3)).astype(np.float32)
LABELS = np.array(["T cell", "B cell", "NK"] * (N // 3))
CELLS = [f"c{i}" for i in range(N)]


def _colors_by_name(fig: go.Figure) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for trace in fig.data:
        seen.setdefault(trace.name, set()).add(trace.marker.color)
    return seen


def test_2d_uses_webgl_and_3d_uses_scatter3d() -> None:
    flat = embedding_figure(COORDS[:, :2], color=LABELS, color_name="type", cell_ids=CELLS)
    assert {trace.type for trace in flat.data} == {"scattergl"}
    deep = embedding_figure(COORDS, color=LABELS, color_name="type", cell_ids=CELLS)
    assert {trace.type for trace in deep.data} == {"scatter3d"}
    assert len(deep.data) == 3


def test_customdata_maps_points_back_to_rows() -> None:
    fig = embedding_figure(COORDS[:, :2], color=LABELS, color_name="type", cell_ids=CELLS)
    covered = []
    for trace in fig.data:
        rows = np.asarray(trace.customdata)
        np.testing.assert_allclose(np.asarray(trace.x), COORDS[rows, 0])
        assert set(LABELS[rows]) == {trace.name}
        assert all(
            text.startswith(f"<b>{CELLS[r]}</b>") for r, text in zip(rows, trace.text, strict=True)
        )
        covered.extend(rows.tolist())
    assert sorted(covered) == list(range(N))


def test_same_category_same_colour_in_every_panel() -> None:
    panels = [
        ("PCA", COORDS[:, :2], {}),
        ("UMAP", COORDS[:, 1:], {}),
        ("3-D", COORDS, {}),
        ("t-SNE", -COORDS[:, :2], {}),
    ]
    fig = embedding_grid(panels, color=LABELS, color_name="type", cell_ids=CELLS)
    colours = _colors_by_name(fig)
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == 3
    assert {name: next(iter(c)) for name, c in colours.items()} == category_colors(LABELS)
    assert sum(trace.showlegend for trace in fig.data) == 3  # one shared legend
    assert len(fig.data) == 12
    # a figure of other cells with the same categories keeps the colours
    other = embedding_figure(
        COORDS[:30, :2], color=LABELS[:30][::-1], color_name="type", cell_ids=CELLS[:30]
    )
    assert {t.name: t.marker.color for t in other.data} == category_colors(LABELS)


def test_category_colours_order_and_missing() -> None:
    colours = category_colors(["10", "2", "nan", "1"])
    assert list(colours) == ["1", "2", "10", "nan"]
    assert colours["nan"] == MISSING_COLOR
    assert len(set(category_colors([str(i) for i in range(30)]).values())) == 30


def test_scores_are_written_under_panel_titles() -> None:
    panels = [
        ("PCA", COORDS[:, :2], {"knn_accuracy": 0.912, "trustworthiness": 0.8, "n_scored": 60}),
        ("UMAP", COORDS[:, 1:], {"batch_mixing": float("nan"), "silhouette": 0.25}),
    ]
    fig = embedding_grid(panels, color=LABELS, color_name="type", cell_ids=CELLS)
    titles = [a.text for a in fig.layout.annotations]
    assert "kNN acc. 0.91 · trust. 0.80" in titles[0] and "PCA" in titles[0]
    assert "silhouette 0.25" in titles[1] and "batch" not in titles[1]
    assert format_scores({"n_scored": 5}) == ""


def test_continuous_colour_gets_one_colour_bar() -> None:
    values = np.linspace(0, 5, N)
    panels = [("a", COORDS[:, :2], {}), ("b", COORDS[:, 1:], {})]
    fig = embedding_grid(panels, color=values, color_name="CD3E", cell_ids=CELLS)
    assert len(fig.data) == 2
    assert all(trace.marker.coloraxis == "coloraxis" for trace in fig.data)
    assert fig.layout.coloraxis.colorbar.title.text == "CD3E"
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 5.0)
    trace = fig.data[0]
    np.testing.assert_allclose(np.asarray(trace.marker.color), values[np.asarray(trace.customdata)])
    assert np.all(np.diff(np.asarray(trace.marker.color)) >= 0)  # highest drawn last


def test_continuous_is_detected_and_can_be_forced() -> None:
    auto = embedding_figure(COORDS[:, :2], color=np.arange(N), color_name="v", cell_ids=CELLS)
    assert len(auto.data) == 1
    few = np.tile([0, 1, 2], N // 3)
    assert len(embedding_figure(COORDS[:, :2], color=few, color_name="k", cell_ids=CELLS).data) == 3
    forced = embedding_figure(
        COORDS[:, :2], color=few, color_name="k", cell_ids=CELLS, continuous=True
    )
    assert len(forced.data) == 1


def test_hover_shows_cell_colour_and_extra_fields() -> None:
    fig = embedding_figure(
        COORDS[:, :2],
        color=LABELS,
        color_name="type",
        cell_ids=CELLS,
        hover={"batch": ["b1"] * N, "umi": np.full(N, 1234.5678)},
    )
    text = fig.data[0].text[0]
    assert "type: " in text and "batch: b1" in text and "umi: 1235" in text


def test_no_colour_and_bad_shapes() -> None:
    fig = embedding_figure(COORDS[:, :2], color=None, color_name="", cell_ids=CELLS, title="t")
    assert len(fig.data) == 1 and fig.layout.title.text == "t"
    with pytest.raises(ValueError, match="1 to 4 panels"):
        embedding_grid([("a", COORDS[:, :2], {})] * 5, color=None, color_name="", cell_ids=CELLS)
    with pytest.raises(ValueError, match="coords must be"):
        embedding_figure(COORDS[:10, :2], color=None, color_name="", cell_ids=CELLS)


def test_selection_indices_reads_streamlit_events() -> None:
    event = {
        "selection": {
            "points": [
                {"curve_number": 0, "point_index": 3, "customdata": 17},
                {"curve_number": 1, "point_index": 0, "customdata": [4, "extra"]},
                {"curve_number": 0, "point_index": 5, "customdata": 17},
            ],
            "point_indices": [3, 0, 5],
        }
    }
    assert selection_indices(event) == [4, 17]
    assert selection_indices(event["selection"]) == [4, 17]
    assert selection_indices(None) == [] and selection_indices({"selection": {}}) == []
    fig = embedding_figure(COORDS[:, :2], color=LABELS, color_name="type", cell_ids=CELLS)
    without_custom = {"selection": {"points": [{"curve_number": 1, "point_index": 2}]}}
    assert selection_indices(without_custom, fig) == [int(fig.data[1].customdata[2])]


def test_qc_figure_panels_and_removed_cells() -> None:
    qc = pd.DataFrame(
        {
            "total_counts": RNG.integers(100, 1000, N),
            "n_genes": RNG.integers(10, 100, N),
            "pct_mito": RNG.uniform(0, 20, N),
            "kept": np.arange(N) % 5 != 0,
        }
    )
    fig = qc_figure(qc, thresholds={"n_genes": 20})
    assert len(fig.data) == 6  # three metrics × kept / removed
    assert [a.text for a in fig.layout.annotations][:3] == [
        "Total counts per cell",
        "Genes detected per cell",
        "Mitochondrial share (%)",
    ]
    assert len(fig.layout.shapes) == 1
    plain = qc_figure(qc[["total_counts", "n_genes"]])
    assert len(plain.data) == 2
    qc.attrs["value_type"] = "signed"
    assert "not counts" in qc_figure(qc).layout.title.text


def test_hvg_figure_highlights_chosen_genes() -> None:
    stats = pd.DataFrame(
        {
            "means": RNG.uniform(0, 3, 50),
            "dispersions_norm": RNG.normal(size=50),
            "highly_variable": np.arange(50) < 10,
        },
        index=[f"g{i}" for i in range(50)],
    )
    fig = hvg_figure(stats)
    assert [len(trace.x) for trace in fig.data] == [40, 10]
    assert "10 of 50" in fig.layout.title.text


def test_points_of_one_colour_are_named_by_what_they_are() -> None:
    cells = embedding_figure(COORDS[:, :2], color=None, color_name="", cell_ids=CELLS)
    assert cells.data[0].name == "cells"
    sequences = embedding_figure(
        COORDS[:, :2], color=None, color_name="", cell_ids=CELLS, unit="sequences"
    )
    assert sequences.data[0].name == "sequences"
    grid = embedding_grid(
        [("a", COORDS[:, :2], {}), ("b", COORDS[:, :2], {})],
        color=None,
        color_name="",
        cell_ids=CELLS,
        unit="sequences",
    )
    assert {trace.name for trace in grid.data} == {"sequences"}


def test_grid_title_sits_above_the_two_line_panel_titles() -> None:
    scores = {"knn_accuracy": 0.9, "trustworthiness": 0.8}
    fig = embedding_grid(
        [("PCA", COORDS[:, :2], scores), ("tSNE of PCA", COORDS[:, :2], scores)],
        color=LABELS,
        color_name="cell type",
        cell_ids=CELLS,
    )
    title = fig.layout.title
    assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
    # the title's line (about 20 px) and the panels' title and score lines (about 40 px)
    # both fit in the top margin
    assert fig.layout.margin.t - title.pad.t >= 20 + 40 + 20
