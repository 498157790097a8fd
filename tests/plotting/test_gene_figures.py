"""Figures of gene selection (genodash.plotting.genes): the accuracy curve, the top genes of
each ranking and the overlap of the top lists; gene names stay text."""

from __future__ import annotations

import pandas as pd

from genodash.plotting.genes import accuracy_curve_figure, overlap_figure, ranking_bars_figure
from support import annotation_texts, as_list, axis_titles, title, traces

CURVE = pd.DataFrame(
    {
        "ranking": ["hvg"] * 3 + ["gradient"] * 3,
        "k": [10, 20, 50] * 2,
        "accuracy": [0.5, 0.6, 0.8, 0.7, 0.75, 0.8],
    }
)
SCORES = pd.DataFrame(
    {"hvg": [3.0, 1.0, 2.0, float("nan")], "gradient": [0.1, 0.4, 0.3, 0.2]},
    index=["CD3E", "LYZ", "<b>MS4A1</b>", "NKG7"],
)
OVERLAP = pd.DataFrame(
    {
        "k": [10, 20, 10, 20],
        "first": ["hvg", "hvg", "gradient", "gradient"],
        "second": ["gradient", "gradient", "perturbation", "perturbation"],
        "shared": [1, 6, 5, 12],
        "fraction": [0.1, 0.3, 0.5, 0.6],
    }
)


def test_accuracy_curve_has_one_line_per_ranking_on_a_log_axis():
    fig = accuracy_curve_figure(CURVE, all_genes=0.82)
    assert traces(fig) == [
        ("scatter", "highly variable genes"),
        ("scatter", "gradient importance"),
    ]
    assert as_list(fig.data[1].y) == [0.7, 0.75, 0.8]
    assert fig.layout.xaxis.type == "log"
    assert as_list(fig.layout.xaxis.tickvals) == [10, 20, 50]
    assert axis_titles(fig) == ["genes kept (log scale)"]
    assert "all genes: 0.820" in annotation_texts(fig)
    label = fig.layout.annotations[0]  # left end, above the line: clear of the last points
    assert (label.x, label.xanchor, label.yanchor) == (0, "left", "bottom")
    assert title(fig).startswith("Test accuracy")


def test_accuracy_curve_without_the_all_genes_line():
    fig = accuracy_curve_figure(CURVE)
    assert not fig.layout.shapes and not fig.layout.annotations


def test_ranking_bars_show_each_rankings_top_genes_best_on_top():
    fig = ranking_bars_figure(SCORES, top=2)
    assert [trace.type for trace in fig.data] == ["bar", "bar"]
    assert as_list(fig.data[0].y) == ["&lt;b&gt;MS4A1&lt;/b&gt;", "CD3E"]  # best last: on top
    assert as_list(fig.data[1].y) == ["&lt;b&gt;MS4A1&lt;/b&gt;", "LYZ"]
    assert annotation_texts(fig) == ["highly variable genes", "gradient importance"]
    assert title(fig) == "Top 2 genes of each ranking"


def test_ranking_bars_leave_out_genes_without_a_score():
    fig = ranking_bars_figure(SCORES, top=10)
    assert "NKG7" not in as_list(fig.data[0].y) and len(fig.data[0].y) == 3


def test_overlap_has_one_line_per_pair_and_the_chance_line():
    fig = overlap_figure(OVERLAP, n_genes=100)
    assert traces(fig) == [
        ("scatter", "HVG vs gradient"),
        ("scatter", "gradient vs perturbation"),
        ("scatter", "two random lists"),
    ]
    assert as_list(fig.data[0].y) == [0.1, 0.3]
    assert as_list(fig.data[2].y) == [0.1, 0.2]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.tickformat == ".0%"
    assert len(overlap_figure(OVERLAP).data) == 2  # no gene count: no chance line
