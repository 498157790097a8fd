"""The latent-space preview's coordinates, the workbench's cell and gene lookups and its
AnnData export, and the coordinates table of sequence features, on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genodash.data import SequenceSet
from genodash.examples import simulated_counts
from genodash.expression import embedding_inputs as inputs
from genodash.expression.embed import (
    Embedding,
    EmbeddingConfig,
    latent_preview_coordinates,
    pca_coordinates,
)
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.workbench import EmbeddingWorkbench


def _latent(k: int, n: int = 12) -> pd.DataFrame:
    values = np.random.default_rng(1).normal(size=(n, k))
    table = pd.DataFrame(values, columns=[f"z{i + 1}" for i in range(k)])
    table.insert(0, "cell", [f"c{i}" for i in range(n)])
    return table


def test_a_wide_latent_is_previewed_on_its_first_two_principal_components():
    table = _latent(5)
    coords = latent_preview_coordinates(table)
    assert coords.shape == (12, 2) and coords.dtype == np.float32
    expected = pca_coordinates(table.drop(columns="cell").to_numpy(dtype="float32"), 2)
    np.testing.assert_allclose(coords, expected)
    assert coords[:, 0].var() >= coords[:, 1].var()


@pytest.mark.parametrize("k", [1, 2])
def test_a_narrow_latent_is_shown_as_it_is(k):
    table = _latent(k)
    coords = latent_preview_coordinates(table)
    assert coords.shape == (12, k) and coords.dtype == np.float32
    np.testing.assert_allclose(coords, table.drop(columns="cell").to_numpy(), rtol=1e-6)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    matrix = simulated_counts(n_cells=40, n_genes=100, n_types=2, seed=0)
    processed = preprocess(matrix, PreprocessConfig(hvg=False))
    return EmbeddingWorkbench(processed, tmp_path_factory.mktemp("runs"))


def test_the_workbench_names_cells_columns_and_genes_as_text(bench):
    adata = bench.processed.adata
    assert bench.cell_ids() == [str(c) for c in adata.obs_names]
    assert bench.obs_columns() == [str(c) for c in adata.obs.columns]
    genes = bench.gene_names()
    assert genes == [str(g) for g in adata.var_names]
    values = bench.gene_values(genes[0])
    assert values.dtype == float and values.shape == (40,)
    np.testing.assert_allclose(values, adata.obs_vector(genes[0]))


def test_the_anndata_export_holds_the_embedding_and_the_clusters(bench):
    embedding = bench.embedding("pca", EmbeddingConfig(method="pca"))
    clusters = ["a", "b"] * 20
    adata = bench.export_anndata("pca", embedding, clusters=clusters)
    np.testing.assert_allclose(adata.obsm["X_pca_pca"], embedding.coords)
    assert adata.obs["leiden"].astype(str).tolist() == clusters
    assert "X_latent" not in adata.obsm  # PCA is no run's latent space


def _embedding(n: int) -> Embedding:
    coords = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    return Embedding(coords=coords, method="umap", input_name="features", params={}, seconds=0.1)


@pytest.mark.parametrize("labels", [("x", "y", "x"), None])
def test_sequence_features_table_has_each_class_when_known(labels):
    sequences = SequenceSet(
        ids=("s1", "s2", "s3"),
        sequences=("ACGT", "CCGT", "GGGT"),
        labels=labels,
        name="tiny",
        format="fasta",
    )
    table = inputs.sequence_features_table(sequences, _embedding(3))
    assert table["cell"].tolist() == ["s1", "s2", "s3"]
    assert table[["x", "y"]].to_numpy().tolist() == [[0, 1], [2, 3], [4, 5]]
    assert ("class" in table) == (labels is not None)
    if labels is not None:
        assert table["class"].tolist() == list(labels)
