"""Multicollinearity: correlated predictors inflate the variance of least-squares coefficients.

The paper's fourth problem: the more variables are measured, the more of them rise and fall
together, and least squares cannot tell which one acts. Each coefficient's variance is
multiplied by the variance inflation factor (VIF), and a real positive effect often gets a
negative estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from genodash.curse._common import (
    Result,
    check_seed,
    floats,
    real,
    reals,
    single_threaded,
    whole,
)
from genodash.errors import ConfigError

_SHOWN = 200
"""Fits per correlation kept by :func:`collinearity_sample` for the scatter of estimates."""


@dataclass(frozen=True)
class CollinearityResult(Result):
    """OLS coefficients of ``predictors`` equally correlated predictors, for each ρ.

    For each correlation ρ a design X (n × ``predictors``) is drawn once and made exactly
    standardized: every column has mean 0 and variance 1 (sum of squares n), and every
    pair of columns has sample correlation ρ, so XᵀX = n·R with R the correlation matrix.
    ``reps`` responses y = Xβ + noise·ε (every coefficient ``effect``, ε ~ N(0, 1)) are
    fitted by OLS without an intercept (the predictors are centred, so one would change
    nothing). β̂ is then normal with covariance noise²·R⁻¹/n exactly.

    Per ρ: ``variance`` is the sample variance of β̂₁ over the fits and ``variance_se`` its
    standard error (variance·√(2/(reps − 1))); ``variance_theory`` the exact
    noise²·VIF/n; ``vif`` the variance inflation factor [R⁻¹]₁₁ (1/(1 − ρ²) for two
    predictors); ``inflation`` the simulated variance over its value for uncorrelated
    predictors, noise²/n (the simulated VIF); ``sign_flips`` the share of fits with
    β̂₁ < 0 although β₁ = ``effect`` > 0, beside its exact probability
    ``sign_flips_theory`` = Φ(−effect/√variance_theory); ``correlation`` the sample
    correlation of β̂₁ and β̂₂ beside its exact value ``correlation_theory``
    ([R⁻¹]₁₂/[R⁻¹]₁₁, −ρ for two predictors).
    """

    rho: tuple[float, ...]
    variance: tuple[float, ...]
    variance_se: tuple[float, ...]
    variance_theory: tuple[float, ...]
    vif: tuple[float, ...]
    inflation: tuple[float, ...]
    sign_flips: tuple[float, ...]
    sign_flips_theory: tuple[float, ...]
    correlation: tuple[float, ...]
    correlation_theory: tuple[float, ...]
    n: int
    predictors: int
    noise: float
    effect: float
    reps: int
    seed: int


@dataclass(frozen=True, eq=False)
class CollinearitySample(Result):
    """The first fits of :func:`collinearity` for each ρ, for the scatter of estimates.

    ``estimates`` (read-only) is len(rho) × fits × 2: (β̂₁, β̂₂) of the first fits, the
    same draws as :func:`collinearity` makes with the same settings; the true pair is
    (``effect``, ``effect``).
    """

    rho: tuple[float, ...]
    estimates: np.ndarray
    n: int
    predictors: int
    noise: float
    effect: float
    seed: int


def variance_inflation(rho: float, predictors: int = 2) -> float:
    """Exact variance inflation factor of one of ``predictors`` equally correlated predictors.

    VIF = [R⁻¹]₁₁ = 1/(1 − R₁²), with R₁² the share of predictor 1's variance explained by
    the others; for k predictors with every pairwise correlation ρ it is
    (1 + (k − 2)ρ)/((1 − ρ)(1 + (k − 1)ρ)), and 1/(1 − ρ²) for two.

    Parameters
    ----------
    rho
        Correlation of every pair of predictors, from 0 to below 1.
    predictors
        Number of predictors k, 2 or more.

    Returns
    -------
    float
        The factor by which correlation multiplies a coefficient's variance (1 at ρ = 0).
    """
    k = predictors
    return (1 + (k - 2) * rho) / ((1 - rho) * (1 + (k - 1) * rho))


def estimate_correlation(rho: float, predictors: int = 2) -> float:
    """Exact correlation of two OLS coefficient estimates for equally correlated predictors.

    The estimates' covariance is proportional to R⁻¹, so their correlation is
    [R⁻¹]₁₂/[R⁻¹]₁₁ = −ρ/(1 + (k − 2)ρ): negative, −ρ for two predictors. One estimate
    too high goes with the other too low.

    Parameters
    ----------
    rho
        Correlation of every pair of predictors, from 0 to below 1.
    predictors
        Number of predictors k, 2 or more.

    Returns
    -------
    float
        The correlation of β̂₁ and β̂₂, from −1 to 0.
    """
    return -rho / (1 + (predictors - 2) * rho) + 0.0  # + 0.0: ρ = 0 gives 0, not −0


@single_threaded
def collinearity(
    rho: Sequence[float] = (0.0, 0.5, 0.9, 0.99),
    *,
    n: int = 50,
    predictors: int = 2,
    noise: float = 1.0,
    effect: float = 0.5,
    reps: int = 2000,
    seed: int = 0,
) -> CollinearityResult:
    """Multicollinearity: correlated predictors inflate coefficient variance and flip signs.

    Each design is drawn and fitted as :class:`CollinearityResult` describes.

    Parameters
    ----------
    rho
        Correlations between the predictors (0 to 0.999).
    n
        Samples per data set (10 to 10,000).
    predictors
        Predictors in the model, every pair correlated ρ (2 to 10).
    noise
        Standard deviation σ of the noise.
    effect
        True coefficient of every predictor, in noise units (0.01 to 10).
    reps
        Fits per correlation (100 to 100,000).
    seed
        Seed of the random draws.

    Returns
    -------
    CollinearityResult
        Simulated and exact variance of β̂₁, VIF and sign flips, per ρ.

    Raises
    ------
    ConfigError
        A parameter out of range, or reps × n too large to simulate quickly.
    """
    rho, design = _checked(rho, n=n, predictors=predictors, noise=noise, effect=effect, seed=seed)
    reps = whole(reps, "reps", 100, 100_000)
    if reps * design["n"] > 20_000_000:
        raise ConfigError(
            f"reps × n = {reps * design['n']:,} is too large: keep it under 20,000,000"
        )
    fits = [_fits(r, reps=reps, **design) for r in rho]
    n, k, noise, effect = (design[key] for key in ("n", "predictors", "noise", "effect"))
    vif = floats(variance_inflation(r, k) for r in rho)
    theory = floats(noise**2 * v / n for v in vif)
    variance = floats(b[:, 0].var(ddof=1) for b in fits)
    return CollinearityResult(
        rho=rho,
        variance=variance,
        variance_se=floats(v * math.sqrt(2 / (reps - 1)) for v in variance),
        variance_theory=theory,
        vif=vif,
        inflation=floats(v / (noise**2 / n) for v in variance),
        sign_flips=floats(np.mean(b[:, 0] < 0) for b in fits),
        sign_flips_theory=floats(stats.norm.cdf(-effect / math.sqrt(t)) for t in theory),
        correlation=floats(np.corrcoef(b[:, 0], b[:, 1])[0, 1] for b in fits),
        correlation_theory=floats(estimate_correlation(r, k) for r in rho),
        n=n,
        predictors=k,
        noise=noise,
        effect=effect,
        reps=reps,
        seed=design["seed"],
    )


@single_threaded
def collinearity_sample(
    rho: Sequence[float] = (0.0, 0.5, 0.9, 0.99),
    *,
    n: int = 50,
    predictors: int = 2,
    noise: float = 1.0,
    effect: float = 0.5,
    seed: int = 0,
) -> CollinearitySample:
    """The first 200 fits per ρ of :func:`collinearity`: (β̂₁, β̂₂) pairs for a scatter.

    Parameters
    ----------
    rho, n, predictors, noise, effect, seed
        As for :func:`collinearity`; the same values give the same draws.

    Returns
    -------
    CollinearitySample
        The estimates of the first two coefficients of the first 200 fits, per ρ.
    """
    rho, design = _checked(rho, n=n, predictors=predictors, noise=noise, effect=effect, seed=seed)
    estimates = np.stack([_fits(r, reps=_SHOWN, **design)[:, :2] for r in rho])
    estimates.setflags(write=False)
    return CollinearitySample(rho=rho, estimates=estimates, **design)


def _checked(
    rho: Sequence[float], *, n: int, predictors: int, noise: float, effect: float, seed: int
) -> tuple[tuple[float, ...], dict[str, Any]]:
    """The checked correlations, and the other settings shared by both public functions."""
    design = {
        "n": whole(n, "n", 10, 10_000),
        "predictors": whole(predictors, "predictors", 2, 10),
        "noise": real(noise, "noise", 0.01, 100.0),
        "effect": real(effect, "effect", 0.01, 10.0),
        "seed": check_seed(seed),
    }
    return reals(rho, "rho", 0.0, 0.999), design


def _fits(
    rho: float, *, reps: int, n: int, predictors: int, noise: float, effect: float, seed: int
) -> np.ndarray:
    """OLS coefficients of ``reps`` noise draws on one standardized design, reps × predictors.

    The design comes first from the generator and the noise after it, row by row, so the
    first fits are the same whatever ``reps`` is.
    """
    rng = np.random.default_rng([seed, round(rho * 1_000_000), predictors, n])
    x = _standardized_design(rng, n=n, predictors=predictors, rho=rho)
    y = effect * x.sum(axis=1) + noise * rng.standard_normal((reps, n))  # reps × n
    return np.linalg.solve(x.T @ x, x.T @ y.T).T


def _standardized_design(
    rng: np.random.Generator, *, n: int, predictors: int, rho: float
) -> np.ndarray:
    """n × predictors with column means 0, sums of squares n and pairwise correlations ρ.

    Centred normal columns are made orthonormal (QR), which keeps them orthogonal to the
    constant vector, then mixed by the Cholesky factor L of R: XᵀX = n·L·Lᵀ = n·R.
    """
    z = rng.standard_normal((n, predictors))
    q = np.linalg.qr(z - z.mean(axis=0))[0]
    correlation = np.full((predictors, predictors), rho) + (1 - rho) * np.eye(predictors)
    return math.sqrt(n) * q @ np.linalg.cholesky(correlation).T
