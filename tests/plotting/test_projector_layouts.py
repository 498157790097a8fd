"""Figures that read on a projector at 1,024 pixels: square embedding panels with the legend
under the grid, short panel-title lines, the false-positive panels one under the other."""

from __future__ import annotations

import re

import numpy as np

from genodash import curse, plotting
from genodash.plotting.expression import embedding_grid

RNG = np.random.default_rng(0)
CELLS = [f"c{i}" for i in range(40)]
WIDE = np.column_stack([RNG.normal(0, 10, 40), RNG.normal(0, 1, 40)])  # x spans 10× y
SCORES = {"knn_accuracy": 0.74, "silhouette": 0.18, "trustworthiness": 0.85}


def _lines(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", line) for line in text.split("<br>")]


def test_grid_panels_are_square_boxes_with_the_legend_below():
    panels = [(name, WIDE, SCORES) for name in ("PCA", "t-SNE", "UMAP", "latent")]
    fig = embedding_grid(panels, color=["a", "b"] * 20, color_name="type", cell_ids=CELLS)
    for x_axis, y_axis in zip(fig.select_xaxes(), fig.select_yaxes(), strict=True):
        x_span = x_axis.range[1] - x_axis.range[0]
        y_span = y_axis.range[1] - y_axis.range[0]
        assert y_axis.scaleanchor == x_axis.plotly_name.replace("axis", "")
        assert np.isclose(y_span * y_axis.scaleratio, x_span)  # as tall as wide on screen
        assert x_axis.constrain == y_axis.constrain == "domain"
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


def test_a_single_picture_keeps_its_legend_beside_it():
    fig = embedding_grid([("PCA", WIDE, {})], color=["a", "b"] * 20, color_name="t", cell_ids=CELLS)
    assert fig.layout.legend.orientation == "v" and fig.layout.legend.x > 1
    assert fig.layout.yaxis.scaleanchor is None


def test_panel_scores_go_two_to_a_line():
    fig = embedding_grid(
        [("PCA", WIDE, SCORES), ("t-SNE", WIDE, SCORES)],
        color=None,
        color_name="",
        cell_ids=CELLS,
    )
    lines = _lines(fig.layout.annotations[0].text)
    assert lines == ["PCA", "kNN acc. 0.74 · silhouette 0.18", "trust. 0.85"]


def test_sparsity_panel_titles_are_short_lines():
    fig = plotting.sparsity_sample_figure(curse.sparsity_sample(200))
    titles = [a.text for a in fig.layout.annotations if a.yanchor == "bottom"]
    assert len(titles) == 3
    assert all(len(line) <= 17 for title in titles for line in _lines(title)), titles
    assert fig.layout.margin.t >= 120  # room for three lines under the figure title


def test_false_positive_panels_are_stacked_at_full_width():
    fig = plotting.false_positive_figure(curse.extraneous_predictors((30,), (5,), reps=10))
    assert [tuple(axis.domain) for axis in fig.select_xaxes()] == [(0.0, 1.0)] * 3
    tops = [axis.domain[1] for axis in fig.select_yaxes()]
    assert tops == sorted(tops, reverse=True)  # counts, then ≥ 1 false positive, then power


def test_the_ism_note_has_a_line_of_its_own():
    from genodash.plotting.interpret import ism_figure

    fig = ism_figure(np.ones((4, 9)), "ACGTACGTA", motif_start=2, motif_width=3)
    assert fig.layout.title.text.endswith("position<br>(dotted box: the planted motif)")
    assert fig.layout.margin.t >= 80
    assert "<br>" not in ism_figure(np.ones((4, 9)), "ACGTACGTA").layout.title.text


def test_a_long_embedding_title_wraps_and_keeps_user_text_escaped():
    from genodash.plotting.expression import embedding_figure

    name = "UMAP of the penultimate-layer features of CNN on <Planted> motif · 6 Dec 21:22 UTC"
    fig = embedding_figure(WIDE, color=None, color_name="", cell_ids=CELLS, title=name)
    lines = fig.layout.title.text.split("<br>")
    assert len(lines) == 2 and all(len(line) <= 64 for line in lines)
    assert "&lt;Planted&gt;" in fig.layout.title.text and "<Planted>" not in fig.layout.title.text
    short = embedding_figure(WIDE, color=None, color_name="", cell_ids=CELLS, title="PCA")
    assert short.layout.title.text == "PCA"
