from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse

from genodash.errors import ConfigError
from genodash.expression.cluster import leiden_clusters
from genodash.expression.embed import (
    EmbeddingConfig,
    default_tsne_iterations,
    default_umap_epochs,
    embed,
    exact_neighbors,
    nearest_neighbors,
    pca_coordinates,
    principal_components,
    reproducible_layout,
    warm_umap,
)
from genodash.expression.scores import knn_accuracy


def _blobs(n: int = 240, n_features: int = 80, n_groups: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 6, size=(n_groups, n_features))
    labels = rng.integers(0, n_groups, size=n)
    X = centers[labels] + rng.normal(size=(n, n_features))
    return X.astype(np.float32), labels


@pytest.fixture(scope="module")
def blobs():
    return _blobs()


def test_pca_matches_scikit_learn_including_signs(blobs) -> None:
    from sklearn.decomposition import PCA

    X, _ = blobs
    expected = PCA(n_components=5, svd_solver="full").fit(X)
    coords, ratio = principal_components(X, 5)
    np.testing.assert_allclose(coords, expected.transform(X), atol=1e-3)
    np.testing.assert_allclose(ratio, expected.explained_variance_ratio_, rtol=1e-4)
    assert coords.dtype == np.float32


@pytest.mark.parametrize("sparse_format", ["csr", "csc"])
@pytest.mark.parametrize("block_values", [None, 500], ids=["one-block", "blocks-of-6-rows"])
def test_pca_of_sparse_equals_pca_of_dense(blobs, monkeypatch, sparse_format, block_values):
    X, _ = blobs
    positive = np.clip(X, 0, None)
    dense = pca_coordinates(positive, 3)
    if block_values:
        monkeypatch.setattr("genodash.expression.embed._BLOCK_VALUES", block_values)
    sparse = pca_coordinates(scipy.sparse.csr_matrix(positive).asformat(sparse_format), 3)
    np.testing.assert_allclose(dense, sparse, atol=1e-3)


def test_pca_of_many_features_uses_randomized_solver() -> None:
    X, labels = _blobs(n=60, n_features=3100)
    coords = pca_coordinates(X, 2, seed=0)
    assert coords.shape == (60, 2)
    assert knn_accuracy(coords, labels, k=5) == 1.0
    np.testing.assert_array_equal(coords, pca_coordinates(X, 2, seed=0))


@pytest.mark.parametrize("n_components", [2, 3])
def test_pca_embedding_shape_and_record(blobs, n_components) -> None:
    X, _ = blobs
    result = embed(X, EmbeddingConfig(method="pca", n_components=n_components))
    assert result.coords.shape == (len(X), n_components)
    assert result.coords.dtype == np.float32
    assert result.method == "pca" and result.input_name == "data"
    assert len(result.params["explained_variance_ratio"]) == n_components
    assert result.seconds >= 0


def test_tsne_is_reproducible_and_separates_groups(blobs) -> None:
    X, labels = blobs
    config = EmbeddingConfig(method="tsne", n_pcs=20, seed=3)
    first = embed(X, config, input_name="pca")
    again = embed(X, config, input_name="pca")
    other_seed = embed(X, EmbeddingConfig(method="tsne", n_pcs=20, seed=4))
    np.testing.assert_array_equal(first.coords, again.coords)
    assert not np.allclose(first.coords, other_seed.coords)
    assert first.coords.shape == (len(X), 2)
    assert first.params["reduced_to_pcs"] == 20
    assert "principal components" in first.params["input_note"]
    assert knn_accuracy(first.coords, labels) == 1.0


def test_tsne_in_3d_and_on_raw_features(blobs) -> None:
    X, _ = blobs
    result = embed(X[:, :30], EmbeddingConfig(method="tsne", n_components=3, pca_first=False))
    assert result.coords.shape == (len(X), 3)
    assert result.params["reduced_to_pcs"] is None


@pytest.mark.slow  # ~30 s: importing umap and compiling its numba code
def test_umap_warms_up_is_reproducible_and_3d(blobs) -> None:
    X, labels = blobs
    assert warm_umap(n_points=150) > 0
    config = EmbeddingConfig(method="umap", n_neighbors=10, n_epochs=50, seed=1)
    first = embed(X, config)
    again = embed(X, config)
    np.testing.assert_array_equal(first.coords, again.coords)
    assert knn_accuracy(first.coords, labels) == 1.0
    assert first.params["deterministic"] is True and first.params["init"] == "pca"
    three_d = embed(X, EmbeddingConfig(method="umap", n_components=3, n_epochs=20))
    assert three_d.coords.shape == (len(X), 3)


@pytest.fixture(scope="module")
def large_blobs() -> tuple[np.ndarray, np.ndarray]:
    """Above umap-learn's 4,096-cell switch to approximate neighbours."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=8, size=(3, 10))
    labels = np.repeat(np.arange(3), 1500)
    return (centres[labels] + rng.normal(size=(4500, 10))).astype(np.float32), labels


@pytest.mark.slow  # ~40 s: compiling pynndescent
def test_umap_with_approximate_neighbours_is_reproducible(large_blobs) -> None:
    X, labels = large_blobs
    config = EmbeddingConfig(method="umap", n_epochs=20, seed=2, umap_layout="reproducible")
    first, again = embed(X, config), embed(X, config)
    np.testing.assert_array_equal(first.coords, again.coords)
    assert knn_accuracy(first.coords, labels) == 1.0
    parallel = embed(X, replace(config, umap_layout="parallel"))
    assert parallel.params["deterministic"] is False
    assert knn_accuracy(parallel.coords, labels) == 1.0


@pytest.mark.slow  # compiles pynndescent unless the test above did
def test_approximate_neighbours_leave_each_cell_out(large_blobs) -> None:
    X, labels = large_blobs
    X = np.vstack([X, X[:100]])  # duplicates: a cell's twin may take its own place
    found = nearest_neighbors(X, 15, seed=0)
    assert found.shape == (len(X), 15)
    assert not (found == np.arange(len(X))[:, None]).any()
    exact = exact_neighbors(X, 15)[0]
    recall = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(found, exact, strict=True)])
    assert recall > 0.95
    clusters = leiden_clusters(X[: len(labels)], resolution=0.2, seed=0)
    for cluster in set(clusters):  # every cluster inside one blob
        assert len(set(labels[clusters == cluster])) == 1


def test_auto_layout_is_reproducible_up_to_50000_cells() -> None:
    assert [reproducible_layout("auto", n) for n in (100, 50_000, 50_001)] == [True, True, False]
    assert reproducible_layout("reproducible", 10**6) is True
    assert reproducible_layout("parallel", 100) is False


def test_iterations_shrink_with_size() -> None:
    assert [default_tsne_iterations(n) for n in (1000, 5000, 5001)] == [500, 500, 250]
    assert [default_umap_epochs(n) for n in (500, 2000, 5000, 10_000, 50_000, 50_001)] == [
        500,
        500,
        200,
        200,
        100,
        60,
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"method": "mds"}, "unknown embedding method"),
        ({"n_components": 4}, "n_components must be 2 or 3"),
        ({"method": "tsne", "perplexity": 30.0}, "perplexity 30 is too large for 30 cells"),
        ({"method": "tsne", "perplexity": 0.0}, "perplexity must be positive"),
        ({"method": "umap", "n_neighbors": 30}, "n_neighbors must lie between 2"),
        ({"method": "umap", "min_dist": 2.0}, "min_dist"),
        ({"method": "umap", "init": "random"}, "unknown UMAP init"),
        ({"method": "umap", "umap_layout": "fast"}, "unknown UMAP layout"),
        ({"n_pcs": 1}, "n_pcs"),
    ],
)
def test_bad_settings_are_config_errors(settings, message) -> None:
    X, _ = _blobs(n=30, n_features=10)
    with pytest.raises(ConfigError, match=message):
        embed(X, EmbeddingConfig(**settings))


def test_too_few_cells_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at least 4 cells"):
        embed(np.zeros((3, 5), np.float32), EmbeddingConfig())
    with pytest.raises(ConfigError, match="PCA with 9 components"):
        pca_coordinates(np.zeros((8, 5), np.float32), 9)
