"""Figures of the data page (genodash.plotting.data): traces, titles and axis titles.

tests/test_summaries.py covers trace counts per class, the motif positions kept,
whole-number bins and the log axis of the distribution; this file checks what each
figure draws and how it is labelled.
"""

from __future__ import annotations

import numpy as np
import pytest

from genodash.expression.qc import MatrixQC
from genodash.plotting import BASE_COLORS, CLASS_COLORS
from genodash.plotting import data as figures
from genodash.summaries import SequenceProfile
from support import annotation_texts, as_list, axis_titles, title, traces


def _profile(classes: tuple[str, ...] = ("pos", "neg"), positions: int = 5) -> SequenceProfile:
    """Two sequences per class; lengths 10, 11, 12…; GC 0.1, 0.2, 0.3…"""
    n = 2 * len(classes)
    shares = np.tile([0.1, 0.2, 0.3, 0.4], (positions, 1))
    return SequenceProfile(
        lengths=np.arange(10, 10 + n),
        gc=np.arange(1, n + 1) / 10,
        labels=np.repeat(np.array(classes), 2),
        composition={c: shares for c in classes},
        n_profiled=n,
        n_total=n,
    )


def test_class_balance_draws_one_bar_per_class_with_counts_and_shares():
    fig = figures.class_balance_figure({"pos": 3, "neg": 1})
    assert traces(fig) == [("bar", None)]
    bar = fig.data[0]
    assert as_list(bar.x) == ["pos", "neg"] and as_list(bar.y) == [3, 1]
    assert as_list(bar.text) == ["3 (75%)", "1 (25%)"]
    assert as_list(bar.marker.color) == list(CLASS_COLORS[:2])
    assert title(fig) == "Class balance"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("class", "count")
    assert fig.layout.xaxis.type == "category"  # classes named "1", "2" stay names


def test_class_balance_of_no_sequences_does_not_divide_by_zero():
    fig = figures.class_balance_figure({"a": 0})
    assert as_list(fig.data[0].text) == ["0 (0%)"]


def test_category_counts_names_its_axes_cells_and_the_column():
    fig = figures.category_counts_figure({"T": 5, "B": 2}, title="Cells per type", x="cell type")
    assert traces(fig) == [("bar", None)]
    assert as_list(fig.data[0].y) == [5, 2]
    assert title(fig) == "Cells per type"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("cell type", "cells")
    default = figures.category_counts_figure({"T": 5}, title="t")
    assert default.layout.xaxis.title.text == "value"


def test_length_histogram_has_one_named_histogram_per_class():
    fig = figures.length_histogram_figure(_profile())
    assert traces(fig) == [("histogram", "pos"), ("histogram", "neg")]
    assert as_list(fig.data[0].x) == [10, 11] and as_list(fig.data[1].x) == [12, 13]
    assert [t.marker.color for t in fig.data] == list(CLASS_COLORS[:2])
    assert title(fig) == "Sequence length"
    assert axis_titles(fig, "x") == ["length (bp)"] and axis_titles(fig, "y") == ["sequences"]


def test_gc_content_has_one_box_per_class():
    fig = figures.gc_content_figure(_profile())
    assert traces(fig) == [("box", "pos"), ("box", "neg")]
    np.testing.assert_allclose(fig.data[1].y, [0.3, 0.4])
    assert all(t.boxmean is True for t in fig.data)
    assert title(fig) == "GC content per sequence"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("class", "GC content")
    assert fig.layout.yaxis.tickformat == ".0%"


def test_base_composition_has_a_panel_per_class_and_four_base_lines_each():
    fig = figures.base_composition_figure(_profile(("pos", "neg"), positions=5))
    assert traces(fig) == [("scatter", base) for base in "ACGT"] * 2
    assert [t.line.color for t in fig.data[:4]] == list(BASE_COLORS.values())
    assert [t.showlegend for t in fig.data] == [True] * 4 + [False] * 4  # one legend entry
    assert [t.yaxis for t in fig.data] == ["y"] * 4 + ["y2"] * 4
    assert as_list(fig.data[0].x) == [1, 2, 3, 4, 5]  # counted from 1
    np.testing.assert_allclose(fig.data[3].y, [0.4] * 5)  # T's share
    assert annotation_texts(fig) == ["pos", "neg"]  # the panel titles
    assert title(fig) == "Base composition along the sequence"
    # only the bottom panel names the shared x axis
    assert axis_titles(fig, "x") == [None, "position from 5′ end"]


def test_base_composition_shows_at_most_six_classes():
    classes = tuple(f"c{i}" for i in range(8))
    fig = figures.base_composition_figure(_profile(classes))
    assert len(fig.data) == 6 * 4
    assert annotation_texts(fig) == list(classes[:6])
    assert fig.layout.height == 6 * 220


def test_motif_position_figure_is_labelled_and_spans_the_possible_starts():
    fig = figures.motif_position_figure([0, 4, -1], motif_length=4, sequence_length=12)
    assert traces(fig) == [("histogram", None)]
    assert as_list(fig.data[0].x) == [1, 5]  # 1-based
    assert title(fig) == "Where the 4-bp motif was planted"
    assert fig.layout.xaxis.title.text == "motif start position (1-based)"
    assert fig.layout.yaxis.title.text == "sequences"
    assert list(fig.layout.xaxis.range) == [0.5, 9.5]  # starts 1…9 fit a 4-bp motif in 12


@pytest.mark.parametrize("log_x", [False, True])
def test_distribution_figure_is_a_histogram_with_its_median_marked(log_x):
    values = np.array([10.0, 100.0, 1000.0])
    fig = figures.distribution_figure(values, title="Total counts", x="counts", log_x=log_x)
    assert traces(fig) == [("histogram", None)]
    assert title(fig) == "Total counts"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("counts", "cells")
    (line,) = fig.layout.shapes
    assert line.type == "line" and line.line.dash == "dash"
    assert line.x0 == pytest.approx(2.0 if log_x else 100.0)  # log10(100) on a log axis
    assert annotation_texts(fig) == ["median 100"]
    if log_x:
        np.testing.assert_allclose(fig.data[0].x, [1.0, 2.0, 3.0])


def test_distribution_of_fractions_gets_even_bins_not_whole_numbers():
    fig = figures.distribution_figure(np.array([0.5, 1.25, 2.0]), title="t", x="share")
    assert fig.data[0].nbinsx == 60 and fig.data[0].xbins.size is None


def test_top_genes_are_horizontal_bars_largest_on_top():
    qc = MatrixQC(
        totals=np.array([10.0, 20.0]),
        detected=np.array([2, 3]),
        top_genes=["MT-CO1", "ACTB", "GAPDH"],
        top_shares=np.array([0.30, 0.10, 0.02]),
        value_type="counts",
    )
    fig = figures.top_genes_figure(qc)
    assert traces(fig) == [("bar", None)]
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert as_list(bar.y) == ["GAPDH", "ACTB", "MT-CO1"]  # plotly draws the last on top
    np.testing.assert_allclose(bar.x, [0.02, 0.10, 0.30])
    assert title(fig) == "Top 3 genes by share of all values"
    assert fig.layout.xaxis.title.text == "share"
    assert fig.layout.xaxis.tickformat == ".1%"
    small = MatrixQC(qc.totals, qc.detected, ["a"], np.array([0.001]), "counts")
    assert figures.top_genes_figure(small).layout.xaxis.tickformat == ".3%"
