"""The curse(s) of dimensionality: simulations with their theory, one function per demo.

The demos follow Altman & Krzywinski, "The curse(s) of dimensionality" (Nat Methods 2018):
sparsity, distance concentration and genotype combinations (:mod:`.space`); OLS when
n ≤ p, the biased variance estimator and false positives from extraneous predictors
(:mod:`.regression`); overfitting (:mod:`.learning`); and where biological data sets sit on
the N–P plane (:mod:`.regimes`).

Each function validates its parameters (bad ones raise
:class:`~genodash.errors.ConfigError`), simulates with generators seeded from ``seed``,
computes the exact (or, where said, large-sample) theory, and returns a frozen result that
records its parameters; ``result.as_dict()`` is JSON-ready (non-finite numbers become
``None``). Random draws for one setting (a dimension, a design, a repetition) come from a
generator seeded with ``(seed, setting)``, so adding a setting leaves the others unchanged.
:data:`DEMOS` maps the command line's demo names to the functions.
"""

from __future__ import annotations

from collections.abc import Callable

from genodash.curse._common import Result, least_squares
from genodash.curse.learning import (
    OverfittingResult,
    example_overfitting,
    expression_overfitting,
    linear_error_theory,
    overfitting,
)
from genodash.curse.regimes import (
    REFERENCES,
    DataPoint,
    RegimeResult,
    data_regimes,
    dataset_shape,
    regime,
)
from genodash.curse.regression import (
    CORRECTIONS,
    PENALTIES,
    DesignResult,
    MultipleTestingResult,
    OlsResult,
    VarianceResult,
    condition_number_theory,
    extraneous_predictors,
    log10_det_theory,
    ml_variance_bias,
    ols_collapse,
    ols_variance_theory,
    slope_p_values,
)
from genodash.curse.space import (
    DistanceResult,
    GenotypeResult,
    SparsityResult,
    SparsitySample,
    distance_concentration,
    distance_spread,
    genotype_cell_theory,
    genotype_cells,
    sparsity,
    sparsity_sample,
    target_coordinate,
    within_probability,
)

DEMOS: dict[str, Callable[..., Result]] = {
    "sparsity": sparsity,
    "distances": distance_concentration,
    "genotypes": genotype_cells,
    "ols": ols_collapse,
    "variance": ml_variance_bias,
    "multiple-testing": extraneous_predictors,
    "overfitting": overfitting,
    "overfitting-expression": example_overfitting,
    "big-data": data_regimes,
}
"""The demos by their command-line name (``python -m genodash demo NAME``)."""

__all__ = [
    "CORRECTIONS",
    "DEMOS",
    "PENALTIES",
    "REFERENCES",
    "DataPoint",
    "DesignResult",
    "DistanceResult",
    "GenotypeResult",
    "MultipleTestingResult",
    "OlsResult",
    "OverfittingResult",
    "RegimeResult",
    "Result",
    "SparsityResult",
    "SparsitySample",
    "VarianceResult",
    "condition_number_theory",
    "data_regimes",
    "dataset_shape",
    "distance_concentration",
    "distance_spread",
    "example_overfitting",
    "expression_overfitting",
    "extraneous_predictors",
    "genotype_cell_theory",
    "genotype_cells",
    "least_squares",
    "linear_error_theory",
    "log10_det_theory",
    "ml_variance_bias",
    "ols_collapse",
    "ols_variance_theory",
    "overfitting",
    "regime",
    "slope_p_values",
    "sparsity",
    "sparsity_sample",
    "target_coordinate",
    "within_probability",
]
