"""The curse(s) of dimensionality: simulations with their theory, one function per demo.

The demos follow Altman & Krzywinski, "The curse(s) of dimensionality" (Nat Methods 2018):
sparsity, distance concentration and genotype combinations (:mod:`.space`); OLS when
n ≤ p, the biased variance estimator and false positives from extraneous predictors
(:mod:`.regression`); correlated predictors (:mod:`.multicollinearity`); overfitting
(:mod:`.learning`); and where biological data sets sit on the N–P plane
(:mod:`.regimes`). :mod:`.tables` turns results into the tables and headline
numbers shown beside the plots, with the paper's own numbers.

Each function validates its parameters (bad ones raise
:class:`~genodash.errors.ConfigError`), simulates with generators seeded from ``seed``,
computes the exact (or, where said, large-sample) theory, and returns a frozen result that
records its parameters; ``result.as_dict()`` is JSON-ready (non-finite numbers become
``None``). Random draws for one setting (a dimension, a design, a repetition) come from a
generator seeded with ``(seed, setting)``, so adding a setting leaves the others unchanged.
:data:`DEMOS` (:mod:`.demos`) is the one list of demos: each one's function, title,
question and theory in words, by command-line name.
"""

from __future__ import annotations

from genodash.curse._common import Result, least_squares
from genodash.curse.demos import DEMOS, Demo, Theory, explanation
from genodash.curse.learning import (
    OverfittingResult,
    example_overfitting,
    expression_overfitting,
    linear_error_theory,
    overfitting,
)
from genodash.curse.multicollinearity import (
    CollinearityResult,
    CollinearitySample,
    collinearity,
    collinearity_sample,
    estimate_correlation,
    variance_inflation,
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
from genodash.curse.tables import (
    PAPER_SPARSITY,
    Headline,
    carrier_table,
    collinearity_headline,
    distance_headline,
    false_positive_counts,
    false_positive_shares,
    genotype_headline,
    ols_headline,
    overfitting_headline,
    paper_sparsity,
    regime_headline,
    sparsity_table,
    variance_headline,
)

__all__ = [
    "CORRECTIONS",
    "DEMOS",
    "PAPER_SPARSITY",
    "PENALTIES",
    "REFERENCES",
    "CollinearityResult",
    "CollinearitySample",
    "DataPoint",
    "Demo",
    "DesignResult",
    "DistanceResult",
    "GenotypeResult",
    "Headline",
    "MultipleTestingResult",
    "OlsResult",
    "OverfittingResult",
    "RegimeResult",
    "Result",
    "SparsityResult",
    "SparsitySample",
    "Theory",
    "VarianceResult",
    "carrier_table",
    "collinearity",
    "collinearity_headline",
    "collinearity_sample",
    "condition_number_theory",
    "data_regimes",
    "dataset_shape",
    "distance_concentration",
    "distance_headline",
    "distance_spread",
    "estimate_correlation",
    "example_overfitting",
    "explanation",
    "expression_overfitting",
    "extraneous_predictors",
    "false_positive_counts",
    "false_positive_shares",
    "genotype_cell_theory",
    "genotype_cells",
    "genotype_headline",
    "least_squares",
    "linear_error_theory",
    "log10_det_theory",
    "ml_variance_bias",
    "ols_collapse",
    "ols_headline",
    "ols_variance_theory",
    "overfitting",
    "overfitting_headline",
    "paper_sparsity",
    "regime",
    "regime_headline",
    "slope_p_values",
    "sparsity",
    "sparsity_sample",
    "sparsity_table",
    "target_coordinate",
    "variance_headline",
    "variance_inflation",
    "within_probability",
]
