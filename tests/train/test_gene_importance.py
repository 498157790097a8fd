"""Gene selection by a classifier's importance: a planted informative gene ranks first, the
importances compute what they claim, and bad labels are refused."""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd
import pytest
import torch

from genodash.data import MatrixSet
from genodash.errors import ConfigError, InputError
from genodash.expression.preprocess import preprocess
from genodash.models.cell_classifier import CellClassifier
from genodash.train.gene_selection import (
    SelectionConfig,
    gradient_importance,
    perturbation_importance,
    select_genes,
)

PLANTED = "g07"


def planted_matrix(n_cells: int = 150, n_genes: int = 60, seed: int = 0) -> MatrixSet:
    """Log-like values: gene g07 alone carries the label (two classes) and varies little;
    every other gene is noise that varies more, so variability ranks g07 low."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_cells)
    means = np.linspace(1.5, 2.5, n_genes)
    values = np.clip(rng.normal(means, 0.6, size=(n_cells, n_genes)), 0, None)
    values[:, 7] = 2.0 + 0.3 * (labels - 0.5) + rng.normal(0, 0.03, n_cells)
    obs = pd.DataFrame(
        {"kind": [f"type {label}" for label in labels]},
        index=[f"cell{i}" for i in range(n_cells)],
    )
    adata = anndata.AnnData(values.astype(np.float32), obs=obs)
    adata.var_names = [f"g{i:02d}" for i in range(n_genes)]
    return MatrixSet(adata, "planted", "example", value_type="non-negative", label_column="kind")


@pytest.fixture(scope="module")
def planted():
    matrix = planted_matrix()
    progress = []
    result = select_genes(
        preprocess(matrix),
        label_column="kind",
        source=matrix,
        config=SelectionConfig(epochs=40),
        on_progress=lambda done, what: progress.append((done, what)),
    )
    return result, progress


def test_the_planted_gene_ranks_first_by_importance_and_low_by_variability(planted):
    result, _ = planted
    assert result.rankings == ["hvg", "gradient", "perturbation"]
    assert result.order("gradient")[0] == PLANTED
    assert result.order("perturbation")[0] == PLANTED
    assert result.order("hvg").index(PLANTED) >= 10
    assert result.ks == (10, 20, 50)
    assert result.accuracies("gradient")[0] > 0.95
    assert result.accuracies("hvg")[0] < 0.8  # its top 10 miss the one gene that matters


def test_the_result_records_how_it_was_made_and_reports_progress(planted):
    result, progress = planted
    params = result.params
    assert params["n_cells"] == 150 and params["classes"] == ["type 0", "type 1"]
    assert params["n_train"] + params["n_val"] + params["n_test"] == 150
    assert result.classifier["n_classifiers"] == 3
    assert any("log-normalized" in note for note in result.notes)
    fractions = [done for done, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("training classifier 3 of 3" in what for _, what in progress)


def test_gradient_importance_of_a_linear_model_is_the_mean_absolute_weight():
    model = CellClassifier(5, 3, hidden=(), seed=1).eval()
    x, y = torch.randn(40, 5), torch.randint(0, 3, (40,))
    weights = model.input_layer.weight.detach()  # (classes, genes)
    expected = weights[y].abs().mean(dim=0).double().numpy()
    np.testing.assert_allclose(gradient_importance(model, x, y), expected, rtol=1e-5)


def test_perturbation_importance_equals_shuffling_each_gene_through_the_whole_model():
    model = CellClassifier(6, 3, hidden=(8,), seed=2).eval()
    x, y = torch.randn(30, 6), torch.randint(0, 3, (30,))
    fast = perturbation_importance(model, x, y, shuffles=2, seed=5)

    def likelihood(inputs: torch.Tensor) -> float:
        return torch.log_softmax(model(inputs), dim=1)[torch.arange(30), y].mean().item()

    rng, slow = np.random.default_rng(5), np.zeros(6)
    with torch.no_grad():
        for _ in range(2):
            for gene in range(6):
                shuffled = x.clone()
                shuffled[:, gene] = x[rng.permutation(30), gene]
                slow[gene] += (likelihood(x) - likelihood(shuffled)) / 2
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_a_classifier_is_built_the_same_from_the_same_seed():
    first, second = CellClassifier(10, 2, seed=3), CellClassifier(10, 2, seed=3)
    other = CellClassifier(10, 2, seed=4)
    assert torch.equal(first.input_layer.weight, second.input_layer.weight)
    assert not torch.equal(first.input_layer.weight, other.input_layer.weight)


def _with_labels(labels: list) -> MatrixSet:
    matrix = planted_matrix(n_cells=len(labels))
    matrix.adata.obs["kind"] = labels
    return matrix


@pytest.mark.parametrize(
    "column, error, message",
    [
        ("missing", InputError, "no label column 'missing'"),
        (None, InputError, "needs a label column"),
    ],
)
def test_a_missing_label_column_is_refused(column, error, message):
    matrix = planted_matrix(n_cells=30)
    with pytest.raises(error, match=message):
        select_genes(preprocess(matrix), label_column=column)


def test_one_class_is_refused():
    matrix = _with_labels(["T cell"] * 28 + [None, None])
    with pytest.raises(ConfigError, match="1 label; a classifier needs at least two"):
        select_genes(preprocess(matrix), label_column="kind")


def test_cells_without_a_label_are_left_out_with_a_note():
    labels = ["a", "b"] * 20 + [None] * 4
    matrix = _with_labels(labels)
    config = SelectionConfig(epochs=2, classifiers=1, perturbation=False)
    result = select_genes(preprocess(matrix), label_column="kind", ks=[5], config=config)
    assert result.params["n_cells"] == 40
    assert "4 cells without a label were left out" in result.notes
    assert result.rankings == ["hvg", "gradient"]
