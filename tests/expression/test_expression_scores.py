"""Scores of embeddings (hand-checked on tiny cases), Leiden clusters and top genes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genodash.data import value_type_of
from genodash.errors import ConfigError
from genodash.examples import simulated_counts
from genodash.expression.cluster import (
    adjusted_rand,
    leiden_clusters,
    top_genes,
    top_genes_display,
)
from genodash.expression.display import UNDEFINED
from genodash.expression.embed import pca_coordinates
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.scores import (
    batch_mixing,
    embedding_scores,
    knn_accuracy,
    silhouette,
    trustworthiness,
)

LINE = np.array([[0.0], [1.0], [3.0], [10.0], [11.0], [13.0]])
LINE_LABELS = ["a", "a", "b", "b", "b", "a"]


def _two_clusters(n: int = 100, seed: int = 0):
    rng = np.random.default_rng(seed)
    coords = np.vstack([rng.normal(0, 1, (n, 2)), rng.normal(50, 1, (n, 2))])
    return coords, np.array(["left"] * n + ["right"] * n)


@pytest.fixture(scope="module")
def processed():
    matrix = simulated_counts(n_cells=300, n_genes=300, n_types=3, seed=0)
    return preprocess(matrix, PreprocessConfig())


def test_knn_accuracy_of_separated_clusters_is_one() -> None:
    coords, labels = _two_clusters()
    assert knn_accuracy(coords, labels, k=15) == 1.0
    shuffled = np.random.default_rng(1).permutation(labels)
    assert knn_accuracy(coords, shuffled, k=15) < 0.7


def test_knn_accuracy_by_hand() -> None:
    # k=1: cells 3.0 (b) and 13.0 (a) have a nearest neighbour of the other label
    assert knn_accuracy(LINE, LINE_LABELS, k=1) == pytest.approx(4 / 6)
    # k=2: 0.0 and 10.0 see one of each label; the nearer one (own label) wins the tie
    assert knn_accuracy(LINE, LINE_LABELS, k=2) == pytest.approx(4 / 6)
    # k=3: only 10.0 and 11.0 are right (neighbours b, a, b)
    assert knn_accuracy(LINE, LINE_LABELS, k=3) == pytest.approx(2 / 6)


def test_silhouette_by_hand() -> None:
    coords = np.array([[0.0], [1.0], [10.0], [11.0]])
    # cell at 0: a = 1, b = (10 + 11) / 2; cell at 1: a = 1, b = (9 + 10) / 2; symmetric
    expected = ((10.5 - 1) / 10.5 + (9.5 - 1) / 9.5) / 2
    assert silhouette(coords, ["a", "a", "b", "b"]) == pytest.approx(expected)
    assert math.isnan(silhouette(coords, ["a"] * 4))


def test_trustworthiness_of_identity_and_of_noise() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10))
    assert trustworthiness(X, X[:, :10], k=10) == pytest.approx(1.0)
    assert trustworthiness(X, rng.normal(size=(200, 2)), k=10) < 0.65
    with pytest.raises(ConfigError, match="k < cells / 2"):
        trustworthiness(X[:10], X[:10, :2], k=5)


def test_batch_mixing_separated_is_zero() -> None:
    coords, batches = _two_clusters()
    assert batch_mixing(coords, batches, k=20) == 0.0


def test_batch_mixing_of_random_batches_is_near_one() -> None:
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(1000, 2))
    batches = rng.choice(["b1", "b2"], size=1000)
    assert 0.95 < batch_mixing(coords, batches, k=50) <= 1.02


def test_batch_mixing_by_hand() -> None:
    # tight groups of four cells (two per batch) far apart: with k=3 every cell sees one
    # cell of its own batch and two of the other, entropy H(1/3, 2/3); the whole set is 50/50
    centres = np.arange(10)[:, None] * 100.0
    coords = np.repeat(centres, 4, axis=0) + np.tile([[0.0], [1.0], [2.0], [3.0]], (10, 1))
    batches = np.tile(["x", "y", "y", "x"], 10)
    local = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3))
    assert batch_mixing(coords, batches, k=3) == pytest.approx(local / math.log(2))
    assert math.isnan(batch_mixing(coords, ["x"] * 40, k=3))


def test_embedding_scores_keys_and_subsample() -> None:
    coords, labels = _two_clusters(n=150)
    X = np.hstack([coords, np.zeros((300, 3))])
    batches = np.tile(["b1", "b2"], 150)
    scores = embedding_scores(X, coords, labels=labels, batches=batches, max_cells=120)
    assert set(scores) == {
        "trustworthiness",
        "knn_accuracy",
        "silhouette",
        "batch_mixing",
        "n_scored",
        "n_total",
        "k",
        "k_batch",
    }
    assert scores["n_scored"] == 120 and scores["n_total"] == 300
    assert scores["knn_accuracy"] == 1.0
    assert scores["trustworthiness"] == pytest.approx(1.0)
    plain = embedding_scores(X, coords)
    assert set(plain) == {"trustworthiness", "n_scored", "n_total", "k"}
    assert plain["n_scored"] == 300
    with pytest.raises(ConfigError, match="cells"):
        embedding_scores(X[:10], coords)


def test_leiden_finds_the_cell_types(processed) -> None:
    pcs = pca_coordinates(processed.adata.X, 20)
    clusters = leiden_clusters(pcs, resolution=0.5, seed=0)
    labels = processed.adata.obs["cell_type"].to_numpy()
    assert adjusted_rand(labels, clusters) > 0.9
    sizes = [int((clusters == c).sum()) for c in ("0", "1", "2")]
    assert sizes == sorted(sizes, reverse=True)
    np.testing.assert_array_equal(clusters, leiden_clusters(pcs, resolution=0.5, seed=0))
    assert len(set(leiden_clusters(pcs, resolution=3.0))) > len(set(clusters))


def test_leiden_bad_settings() -> None:
    with pytest.raises(ConfigError, match="resolution"):
        leiden_clusters(np.zeros((20, 2)), resolution=0)
    with pytest.raises(ConfigError, match="n_neighbors"):
        leiden_clusters(np.zeros((5, 2)), n_neighbors=5)


def test_adjusted_rand_by_hand() -> None:
    assert adjusted_rand(["a", "a", "b", "b"], ["1", "1", "0", "0"]) == 1.0
    # every pair split: index 0, expected 2 * 2 / 6, max 2, so ARI = (0 - 2/3) / (2 - 2/3)
    assert adjusted_rand(["a", "a", "b", "b"], ["0", "1", "0", "1"]) == pytest.approx(-0.5)


def test_top_genes_of_a_cell_type_are_its_markers(processed) -> None:
    adata = processed.adata
    selected = (adata.obs["cell_type"] == "type_1").to_numpy()
    table = top_genes(adata, selected, n=10)
    assert list(table.columns) == [
        "gene",
        "mean_selected",
        "mean_rest",
        "log2_fold_change",
        "score",
        "pvals_adj",
    ]
    assert len(table) == 10
    assert (table["mean_selected"] > table["mean_rest"]).all()
    assert (table["log2_fold_change"] > 1).all() and (table["pvals_adj"] < 1e-6).all()
    assert table["score"].is_monotonic_decreasing
    values = adata.X.toarray()
    gene = list(adata.var_names).index(table["gene"][0])
    assert table["mean_selected"][0] == pytest.approx(values[selected, gene].mean(), rel=1e-5)
    by_index = top_genes(adata, np.flatnonzero(selected), n=10)
    assert list(by_index["gene"]) == list(table["gene"])


def test_top_genes_fold_change_is_nan_for_scaled_data(processed) -> None:
    import anndata

    scaled = anndata.AnnData(X=processed.adata.X.toarray() - 1.0, obs=processed.adata.obs)
    table = top_genes(scaled, np.arange(20), n=3)
    assert table["log2_fold_change"].isna().all()


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (np.zeros(300, dtype=bool), "empty"),
        (np.ones(300, dtype=bool), "every cell"),
        (np.array([0]), "at least 2 cells"),
        (np.zeros(10, dtype=bool), "mask has 10 entries"),
        (np.array([500]), "indices must lie"),
    ],
)
def test_top_genes_bad_selection(processed, selection, message) -> None:
    with pytest.raises(ConfigError, match=message):
        top_genes(processed.adata, selection)


TOP_GENE_COLUMNS = ["gene", "mean_selected", "mean_rest", "log2_fold_change", "score", "pvals_adj"]


def test_top_genes_display_has_human_labels_help_and_scientific_p_values(processed) -> None:
    table = top_genes(processed.adata, np.arange(40), n=5)
    display = top_genes_display(table)
    assert list(display.frame.columns) == TOP_GENE_COLUMNS == list(display.columns)
    for key, column in display.columns.items():
        assert column.label and column.label != key and "_" not in column.label
        assert column.help and "_" not in column.help
    assert display.columns["pvals_adj"].label == "Adjusted p-value"
    assert display.columns["pvals_adj"].format % 1.234e-8 == "1.2e-08"
    assert display.columns["pvals_adj"].format % 0.5 == "5.0e-01"
    assert display.columns["mean_selected"].format % 0.81953 == "0.82"
    assert "log-normalized" in display.columns["mean_selected"].help
    # log-normalized values: a numeric fold change, nothing to explain
    assert display.frame["log2_fold_change"].dtype == np.float64
    assert display.columns["log2_fold_change"].format is not None and display.note is None
    np.testing.assert_array_equal(display.frame["pvals_adj"], table["pvals_adj"])


def test_top_genes_display_blanks_the_fold_change_of_scaled_data(processed) -> None:
    import anndata

    scaled = anndata.AnnData(X=processed.adata.X.toarray() - 1.0, obs=processed.adata.obs)
    table = top_genes(scaled, np.arange(20), n=3)
    display = top_genes_display(table)
    assert list(display.frame["log2_fold_change"]) == [UNDEFINED] * 3
    assert display.columns["log2_fold_change"].format is None  # text, not "None" or "nan"
    assert display.note is not None and "scaled" in display.note
    assert "non-negative" in display.note
    assert "z-scores" in display.columns["mean_rest"].help
    assert table["log2_fold_change"].isna().all()  # the library table keeps its NaN


def test_value_type_of() -> None:
    assert value_type_of(np.array([[0.0, 2.0], [3.0, 1.0]])) == "counts"
    assert value_type_of(np.array([[0.0, 0.7], [1.2, 0.1]])) == "non-negative"
    assert value_type_of(np.array([[-0.5, 0.7], [1.2, 0.1]])) == "signed"


def test_embedding_scores_errors_name_what_was_embedded() -> None:
    coords, _ = _two_clusters(n=2)
    with pytest.raises(ConfigError, match="at least 4 sequences, got 3"):
        embedding_scores(coords[:3], coords[:3], unit="sequences")
    with pytest.raises(ConfigError, match="4 sequences but the embedding 3"):
        embedding_scores(coords, coords[:3], unit="sequences")


def test_scores_say_whether_every_row_was_scored():
    from genodash.expression.scores import scored_on

    assert scored_on({"n_scored": 1975, "n_total": 1975}) == "Scores on all 1,975 cells"
    assert scored_on({"n_scored": 3000, "n_total": 100_000}, "sequences") == (
        "Scores on a random 3,000 of the 100,000 sequences"
    )
