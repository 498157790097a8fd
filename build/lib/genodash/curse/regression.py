"""Regression when p approaches n: singular XᵀX, a biased variance, false positives.

Demos 4 to 6: OLS (beside ridge and lasso) as p → n, the maximum-likelihood variance
estimator's bias (n − p)/n, and the false-positive P values of extraneous predictors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from genodash.curse._common import (
    Result,
    check_seed,
    floats,
    least_squares,
    predictor_grid,
    real,
    single_threaded,
    whole,
    wholes,
)
from genodash.errors import ConfigError

CORRECTIONS = ("raw", "bonferroni", "bh")
"""Multiple-testing corrections: none, Bonferroni, Benjamini–Hochberg."""
PENALTIES = ("ols", "ridge", "lasso")
"""The least-squares fits compared: plain (minimum-norm when p ≥ n), ridge, lasso."""
_EFFECTS = 5


# --- 4. OLS when n ≤ p -------------------------------------------------------------------------


@dataclass(frozen=True)
class OlsResult(Result):
    """Least squares as the number of predictors p approaches the number of samples n.

    X has independent N(0, 1) entries (no intercept); y = Xβ + noise·ε with the first
    ``effects`` coefficients 1 and the rest 0. Per p, over ``reps`` data sets:
    ``condition_number`` is the median condition number of XᵀX, beside its large-sample
    (Marchenko–Pastur) value ((1 + √(p/n))/(1 − √(p/n)))²; ``log10_det`` the mean
    log₁₀ det(XᵀX/n) (0 for the true covariance), beside its exact expectation; and
    ``variance`` / ``mse`` the variance and mean squared error of the coefficient estimates
    (averaged over coefficients) for each of OLS (minimum-norm when p ≥ n), ridge and
    lasso. ``variance_theory`` is OLS's exact noise²/(n − p − 1). Undefined values (p ≥ n)
    are ``inf``/``nan`` here and ``None`` in ``as_dict()``.
    """

    p: tuple[int, ...]
    condition_number: tuple[float, ...]
    condition_theory: tuple[float, ...]
    log10_det: tuple[float, ...]
    log10_det_theory: tuple[float, ...]
    variance: dict[str, tuple[float, ...]]
    mse: dict[str, tuple[float, ...]]
    variance_theory: tuple[float, ...]
    n: int
    noise: float
    reps: int
    ridge: float
    lasso: float
    effects: int
    seed: int


def condition_number_theory(p: int, n: int) -> float:
    """Large-sample condition number of XᵀX for an n × p matrix of N(0, 1) entries.

    The Marchenko–Pastur value ((1 + √(p/n))/(1 − √(p/n)))²: the ratio of the largest to
    the smallest eigenvalue that XᵀX approaches when n and p grow together.

    Parameters
    ----------
    p
        Predictors (columns of X).
    n
        Samples (rows of X).

    Returns
    -------
    float
        The condition number; ``inf`` when p ≥ n, where XᵀX is singular.
    """
    if p >= n:
        return math.inf
    root = math.sqrt(p / n)
    return ((1 + root) / (1 - root)) ** 2


def log10_det_theory(p: int, n: int) -> float:
    """Exact E[log₁₀ det(XᵀX/n)] for an n × p matrix of N(0, 1) entries (−inf when p > n).

    XᵀX/n estimates the identity covariance, whose log-determinant is 0; the expectation
    falls below 0 as p approaches n.

    Parameters
    ----------
    p, n
        Predictors and samples, as for :func:`condition_number_theory`.

    Returns
    -------
    float
        The expected log₁₀ determinant; ``-inf`` when p > n, where XᵀX is singular.
    """
    if p > n:
        return -math.inf
    dof = n - np.arange(p)
    return float(np.sum(special.digamma(dof / 2) + math.log(2) - math.log(n)) / math.log(10))


def ols_variance_theory(p: int, n: int, noise: float) -> float:
    """Exact variance of an OLS coefficient with Gaussian random design: noise²/(n − p − 1).

    Parameters
    ----------
    p
        Predictors in the model.
    n
        Samples.
    noise
        Standard deviation of the noise added to the response.

    Returns
    -------
    float
        The variance of each coefficient estimate; ``inf`` when p ≥ n − 1, where it is
        undefined.
    """
    return noise**2 / (n - p - 1) if p < n - 1 else math.inf


@single_threaded
def ols_collapse(
    p: Sequence[int] | None = None,
    *,
    n: int = 50,
    noise: float = 1.0,
    reps: int = 100,
    ridge: float = 5.0,
    lasso: float = 0.1,
    seed: int = 0,
) -> OlsResult:
    """OLS when n ≤ p: XᵀX turns singular and coefficient variance explodes; ridge, lasso.

    Each data set is drawn and measured as :class:`OlsResult` describes.

    Parameters
    ----------
    p
        Numbers of predictors (1 to 2n); default: a grid around p = n up to 2n.
    n
        Samples (10 to 500).
    noise
        Standard deviation of the noise.
    reps
        Simulated data sets per p (10 to 1,000).
    ridge
        Ridge penalty λ in ‖y − Xβ‖² + λ‖β‖².
    lasso
        Lasso penalty α in ‖y − Xβ‖²/(2n) + α‖β‖₁.
    seed
        Seed of the random draws.

    Returns
    -------
    OlsResult
        Condition numbers, determinants and coefficient variances per p.
    """
    n = whole(n, "n", 10, 500)
    p = predictor_grid(n, 2.0) if p is None else wholes(p, "p", 1, 2 * n)
    noise = real(noise, "noise", 0.01, 100.0)
    reps = whole(reps, "reps", 10, 1000)
    ridge = real(ridge, "ridge", 0.01, 1e6)
    lasso = real(lasso, "lasso", 1e-4, 100.0)
    seed = check_seed(seed)
    settings = dict(n=n, noise=noise, reps=reps, ridge=ridge, lasso=lasso, seed=seed)
    rows = [_ols_at(k, **settings) for k in p]
    return OlsResult(
        p=p,
        condition_number=floats(row[0] for row in rows),
        condition_theory=floats(condition_number_theory(k, n) for k in p),
        log10_det=floats(row[1] for row in rows),
        log10_det_theory=floats(log10_det_theory(k, n) for k in p),
        variance={m: floats(row[2][m] for row in rows) for m in PENALTIES},
        mse={m: floats(row[3][m] for row in rows) for m in PENALTIES},
        variance_theory=floats(ols_variance_theory(k, n, noise) for k in p),
        effects=_EFFECTS,
        **settings,
    )


def _ols_at(
    p: int, *, n: int, noise: float, reps: int, ridge: float, lasso: float, seed: int
) -> tuple[float, float, dict[str, float], dict[str, float]]:
    rng = np.random.default_rng([seed, p])
    x = rng.standard_normal((reps, n, p))
    beta = np.zeros(p)
    beta[:_EFFECTS] = 1.0
    y = x @ beta + noise * rng.standard_normal((reps, n))
    gram = np.swapaxes(x, 1, 2) @ x
    if p > n:
        condition, log_det = math.inf, -math.inf
    else:
        eigenvalues = np.linalg.eigvalsh(gram)  # (reps, p), ascending
        condition = float(np.median(eigenvalues[:, -1] / eigenvalues[:, 0]))
        log_det = float(np.mean(np.log10(eigenvalues / n).sum(axis=1)))
    xty = np.einsum("rnp,rn->rp", x, y)
    estimates = {
        "ols": least_squares(x, y),
        "ridge": np.linalg.solve(gram + ridge * np.eye(p), xty[..., None])[..., 0],
        "lasso": _lasso(x, y, lasso),
    }
    variance = {m: float(b.var(axis=0, ddof=1).mean()) for m, b in estimates.items()}
    mse = {m: float(((b - beta) ** 2).mean()) for m, b in estimates.items()}
    return condition, log_det, variance, mse


def _lasso(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Lasso coefficients (no intercept) for each of a batch of data sets, reps × p."""
    from sklearn.linear_model import Lasso

    model = Lasso(alpha=alpha, fit_intercept=False)
    coefficients = []
    for design, response in zip(x, y, strict=True):
        # the arrays are already what Lasso wants (float64, Fortran order): skipping its
        # input checks makes the hundreds of small fits 3× faster
        model.fit(np.asfortranarray(design), response.copy(), check_input=False)
        coefficients.append(model.coef_.copy())
    return np.array(coefficients)


# --- 5. the biased variance estimator --------------------------------------------------------


@dataclass(frozen=True)
class VarianceResult(Result):
    """The maximum-likelihood noise variance RSS/n is biased by (n − p)/n.

    Convention: p counts every fitted coefficient, the intercept included (an intercept and
    p − 1 N(0, 1) predictors, drawn once per p: the bias does not depend on them). With
    σ = 1, ``ml_ratio`` is the mean over ``reps`` noise draws of RSS/n ÷ σ² and
    ``ml_ratio_se`` its standard error; ``unbiased_ratio`` the mean of RSS/(n − p) ÷ σ²;
    ``theory`` the exact (n − p)/n.
    """

    p: tuple[int, ...]
    ml_ratio: tuple[float, ...]
    ml_ratio_se: tuple[float, ...]
    unbiased_ratio: tuple[float, ...]
    theory: tuple[float, ...]
    n: int
    reps: int
    seed: int


@single_threaded
def ml_variance_bias(
    p: Sequence[int] | None = None, *, n: int = 20, reps: int = 2000, seed: int = 0
) -> VarianceResult:
    """Biased variance estimator: E[σ̂²_ML] = (n − p)/n · σ², against the unbiased one.

    Parameters
    ----------
    p
        Numbers of fitted coefficients, intercept included (1 to n − 1); default: all, or 50
        evenly spaced when n > 51.
    n
        Samples per data set (3 to 200).
    reps
        Simulated data sets per p (10 to 100,000).
    seed
        Seed of the random draws.

    Returns
    -------
    VarianceResult
        Mean ML and unbiased estimates over σ², and (n − p)/n, per p.

    Raises
    ------
    ConfigError
        A parameter out of range, or reps × n × (sum of p) too large to simulate quickly.
    """
    n = whole(n, "n", 3, 200)
    if p is None:
        p = tuple(sorted({round(v) for v in np.linspace(1, n - 1, min(n - 1, 50))}))
    p = wholes(p, "p", 1, n - 1)
    reps = whole(reps, "reps", 10, 100_000)
    seed = check_seed(seed)
    if reps * n * sum(p) > 2_000_000_000:
        raise ConfigError(
            f"reps × n × (sum of p) = {reps * n * sum(p):,} is too large: keep it under "
            "2,000,000,000 (fewer reps or fewer values of p)"
        )
    rss = [_residual_sums(k, n=n, reps=reps, seed=seed) for k in p]
    return VarianceResult(
        p=p,
        ml_ratio=floats(r.mean() / n for r in rss),
        ml_ratio_se=floats(r.std(ddof=1) / n / math.sqrt(reps) for r in rss),
        unbiased_ratio=floats(r.mean() / (n - k) for r, k in zip(rss, p, strict=True)),
        theory=tuple((n - k) / n for k in p),
        n=n,
        reps=reps,
        seed=seed,
    )


def _residual_sums(p: int, *, n: int, reps: int, seed: int) -> np.ndarray:
    """RSS of OLS fits with p coefficients, intercept included, to reps noise draws (σ = 1)."""
    rng = np.random.default_rng([seed, p])
    x = np.concatenate([np.ones((n, 1)), rng.standard_normal((n, p - 1))], axis=1)
    y = x.sum(axis=1) + rng.standard_normal((reps, n))
    q = np.linalg.qr(x)[0]  # n × p, orthonormal columns spanning X
    return (y**2).sum(axis=1) - ((y @ q) ** 2).sum(axis=1)


# --- 6. extraneous predictors and false positives --------------------------------------------


@dataclass(frozen=True)
class DesignResult(Result):
    """One design (n subjects, k extraneous predictors) of the false-positive demo.

    For each correction (``raw``, ``bonferroni``, ``bh``): ``false_positives`` per
    regression, their ``summary`` (mean and quartiles), ``family_wise`` (share of
    regressions with at least one) and ``power`` (share that detect the true predictor).
    ``theory_mean`` is the exact expected count: α·k raw, α·k/(k + 1) with Bonferroni;
    ``theory_family_wise`` the raw share 1 − (1 − α)^k, were the k tests independent; they
    nearly are when n ≫ k, while with n close to k they share the noise estimate and
    correlated estimates, and fewer regressions have a false positive.
    """

    n: int
    k: int
    false_positives: dict[str, tuple[int, ...]]
    summary: dict[str, dict[str, float]]
    family_wise: dict[str, float]
    power: dict[str, float]
    theory_mean: dict[str, float]
    theory_family_wise: float


@dataclass(frozen=True)
class MultipleTestingResult(Result):
    """The paper's Fig. 3 design: ``reps`` regressions per (n, k), one true predictor.

    Each regression fits y = β₀ + effect·x₁ + Σ 0·zⱼ + ε (ε ~ N(0, 1)) with an intercept,
    the true predictor and k uncorrelated extraneous ones, and tests the k + 1 slopes with
    t-tests at level ``alpha``; corrections act on those k + 1 P values.
    """

    designs: tuple[DesignResult, ...]
    alpha: float
    reps: int
    effect: float
    seed: int


@single_threaded
def extraneous_predictors(
    n: Sequence[int] = (100, 250, 1000),
    k: Sequence[int] = (10, 50),
    *,
    reps: int = 100,
    alpha: float = 0.05,
    effect: float = 0.2,
    seed: int = 0,
) -> MultipleTestingResult:
    """Extraneous predictors: false-positive P values, raw and corrected.

    Each regression is drawn and tested as :class:`MultipleTestingResult` describes.

    Parameters
    ----------
    n
        Subjects per regression (20 to 5,000); one design per (n, k).
    k
        Extraneous predictors (1 to 200); each n must exceed k + 2.
    reps
        Regressions per design (10 to 1,000).
    alpha
        Significance level.
    effect
        Slope of the one true predictor, in noise standard deviations.
    seed
        Seed of the random draws.

    Returns
    -------
    MultipleTestingResult
        False positives, family-wise rate and power per design and correction.

    Raises
    ------
    ConfigError
        A parameter out of range, or a design too large to simulate quickly.
    """
    n = wholes(n, "n", 20, 5000)
    k = wholes(k, "k", 1, 200)
    reps = whole(reps, "reps", 10, 1000)
    alpha = real(alpha, "alpha", 1e-4, 0.5)
    effect = real(effect, "effect", 0.0, 10.0)
    seed = check_seed(seed)
    if n[0] <= k[-1] + 2:
        raise ConfigError(f"n = {n[0]} must exceed k + 2 = {k[-1] + 2} to fit the regression")
    if reps * n[-1] * (k[-1] + 2) > 50_000_000:
        raise ConfigError(
            f"reps × n × (k + 2) = {reps * n[-1] * (k[-1] + 2):,} is too large: "
            "keep it under 50,000,000"
        )
    designs = tuple(
        _design(size, extra, reps=reps, alpha=alpha, effect=effect, seed=seed)
        for size in n
        for extra in k
    )
    return MultipleTestingResult(designs, alpha, reps, effect, seed)


def slope_p_values(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Two-sided t-test P values of every coefficient of OLS fits, batched.

    Parameters
    ----------
    x
        Designs, reps × n × q (an intercept column included if wanted).
    y
        Responses, reps × n.

    Returns
    -------
    numpy.ndarray
        P values, reps × q.
    """
    n, q = x.shape[1:]
    inverse = np.linalg.inv(np.swapaxes(x, 1, 2) @ x)
    beta = (inverse @ np.einsum("rnq,rn->rq", x, y)[..., None])[..., 0]
    residual = y - np.einsum("rnq,rq->rn", x, beta)
    scale = (residual**2).sum(axis=1) / (n - q)
    t = beta / np.sqrt(scale[:, None] * np.diagonal(inverse, axis1=1, axis2=2))
    return 2 * stats.t.sf(np.abs(t), n - q)


def _design(n: int, k: int, *, reps: int, alpha: float, effect: float, seed: int) -> DesignResult:
    rng = np.random.default_rng([seed, n, k])
    predictors = rng.standard_normal((reps, n, k + 1))  # column 0 is the true predictor
    y = effect * predictors[:, :, 0] + rng.standard_normal((reps, n))
    x = np.concatenate([np.ones((reps, n, 1)), predictors], axis=2)
    p_values = slope_p_values(x, y)[:, 1:]
    rejected = {
        "raw": p_values < alpha,
        "bonferroni": p_values * (k + 1) < alpha,
        "bh": stats.false_discovery_control(p_values, axis=-1) <= alpha,
    }
    false_positives = {m: r[:, 1:].sum(axis=1) for m, r in rejected.items()}
    return DesignResult(
        n=n,
        k=k,
        false_positives={m: tuple(int(c) for c in fp) for m, fp in false_positives.items()},
        summary={m: _summary(fp) for m, fp in false_positives.items()},
        family_wise={m: float(np.mean(fp > 0)) for m, fp in false_positives.items()},
        power={m: float(np.mean(r[:, 0])) for m, r in rejected.items()},
        theory_mean={"raw": alpha * k, "bonferroni": alpha * k / (k + 1)},
        theory_family_wise=1 - (1 - alpha) ** k,
    )


def _summary(values: np.ndarray) -> dict[str, float]:
    q1, median, q3 = np.quantile(values, (0.25, 0.5, 0.75))
    return {"mean": float(values.mean()), "q1": q1, "median": median, "q3": q3}
