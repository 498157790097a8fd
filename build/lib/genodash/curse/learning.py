"""Overfitting: training and test error as features grow at a fixed number of samples.

Demo 7, on simulated data (with exact theory for least squares) and on a real expression
matrix (cell types predicted from a growing number of genes).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from genodash.curse._common import (
    Result,
    check_seed,
    choice,
    floats,
    least_squares,
    predictor_grid,
    real,
    single_threaded,
    whole,
    wholes,
)
from genodash.errors import ConfigError

if TYPE_CHECKING:
    from genodash.data import MatrixSet

Model = Literal["linear", "logistic", "mlp"]
Classifier = Literal["logistic", "mlp"]
MatrixExample = Literal["pbmc68k", "simulated-counts"]
_N_TEST = 1000
_MAX_TEST_CELLS = 2000
_DEFAULT_REPS = {"linear": 20, "logistic": 5, "mlp": 3}
"""Training sets averaged by default: as many as keep a demo near a second on 2 cores."""


@dataclass(frozen=True)
class OverfittingResult(Result):
    """Training and test error as the number of features grows at a fixed training size.

    ``metric`` is ``"mean squared error"`` (linear regression) or ``"error rate"``
    (classifiers); errors are means over ``reps`` draws of the training set. For linear
    regression on simulated data ``train_theory`` and ``test_theory`` are exact
    expectations (minimum-norm least squares; undefined, so ``nan``, for p = n ± 1 and p = n);
    otherwise they are all ``nan``.
    """

    features: tuple[int, ...]
    train_error: tuple[float, ...]
    test_error: tuple[float, ...]
    train_theory: tuple[float, ...]
    test_theory: tuple[float, ...]
    metric: str
    model: str
    data: str
    n_train: int
    n_test: int
    reps: int
    params: dict[str, Any]
    seed: int


def linear_error_theory(p: int, *, n: int, noise: float, informative: int) -> tuple[float, float]:
    """Exact expected train and test MSE of minimum-norm least squares with p features.

    The features are independent N(0, 1), the first ``informative`` coefficients are 1.
    Left-out informative features act as extra noise. For p < n − 1: train
    σ²(n − p)/n, test σ²(1 + p/(n − p − 1)); for p > n + 1: train 0, test
    σ² + ‖β‖²(1 − n/p) + σ²·n/(p − n − 1) (Hastie et al., Ann Stat 2022). ``nan`` between.

    Parameters
    ----------
    p
        Features in the model: the first ``min(p, informative)`` are informative, the rest
        pure noise.
    n
        Training samples.
    noise
        Standard deviation σ of the noise added to the response.
    informative
        Features with coefficient 1 in the true model; those beyond ``p`` are left out and
        act as extra noise.

    Returns
    -------
    tuple of float
        (expected training MSE, expected test MSE); both ``nan`` for n − 1 ≤ p ≤ n + 1,
        where the expectation is undefined.
    """
    kept = min(p, informative)
    sigma2 = noise**2 + (informative - kept)
    if p < n - 1:
        return sigma2 * (n - p) / n, sigma2 * (1 + p / (n - p - 1))
    if p > n + 1:
        return 0.0, sigma2 + kept * (1 - n / p) + sigma2 * n / (p - n - 1)
    return math.nan, math.nan


@single_threaded
def overfitting(
    p: Sequence[int] | None = None,
    *,
    n: int = 50,
    model: Model = "linear",
    noise: float = 1.0,
    informative: int = 5,
    reps: int | None = None,
    seed: int = 0,
) -> OverfittingResult:
    """Overfitting on simulated data: train vs test error as p grows at fixed n.

    ``linear`` regresses y = Xβ + noise·ε by (minimum-norm) least squares; ``logistic`` and
    ``mlp`` (one hidden layer of 16) classify the sign of Xβ + noise·ε. The first
    ``informative`` features carry signal (coefficient 1); the rest are noise.

    Parameters
    ----------
    p
        Numbers of features (1 to 4n); default: a grid around p = n up to 4n.
    n
        Training samples (20 to 500); the test set has 1,000.
    model
        ``linear``, ``logistic`` or ``mlp``.
    noise
        Standard deviation of the noise.
    informative
        Features that carry signal (1 to 20, fewer than n).
    reps
        Training sets averaged (1 to 50); default: 20 for ``linear``, 5 for ``logistic``,
        3 for ``mlp``.
    seed
        Seed of the data and of the network's initial weights.

    Returns
    -------
    OverfittingResult
        Train and test error per number of features, with theory for ``linear``.
    """
    n = whole(n, "n", 20, 500)
    p = predictor_grid(n, 4.0) if p is None else wholes(p, "p", 1, 4 * n)
    choice(model, "model", ("linear", "logistic", "mlp"))
    noise = real(noise, "noise", 0.0, 100.0)
    informative = whole(informative, "informative", 1, min(20, n - 1))
    reps = _DEFAULT_REPS[model] if reps is None else whole(reps, "reps", 1, 50)
    seed = check_seed(seed)
    beta = np.zeros(p[-1])
    beta[:informative] = 1.0
    errors = np.zeros((reps, len(p), 2))
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        x = rng.standard_normal((n + _N_TEST, p[-1]))
        y = x @ beta + noise * rng.standard_normal(n + _N_TEST)
        if model != "linear":
            y = (y > 0).astype(int)
        for j, k in enumerate(p):
            errors[rep, j] = _fit_errors(model, x[:, :k], y, n_train=n, seed=seed + rep)
    theory = (
        [linear_error_theory(k, n=n, noise=noise, informative=informative) for k in p]
        if model == "linear"
        else [(math.nan, math.nan)] * len(p)
    )
    train, test = errors.mean(axis=0).T
    return OverfittingResult(
        features=p,
        train_error=floats(train),
        test_error=floats(test),
        train_theory=floats(t[0] for t in theory),
        test_theory=floats(t[1] for t in theory),
        metric="mean squared error" if model == "linear" else "error rate",
        model=model,
        data="simulated",
        n_train=n,
        n_test=_N_TEST,
        reps=reps,
        params={"noise": noise, "informative": informative},
        seed=seed,
    )


def _fit_errors(
    model: str, x: np.ndarray, y: np.ndarray, *, n_train: int, seed: int
) -> tuple[float, float]:
    """Train and test error of ``model`` fit to the first ``n_train`` rows."""
    if model == "linear":
        coef = least_squares(x[:n_train], y[:n_train])
        residual = y - x @ coef
        return float(np.mean(residual[:n_train] ** 2)), float(np.mean(residual[n_train:] ** 2))
    from sklearn.exceptions import ConvergenceWarning

    classifier = _classifier(model, seed)
    with warnings.catch_warnings():
        # separable training sets (p ≥ n) never converge: that is the overfitting shown
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(x[:n_train], y[:n_train])
    wrong = classifier.predict(x) != y
    return float(wrong[:n_train].mean()), float(wrong[n_train:].mean())


def _classifier(model: str, seed: int) -> Any:
    if model == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=100.0, max_iter=300)
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(16,), solver="lbfgs", max_iter=200, random_state=seed % 2**32
    )


@single_threaded
def expression_overfitting(
    dataset: MatrixSet,
    genes: Sequence[int] | None = None,
    *,
    n_train: int = 60,
    model: Classifier = "logistic",
    reps: int | None = None,
    seed: int = 0,
) -> OverfittingResult:
    """Overfitting on a real matrix: predict cell types from a growing number of genes.

    Each repetition draws ``n_train`` training cells and a random gene order; the test
    cells are the others (at most 2,000). Genes are standardised with the training cells'
    mean and standard deviation; counts are first normalised to 10,000 per cell and log1p.

    Parameters
    ----------
    dataset
        An expression matrix with a cell-label column.
    genes
        Numbers of genes (1 to 5,000 and at most all genes); default: 2 up to all.
    n_train
        Training cells (10 to all but 10).
    model
        ``logistic`` or ``mlp``.
    reps
        Training sets averaged (1 to 50); default: 5 for ``logistic``, 3 for ``mlp``.
    seed
        Seed of the draws and of the network's initial weights.

    Returns
    -------
    OverfittingResult
        Train and test error rate per number of genes (no theory).

    Raises
    ------
    ConfigError
        No label column, or a parameter out of range.
    """
    if dataset.label_column is None:
        raise ConfigError(
            f"{dataset.name} has no cell labels to predict: choose a matrix with a label "
            "column, such as the pbmc68k example"
        )
    top = min(dataset.n_vars, 5000)
    default = (*(g for g in (2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if g < top), top)
    genes = default if genes is None else wholes(genes, "genes", 1, top)
    n_train = whole(n_train, "n_train", 10, dataset.n_obs - 10)
    choice(model, "model", ("logistic", "mlp"))
    reps = _DEFAULT_REPS[model] if reps is None else whole(reps, "reps", 1, 50)
    seed = check_seed(seed)
    labels = dataset.adata.obs[dataset.label_column].astype(str).to_numpy()
    errors = np.zeros((reps, len(genes), 2))
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep])
        cells = rng.permutation(dataset.n_obs)[: n_train + _MAX_TEST_CELLS]
        columns = rng.permutation(dataset.n_vars)[: genes[-1]]
        x = _standardised(_expression_rows(dataset, cells)[:, columns], n_train)
        for j, g in enumerate(genes):
            errors[rep, j] = _fit_errors(
                model, x[:, :g], labels[cells], n_train=n_train, seed=seed + rep
            )
    train, test = errors.mean(axis=0).T
    return OverfittingResult(
        features=genes,
        train_error=floats(train),
        test_error=floats(test),
        train_theory=(math.nan,) * len(genes),
        test_theory=(math.nan,) * len(genes),
        metric="error rate",
        model=model,
        data=dataset.name,
        n_train=n_train,
        n_test=min(dataset.n_obs - n_train, _MAX_TEST_CELLS),
        reps=reps,
        params={"label_column": dataset.label_column},
        seed=seed,
    )


def _expression_rows(dataset: MatrixSet, cells: np.ndarray) -> np.ndarray:
    """Dense float64 rows of the matrix (normalised and log1p when they are counts)."""
    block = dataset.adata.X[cells]
    dense = np.asarray(block.toarray() if hasattr(block, "toarray") else block, dtype=np.float64)
    if dataset.value_type == "counts":
        totals = np.maximum(dense.sum(axis=1, keepdims=True), 1.0)
        dense = np.log1p(dense / totals * 1e4)
    return dense


def _standardised(x: np.ndarray, n_train: int) -> np.ndarray:
    mean = x[:n_train].mean(axis=0)
    sd = x[:n_train].std(axis=0)
    return (x - mean) / np.where(sd > 0, sd, 1.0)


def example_overfitting(
    genes: Sequence[int] | None = None,
    *,
    example: MatrixExample = "pbmc68k",
    n_train: int = 60,
    model: Classifier = "logistic",
    reps: int | None = None,
    seed: int = 0,
) -> OverfittingResult:
    """Overfitting on a built-in matrix: cell types from a growing number of genes.

    Parameters
    ----------
    genes
        Numbers of genes; default: 2 up to all.
    example
        ``pbmc68k`` (700 real cells, 10 types) or ``simulated-counts``.
    n_train
        Training cells.
    model
        ``logistic`` or ``mlp``.
    reps
        Training sets averaged (1 to 50); default: 5 for ``logistic``, 3 for ``mlp``.
    seed
        Seed of the draws.

    Returns
    -------
    OverfittingResult
        See :func:`expression_overfitting`.
    """
    from genodash.examples import load_example

    choice(example, "example", ("pbmc68k", "simulated-counts"))
    dataset = load_example(example)
    return expression_overfitting(
        dataset, genes, n_train=n_train, model=model, reps=reps, seed=seed
    )
