"""Figures of interpretation: importance along a sequence, ISM heatmaps, attention, profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from genodash.plotting._style import BASE_COLORS, class_color, style

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
    return style(
        fig,
        title="In-silico mutagenesis: effect of each base at each position"
        + (" (dotted box: the planted motif)" if planted else ""),
        x="position (base)",
        y="base",
        height=300,
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
