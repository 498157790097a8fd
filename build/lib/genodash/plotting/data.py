"""Figures of the data page: class balance, lengths, GC, composition, matrix QC."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.expression.qc import MatrixQC
from genodash.plotting._style import BASE_COLORS, CLASS_COLORS, class_color, escape, style
from genodash.summaries import SequenceProfile


def class_balance_figure(class_counts: Mapping[str, int]) -> go.Figure:
    """Bar chart of how many sequences or cells each class has.

    Parameters
    ----------
    class_counts
        Class name → count, in the order the bars should appear.
    """
    labels = list(class_counts)
    counts = [class_counts[label] for label in labels]
    total = max(1, sum(counts))
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            marker_color=[class_color(i) for i in range(len(labels))],
            text=[f"{c:,} ({c / total:.0%})" for c in counts],
            textposition="outside",
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")
    return style(fig, title="Class balance", x="class", y="count")


def length_histogram_figure(profile: SequenceProfile) -> go.Figure:
    """Histograms of sequence length, one per class, stacked, in whole-base bins.

    Parameters
    ----------
    profile
        Lengths, GC content and composition of the sequences, from
        :func:`genodash.summaries.sequence_profile`.
    """
    bins = whole_number_bins(profile.lengths)
    fig = _per_class(profile, go.Histogram, "x", profile.lengths, xbins=bins)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=",d")
    return style(fig, title="Sequence length", x="length (bp)", y="sequences")


def whole_number_bins(values: np.ndarray, *, most: int = 60) -> dict[str, float]:
    """Histogram bins for whole numbers: each bin holds whole values only, at most ``most``
    bins, so the axis never shows half a base or half a gene.

    Parameters
    ----------
    values
        The whole numbers to bin (e.g. sequence lengths in bp); must not be empty.
    most
        Largest number of bins.

    Returns
    -------
    Plotly ``xbins``: ``start``, ``end`` and ``size`` (a whole number).
    """
    low, high = float(np.min(values)), float(np.max(values))
    size = max(1, int(np.ceil((high - low + 1) / most)))
    return {"start": low - 0.5, "end": high + 0.5, "size": size}


def gc_content_figure(profile: SequenceProfile) -> go.Figure:
    """GC content per sequence, as a box per class.

    Parameters
    ----------
    profile
        The sequences' profile, as for :func:`length_histogram_figure`.
    """
    fig = _per_class(profile, go.Box, "y", profile.gc, boxmean=True)
    fig.update_yaxes(tickformat=".0%")
    return style(fig, title="GC content per sequence", x="class", y="GC content")


def _per_class(
    profile: SequenceProfile,
    trace: type[go.Histogram] | type[go.Box],
    axis: str,
    values: np.ndarray,
    **options: object,
) -> go.Figure:
    """One ``trace`` per class, in class colours, with the class's share of ``values`` (one
    per sequence) on ``axis`` (``"x"`` or ``"y"``); ``options`` go to every trace."""
    fig = go.Figure()
    for i, label in enumerate(profile.composition):
        part = {axis: values[profile.labels == label]}
        fig.add_trace(trace(**part, name=str(label), marker_color=class_color(i), **options))
    return fig


def base_composition_figure(profile: SequenceProfile) -> go.Figure:
    """Share of each base along the sequence (from the 5′ end), one panel per class.

    Only the first six classes are drawn.

    Parameters
    ----------
    profile
        The sequences' profile, as for :func:`length_histogram_figure`.
    """
    classes = list(profile.composition)[:6]
    fig = make_subplots(
        rows=len(classes),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=[str(c) for c in classes],
    )
    for row, label in enumerate(classes, start=1):
        shares = profile.composition[label]
        positions = np.arange(1, shares.shape[0] + 1)
        for b, (base, color) in enumerate(BASE_COLORS.items()):
            fig.add_trace(
                go.Scatter(
                    x=positions,
                    y=shares[:, b],
                    name=base,
                    mode="lines",
                    legendgroup=base,
                    line={"color": color, "width": 2},
                    showlegend=row == 1,
                    hovertemplate=f"{base} at %{{x}}: %{{y:.1%}}<extra>{escape(label)}</extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=row, col=1)
    fig.update_xaxes(title_text="position from 5′ end", row=len(classes), col=1)
    return style(
        fig, title="Base composition along the sequence", height=max(320, 220 * len(classes))
    )


def motif_position_figure(
    starts: Sequence[int], motif_length: int, sequence_length: int
) -> go.Figure:
    """Where the generator planted the motif (start positions), for the positive class.

    Parameters
    ----------
    starts
        Each sequence's planted start, 0-based (−1: no motif; those are left out). The axis
        shows them 1-based.
    motif_length
        Width of the motif in bases.
    sequence_length
        Length of the generated sequences in bases (sets the axis range).
    """
    planted = np.asarray([s for s in starts if s >= 0])
    fig = go.Figure(
        go.Histogram(x=planted + 1, xbins={"start": 0.5, "size": 1}, marker_color=CLASS_COLORS[0])
    )
    fig.update_xaxes(range=[0.5, sequence_length - motif_length + 1.5])
    return style(
        fig,
        title=f"Where the {motif_length}-bp motif was planted",
        x="motif start position (1-based)",
        y="sequences",
    )


def distribution_figure(
    values: np.ndarray, *, title: str, x: str, log_x: bool = False
) -> go.Figure:
    """A histogram of one number per cell, with its median marked.

    With ``log_x`` the bins are even on a log scale and the axis reads in the values
    themselves (100, 200, 500, 1,000…); whole numbers get whole-number bins.

    Parameters
    ----------
    values
        One number per cell, e.g. total counts or detected genes.
    title
        Figure title.
    x
        Label of the x axis (what the values are).
    log_x
        Whether to bin on a log10 scale (values below 1 are drawn at 1).
    """
    values = np.asarray(values, dtype=np.float64)
    median = float(np.median(values))
    if log_x:
        shown = np.log10(np.clip(values, 1, None))
        histogram = go.Histogram(x=shown, nbinsx=60, marker_color=CLASS_COLORS[0])
    elif values.size and np.array_equal(values, np.round(values)):
        histogram = go.Histogram(
            x=values, xbins=whole_number_bins(values), marker_color=CLASS_COLORS[0]
        )
    else:
        histogram = go.Histogram(x=values, nbinsx=60, marker_color=CLASS_COLORS[0])
    fig = go.Figure(histogram)
    at = np.log10(max(median, 1)) if log_x else median
    low, high = (float(np.min(histogram.x)), float(np.max(histogram.x))) if values.size else (0, 1)
    fig.add_vline(
        x=at,
        line_dash="dash",
        line_color="#444",
        annotation_text=f"median {median:,.4g}",
        # the label on the side with room, so it is not cut at the edge
        annotation_position="top left" if at > (low + high) / 2 else "top right",
    )
    if log_x:
        _log_ticks(fig, low, high)
    return style(fig, title=title, x=x, y="cells")


def _log_ticks(fig: go.Figure, low: float, high: float) -> None:
    """Ticks at 1, 2 and 5 × 10ᵏ on a log10 axis, labelled with the values themselves."""
    ticks = [
        np.log10(step * 10.0**power)
        for power in range(int(np.floor(low)), int(np.ceil(high)) + 1)
        for step in (1, 2, 5)
        if low - 0.05 <= np.log10(step * 10.0**power) <= high + 0.05
    ]
    fig.update_xaxes(tickvals=ticks, ticktext=[f"{10**t:,.0f}" for t in ticks])


def top_genes_figure(qc: MatrixQC) -> go.Figure:
    """Horizontal bars of the genes with the largest share of all values.

    Parameters
    ----------
    qc
        Quality-control numbers of a matrix, from :func:`genodash.expression.qc.matrix_qc`.
    """
    fig = go.Figure(
        go.Bar(
            x=qc.top_shares[::-1],
            y=qc.top_genes[::-1],
            orientation="h",
            marker_color=CLASS_COLORS[0],
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    largest = float(np.max(qc.top_shares)) if len(qc.top_shares) else 1.0
    decimals = 1 if largest >= 0.05 else 2 if largest >= 0.005 else 3
    fig.update_xaxes(tickformat=f".{decimals}%")
    return style(
        fig,
        title=f"Top {len(qc.top_genes)} genes by share of all values",
        x="share",
        height=max(360, 22 * len(qc.top_genes) + 100),
    )


def category_counts_figure(counts: Mapping[str, int], *, title: str, x: str = "value") -> go.Figure:
    """Bar chart of the number of cells per value of a metadata column (named ``x``).

    Parameters
    ----------
    counts
        Value of the column → number of cells, in the order the bars should appear.
    title
        Figure title.
    x
        Label of the x axis, e.g. the column's name.
    """
    return style(class_balance_figure(counts), title=title, x=x, y="cells")
