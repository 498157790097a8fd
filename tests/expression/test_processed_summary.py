"""The one-sentence summary of a preprocessed matrix: its size and the steps that ran."""

from __future__ import annotations

import pytest

from genodash.data import MatrixSet
from genodash.examples import simulated_counts
from genodash.expression.preprocess import PreprocessConfig, preprocess, processed_summary


@pytest.fixture(scope="module")
def counts() -> MatrixSet:
    return simulated_counts(n_cells=60, n_genes=100, n_types=2, seed=0)


def test_summary_names_the_size_and_only_the_steps_that_ran(counts):
    processed = preprocess(counts, PreprocessConfig())
    assert processed_summary(processed, chosen=False) == (
        "Working on 60 cells × 100 genes after the default preprocessing "
        "(normalize each cell's total; take log(1 + x))."
    )


def test_summary_says_your_preprocessing_and_when_nothing_ran(counts):
    config = PreprocessConfig(normalize=False, log1p=False, hvg=False, scale=False)
    processed = preprocess(counts, config)
    assert processed_summary(processed, chosen=True) == (
        "Working on 60 cells × 100 genes after your preprocessing (no steps ran)."
    )
