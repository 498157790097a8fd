"""Figures of gene selection: accuracy against the number of genes kept, the top genes of
each ranking, and how much the rankings' top lists share."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.expression.gene_selection import RANKING_TITLES
from genodash.plotting._style import CLASS_COLORS, style

_DASHES = {"hvg": "dash", "gradient": "solid", "perturbation": "dot"}
_COLORS = {"hvg": CLASS_COLORS[1], "gradient": CLASS_COLORS[0], "perturbation": CLASS_COLORS[2]}
_SHORT = {"hvg": "HVG", "gradient": "gradient", "perturbation": "perturbation"}


def accuracy_curve_figure(curve: pd.DataFrame, *, all_genes: float | None = None) -> go.Figure:
    """Test accuracy against the number of genes kept (log axis), one line per ranking.

    Parameters
    ----------
    curve
        One row per ranking and number of genes: ``ranking``, ``k``, ``accuracy``
        (:attr:`GeneSelection.curve <genodash.expression.gene_selection.GeneSelection>`).
    all_genes
        Test accuracy with every gene, drawn as a horizontal line; ``None``: no line.
    """
    fig = go.Figure()
    order = list(dict.fromkeys(curve["ranking"]))
    for ranking in order:
        rows = curve[curve["ranking"] == ranking].sort_values("k")
        fig.add_trace(
            go.Scatter(
                x=rows["k"].to_numpy(),
                y=rows["accuracy"].to_numpy(),
                mode="lines+markers",
                name=RANKING_TITLES.get(ranking, ranking),
                line={
                    "color": _COLORS.get(ranking, CLASS_COLORS[3]),
                    "dash": _DASHES.get(ranking, "solid"),
                },
                hovertemplate="top %{x} genes: accuracy %{y:.3f}<extra></extra>",
            )
        )
    if all_genes is not None:
        fig.add_hline(
            y=all_genes,
            line={"color": "#777777", "dash": "dot", "width": 1},
            annotation_text=f"all genes: {all_genes:.3f}",
            # at the left end, above the line: the curves meet the line on the right, with
            # many genes, seldom with few
            annotation_position="top left",
        )
    fig.update_xaxes(type="log", tickvals=sorted(set(curve["k"])))
    return style(
        fig,
        title="Test accuracy of a classifier on the top genes of each ranking",
        x="genes kept (log scale)",
        y="test accuracy",
    )


def ranking_bars_figure(scores: pd.DataFrame, *, top: int = 15) -> go.Figure:
    """The ``top`` genes of each ranking as bars, best at the top, one panel per ranking.

    Parameters
    ----------
    scores
        One row per gene (index: gene names), one column of scores per ranking (higher is
        better), as :attr:`GeneSelection.scores
        <genodash.expression.gene_selection.GeneSelection>`.
    top
        Genes shown per ranking.
    """
    rankings = list(scores.columns)
    fig = make_subplots(
        rows=1,
        cols=max(len(rankings), 1),
        subplot_titles=[RANKING_TITLES.get(name, str(name)) for name in rankings],
        horizontal_spacing=0.12,
    )
    for column, ranking in enumerate(rankings, 1):
        best = scores[ranking].dropna().sort_values(ascending=False, kind="stable").head(top)
        fig.add_trace(
            go.Bar(
                x=best.to_numpy()[::-1],
                y=[str(gene) for gene in best.index[::-1]],
                orientation="h",
                name=RANKING_TITLES.get(ranking, str(ranking)),
                marker_color=_COLORS.get(ranking, CLASS_COLORS[3]),
                showlegend=False,
                hovertemplate="%{y}: %{x:.3g}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        fig.update_xaxes(title_text="score", row=1, col=column)
    height = max(320, 22 * top + 120)
    return style(fig, title=f"Top {top} genes of each ranking", height=height)


def overlap_figure(overlap: pd.DataFrame, *, n_genes: int | None = None) -> go.Figure:
    """Share of the top-``k`` genes two rankings have in common, against ``k`` (log axis).

    Parameters
    ----------
    overlap
        One row per ``k`` and pair of rankings: ``k``, ``first``, ``second``, ``fraction``
        (:meth:`GeneSelection.overlap
        <genodash.expression.gene_selection.GeneSelection.overlap>`).
    n_genes
        Genes in the matrix: the overlap two random lists would have (``k / n_genes``) is
        drawn for comparison; ``None``: not drawn.
    """
    fig = go.Figure()
    pairs = overlap[["first", "second"]].drop_duplicates().itertuples(index=False)
    for index, (first, second) in enumerate(pairs):
        rows = overlap[(overlap["first"] == first) & (overlap["second"] == second)]
        rows = rows.sort_values("k")
        name = f"{_SHORT.get(first, first)} vs {_SHORT.get(second, second)}"
        fig.add_trace(
            go.Scatter(
                x=rows["k"].to_numpy(),
                y=rows["fraction"].to_numpy(),
                mode="lines+markers",
                name=name,
                line={"color": CLASS_COLORS[(index + 3) % len(CLASS_COLORS)]},
                hovertemplate="top %{x}: %{y:.0%} shared<extra></extra>",
            )
        )
    ks = sorted(set(overlap["k"]))
    if n_genes and ks:
        fig.add_trace(
            go.Scatter(
                x=ks,
                y=[k / n_genes for k in ks],
                mode="lines",
                name="two random lists",
                line={"color": "#999999", "dash": "dot"},
            )
        )
    fig.update_xaxes(type="log", tickvals=ks)
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    return style(
        fig,
        title="How much the top genes of two rankings overlap",
        x="genes kept (log scale)",
        y="shared genes",
    )
