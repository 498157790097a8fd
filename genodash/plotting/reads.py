"""Figures of a large read file, drawn from its streaming summary: read lengths, GC content
per read, base composition and reads per class.

The summary is computed in the one pass that converts the file (millions of reads), so
these figures get counts already binned, never one value per read:

- ``n_reads``, ``n_bases``, ``min_length``, ``max_length``, ``mean_length``;
- ``classes``: label → reads (``{}`` when the reads have no labels);
- ``length_histogram`` and ``gc_histogram``: ``{"edges": [k + 1 numbers], "counts": [k]}``
  (lengths in bp; GC as the share 0…1 of a read's bases);
- ``gc_histogram_by_class``: label → ``k`` counts over the GC edges (``{}`` when unlabelled);
- ``base_counts``: ``{"A", "C", "G", "T", "N"}`` → bases; ``base_counts_by_class``: label →
  the same (``{}`` when unlabelled);
- ``gc_fraction``: G + C over A + C + G + T, all reads together.

For a data set held in memory (one value per sequence) see :mod:`genodash.plotting.data`;
reads per class are drawn by its :func:`~genodash.plotting.data.class_balance_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from genodash.plotting._style import BASE_COLORS, CLASS_COLORS, class_color, markup, style
from genodash.plotting.data import class_balance_figure

READ_BASES = {**BASE_COLORS, "N": "#999999"}
ALL_READS = "all reads"


def read_classes_figure(summary: Mapping[str, Any]) -> go.Figure:
    """Bar chart of how many reads each class has (one bar of all reads when unlabelled).

    Parameters
    ----------
    summary
        The streaming summary of a read file (see this module's description).
    """
    classes = summary["classes"]
    if not classes:
        fig = class_balance_figure({ALL_READS: summary["n_reads"]})
        return style(fig, title="Reads (the file has no labels)", x="", y="reads")
    return style(class_balance_figure(classes), title="Reads per class", x="class", y="reads")


def read_length_figure(summary: Mapping[str, Any]) -> go.Figure:
    """Histogram of read length, from the summary's binned counts, the mean marked.

    Parameters
    ----------
    summary
        The streaming summary of a read file (see this module's description).
    """
    histogram = summary["length_histogram"]
    hover = "%{customdata[0]:,.4~g}–%{customdata[1]:,.4~g} bp: %{y:,} reads<extra></extra>"
    fig = go.Figure(_bars(histogram["edges"], histogram["counts"], hover=hover))
    mean = summary["mean_length"]
    _mark(fig, mean, f"mean {mean:,.1f} bp", histogram["edges"])
    fig.update_xaxes(tickformat=",d")
    return style(fig, title="Read length", x="length (bp)", y="reads")


def read_gc_figure(summary: Mapping[str, Any]) -> go.Figure:
    """GC content per read, from the summary's binned counts, the overall GC share marked.

    Unlabelled reads: one histogram of read counts. Labelled reads: one line per class
    giving the share of *that class's* reads in each bin, so that classes of different
    sizes compare.

    Parameters
    ----------
    summary
        The streaming summary of a read file (see this module's description).
    """
    edges = summary["gc_histogram"]["edges"]
    by_class = summary["gc_histogram_by_class"]
    if by_class:
        lines = [_class_line(edges, c, counts, i) for i, (c, counts) in enumerate(by_class.items())]
        fig = go.Figure(lines)
        y = "share of the class's reads"
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    else:
        hover = "GC %{customdata[0]:.0%}–%{customdata[1]:.0%}: %{y:,} reads<extra></extra>"
        fig = go.Figure(_bars(edges, summary["gc_histogram"]["counts"], hover=hover))
        y = "reads"
    gc = summary["gc_fraction"]
    _mark(fig, gc, f"all reads {gc:.1%}", edges)
    fig.update_xaxes(tickformat=".0%", range=[edges[0], edges[-1]])
    return style(fig, title="GC content per read", x="GC content", y=y)


def read_composition_figure(summary: Mapping[str, Any]) -> go.Figure:
    """Share of A, C, G, T and N among all bases, for all reads and for each class, as one
    stacked horizontal bar per group (all reads on top).

    Parameters
    ----------
    summary
        The streaming summary of a read file (see this module's description).
    """
    groups = [(ALL_READS, summary["base_counts"]), *summary["base_counts_by_class"].items()]
    names = [name for name, _ in groups]
    totals = np.array([max(1, sum(c.get(b, 0) for b in READ_BASES)) for _, c in groups])
    fig = go.Figure()
    for base, color in READ_BASES.items():
        counts = np.array([c.get(base, 0) for _, c in groups], dtype=np.float64)
        shares = counts / totals
        fig.add_trace(
            go.Bar(
                x=shares,
                y=names,
                orientation="h",
                name=base,
                marker_color=color,
                customdata=counts,
                text=[f"{s:.1%}" if s >= 0.04 else "" for s in shares],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate=f"{base}: %{{x:.2%}} (%{{customdata:,.0f}} bases)"
                "<extra>%{y}</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(type="category", autorange="reversed")
    return style(
        fig,
        title="Base composition",
        x="share of bases",
        height=max(260, 60 * len(names) + 140),
        layout={"legend": {"traceorder": "normal"}},  # A C G T N, not plotly's stacked reverse
    )


def _bars(edges: Sequence[float], counts: Sequence[int], *, hover: str) -> go.Bar:
    """Bars over binned counts: each bin from its left edge to its right edge, touching.

    The hover ``customdata`` holds each bin's edges (``[left, right]``).
    """
    edges = np.asarray(edges, dtype=np.float64)
    return go.Bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=np.asarray(counts),
        width=np.diff(edges),
        customdata=np.column_stack([edges[:-1], edges[1:]]),
        marker={"color": CLASS_COLORS[0], "line": {"width": 0}},
        hovertemplate=hover,
    )


def _class_line(
    edges: Sequence[float], label: str, counts: Sequence[int], index: int
) -> go.Scatter:
    """One class's GC histogram as a line through its bins' middles, in shares of the
    class's reads (its points sum to 1)."""
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    return go.Scatter(
        x=(edges[:-1] + edges[1:]) / 2,
        y=counts / max(1.0, counts.sum()),
        customdata=np.column_stack([edges[:-1], edges[1:], counts]),
        mode="lines+markers",
        line={"color": class_color(index), "width": 2},
        marker={"size": 5},
        name=label,
        hovertemplate=markup(
            "GC %{{customdata[0]:.0%}}–%{{customdata[1]:.0%}}: %{{y:.1%}} of the class "
            "(%{{customdata[2]:,.0f}} reads)<extra>{}</extra>",
            label,
        ),
    )


def _mark(fig: go.Figure, at: float, text: str, edges: Sequence[float]) -> None:
    """A dashed vertical line at ``at``, labelled ``text`` on the side of it with more room
    between the first and last of ``edges``."""
    middle = (edges[0] + edges[-1]) / 2 if len(edges) else at
    fig.add_vline(
        x=at,
        line_dash="dash",
        line_color="#444",
        annotation_text=text,
        annotation_position="top left" if at > middle else "top right",
    )
