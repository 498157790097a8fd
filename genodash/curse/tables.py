"""The numbers beside each demo's plot, as text: the paper's values, tables, headline figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from genodash.curse.learning import OverfittingResult
from genodash.curse.multicollinearity import CollinearityResult
from genodash.curse.regimes import RegimeResult
from genodash.curse.regression import (
    DesignResult,
    MultipleTestingResult,
    OlsResult,
    VarianceResult,
)
from genodash.curse.space import DistanceResult, GenotypeResult, SparsityResult, SparsitySample
from genodash.errors import ConfigError

PAPER_SPARSITY: dict[str, dict[str, float]] = {
    "diagonal": {"1-D, x": 0.31, "1-D, y": 0.30, "2-D": 0.06, "3-D": 0.012, "4-D": 0.002},
    "fixed-distance": {"2-D": 0.14, "3-D": 0.07, "4-D": 0.03},
}
"""Altman & Krzywinski (2018), Fig. 1: shares of 1,000 points within 1σ of the target.

Keyed by placement of the target, then by the table's row names; from one sample, so they
vary like any simulation's.
"""


@dataclass(frozen=True)
class Headline:
    """One number shown above a plot: a label, the value as text, a note under it."""

    label: str
    value: str
    note: str | None = None


# --- 1. sparsity -------------------------------------------------------------------------------


def paper_sparsity(result: SparsityResult) -> dict[str, float]:
    """The paper's shares for this placement, by row name; empty unless radius is 1σ.

    Parameters
    ----------
    result
        A sparsity simulation.

    Returns
    -------
    dict of str to float
        Row name (``"1-D, x"``, ``"2-D"``, …) to the share the paper reports.
    """
    return PAPER_SPARSITY[result.placement] if result.radius == 1.0 else {}


def sparsity_table(sample: SparsitySample, result: SparsityResult) -> list[dict[str, str]]:
    """Simulation, exact theory and the paper side by side: 1-D, 2-D, and 3-D, 4-D if run.

    Parameters
    ----------
    sample
        The 2-D sample (one axis, either axis, both).
    result
        The simulation over dimensions; rows for p = 3 and 4 when it holds them.

    Returns
    -------
    list of dict
        One row per dimension: ``dimensions``, ``this simulation``, ``theory (exact)`` and
        ``the paper (Fig. 1)`` (``—`` where the paper has no number), shares as percentages.
    """
    ours = {"1-D, x": sample.within_x, "1-D, y": sample.within_y, "2-D": sample.within_both}
    theory = {"1-D, x": sample.theory_1d, "1-D, y": sample.theory_1d, "2-D": sample.theory_2d}
    for p, simulated, exact in zip(result.dims, result.fraction_within, result.theory, strict=True):
        if p in (3, 4):
            ours[f"{p}-D"], theory[f"{p}-D"] = simulated, exact
    paper = paper_sparsity(result)
    return [
        {
            "dimensions": key,
            "this simulation": f"{ours[key]:.1%}",
            "theory (exact)": f"{theory[key]:.1%}",
            "the paper (Fig. 1)": f"{paper[key]:.1%}" if key in paper else "—",
        }
        for key in ours
    ]


# --- 2. distances ------------------------------------------------------------------------------


def distance_headline(result: DistanceResult) -> list[Headline]:
    """Nearest ÷ farthest at the fewest and most dimensions, and the spread at the most.

    Parameters
    ----------
    result
        A distance-concentration simulation.

    Returns
    -------
    list of Headline
        Three headline numbers.
    """
    first, last = result.dims[0], result.dims[-1]
    return [
        Headline(f"nearest ÷ farthest, p = {first}", _ratio(result.nearest_farthest[0])),
        Headline(f"nearest ÷ farthest, p = {last:,}", _ratio(result.nearest_farthest[-1])),
        Headline(
            f"sd ÷ mean of distances, p = {last:,}",
            f"{result.spread[-1]:.3f}",
            f"theory {result.spread_theory[-1]:.3f}",
        ),
    ]


def _ratio(value: float) -> str:
    """Two decimals, or two significant digits below 0.1, so a small ratio never reads 0.00."""
    return f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


# --- 3. genotypes ------------------------------------------------------------------------------


def genotype_headline(result: GenotypeResult) -> list[Headline]:
    """Cells, subjects per cell, empty cells and lone subjects at the tenth number of SNPs.

    Parameters
    ----------
    result
        A genotype-cell simulation; the numbers are those of its tenth number of SNPs (10
        SNPs when it runs 1, 2, …), or of its last when it has fewer.

    Returns
    -------
    list of Headline
        Four headline numbers, empty and lone shares beside their expectation.
    """
    i = min(10, len(result.snps)) - 1
    return [
        Headline(f"cells for {result.snps[i]} SNPs", f"{result.cells[i]:,}"),
        Headline("subjects per cell", f"{result.subjects_per_cell[i]:.3g}"),
        Headline(
            "empty cells",
            f"{result.empty_share[i]:.1%}",
            f"expected {result.empty_share_theory[i]:.1%}",
        ),
        Headline(
            "subjects alone in their cell",
            f"{result.alone_share[i]:.1%}",
            f"expected {result.alone_share_theory[i]:.1%}",
        ),
    ]


def carrier_table(n: int = 1000, *, share: float = 0.1, variants: int = 3) -> list[dict[str, str]]:
    """The paper's carrier example: each variant more leaves a tenth of the subjects.

    If every variant is carried by ``share`` of the subjects, independently, the expected
    carriers of all of the first j variants are n·shareʲ: of 1,000 subjects, 100 carry a,
    10 carry a and b, 1 carries a, b and c.

    Parameters
    ----------
    n
        Subjects (1 or more).
    share
        Share of subjects carrying each variant, from 0 to 1.
    variants
        Variants combined, 1 to 26 (named a, b, c, …).

    Returns
    -------
    list of dict
        One row per number of variants: ``carriers of`` (``"a"``, ``"a and b"``, …) and
        ``expected among n subjects``: whole from 10 up, else 2 significant digits.
    """
    names = "abcdefghijklmnopqrstuvwxyz"[:variants]
    column = f"expected among {n:,} subjects"
    return [
        {"carriers of": _joined(names[:j]), column: _count(n * share**j)}
        for j in range(1, variants + 1)
    ]


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def _joined(names: str) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return names if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# --- 4. OLS ------------------------------------------------------------------------------------


def ols_headline(result: OlsResult) -> list[Headline]:
    """Condition number and coefficient variances just short of p = n (p = n − 2).

    Parameters
    ----------
    result
        An OLS simulation; the numbers are those of its largest p up to n − 2 (its
        smallest p if none is).

    Returns
    -------
    list of Headline
        Condition number, then the variance of OLS (beside theory), ridge and lasso.
    """
    below = [i for i, p in enumerate(result.p) if p <= result.n - 2]
    i = below[-1] if below else 0
    p = result.p[i]
    return [
        Headline(f"condition number, p = {p}", f"{result.condition_number[i]:,.0f}"),
        Headline(
            f"OLS variance, p = {p}",
            f"{result.variance['ols'][i]:.3g}",
            f"theory {result.variance_theory[i]:.3g}",
        ),
        Headline(f"ridge, p = {p}", f"{result.variance['ridge'][i]:.3g}"),
        Headline(f"lasso, p = {p}", f"{result.variance['lasso'][i]:.3g}"),
    ]


# --- collinearity -------------------------------------------------------------------------------


def collinearity_headline(result: CollinearityResult) -> list[Headline]:
    """The variance of β̂₁ without and with the strongest correlation, its VIF, sign flips.

    Parameters
    ----------
    result
        A collinearity simulation; the numbers are those of its smallest and largest ρ.

    Returns
    -------
    list of Headline
        The simulated variance at both ends beside theory, the simulated inflation beside
        the VIF, and the share of sign flips beside its probability, at the largest ρ.
    """
    low, high = result.rho[0], result.rho[-1]
    return [
        Headline(
            f"variance of β̂₁, ρ = {low:g}",
            f"{result.variance[0]:.3g}",
            f"theory {result.variance_theory[0]:.3g}",
        ),
        Headline(
            f"variance of β̂₁, ρ = {high:g}",
            f"{result.variance[-1]:.3g}",
            f"theory {result.variance_theory[-1]:.3g}",
        ),
        Headline(
            f"variance inflation, ρ = {high:g}",
            f"{result.inflation[-1]:.3g}×",
            f"VIF {result.vif[-1]:.3g}",
        ),
        Headline(
            f"sign of β̂₁ wrong, ρ = {high:g}",
            f"{result.sign_flips[-1]:.1%}",
            f"expected {result.sign_flips_theory[-1]:.1%}",
        ),
    ]


# --- 5. variance bias --------------------------------------------------------------------------


def variance_headline(result: VarianceResult, p: int) -> list[Headline]:
    """The ML and unbiased variance estimates over σ² for p fitted coefficients.

    Parameters
    ----------
    result
        A variance-bias simulation.
    p
        Fitted coefficients, one of ``result.p``.

    Returns
    -------
    list of Headline
        The ML ratio (± 2 standard errors), its theory (n − p)/n, the unbiased ratio.

    Raises
    ------
    ConfigError
        ``p`` was not simulated.
    """
    if p not in result.p:
        raise ConfigError(f"p = {p} was not simulated: choose one of {list(result.p)}")
    i = result.p.index(p)
    return [
        Headline(
            f"mean RSS/n ÷ σ², p = {p}",
            f"{result.ml_ratio[i]:.3f}",
            f"± {2 * result.ml_ratio_se[i]:.3f} (2 SE)",
        ),
        Headline("theory (n − p)/n", f"{result.theory[i]:.3f}"),
        Headline("mean RSS/(n − p) ÷ σ²", f"{result.unbiased_ratio[i]:.3f}", "theory 1"),
    ]


# --- 6. false positives ------------------------------------------------------------------------


def false_positive_counts(result: MultipleTestingResult) -> list[dict[str, int | str]]:
    """False positives per regression for each design, raw and corrected, beside α·k.

    Parameters
    ----------
    result
        A multiple-testing simulation.

    Returns
    -------
    list of dict
        One row per design: ``n``, ``k``, the raw mean, its expectation, the raw quartiles
        (``q1 / median / q3``) and the means with Bonferroni and Benjamini–Hochberg.
    """
    alpha = f"{result.alpha:g}"
    return _design_rows(
        result,
        lambda d: {
            "mean": f"{d.summary['raw']['mean']:.2f}",
            f"expected: {alpha} × k": f"{d.theory_mean['raw']:.2f}",
            "quartiles": _quartiles(d.summary["raw"]),
            "mean, Bonferroni": f"{d.summary['bonferroni']['mean']:.2f}",
            "mean, Benjamini–Hochberg": f"{d.summary['bh']['mean']:.2f}",
        },
    )


def false_positive_shares(result: MultipleTestingResult) -> list[dict[str, int | str]]:
    """Shares of regressions with a false positive and that find the true predictor.

    Parameters
    ----------
    result
        A multiple-testing simulation, the same as for :func:`false_positive_counts`.

    Returns
    -------
    list of dict
        One row per design: ``n``, ``k``, and the shares without correction and with
        Bonferroni, as percentages.
    """
    return _design_rows(
        result,
        lambda d: {
            "≥ 1 false positive": f"{d.family_wise['raw']:.0%}",
            "≥ 1, Bonferroni": f"{d.family_wise['bonferroni']:.0%}",
            "true predictor found": f"{d.power['raw']:.0%}",
            "found, Bonferroni": f"{d.power['bonferroni']:.0%}",
        },
    )


def _design_rows(
    result: MultipleTestingResult, cells: Callable[[DesignResult], dict[str, str]]
) -> list[dict[str, int | str]]:
    """One table row per design: its ``n`` and ``k``, then the ``cells`` of that design."""
    return [{"n": d.n, "k": d.k, **cells(d)} for d in result.designs]


def _quartiles(summary: dict[str, float]) -> str:
    return f"{summary['q1']:g} / {summary['median']:g} / {summary['q3']:g}"


# --- 7. overfitting ----------------------------------------------------------------------------


def overfitting_headline(result: OverfittingResult) -> list[Headline]:
    """The lowest test error and where, the errors with all features, the highest test error.

    Parameters
    ----------
    result
        An overfitting simulation: errors are shown as percentages for an error rate and as
        plain numbers for a mean squared error.

    Returns
    -------
    list of Headline
        Four headline numbers.
    """
    best = min(range(len(result.features)), key=lambda i: result.test_error[i])
    shown = _percent if result.metric == "error rate" else _squared_error
    most = f"{result.features[-1]:,} features"
    return [
        Headline(
            "lowest test error",
            shown(result.test_error[best]),
            f"with {result.features[best]:,} features",
        ),
        Headline(f"training error, {most}", shown(result.train_error[-1])),
        Headline(f"test error, {most}", shown(result.test_error[-1])),
        Headline("highest test error", shown(max(result.test_error))),
    ]


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _squared_error(value: float) -> str:
    """A mean squared error: 0 when it is zero up to rounding, thousands with separators."""
    if abs(value) < 1e-9:
        return "0"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


# --- 8. big data -------------------------------------------------------------------------------


def regime_headline(result: RegimeResult, labels: Sequence[str]) -> list[Headline]:
    """The regime and N·P of the last data sets on the plane (the user's), one per label.

    Parameters
    ----------
    result
        Data sets on the N–P plane, the user's last.
    labels
        Labels of the last ``len(labels)`` data sets, in order.

    Returns
    -------
    list of Headline
        Each data set's regime, with N·P under it.
    """
    points = result.points[len(result.points) - len(labels) :]
    return [
        Headline(label, point.regime, f"N·P = {point.product:,.0f}")
        for label, point in zip(labels, points, strict=True)
    ]
