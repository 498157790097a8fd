"""Figures of training and evaluation: learning curves, confusion matrix, ROC/PR, leaderboard."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.plotting._style import CLASS_COLORS, Html, class_color, escape, style

_SPLIT_DASH = {"train": "dot", "val": "solid"}
_SPLIT_NAMES = {"train": "training", "val": "validation"}
# label (a class or a model) -> its curve, as lists of equal length under two keys
_Curves = Mapping[str, Mapping[str, list[float]]]


def training_curves_figure(
    histories: Mapping[str, Sequence[Mapping[str, float]]], *, metric: str = "accuracy"
) -> go.Figure:
    """Loss (left) and ``metric`` (right) per epoch; train dotted, validation solid.

    ``histories`` maps a label (a model name) to its epoch records, so one figure can
    overlay several models trained on the same split.

    Parameters
    ----------
    histories
        Label → one record per epoch, each with ``epoch``, ``train_loss``, ``val_loss`` and,
        when measured, ``train_<metric>`` and ``val_<metric>`` (as in a run's history).
    metric
        The second panel's measure, e.g. ``"accuracy"`` (shown as a percentage); the panel is
        left out when no record has ``val_<metric>``.
    """
    has_metric = any(f"val_{metric}" in r for rows in histories.values() for r in rows)
    fig = make_subplots(
        rows=1,
        cols=2 if has_metric else 1,
        horizontal_spacing=0.1,
        subplot_titles=["Loss", metric.capitalize()] if has_metric else ["Loss"],
    )
    for i, (label, rows) in enumerate(histories.items()):
        epochs = [r["epoch"] for r in rows]
        for col, key in enumerate(["loss", metric] if has_metric else ["loss"], start=1):
            for split, dash in _SPLIT_DASH.items():
                values = [r.get(f"{split}_{key}") for r in rows]
                fig.add_trace(
                    go.Scatter(
                        x=epochs,
                        y=values,
                        mode="lines+markers",
                        name=f"{label} · {_SPLIT_NAMES[split]}",
                        legendgroup=label,
                        showlegend=col == 1,
                        marker={"size": 5},
                        line={"color": class_color(i), "dash": dash, "width": 2},
                        hovertemplate=f"{_SPLIT_NAMES[split]} {key}: %{{y:.4f}}"
                        f"<extra>{escape(label)}</extra>",
                    ),
                    row=1,
                    col=col,
                )
    longest = max((len(rows) for rows in histories.values()), default=0)
    # whole epochs only: a short run would otherwise get ticks at 1.5, 2.5…
    fig.update_xaxes(title_text="epoch", tickformat="d", dtick=1 if longest <= 12 else None)
    if has_metric:
        fig.update_yaxes(tickformat=".0%", row=1, col=2)
    style(fig, title="Learning curves (dotted: training, solid: validation)", height=420)
    # below the plots: above them the legend would cover the panel titles
    fig.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0},
        margin={"b": 90},
    )
    return fig


def confusion_matrix_figure(
    confusion: Sequence[Sequence[int]], classes: Sequence[str]
) -> go.Figure:
    """Counts of true (rows) against predicted (columns) classes, with row percentages.

    Parameters
    ----------
    confusion
        Square table of counts ``(C, C)``: row = true class, column = predicted class.
    classes
        The ``C`` class names, in the order of the rows and columns.
    """
    counts = np.asarray(confusion, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    text = [
        [Html(f"{int(c):,}<br>{s:.0%}") for c, s in zip(row_c, row_s, strict=True)]
        for row_c, row_s in zip(counts, shares, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=shares,
            x=list(classes),
            y=list(classes),
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="true %{y} → predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    size = max(320, 60 * len(classes) + 160)
    return style(
        fig, title="Confusion matrix (test set)", x="predicted class", y="true class", height=size
    )


def roc_figure(curves: _Curves, *, title: str = "ROC curve") -> go.Figure:
    """ROC curves (one per class, or per model); the diagonal is chance.

    Parameters
    ----------
    curves
        Label (a class or a model) → its curve, as lists of equal length under
        ``"fpr"`` (false-positive rate) and ``"tpr"`` (true-positive rate), each from 0 to 1.
    title
        Figure title.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"color": "#999", "dash": "dash"}
        )
    )
    _add_curves(fig, curves, "fpr", "tpr")
    return style(fig, title=title, x="false-positive rate", y="true-positive rate")


def pr_figure(curves: _Curves, *, title: str = "Precision–recall curve") -> go.Figure:
    """Precision against recall (one per class, or per model).

    Parameters
    ----------
    curves
        Label → its curve, as in :func:`roc_figure` but under ``"recall"`` and
        ``"precision"``.
    title
        Figure title.
    """
    fig = go.Figure()
    _add_curves(fig, curves, "recall", "precision")
    return style(fig, title=title, x="recall", y="precision")


def _add_curves(fig: go.Figure, curves: _Curves, x: str, y: str) -> None:
    """One line per curve (``x`` and ``y`` name its lists), in class colours, on axes from
    0 to 1."""
    for i, (label, curve) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=curve[x],
                y=curve[y],
                mode="lines",
                name=str(label),
                line={"color": class_color(i), "width": 2},
            )
        )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])


def leaderboard_figure(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Test accuracy, AUROC and AUPRC side by side for each model.

    Parameters
    ----------
    rows
        One row of a leaderboard table per model, with the keys ``Model``,
        ``Test accuracy``, ``Test AUROC`` and ``Test AUPRC`` (scores from 0 to 1).
    """
    fig = go.Figure()
    for j, (key, label) in enumerate(
        (("Test accuracy", "accuracy"), ("Test AUROC", "AUROC"), ("Test AUPRC", "AUPRC"))
    ):
        fig.add_trace(
            go.Bar(
                x=[r["Model"] for r in rows],
                y=[r[key] for r in rows],
                name=label,
                marker_color=CLASS_COLORS[j],
                text=[f"{r[key]:.3f}" for r in rows],
                textposition="outside",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 1.08])
    return style(fig, title="Test scores by model", x="model", y="score")
