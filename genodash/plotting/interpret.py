"""Figures of interpretation: importance along a sequence, ISM heatmaps, attention, profiles,
and what sits at read ends (composition, saliency, calls on samples of many reads)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.plotting._style import BASE_COLORS, Html, class_color, style

_ALPHABET = "ACGT"


def _shade_motif(
    fig: go.Figure, start: int | None, width: int | None, *, outline: bool = False
) -> None:
    """Mark the planted motif: a shaded band behind bars, or an outline over a heatmap."""
    if start is None or start < 0 or not width:
        return
    look = (
        {"fillcolor": "rgba(0,0,0,0)", "line": {"color": "#222", "width": 2, "dash": "dot"}}
        if outline
        else {"fillcolor": "#F0E442", "opacity": 0.35, "line_width": 0, "layer": "below"}
    )
    # an outline (over a heatmap) is named in the title: a label there would cover cells
    # (plotly draws an annotation with no text as the placeholder "new text")
    label = (
        {}
        if outline
        else {"annotation_text": "planted motif", "annotation_position": "outside top left"}
    )
    fig.add_vrect(x0=start + 0.5, x1=start + width + 0.5, **label, **look)


def importance_figure(
    scores: np.ndarray,
    sequence: str,
    *,
    title: str,
    first_position: int = 0,
    motif_start: int | None = None,
    motif_width: int | None = None,
) -> go.Figure:
    """One bar per position, coloured by the base present; the planted motif shaded.

    ``sequence`` and ``scores`` start at ``first_position`` (0-based) of the original
    sequence; the axis counts bases from 1, and ``motif_start`` is 0-based in the original.

    Parameters
    ----------
    scores
        One importance score per base ``(L,)``, e.g. a row of
        :func:`genodash.interpret.importance`.
    sequence
        The bases the scores belong to (only the first ``min(len(sequence), L)`` are drawn).
    title
        Figure title.
    first_position
        Where ``sequence`` starts in the original sequence, 0-based.
    motif_start
        Start of the planted motif, 0-based in the original sequence; ``None`` (or −1) for
        no motif.
    motif_width
        Width of the planted motif in bases; ``None`` for no motif.
    """
    length = min(len(sequence), len(scores))
    positions = np.arange(1, length + 1) + first_position
    fig = go.Figure()
    for base, color in BASE_COLORS.items():
        picked = np.array([sequence[i] == base for i in range(length)])
        fig.add_trace(
            go.Bar(
                x=positions[picked],
                y=np.asarray(scores[:length])[picked],
                name=base,
                marker_color=color,
                hovertemplate=f"{base} at %{{x}}: %{{y:.3f}}<extra></extra>",
            )
        )
    _shade_motif(fig, motif_start, motif_width)
    fig.update_layout(barmode="overlay", bargap=0.05)
    fig.update_yaxes(tickformat=".2~g")
    if length <= 80:
        fig.update_xaxes(
            tickmode="array",
            tickvals=positions.tolist(),
            ticktext=list(sequence[:length]),
            tickangle=0,
        )
    return style(fig, title=title, x="position (base)", y="importance")


def ism_figure(
    table: np.ndarray,
    sequence: str,
    *,
    first_position: int = 0,
    motif_start: int | None = None,
    motif_width: int | None = None,
) -> go.Figure:
    """In-silico mutagenesis as a 4 × L heatmap: red raises the class, blue lowers it.

    Parameters
    ----------
    table
        ``(4, L)`` change in log-odds for each base (rows A, C, G, T) at each position, e.g.
        one sequence of :func:`genodash.interpret.ism`.
    sequence
        The bases of the sequence; the base present is circled.
    first_position, motif_start, motif_width
        Positions as in :func:`importance_figure`.
    """
    length = min(len(sequence), table.shape[1])
    values = table[:, :length]
    limit = float(np.abs(values).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=np.arange(1, length + 1) + first_position,
            y=list(_ALPHABET),
            colorscale="RdBu_r",
            zmin=-limit,
            zmax=limit,
            colorbar={"title": "Δ log-odds"},
            hovertemplate="%{y} at %{x}: %{z:.3f}<extra></extra>",
        )
    )
    present = [_ALPHABET.index(b) if b in _ALPHABET else None for b in sequence[:length]]
    fig.add_trace(
        go.Scatter(
            x=[first_position + i + 1 for i, b in enumerate(present) if b is not None],
            y=[_ALPHABET[b] for b in present if b is not None],
            mode="markers",
            marker={"symbol": "circle-open", "color": "black", "size": 6},
            name="base present",
            hoverinfo="skip",
        )
    )
    _shade_motif(fig, motif_start, motif_width, outline=True)
    planted = motif_start is not None and motif_start >= 0 and motif_width
    # the note on its own line: on one line the title ran past the figure at 1,024 pixels
    note = "<br>(dotted box: the planted motif)" if planted else ""
    return style(
        fig,
        title=Html("In-silico mutagenesis: effect of each base at each position" + note),
        x="position (base)",
        y="base",
        height=320 if planted else 300,
        layout={"margin": {"t": 80}} if planted else None,
    )


def importance_profile_figure(
    profiles: Mapping[str, np.ndarray], *, title: str, y: str = "mean importance"
) -> go.Figure:
    """Mean importance along the sequence, one line per group (e.g. per class).

    Parameters
    ----------
    profiles
        Group name → one value per position from the 5′ end ``(L,)``.
    title
        Figure title.
    y
        Label of the y axis.
    """
    fig = go.Figure()
    for i, (label, profile) in enumerate(profiles.items()):
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(profile) + 1),
                y=profile,
                mode="lines",
                name=str(label),
                line={"color": class_color(i), "width": 2},
            )
        )
    return style(fig, title=title, x="position from 5′ end", y=y)


def attention_figure(
    weights: np.ndarray, spans: Sequence[tuple[int, int]], *, title: str
) -> go.Figure:
    """Attention of one head: row token attends to column token.

    Parameters
    ----------
    weights
        ``(T, T)`` attention weights of one head (each row sums to 1).
    spans
        Per token, the (start, end) bases it covers, 0-based, end exclusive (as in
        :class:`genodash.interpret.SequenceAttention`); labelled 1-based on the axes.
    title
        Figure title.
    """
    labels = [f"{a + 1}–{b}" for a, b in spans[: weights.shape[0]]]
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=labels,
            y=labels,
            colorscale="Viridis",
            zmin=0,
            colorbar={"title": "weight"},
            hovertemplate="token %{y} → %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return style(fig, title=title, x="attended token (bases)", y="token (bases)", height=460)


def _two_ends(
    left: Mapping[str, np.ndarray],
    right: Mapping[str, np.ndarray],
    *,
    titles: tuple[str, str],
    ends: int | None = None,
) -> go.Figure:
    """Two panels side by side, one line per group, positions counted from each end."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=titles)
    for col, profiles in ((1, left), (2, right)):
        for i, (label, values) in enumerate(profiles.items()):
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(values) + 1),
                    y=np.asarray(values, dtype=float),
                    mode="lines+markers",
                    name=str(label),
                    legendgroup=str(label),
                    showlegend=col == 1,
                    line={"color": class_color(i), "width": 2},
                    marker={"size": 5},
                ),
                row=1,
                col=col,
            )
        if ends:
            fig.add_vrect(
                x0=0.5,
                x1=ends + 0.5,
                fillcolor="#999999",
                opacity=0.15,
                line_width=0,
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="position from the 5′ end", row=1, col=1)
    fig.update_xaxes(title_text="position from the 3′ end", row=1, col=2)
    return fig


# under the panels: the shared top-right legend would cover the second panel's title
_LEGEND_BELOW = {
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "center", "x": 0.5},
    "margin": {"b": 90},
}


def end_composition_figure(
    t_from_5prime: Mapping[str, np.ndarray], a_from_3prime: Mapping[str, np.ndarray]
) -> go.Figure:
    """Share of T along reads from the 5′ end and of A from the 3′ end, one line per class:
    deamination damage (C→T, G→A) shows as an excess of T and A at the ends.

    Parameters
    ----------
    t_from_5prime
        Class → share of T at the 1st, 2nd, … base from the 5′ end (e.g.
        :attr:`genodash.interpret.EndComposition.t_from_5prime`).
    a_from_3prime
        Class → share of A at the 1st, 2nd, … base from the 3′ end.
    """
    fig = _two_ends(t_from_5prime, a_from_3prime, titles=("T from the 5′ end", "A from the 3′ end"))
    fig.update_yaxes(tickformat=".0%")
    return style(
        fig,
        title="Base composition at the read ends, by class",
        y="share of reads",
        height=400,
        layout=_LEGEND_BELOW,
    )


def end_saliency_figure(
    from_5prime: Mapping[str, np.ndarray],
    from_3prime: Mapping[str, np.ndarray],
    *,
    ends: int,
    ratio: float,
) -> go.Figure:
    """Mean ``|saliency|`` along reads, counted from each end, with the ends shaded.

    Parameters
    ----------
    from_5prime, from_3prime
        Group name (e.g. the model) → mean ``|saliency|`` at the 1st, 2nd, … base from the
        5′ (3′) end, as :class:`genodash.interpret.EndSaliency` holds them.
    ends
        Bases shaded at each end (those counted as the end).
    ratio
        Mean ``|saliency|`` per base at the ends over the middle, shown in the title.
    """
    fig = _two_ends(
        from_5prime,
        from_3prime,
        titles=("from the 5′ end", "from the 3′ end"),
        ends=ends,
    )
    return style(
        fig,
        title=f"Where the model looks: the first and last {ends} bases (shaded) carry "
        f"{ratio:.1f}× the saliency per base of the middle",
        y="mean |saliency|",
        height=400,
        layout=_LEGEND_BELOW,
    )


def sample_calls_figure(
    shares: Mapping[str, np.ndarray], *, called: str, sample_size: int
) -> go.Figure:
    """Histograms of the share of reads called ``called`` in samples of many reads, one per
    true class of the sample.

    Parameters
    ----------
    shares
        True class of a sample's reads → the share called ``called`` in each sample (e.g.
        :attr:`genodash.interpret.SampleCalls.shares`).
    called
        The class counted.
    sample_size
        Reads per sample, for the axis title.
    """
    fig = go.Figure()
    for i, (label, values) in enumerate(shares.items()):
        fig.add_trace(
            go.Histogram(
                x=np.asarray(values, dtype=float),
                name=f"samples of {label} reads",
                marker_color=class_color(i),
                opacity=0.75,
                xbins={"size": 0.005},
            )
        )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(tickformat=".0%")
    return style(
        fig,
        title=f"Samples of {sample_size:,} reads: share called {called}",
        x=f"share of the {sample_size:,} reads called {called}",
        y="samples",
    )
