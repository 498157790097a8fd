"""Figures of interpretation (genodash.plotting.interpret): traces, motif marks and labels."""

from __future__ import annotations

import numpy as np
import pytest

from genodash.plotting import BASE_COLORS, CLASS_COLORS
from genodash.plotting.interpret import (
    attention_figure,
    end_composition_figure,
    end_saliency_figure,
    importance_figure,
    importance_profile_figure,
    ism_figure,
    sample_calls_figure,
)
from support import annotation_texts, as_list, axis_titles, title, traces

SEQUENCE = "ACGTNAACG"  # the N has no bar and no "present" mark
SCORES = np.arange(1.0, 10.0)  # position i (1-based) scores i


def test_importance_has_one_bar_trace_per_base_at_its_positions():
    fig = importance_figure(SCORES, SEQUENCE, title="Saliency for class pos")
    assert traces(fig) == [("bar", base) for base in "ACGT"]
    assert [t.marker.color for t in fig.data] == list(BASE_COLORS.values())
    by_base = {t.name: (as_list(t.x), as_list(t.y)) for t in fig.data}
    assert by_base["A"] == ([1, 6, 7], [1.0, 6.0, 7.0])
    assert by_base["G"] == ([3, 9], [3.0, 9.0])
    assert by_base["T"] == ([4], [4.0])
    assert title(fig) == "Saliency for class pos"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "position (base)",
        "importance",
    )
    # a short sequence is written under its bars
    assert as_list(fig.layout.xaxis.ticktext) == list(SEQUENCE)
    assert as_list(fig.layout.xaxis.tickvals) == list(range(1, 10))
    assert not fig.layout.shapes  # no motif given


def test_importance_shades_the_planted_motif_in_original_coordinates():
    fig = importance_figure(
        SCORES[2:], SEQUENCE[2:], title="t", first_position=2, motif_start=3, motif_width=4
    )
    assert as_list(fig.data[0].x) == [6, 7]  # the window starts at base 3
    (band,) = fig.layout.shapes
    assert (band.x0, band.x1) == (3.5, 7.5)  # bases 4…7
    assert annotation_texts(fig) == ["planted motif"]


def test_importance_of_a_long_sequence_keeps_numbered_ticks():
    long = "ACGT" * 25
    fig = importance_figure(np.ones(100), long, title="t")
    assert fig.layout.xaxis.ticktext is None
    assert sum(len(t.x) for t in fig.data) == 100


def test_ism_is_a_base_by_position_heatmap_with_present_bases_marked():
    table = np.zeros((4, 9))
    table[2, 3] = -2.0  # G at position 4 lowers the class most
    table[0, 0] = 0.5
    fig = ism_figure(table, SEQUENCE, first_position=10)
    assert traces(fig) == [("heatmap", None), ("scatter", "base present")]
    heat, present = fig.data
    assert as_list(heat.y) == list("ACGT")
    assert as_list(heat.x) == list(range(11, 20))
    assert (heat.zmin, heat.zmax) == (-2.0, 2.0)  # symmetric: white is no effect
    assert heat.colorbar.title.text == "Δ log-odds"
    assert as_list(present.y) == [b for b in SEQUENCE if b != "N"]
    assert as_list(present.x) == [11, 12, 13, 14, 16, 17, 18, 19]
    assert title(fig) == "In-silico mutagenesis: effect of each base at each position"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "position (base)",
        "base",
    )
    assert not fig.layout.shapes


def test_ism_outlines_the_motif_and_says_so_in_the_title():
    fig = ism_figure(np.ones((4, 9)), SEQUENCE, motif_start=2, motif_width=3)
    (box,) = fig.layout.shapes
    assert (box.x0, box.x1) == (2.5, 5.5) and box.line.dash == "dot"
    # a label would cover cells: the title names the box instead (and an annotation without
    # text is drawn by plotly as "new text")
    assert len(fig.layout.annotations) == 0
    assert title(fig).endswith("(dotted box: the planted motif)")


def test_ism_of_no_effect_keeps_a_valid_colour_range():
    heat = ism_figure(np.zeros((4, 9)), SEQUENCE).data[0]
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)


def test_importance_profile_has_one_line_per_group():
    profiles = {"pos": np.array([0.1, 0.5, 0.2]), "neg": np.array([0.0, 0.1, 0.0])}
    fig = importance_profile_figure(profiles, title="Mean saliency by class")
    assert traces(fig) == [("scatter", "pos"), ("scatter", "neg")]
    assert [t.line.color for t in fig.data] == list(CLASS_COLORS[:2])
    assert as_list(fig.data[0].x) == [1, 2, 3]
    np.testing.assert_allclose(fig.data[0].y, [0.1, 0.5, 0.2])
    assert title(fig) == "Mean saliency by class"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "position from 5′ end",
        "mean importance",
    )
    other = importance_profile_figure(profiles, title="t", y="mean |saliency|")
    assert other.layout.yaxis.title.text == "mean |saliency|"


@pytest.mark.parametrize("extra_spans", [0, 2])
def test_attention_is_a_token_by_token_heatmap_labelled_by_bases(extra_spans):
    weights = np.array([[0.7, 0.3, 0.0], [0.2, 0.2, 0.6], [0.0, 0.0, 1.0]])
    spans = [(0, 4), (4, 8), (8, 12)] + [(12, 16)] * extra_spans  # extra tokens are cut
    fig = attention_figure(weights, spans, title="Layer 1, head 2")
    assert traces(fig) == [("heatmap", None)]
    heat = fig.data[0]
    assert as_list(heat.x) == as_list(heat.y) == ["1–4", "5–8", "9–12"]
    np.testing.assert_allclose(heat.z, weights)
    assert heat.colorbar.title.text == "weight"
    assert title(fig) == "Layer 1, head 2"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "attended token (bases)",
        "token (bases)",
    )
    assert fig.layout.yaxis.autorange == "reversed"


T_FROM_5 = {"ancient": np.array([0.37, 0.34, 0.32]), "modern": np.array([0.30, 0.29, 0.30])}
A_FROM_3 = {"ancient": np.array([0.36, 0.33, 0.31]), "modern": np.array([0.29, 0.30, 0.30])}


def test_end_composition_has_a_panel_per_end_and_a_line_per_class():
    fig = end_composition_figure(T_FROM_5, A_FROM_3)
    assert traces(fig) == [("scatter", c) for c in ("ancient", "modern") * 2]
    assert [t.showlegend for t in fig.data] == [True, True, False, False]  # one legend entry
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2"]
    assert [t.line.color for t in fig.data[:2]] == list(CLASS_COLORS[:2])
    assert as_list(fig.data[0].x) == [1, 2, 3]
    np.testing.assert_allclose(fig.data[2].y, A_FROM_3["ancient"])
    assert annotation_texts(fig) == ["T from the 5′ end", "A from the 3′ end"]
    assert axis_titles(fig) == ["position from the 5′ end", "position from the 3′ end"]
    assert fig.layout.yaxis.title.text == "share of reads"
    assert title(fig) == "Base composition at the read ends, by class"
    assert fig.layout.legend.y < 0  # below the panels, off the second panel's title


def test_end_saliency_shades_the_ends_and_states_the_ratio():
    profile = {"this model": np.array([1.0, 0.8, 0.5, 0.2, 0.1, 0.1, 0.1])}
    fig = end_saliency_figure(profile, profile, ends=3, ratio=6.25)
    assert traces(fig) == [("scatter", "this model")] * 2
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0.5, 3.5), (0.5, 3.5)]
    assert [s.xref for s in fig.layout.shapes] == ["x", "x2"]
    assert "first and last 3 bases (shaded) carry 6.2× the saliency per base" in title(fig)
    assert fig.layout.yaxis.title.text == "mean |saliency|"
    assert axis_titles(fig) == ["position from the 5′ end", "position from the 3′ end"]


def test_sample_calls_overlays_one_histogram_per_kind_of_sample():
    shares = {"ancient": np.array([0.57, 0.58, 0.6]), "modern": np.array([0.41, 0.43])}
    fig = sample_calls_figure(shares, called="ancient", sample_size=1000)
    assert traces(fig) == [
        ("histogram", "samples of ancient reads"),
        ("histogram", "samples of modern reads"),
    ]
    np.testing.assert_allclose(fig.data[1].x, [0.41, 0.43])
    assert fig.layout.barmode == "overlay"
    assert title(fig) == "Samples of 1,000 reads: share called ancient"
    assert fig.layout.xaxis.title.text == "share of the 1,000 reads called ancient"
