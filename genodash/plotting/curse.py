"""Figures of the curse-of-dimensionality page: one builder per demo result.

Throughout, markers are simulations and solid grey lines are theory, so a student can
read every panel the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from genodash.plotting._style import CLASS_COLORS, Html, style

if TYPE_CHECKING:
    from genodash.curse import (
        CollinearityResult,
        CollinearitySample,
        DistanceResult,
        GenotypeResult,
        MultipleTestingResult,
        OlsResult,
        OverfittingResult,
        RegimeResult,
        SparsityResult,
        SparsitySample,
        VarianceResult,
    )

SIMULATED = CLASS_COLORS[0]
SECOND = CLASS_COLORS[5]
THIRD = CLASS_COLORS[2]
THEORY = "#444444"
OUTSIDE = "#BBBBBB"
PENALTY_COLORS = {"ols": SIMULATED, "ridge": CLASS_COLORS[1], "lasso": THIRD}
PENALTY_NAMES = {"ols": "OLS", "ridge": "ridge", "lasso": "lasso"}
CORRECTION_COLORS = {"raw": SECOND, "bonferroni": SIMULATED, "bh": THIRD}
EXPECTED_FAMILY_WISE = CLASS_COLORS[3]  # unlike THEORY and every correction's colour
MODEL_NAMES = {
    "linear": "Linear regression",
    "logistic": "Logistic regression",
    "mlp": "Small neural network",
}


def _finite(values: Sequence[float | None]) -> list[float | None]:
    """Values for plotly, with gaps (None) where a value is undefined or infinite."""
    return [float(v) if v is not None and np.isfinite(v) else None for v in values]


def _points(
    x: Sequence[float], y: Sequence[float | None], name: str, color: str, **kw: object
) -> go.Scatter:
    """Simulated values: markers joined by a thin line."""
    return go.Scatter(
        x=list(x),
        y=_finite(y),
        name=name,
        mode="lines+markers",
        marker={"color": color, "size": 8},
        line={"color": color, "width": 1},
        legendgroup=name,
        **kw,
    )


def _theory(x: Sequence[float], y: Sequence[float], name: str, **kw: object) -> go.Scatter:
    """Theory: a solid line (gaps where it is undefined)."""
    kw.setdefault("line", {"color": THEORY, "width": 2.5})
    return go.Scatter(
        x=list(x), y=_finite(y), name=name, mode="lines", legendgroup=name, connectgaps=False, **kw
    )


def _styled(
    fig: go.Figure, *, legend_y: float = -0.2, top: int | None = None, **look: Any
) -> go.Figure:
    """:func:`style` (``look``: its title, axis titles, height), the legend under the plot.

    There the legend stays clear of the panel titles; ``top`` widens the top margin for
    panel titles of two lines.
    """
    fig = style(fig, **look)
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": legend_y, "yanchor": "top"},
        margin={"b": 110} if top is None else {"t": top, "b": 110},
    )
    return fig


def _log_share_axis(fig: go.Figure, lowest: float, **where: int) -> None:
    """A log axis for shares from 100% down to ``lowest``, labelled in plain percentages."""
    step = max(1, math.ceil(-math.log10(lowest) / 8))  # at most about 8 labelled decades
    powers = range(0, math.floor(math.log10(lowest)) - 1, -step)
    fig.update_yaxes(
        type="log",
        tickvals=[10.0**k for k in powers],
        ticktext=[f"{100 * 10.0**k:g}%" if k >= -4 else Html(f"10<sup>{k}</sup>") for k in powers],
        **where,
    )


def _log_ticks(fig: go.Figure, values: Sequence[float], **where: int) -> None:
    """A log x axis with ticks at 1, 2, 5, 10, 20, 50, … (decades only from 1,000) to the max."""
    steps = (1,) if max(values) >= 1000 else (1, 2, 5)
    ticks = [m * 10**e for e in range(8) for m in steps if m * 10**e <= max(values)]
    fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{t:,}" for t in ticks], **where)


def _marked_x(
    fig: go.Figure,
    x: float,
    text: str,
    *,
    left: bool = False,
    row: int | str | None = None,
    col: int | str | None = None,
) -> None:
    """A dotted vertical line at ``x`` labelled at its top, clear of the line and the data.

    The label sits beside the line, on the right unless ``left``, a few pixels away and on
    a white backing, so that neither the dotted line nor a curve crossing it hides letters.
    Put it on the left when the line is near the right edge of the plot.
    """
    where = {"row": row, "col": col} if row is not None else {}
    fig.add_vline(
        x=x,
        line_dash="dot",
        line_color=THEORY,
        annotation_text=text,
        annotation_position="top left" if left else "top right",
        annotation={"xshift": -3 if left else 3, "bgcolor": "rgba(255, 255, 255, 0.85)"},
        **where,
    )


def _p_equals_n(fig: go.Figure, n: int, rows_cols: Sequence[tuple[int, int]]) -> None:
    for row, col in rows_cols:
        _marked_x(fig, n, "p = n", row=row, col=col)


# --- 1. sparsity -------------------------------------------------------------------------------


def sparsity_sample_figure(sample: SparsitySample) -> go.Figure:
    """The paper's Fig. 1: each axis alone, then both, with the neighbourhood of the target.

    Parameters
    ----------
    sample
        One 2-D normal sample with its target and radius, from
        :func:`genodash.curse.sparsity_sample`.

    Returns
    -------
    plotly.graph_objects.Figure
        Three panels: histograms of x and of y with the points within ±radius of the
        target highlighted, then the scatter of both with the circle around the target.
    """
    centre, radius = sample.target[0], sample.radius
    x, y = sample.points[:, 0], sample.points[:, 1]
    inside = (x - centre) ** 2 + (y - centre) ** 2 <= radius**2
    fig = make_subplots(
        rows=1,
        cols=3,
        column_widths=[0.3, 0.3, 0.4],
        horizontal_spacing=0.08,
        # three short lines each: two ran into each other in the narrow panels at 1,024 px
        subplot_titles=[
            Html(f"x alone<br>{sample.within_x:.0%} within<br>±{radius:g}σ"),
            Html(f"y alone<br>{sample.within_y:.0%} within<br>±{radius:g}σ"),
            Html(f"x and y together<br>{sample.within_both:.1%} inside<br>the circle"),
        ],
    )
    fig.update_annotations(font_size=13)
    bins = {"start": -4.5, "end": 4.5, "size": 0.25}
    for col, values in ((1, x), (2, y)):
        near = np.abs(values - centre) <= radius
        for chosen, color, label in ((near, SIMULATED, "within"), (~near, OUTSIDE, "outside")):
            fig.add_trace(
                go.Histogram(
                    x=values[chosen],
                    xbins=bins,
                    marker_color=color,
                    name=f"{label} ±{radius:g}σ of {centre:.2g}",
                    legendgroup=label,
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
        for edge in (centre - radius, centre + radius):
            fig.add_vline(x=edge, line_dash="dash", line_color=SIMULATED, row=1, col=col)
        fig.update_xaxes(title_text="x" if col == 1 else "y", row=1, col=col)
    fig.add_trace(
        go.Scattergl(
            x=x,
            y=y,
            mode="markers",
            marker={"color": np.where(inside, SIMULATED, OUTSIDE), "size": 5},
            showlegend=False,
            hovertemplate="(%{x:.2f}, %{y:.2f})<extra></extra>",
        ),
        row=1,
        col=3,
    )
    fig.add_shape(
        type="circle",
        x0=centre - radius,
        x1=centre + radius,
        y0=centre - radius,
        y1=centre + radius,
        line={"color": SIMULATED, "width": 2},
        row=1,
        col=3,
    )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[-4, 4], title_text="x", row=1, col=3)
    fig.update_yaxes(range=[-4, 4], title_text="y", scaleanchor="x3", row=1, col=3)
    fig.update_yaxes(title_text="points", row=1, col=1)
    title = f"{len(x):,} points from a 2-D normal distribution"
    return _styled(fig, title=title, height=480, top=125)


def sparsity_figure(result: SparsityResult) -> go.Figure:
    """Share of points within the radius against the number of dimensions, log scale.

    Parameters
    ----------
    result
        Simulated shares and exact probabilities per p, from :func:`genodash.curse.sparsity`.

    Returns
    -------
    plotly.graph_objects.Figure
        Simulated shares as markers and the exact probability as a line, with a dotted
        line at one point in n (below it the simulation shows nothing).
    """
    shown = [f if f > 0 else None for f in result.fraction_within]  # log scale: 0 is a gap
    fig = go.Figure(
        [
            _theory(result.dims, result.theory, "theory (exact)"),
            _points(
                result.dims,
                shown,
                f"simulation ({result.n:,} points)",
                SIMULATED,
                customdata=np.round(np.array(result.fraction_within) * result.n),
                hovertemplate="p = %{x}: %{customdata:,} points inside (%{y:.2%})<extra></extra>",
            ),
        ]
    )
    fig.add_hline(y=1 / result.n, line_dash="dot", line_color=THEORY)
    fig.add_annotation(  # on a log axis an annotation's y is log10 of the value
        x=1,
        xref="paper",
        y=math.log10(1 / result.n),
        text=f"1 point in {result.n:,}",
        showarrow=False,
        xanchor="right",
        yanchor="bottom",
    )
    _log_share_axis(fig, min(min(result.theory), 1 / result.n))
    fig.update_xaxes(dtick=1 if len(result.dims) <= 20 else None)
    return _styled(
        fig,
        legend_y=-0.25,
        title=f"Share of points within {result.radius:g}σ of the target",
        x="dimensions p",
        y="share of points (log scale)",
    )


# --- 2. distances ------------------------------------------------------------------------------


def distance_figure(result: DistanceResult) -> go.Figure:
    """Pairwise distances relative to their mean, their contrast, and nearest/farthest.

    Parameters
    ----------
    result
        Pairwise-distance summaries per dimension, from
        :func:`genodash.curse.distance_concentration`.

    Returns
    -------
    plotly.graph_objects.Figure
        Three panels against p: distances ÷ their mean (extremes and the middle 90 %),
        their spread with its exact value, and the mean nearest ÷ farthest ratio.
    """
    p = list(result.dims)
    fig = make_subplots(
        rows=1,
        cols=3,
        horizontal_spacing=0.08,
        subplot_titles=[
            Html("Distances ÷<br>the mean distance"),
            Html("Spread of<br>the distances"),
            Html("Nearest ÷<br>farthest neighbour"),
        ],
    )
    band = {"color": SIMULATED, "width": 0}
    for values, edge in ((result.q95, "95th"), (result.q05, "5th")):
        fig.add_trace(
            go.Scatter(
                x=p,
                y=values,
                mode="lines",
                line=band,
                fill="tonexty" if edge == "5th" else None,
                fillcolor="rgba(0, 114, 178, 0.25)",
                name="middle 90% of pairs",
                legendgroup="band",
                showlegend=edge == "5th",
                hovertemplate=f"p = %{{x:,}}: {edge} percentile %{{y:.3g}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(_points(p, result.highest, "largest", SECOND), row=1, col=1)
    fig.add_trace(_points(p, result.lowest, "smallest", SIMULATED), row=1, col=1)
    fig.add_trace(_points(p, result.relative_contrast, "(max − min) / min", SECOND), row=1, col=2)
    fig.add_trace(_points(p, result.spread, "sd / mean", SIMULATED), row=1, col=2)
    fig.add_trace(_theory(p, result.spread_theory, "sd / mean, theory (exact)"), row=1, col=2)
    fig.add_trace(_points(p, result.nearest_farthest, "nearest ÷ farthest", THIRD), row=1, col=3)
    _log_ticks(fig, p)
    fig.update_xaxes(title_text="dimensions p")
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_yaxes(range=[0, 1.05], row=1, col=3)
    fig.update_yaxes(title_text="distance ÷ mean distance", row=1, col=1)
    title = f"Distances between {result.n:,} normal points"
    return _styled(fig, legend_y=-0.25, top=100, title=title, height=470)


# --- 3. genotypes ------------------------------------------------------------------------------


def genotype_figure(result: GenotypeResult) -> go.Figure:
    """Subjects per genotype cell, and the share of empty cells and of lone subjects.

    Parameters
    ----------
    result
        Genotype-cell counts per number of SNPs, from :func:`genodash.curse.genotype_cells`.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels against the number of SNPs m: subjects in the average and the commonest
        cell (log scale), and the simulated and exact shares of empty cells and of
        subjects alone in their cell.
    """
    m = list(result.snps)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.1,
        subplot_titles=["Subjects per genotype cell", "Empty cells and lone subjects"],
    )
    fig.add_trace(
        _theory(
            m,
            result.subjects_per_cell,
            Html("average cell: n / 3<sup>m</sup>"),
            line={"color": SIMULATED},
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        _theory(m, result.commonest_cell, "commonest cell (expected)", line={"color": SECOND}),
        row=1,
        col=1,
    )
    fig.add_hline(y=1, line_dash="dot", line_color=THEORY, row=1, col=1)
    fig.add_trace(
        _points(m, result.empty_share, "empty cells (simulated)", SIMULATED), row=1, col=2
    )
    fig.add_trace(_theory(m, result.empty_share_theory, "empty cells (exact)"), row=1, col=2)
    fig.add_trace(
        _points(m, result.alone_share, "subjects alone in their cell (simulated)", SECOND),
        row=1,
        col=2,
    )
    fig.add_trace(
        _theory(
            m,
            result.alone_share_theory,
            "subjects alone (exact)",
            line={"color": THEORY, "width": 2.5, "dash": "dash"},
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="SNPs m", dtick=1)
    fig.update_yaxes(type="log", title_text="subjects", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=2)
    title = f"{result.n:,} subjects, minor-allele frequency {result.maf:g}"
    return _styled(fig, top=90, title=title, height=470)


# --- 4. OLS ------------------------------------------------------------------------------------


def ols_figure(result: OlsResult) -> go.Figure:
    """Condition number, determinant, and coefficient variance and error against p.

    Parameters
    ----------
    result
        Least-squares summaries per number of predictors, from
        :func:`genodash.curse.ols_collapse`.

    Returns
    -------
    plotly.graph_objects.Figure
        Four panels against p, each marking p = n: the condition number and
        log-determinant of XᵀX, and the variance and mean squared error of the
        coefficient estimates of OLS, ridge and lasso, with theory where it exists.
    """
    p = list(result.p)
    fig = make_subplots(
        rows=2,
        cols=2,
        vertical_spacing=0.18,
        horizontal_spacing=0.1,
        subplot_titles=[  # two lines each: on one they ran into each other at 1,024 pixels
            Html("Condition number of XᵀX<br>(median)"),
            Html("log₁₀ det(XᵀX / n)<br>(mean)"),
            Html("Variance of a<br>coefficient estimate"),
            Html("Mean squared error<br>of a coefficient"),
        ],
    )
    approximate = {"color": THEORY, "width": 2.5, "dash": "dash"}
    fig.add_trace(_theory(p, result.condition_theory, "theory, large n", line=approximate), 1, 1)
    fig.add_trace(_theory(p, result.log10_det_theory, "theory (exact)"), 1, 2)
    fig.add_trace(_theory(p, result.variance_theory, "theory (exact)", showlegend=False), 2, 1)
    simulated = "simulated (OLS)"
    fig.add_trace(_points(p, result.condition_number, simulated, SIMULATED), 1, 1)
    fig.add_trace(_points(p, result.log10_det, simulated, SIMULATED, showlegend=False), 1, 2)
    for method in result.variance:
        name = simulated if method == "ols" else f"simulated ({PENALTY_NAMES[method]})"
        color = PENALTY_COLORS[method]
        fig.add_trace(_points(p, result.variance[method], name, color, showlegend=False), 2, 1)
        fig.add_trace(_points(p, result.mse[method], name, color, showlegend=method != "ols"), 2, 2)
    for row, col in ((1, 1), (2, 1), (2, 2)):
        fig.update_yaxes(type="log", row=row, col=col)
    fig.update_xaxes(title_text="predictors p", row=2)
    _p_equals_n(fig, result.n, ((1, 1), (1, 2), (2, 1), (2, 2)))
    if max(p) > result.n:
        _minimum_norm_region(fig, result.n, max(p))
    title = f"n = {result.n} samples, {result.reps} simulated data sets per p"
    return _styled(fig, legend_y=-0.12, top=110, title=title, height=760)


def _minimum_norm_region(fig: go.Figure, n: int, top: int) -> None:
    """Shade p > n in the coefficient panels and name the shading in the legend.

    Past p = n least squares has infinitely many exact fits: the markers are the
    minimum-norm one, which is why OLS's variance falls again there. The note is a legend
    entry: inside the half-width panels it covered the line p = n and the OLS peak.
    """
    for col in (1, 2):
        fig.add_vrect(
            x0=n,
            x1=top,
            fillcolor=OUTSIDE,
            opacity=0.2,
            line_width=0,
            layer="below",
            row=2,
            col=col,
        )
    fig.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "square", "size": 14, "color": OUTSIDE, "opacity": 0.5},
            name="shaded: p > n, no unique OLS fit; shown: the minimum-norm one",
        ),
        row=2,
        col=1,
    )


# --- collinearity --------------------------------------------------------------------------------


def collinearity_figure(result: CollinearityResult) -> go.Figure:
    """Variance inflation and wrong signs of a coefficient against the correlation ρ.

    Parameters
    ----------
    result
        Simulated and exact variance of β̂₁ and sign flips per correlation, from
        :func:`genodash.curse.collinearity`.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels against ρ: the variance of β̂₁ over its value for uncorrelated
        predictors (± 2 standard errors, log scale) beside the VIF, and the share of fits
        whose β̂₁ has the wrong sign beside its exact probability.
    """
    rho = list(result.rho)
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=[
            Html("Variance of β̂<sub>1</sub> ÷ σ²/n<br>(the variance inflation)"),
            Html("Fits with β̂<sub>1</sub> < 0<br>(the wrong sign)"),
        ],
    )
    vif = "VIF: 1/(1 − ρ²)" if result.predictors == 2 else f"VIF ({result.predictors} predictors)"
    fig.add_trace(_theory(rho, result.vif, f"theory (exact): {vif}"), 1, 1)
    fig.add_trace(
        _points(
            rho,
            result.inflation,
            f"simulated ({result.reps:,} fits, ± 2 SE)",
            SIMULATED,
            error_y={
                "type": "data",
                "array": [2 * se * result.n / result.noise**2 for se in result.variance_se],
            },
            customdata=np.column_stack([result.variance, result.variance_theory]),
            hovertemplate="ρ = %{x}: variance %{customdata[0]:.3g} "
            "(theory %{customdata[1]:.3g}), %{y:.3g}× σ²/n<extra></extra>",
        ),
        1,
        1,
    )
    fig.add_trace(
        _theory(rho, result.sign_flips_theory, "wrong sign, theory (exact)", showlegend=False),
        1,
        2,
    )
    fig.add_trace(_points(rho, result.sign_flips, "wrong sign (simulated)", SECOND), 1, 2)
    fig.update_xaxes(title_text="correlation ρ", range=[-0.03, 1.03])  # of every pair
    fig.update_yaxes(type="log", dtick=1, title_text="variance ÷ σ²/n (log scale)", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=2)
    title = (
        f"{result.predictors} predictors, n = {result.n}, true coefficients "
        f"{result.effect:g}, noise σ = {result.noise:g}"
    )
    return _styled(fig, legend_y=-0.22, top=95, title=title, height=470)


def collinearity_sample_figure(sample: CollinearitySample) -> go.Figure:
    """The estimates of two correlated coefficients, one cloud of fits per correlation ρ.

    Parameters
    ----------
    sample
        The first fits per correlation, from :func:`genodash.curse.collinearity_sample`.

    Returns
    -------
    plotly.graph_objects.Figure
        β̂₂ against β̂₁ for each ρ, with the true pair as a cross and the axes at 0, so
        the clouds that cross into the wrong sign show.
    """
    fig = go.Figure()
    # the widest cloud (the largest ρ) first, so that the narrow ones are drawn on top of it
    for i in reversed(range(len(sample.rho))):
        rho, estimates = sample.rho[i], sample.estimates[i]
        fig.add_trace(
            go.Scattergl(
                x=estimates[:, 0],
                y=estimates[:, 1],
                mode="markers",
                marker={"color": CLASS_COLORS[i % len(CLASS_COLORS)], "size": 5, "opacity": 0.6},
                name=f"ρ = {rho:g}",
                legendrank=i,  # the legend still lists ρ from the smallest
                hovertemplate="β̂₁ = %{x:.2f}, β̂₂ = %{y:.2f}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[sample.effect],
            y=[sample.effect],
            mode="markers",
            marker={"symbol": "x-thin-open", "size": 16, "color": THEORY, "line": {"width": 3}},
            name=f"true coefficients ({sample.effect:g}, {sample.effect:g})",
        )
    )
    for axis in (fig.update_xaxes, fig.update_yaxes):
        axis(zeroline=True, zerolinecolor=THEORY, zerolinewidth=1)
    fig.update_yaxes(scaleanchor="x")
    shown = sample.estimates.shape[1]
    return _styled(
        fig,
        legend_y=-0.2,
        title=f"Estimates of two correlated coefficients: {shown} fits per ρ",
        x=Html("β̂<sub>1</sub>"),
        y=Html("β̂<sub>2</sub>"),
        height=520,
    )


# --- 5. variance -------------------------------------------------------------------------------


def variance_figure(result: VarianceResult, *, highlight: int | None = None) -> go.Figure:
    """Mean σ̂²/σ² of both estimators against p, with (n − p)/n and 1 as theory.

    Parameters
    ----------
    result
        Both variance estimators per number of coefficients, from
        :func:`genodash.curse.ml_variance_bias`.
    highlight
        A number of coefficients p to mark with a vertical line and label (e.g. the one a
        slider points at); ignored when ``result`` has no such p. ``None``: no mark.

    Returns
    -------
    plotly.graph_objects.Figure
        The mean estimate ÷ true σ² of the maximum-likelihood (RSS/n, ± 2 standard errors)
        and the unbiased (RSS/(n − p)) estimator, with their theory.
    """
    p = list(result.p)
    fig = go.Figure(
        [
            _theory(p, result.theory, "theory (n − p)/n"),
            _points(
                p,
                result.ml_ratio,
                Html("σ̂²<sub>ML</sub> = RSS/n (mean ± 2 SE)"),
                SECOND,
                error_y={"type": "data", "array": [2 * se for se in result.ml_ratio_se]},
            ),
            _theory(p, [1.0] * len(p), "theory: 1", line={"color": THEORY, "dash": "dash"}),
            _points(p, result.unbiased_ratio, "σ̂² = RSS/(n − p)", SIMULATED),
        ]
    )
    if highlight is not None and highlight in result.p:
        _marked_x(fig, highlight, f"p = {highlight}", left=highlight > (p[0] + p[-1]) / 2)
    fig.update_yaxes(rangemode="tozero")
    return _styled(
        fig,
        legend_y=-0.25,
        title=f"n = {result.n}: mean estimate ÷ true σ² over {result.reps:,} data sets",
        x="fitted coefficients p (intercept included)",
        y="estimate ÷ σ²",
        height=460,
    )


# --- 6. false positives ------------------------------------------------------------------------


def _correction_names(alpha: float) -> dict[str, str]:
    """Legend names of the corrections, each with its threshold at significance level ``alpha``."""
    return {
        "raw": f"no correction: P < {alpha:g}",
        "bonferroni": f"Bonferroni: P < {alpha:g} / (k + 1)",
        "bh": f"Benjamini–Hochberg: false discovery rate {alpha:g}",
    }


def false_positive_figure(result: MultipleTestingResult) -> go.Figure:
    """Box plots of false positives per regression; family-wise rate; power for the truth.

    Every title and legend entry that depends on the significance level shows it.

    Parameters
    ----------
    result
        False positives, family-wise error rates and power per design (n samples, k
        extraneous predictors), from :func:`genodash.curse.extraneous_predictors`.

    Returns
    -------
    plotly.graph_objects.Figure
        Box plots of false positives per regression on top; below, the share of
        regressions with at least one false positive and the share that find the true
        predictor; each without correction, with Bonferroni and with Benjamini–Hochberg.
    """
    alpha = f"{result.alpha:g}"
    # two-level axis labels: n below, k above
    designs = [[f"n = {d.n}" for d in result.designs], [f"k = {d.k}" for d in result.designs]]
    # one panel under the other: side by side, the two-level labels of the lower panels
    # ran into each other and their titles touched at 1,024 pixels
    fig = make_subplots(
        rows=3,
        cols=1,
        vertical_spacing=0.13,
        subplot_titles=[
            f"False positives per regression (P < {alpha})",
            Html("Regressions with ≥ 1<br>false positive"),
            Html("Regressions that find<br>the true predictor"),
        ],
    )
    for method, name in _correction_names(result.alpha).items():
        look = {"name": name, "marker_color": CORRECTION_COLORS[method], "legendgroup": name}
        counts = [d.false_positives[method] for d in result.designs]
        fig.add_trace(
            go.Box(
                x=[
                    [label for label, c in zip(level, counts, strict=True) for _ in c]
                    for level in designs
                ],
                y=[v for c in counts for v in c],
                boxmean=True,
                **look,
            ),
            row=1,
            col=1,
        )
        for row, values in (
            (2, [d.family_wise[method] for d in result.designs]),
            (3, [d.power[method] for d in result.designs]),
        ):
            fig.add_trace(go.Bar(x=designs, y=values, showlegend=False, **look), row=row, col=1)
    # two expectations, told apart in the legend by their colours
    for row, values, name, color in (
        (
            1,
            [d.theory_mean["raw"] for d in result.designs],
            f"expected without correction: α·k = {alpha} × k",
            THEORY,
        ),
        (
            2,
            [d.theory_family_wise for d in result.designs],
            Html(f"expected for independent tests: 1 − (1 − {alpha})<sup>k</sup>"),
            EXPECTED_FAMILY_WISE,
        ),
    ):
        fig.add_trace(
            go.Scatter(
                x=designs,
                y=values,
                mode="markers",
                marker={"symbol": "line-ew-open", "size": 26, "color": color, "line": {"width": 3}},
                name=name,
            ),
            row=row,
            col=1,
        )
    fig.update_layout(boxmode="group", barmode="group")
    fig.update_xaxes(tickangle=0)
    fig.update_yaxes(title_text="false positives", row=1, col=1)
    for row in (2, 3):
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=row)
    title = f"α = {alpha}: {result.reps} regressions per design, true slope {result.effect:g}"
    return _styled(fig, legend_y=-0.07, top=90, title=title, height=1100)


# --- 7. overfitting ----------------------------------------------------------------------------


def overfitting_figure(result: OverfittingResult) -> go.Figure:
    """Train and test error against the number of features, with theory where there is one.

    The y axis is linear so that a training error of zero shows; it stops at three times
    the median test error, so the spike of least squares at p = n runs off the top.

    Parameters
    ----------
    result
        Training and test error per number of features, from
        :func:`genodash.curse.overfitting` (simulated data) or
        :func:`genodash.curse.expression_overfitting` (an expression matrix, genes as
        features).

    Returns
    -------
    plotly.graph_objects.Figure
        Training and test error against features (log scale), with dashed theory lines
        when ``result`` has them and a dotted line where features equal training samples.
    """
    p = list(result.features)
    traces = [
        _points(p, result.train_error, "training error", SIMULATED),
        _points(p, result.test_error, "test error", SECOND),
    ]
    if not np.all(np.isnan(result.test_theory)):
        traces += [
            _theory(
                p,
                result.train_theory,
                "training, theory",
                line={"color": SIMULATED, "dash": "dash"},
            ),
            _theory(p, result.test_theory, "test, theory", line={"color": SECOND, "dash": "dash"}),
        ]
    simulated = result.data == "simulated"
    top = 3 * float(np.nanmedian(result.test_error))
    if result.metric != "mean squared error":
        top = min(1.0, max(top, 0.1))
    # The line p = n is named in the legend: a label beside it ran into the error curves,
    # which rise steeply on both sides of it, and could run off the plot.
    traces.append(
        go.Scatter(
            x=[result.n_train, result.n_train],
            y=[0, top],
            mode="lines",
            line={"color": THEORY, "dash": "dot", "width": 2},
            name=f"{'features' if simulated else 'genes'} = training "
            f"{'samples' if simulated else 'cells'} ({result.n_train:,})",
            hoverinfo="skip",
        )
    )
    fig = go.Figure(traces)
    _log_ticks(fig, p)
    fig.update_yaxes(range=[0, top], tickformat=".0%" if result.metric == "error rate" else None)
    data = "simulated data" if simulated else result.data
    return _styled(
        fig,
        legend_y=-0.25,
        title=f"{MODEL_NAMES[result.model]} on {data}: {result.n_train} training, "
        f"{result.n_test:,} test {'samples' if simulated else 'cells'}",
        x=f"{'features p' if simulated else 'genes'} (log scale)",
        y=result.metric,
        height=460,
    )


# --- 8. big data -------------------------------------------------------------------------------


def regimes_figure(result: RegimeResult) -> go.Figure:
    """Data sets on the log–log N–P plane, with the N·P line and the N = P diagonal.

    Parameters
    ----------
    result
        Reference and user data sets with their N and P, from
        :func:`genodash.curse.data_regimes`.

    Returns
    -------
    plotly.graph_objects.Figure
        Samples N against features P, both on log scales from 1 to 10⁹: typical data sets
        as diamonds, the user's as stars.
    """
    line = np.logspace(0, 9, 50)
    exponent = round(math.log10(result.budget))
    fig = go.Figure(
        [
            go.Scatter(
                x=line,
                y=result.budget / line,
                mode="lines",
                line={"color": THEORY, "dash": "dash"},
                name=Html(f"N·P = 10<sup>{exponent}</sup> (the same number of values)"),
            ),
            go.Scatter(
                x=[1, 1e9],
                y=[1, 1e9],
                mode="lines",
                line={"color": OUTSIDE, "dash": "dot"},
                name="N = P",
            ),
        ]
    )
    for reference, symbol, color in ((True, "diamond", THEORY), (False, "star", SECOND)):
        points = [point for point in result.points if point.reference is reference]
        fig.add_trace(
            go.Scatter(
                x=[point.n for point in points],
                y=[point.p for point in points],
                text=[point.name for point in points],
                customdata=[[point.description, point.regime] for point in points],
                mode="markers",
                marker={"symbol": symbol, "size": 16 if reference else 20, "color": color},
                name="typical data sets" if reference else "yours",
                hovertemplate="<b>%{text}</b> %{customdata[0]}<br>"
                "N = %{x:,.0f}, P = %{y:,.0f}: %{customdata[1]}<extra></extra>",
            )
        )
        for point in points:  # labels on a white backing, so the lines do not cross them
            right = math.log10(point.n) > 6  # near the right edge: label to the left
            fig.add_annotation(
                x=math.log10(point.n),
                y=math.log10(point.p),
                text=point.name,
                showarrow=False,
                bgcolor="rgba(255, 255, 255, 0.85)",
                font={"color": "#555555"},
                **(
                    {"yanchor": "bottom", "yshift": 10}
                    if reference
                    else {"xanchor": "right" if right else "left", "xshift": -14 if right else 14}
                ),
            )
    # annotation coordinates on log axes are log10 of the values
    for x, y, text, anchor in (
        (0.1, 3.4, Html("<b>P ≫ N</b>: more features than samples"), "left"),
        (8.9, 1.8, Html("<b>N ≫ P</b>: more samples than features"), "right"),
    ):
        fig.add_annotation(
            x=x, y=y, text=text, showarrow=False, xanchor=anchor, font={"color": THEORY, "size": 14}
        )
    fig.update_xaxes(type="log", range=[0, 9], title_text="samples N (log scale)")
    fig.update_yaxes(type="log", range=[0, 9], title_text="features P (log scale)")
    title = "Where data sets sit: samples N against features P"
    return _styled(fig, legend_y=-0.15, title=title, height=600)
