"""Gene rankings judged by a classifier on their top genes: the variability ranking, the
accuracy curve and the result object (no torch here; the importances are tested in
tests/train/test_gene_importance.py)."""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd
import pytest

from genodash.data import MatrixSet
from genodash.errors import ConfigError
from genodash.expression.gene_selection import (
    GeneSelection,
    accuracy_curve,
    choose_ks,
    ranking_order,
    variability_scores,
)
from genodash.expression.preprocess import PreprocessConfig, preprocess

RNG = np.random.default_rng(0)


def test_default_ks_stop_at_the_number_of_genes():
    assert choose_ks(765) == (10, 20, 50, 100, 200, 500)
    assert choose_ks(60) == (10, 20, 50)
    assert choose_ks(60, [20, 5, 20]) == (5, 20)


@pytest.mark.parametrize("n_genes, ks", [(5, None), (60, [0]), (60, [61]), (60, [])])
def test_impossible_ks_are_refused(n_genes, ks):
    with pytest.raises(ConfigError, match="genes"):
        choose_ks(n_genes, ks)


def test_ranking_order_puts_nan_last_and_keeps_ties_in_gene_order():
    assert ranking_order(np.array([0.5, np.nan, 2.0, 0.5])).tolist() == [2, 0, 3, 1]


def _log_matrix(value_type: str = "non-negative") -> MatrixSet:
    """60 cells × 30 genes of log-like values; gene 0 varies most, gene 1 not at all."""
    means = np.linspace(1.5, 2.5, 30)
    values = np.clip(RNG.normal(means, 0.3, size=(60, 30)), 0, None).astype(np.float32)
    values[:, 0] = RNG.choice([1.2, 2.6], size=60)  # a mean among the others'; bimodal
    values[:, 1] = 2.0
    adata = anndata.AnnData(values)
    adata.var_names = [f"g{i}" for i in range(30)]
    return MatrixSet(adata, "log values", "example", value_type=value_type)


def test_variability_of_log_values_ranks_the_most_variable_gene_first():
    matrix = _log_matrix()
    scores, how = variability_scores(preprocess(matrix))
    assert "log-normalized" in how
    order = ranking_order(scores)
    assert order[0] == 0 and order[-1] == 1  # the constant gene: NaN, last


def test_variability_reuses_the_dispersions_of_the_preprocessing_step():
    counts = RNG.poisson(RNG.gamma(2.0, 1.0, size=40), size=(80, 40)).astype(np.float32)
    matrix = MatrixSet(anndata.AnnData(counts), "counts", "example", value_type="counts")
    processed = preprocess(matrix, PreprocessConfig(n_top_genes=15))
    scores, how = variability_scores(processed)
    assert "preprocessing" in how and len(scores) == processed.adata.n_vars
    expected = processed.gene_stats.loc[processed.adata.var_names, "dispersions_norm"]
    np.testing.assert_allclose(scores, expected.to_numpy())


def test_scaled_values_use_the_log_values_kept_in_raw_or_say_why_not():
    logged = _log_matrix()
    scaled = logged.adata.copy()
    scaled.X = (scaled.X - scaled.X.mean(axis=0)) / (scaled.X.std(axis=0) + 1e-6)
    without = MatrixSet(scaled.copy(), "scaled", "example", value_type="signed")
    scores, how = variability_scores(preprocess(without), without)
    assert scores is None and "scaled" in how
    scaled.raw = logged.adata
    with_raw = MatrixSet(scaled, "scaled", "example", value_type="signed")
    scores, how = variability_scores(preprocess(with_raw), with_raw)
    assert ".raw" in how
    np.testing.assert_allclose(scores, variability_scores(preprocess(logged))[0])


def test_accuracy_curve_rewards_the_ranking_that_puts_the_informative_gene_first():
    labels = np.array(["a", "b"] * 50)
    values = RNG.normal(size=(100, 20))
    values[:, 3] += np.where(labels == "a", 4.0, -4.0)
    split = (np.arange(60), np.arange(60, 100))
    informative = np.array([3, *[i for i in range(20) if i != 3]])
    noise = np.array([i for i in range(20) if i != 3] + [3])
    fits = []
    curve = accuracy_curve(
        values,
        labels,
        split,
        {"good": informative, "bad": noise},
        (1, 20),
        on_fit=lambda done, total: fits.append((done, total)),
    )
    assert list(curve.columns) == ["ranking", "k", "accuracy"] and len(curve) == 4
    accuracy = curve.set_index(["ranking", "k"])["accuracy"]
    assert accuracy["good", 1] == 1.0 and accuracy["bad", 1] < 0.75
    assert accuracy["good", 20] == accuracy["bad", 20]  # every gene: the same genes
    assert fits[-1] == (4, 4)


def _selection() -> GeneSelection:
    genes = ["CD3E", "LYZ", "g2", "g3", "MS4A1"]
    scores = pd.DataFrame(
        {"hvg": [0.1, 0.9, 0.8, 0.7, 0.2], "gradient": [0.9, 0.8, 0.1, 0.2, 0.7]}, index=genes
    )
    curve = pd.DataFrame(
        {"ranking": ["hvg", "hvg", "gradient", "gradient"], "k": [2, 4] * 2,
         "accuracy": [0.5, 0.7, 0.9, 0.95]}
    )  # fmt: skip
    return GeneSelection(
        genes=genes,
        scores=scores,
        curve=curve,
        ks=(2, 4),
        all_genes_accuracy=0.96,
        classifier={"test_accuracy": 0.9},
        params={"label_column": "type"},
        notes=("a note",),
    )


def test_the_table_lists_every_gene_with_its_ranks_best_gradient_first():
    table = _selection().table()
    assert list(table.columns) == ["gene", "hvg_rank", "hvg_score", "gradient_rank",
                                   "gradient_score"]  # fmt: skip
    assert table["gene"].tolist() == ["CD3E", "LYZ", "MS4A1", "g3", "g2"]
    assert table.set_index("gene").loc["LYZ", "hvg_rank"] == 1


def test_overlap_and_marker_ranks():
    selection = _selection()
    overlap = selection.overlap().set_index("k")
    assert overlap.loc[2, "shared"] == 1  # LYZ in both top-2 lists
    assert overlap.loc[4, "shared"] == 3 and overlap.loc[4, "fraction"] == 0.75
    markers = selection.marker_ranks().set_index("gene")
    assert markers.loc["MS4A1"].tolist() == [4, 3] and "NKG7" not in markers.index


def test_summary_gives_one_accuracy_per_k_for_each_ranking():
    summary = _selection().summary(top=2)
    assert summary["ks"] == [2, 4]
    assert summary["hvg"] == [0.5, 0.7] and summary["gradient"] == [0.9, 0.95]
    assert summary["top_genes"] == {"hvg": ["LYZ", "g2"], "gradient": ["CD3E", "LYZ"]}
    assert summary["overlap"] == {"hvg/gradient": [1, 3]}
    assert summary["all_genes"] == 0.96 and summary["label_column"] == "type"
    assert summary["notes"] == ["a note"]
