"""Figures of a large read file's streaming summary (genodash.plotting.reads): what each
draws from the binned counts, and how it is labelled."""

from __future__ import annotations

import json

import numpy as np
import pytest

from genodash.plotting import BASE_COLORS, CLASS_COLORS
from genodash.plotting.reads import (
    read_classes_figure,
    read_composition_figure,
    read_gc_figure,
    read_length_figure,
)
from support import annotation_texts, as_list, title, traces

CLASSES = {"bacteria": 40, "virus": 30, "human": 20, "fungi": 10}
GC_EDGES = [i / 20 for i in range(21)]
# each class's reads in a few GC bins: bacteria high GC, human low…
GC_BY_CLASS = {
    "bacteria": [0] * 12 + [10, 20, 10] + [0] * 5,
    "virus": [0] * 8 + [15, 15] + [0] * 10,
    "human": [0] * 6 + [5, 10, 5] + [0] * 11,
    "fungi": [0] * 9 + [5, 5] + [0] * 9,
}
BASES_BY_CLASS = {
    "bacteria": {"A": 900, "C": 1600, "G": 1500, "T": 1000, "N": 0},
    "virus": {"A": 1000, "C": 1000, "G": 1000, "T": 1000, "N": 0},
    "human": {"A": 900, "C": 600, "G": 600, "T": 900, "N": 0},
    "fungi": {"A": 500, "C": 500, "G": 500, "T": 400, "N": 100},
}


def _summary(labelled: bool = True) -> dict:
    """A streaming summary of 100 reads of 60–150 bp in four classes (or none)."""
    base_counts = {b: sum(c[b] for c in BASES_BY_CLASS.values()) for b in "ACGTN"}
    acgt = sum(base_counts[b] for b in "ACGT")
    return {
        "n_reads": 100,
        "n_bases": sum(base_counts.values()),
        "min_length": 60,
        "max_length": 150,
        "mean_length": 139.0,
        "classes": CLASSES if labelled else {},
        "length_histogram": {"edges": [60, 90, 120, 151], "counts": [10, 20, 70]},
        "gc_histogram": {
            "edges": GC_EDGES,
            "counts": list(np.sum(list(GC_BY_CLASS.values()), axis=0)),
        },
        "gc_histogram_by_class": GC_BY_CLASS if labelled else {},
        "base_counts": base_counts,
        "base_counts_by_class": BASES_BY_CLASS if labelled else {},
        "gc_fraction": (base_counts["G"] + base_counts["C"]) / acgt,
    }


def test_classes_one_bar_per_class_with_counts_and_shares():
    fig = read_classes_figure(_summary())
    assert traces(fig) == [("bar", None)]
    assert as_list(fig.data[0].x) == list(CLASSES) and as_list(fig.data[0].y) == [40, 30, 20, 10]
    assert as_list(fig.data[0].text)[0] == "40 (40%)"
    assert title(fig) == "Reads per class"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("class", "reads")


def test_classes_of_unlabelled_reads_is_one_bar_of_all_reads():
    fig = read_classes_figure(_summary(labelled=False))
    assert as_list(fig.data[0].x) == ["all reads"] and as_list(fig.data[0].y) == [100]
    assert title(fig) == "Reads (the file has no labels)"


def test_length_histogram_bars_span_their_bins_and_the_mean_is_marked():
    fig = read_length_figure(_summary())
    assert traces(fig) == [("bar", None)]
    bar = fig.data[0]
    np.testing.assert_allclose(bar.x, [75, 105, 135.5])  # the middles of the bins
    np.testing.assert_allclose(bar.width, [30, 30, 31])  # touching: edge to edge
    assert as_list(bar.y) == [10, 20, 70]
    np.testing.assert_allclose(bar.customdata, [[60, 90], [90, 120], [120, 151]])
    (line,) = fig.layout.shapes
    assert line.x0 == 139.0 and line.line.dash == "dash"
    assert annotation_texts(fig) == ["mean 139.0 bp"]
    assert title(fig) == "Read length"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("length (bp)", "reads")


def test_gc_by_class_is_one_line_per_class_in_shares_of_that_class():
    summary = _summary()
    fig = read_gc_figure(summary)
    assert traces(fig) == [("scatter", c) for c in CLASSES]
    assert [t.line.color for t in fig.data] == list(CLASS_COLORS[:4])
    for trace, counts in zip(fig.data, GC_BY_CLASS.values(), strict=True):
        np.testing.assert_allclose(trace.y, np.array(counts) / sum(counts))
        np.testing.assert_allclose(trace.x, np.arange(20) / 20 + 0.025)
    bacteria = fig.data[0]
    assert bacteria.x[np.argmax(bacteria.y)] == pytest.approx(0.675)  # its GC-rich bin
    assert fig.layout.yaxis.title.text == "share of the class's reads"
    assert fig.layout.xaxis.tickformat == ".0%" and list(fig.layout.xaxis.range) == [0, 1]
    (line,) = fig.layout.shapes
    assert line.x0 == pytest.approx(summary["gc_fraction"])
    assert annotation_texts(fig) == [f"all reads {summary['gc_fraction']:.1%}"]
    assert title(fig) == "GC content per read"


def test_gc_of_unlabelled_reads_is_one_histogram_of_read_counts():
    summary = _summary(labelled=False)
    fig = read_gc_figure(summary)
    assert traces(fig) == [("bar", None)]
    assert as_list(fig.data[0].y) == summary["gc_histogram"]["counts"]
    assert fig.layout.yaxis.title.text == "reads"


def test_composition_stacks_five_bases_for_all_reads_then_each_class():
    fig = read_composition_figure(_summary())
    assert traces(fig) == [("bar", b) for b in "ACGTN"]
    assert [t.marker.color for t in fig.data[:4]] == list(BASE_COLORS.values())
    assert all(as_list(t.y) == ["all reads", *CLASSES] for t in fig.data)
    shares = np.array([t.x for t in fig.data])  # bases × groups
    np.testing.assert_allclose(shares.sum(axis=0), 1.0)
    np.testing.assert_allclose(shares[:, 3], [0.3, 0.2, 0.2, 0.3, 0])  # human: A C G T N
    np.testing.assert_allclose(shares[4, 4], 100 / 2000)  # fungi's N
    assert fig.layout.barmode == "stack" and fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.legend.traceorder == "normal"  # the legend reads A C G T N
    assert title(fig) == "Base composition"
    assert fig.layout.xaxis.title.text == "share of bases"


def test_composition_of_unlabelled_reads_is_one_bar():
    fig = read_composition_figure(_summary(labelled=False))
    assert all(as_list(t.y) == ["all reads"] for t in fig.data)


def test_a_class_named_all_reads_keeps_the_overall_bar():
    summary = _summary()
    summary["base_counts_by_class"] = {"all reads": BASES_BY_CLASS["fungi"]}
    fig = read_composition_figure(summary)
    overall_a = 3300 / 14000  # all classes' A over all their bases, not fungi's 500 / 2000
    assert as_list(fig.data[0].y) == ["all reads", "all reads"]
    np.testing.assert_allclose(fig.data[0].x, [overall_a, 0.25])


def test_no_reads_draws_empty_figures_without_dividing_by_zero():
    empty = {
        "n_reads": 0,
        "n_bases": 0,
        "min_length": 0,
        "max_length": 0,
        "mean_length": 0.0,
        "classes": {},
        "length_histogram": {"edges": [0, 1], "counts": [0]},
        "gc_histogram": {"edges": GC_EDGES, "counts": [0] * 20},
        "gc_histogram_by_class": {},
        "base_counts": dict.fromkeys("ACGTN", 0),
        "base_counts_by_class": {},
        "gc_fraction": 0.0,
    }
    for build in (read_classes_figure, read_length_figure, read_gc_figure):
        json.loads(build(empty).to_json())
    composition = read_composition_figure(empty)
    assert [t.x[0] for t in composition.data] == [0.0] * 5


def test_hostile_class_names_are_escaped_in_the_hover_too():
    summary = _summary()
    summary["gc_histogram_by_class"] = {"<b>x</b>": GC_BY_CLASS["virus"]}
    fig = read_gc_figure(summary)
    assert fig.data[0].name == "&lt;b&gt;x&lt;/b&gt;"
    assert fig.data[0].hovertemplate.endswith("<extra>&lt;b&gt;x&lt;/b&gt;</extra>")
