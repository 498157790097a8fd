"""The out-of-core pipeline against the in-memory one on small matrices."""

from __future__ import annotations

import numpy as np
import pytest

from genodash.atlas import blocks
from genodash.atlas.blocks import Selection
from genodash.atlas.engine import Engine
from genodash.atlas.pipeline import AtlasConfig, run_atlas
from genodash.atlas.result import open_atlas_result
from genodash.errors import ConfigError, FormatError
from genodash.examples import simulated_counts
from genodash.expression.embed import exact_neighbors, principal_components
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.io import read_dataset
from genodash.io.backed import open_backed

CONFIG = AtlasConfig(
    min_genes_per_cell=150, min_cells_per_gene=5, n_top_genes=300, n_pcs=15, umap_epochs=20
)
RECIPE = PreprocessConfig(
    min_genes_per_cell=150, min_cells_per_gene=5, max_mito_percent=20.0, n_top_genes=300
)
SMALL_BLOCKS = 20_000  # stored values per block: about 60 blocks, boundaries inside types


@pytest.fixture(scope="module")
def matrix():
    return simulated_counts(n_cells=1500, n_genes=900, n_types=4, seed=3)


@pytest.fixture(scope="module")
def counts_file(matrix, tmp_path_factory):
    path = tmp_path_factory.mktemp("atlas") / "cells.h5ad"
    matrix.adata.write_h5ad(path)
    return path


@pytest.fixture(scope="module")
def in_memory(matrix):
    return preprocess(matrix, RECIPE)


@pytest.fixture(scope="module")
def runs(counts_file, tmp_path_factory):
    import anndata

    folder = tmp_path_factory.mktemp("results")
    whole = run_atlas(counts_file, folder / "whole.h5ad", CONFIG, memory_budget="100GB")
    split = run_atlas(
        counts_file,
        folder / "blocks.h5ad",
        CONFIG,
        memory_budget="1KB",
        block_values=SMALL_BLOCKS,
    )
    return {
        "whole": (whole, anndata.read_h5ad(whole["result"])),
        "blocks": (split, anndata.read_h5ad(split["result"])),
    }


def test_the_memory_budget_chooses_the_path(runs):
    whole, _ = runs["whole"]
    split, _ = runs["blocks"]
    assert (whole["out_of_core"], whole["blocks"]) == (False, 1)
    assert split["out_of_core"] is True
    assert split["blocks"] > 20


def test_filters_and_variable_genes_match_the_in_memory_preprocessing(runs, in_memory):
    for _, result in runs.values():
        assert list(result.obs_names) == list(in_memory.adata.obs_names)
        variable = result.var_names[result.var["highly_variable"].to_numpy()]
        assert list(variable) == list(in_memory.adata.var_names)


def test_normalized_log_values_equal_the_in_memory_ones_exactly(counts_file, matrix):
    import anndata

    recipe = PreprocessConfig(min_genes_per_cell=150, min_cells_per_gene=5, hvg=False)
    expected = preprocess(matrix, recipe).adata.X
    backed = open_backed(counts_file)
    result = run_atlas(
        counts_file,
        counts_file.with_name("n.h5ad"),
        CONFIG,
        memory_budget="1KB",
        block_values=SMALL_BLOCKS,
    )
    atlas = anndata.read_h5ad(result["result"])
    genes = atlas.var["source_column"].to_numpy()
    keep = np.zeros(backed.n_cells, dtype=bool)
    keep[atlas.obs["source_row"].to_numpy()] = True
    factors = atlas.obs["normalization_factor"].to_numpy()
    selection = Selection(keep, genes, factors)
    values = blocks.log_values(backed.source, 0, backed.n_cells, selection)
    assert values.dtype == expected.dtype
    assert np.array_equal(values.toarray(), expected.toarray())


def test_components_match_the_in_memory_pca(runs, in_memory):
    expected, ratio = principal_components(in_memory.adata.X, CONFIG.n_pcs)
    for _, result in runs.values():
        coords = result.obsm["X_pca"]
        scale = np.abs(expected).max()
        assert np.abs(coords - expected).max() < 1e-3 * scale
        assert np.allclose(result.uns["atlas"]["pca_variance_ratio"], ratio, rtol=1e-4)


def test_neighbours_on_the_components_are_the_in_memory_ones(runs, in_memory):
    expected, _ = principal_components(in_memory.adata.X, CONFIG.n_pcs)
    truth, _ = exact_neighbors(expected, 15)
    _, result = runs["blocks"]
    found, _ = exact_neighbors(result.obsm["X_pca"], 15)
    recall = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(truth, found, strict=True)])
    assert recall >= 0.95


def test_block_boundaries_change_nothing_but_rounding(runs):
    _, whole = runs["whole"]
    _, split = runs["blocks"]
    for column in ("total_counts", "n_genes", "normalization_factor", "source_row"):
        assert np.array_equal(whole.obs[column].to_numpy(), split.obs[column].to_numpy())
    assert np.array_equal(whole.var_names, split.var_names)
    assert np.abs(whole.obsm["X_pca"] - split.obsm["X_pca"]).max() < 1e-3


def test_result_has_clusters_layout_and_the_record(runs, matrix):
    summary, result = runs["blocks"]
    assert result.obsm["X_umap"].shape == (result.n_obs, 2)
    assert summary["clusters"] == result.obs["leiden"].nunique() >= 2
    record = open_atlas_result(summary["result"]).info
    assert record["label_column"] == "cell_type"
    assert record["batch_column"] == "batch"
    steps = [step["step"] for step in record["steps"]]
    assert steps[:5] == ["open", "qc", "normalize", "highly_variable_genes", "pca"]
    assert set(summary["seconds"]) >= {"qc", "pca", "neighbors", "umap", "leiden", "write"}
    types = result.obs["cell_type"].astype(str).to_numpy()
    truth, _ = exact_neighbors(result.obsm["X_pca"], 10)
    assert np.mean(types[truth] == types[:, None]) > 0.9


def test_a_dask_cluster_runs_the_same_tasks(counts_file, runs, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Engine(cluster.scheduler_address) as engine:
            assert "2 worker threads" in engine.describe()
        summary = run_atlas(
            counts_file,
            tmp_path / "cluster.h5ad",
            CONFIG,
            scheduler=cluster.scheduler_address,
            memory_budget="1KB",
            block_values=SMALL_BLOCKS,
        )
    import anndata

    result = anndata.read_h5ad(summary["result"])
    _, local = runs["blocks"]
    assert summary["scheduler"] == cluster.scheduler_address
    assert np.array_equal(result.obs["normalization_factor"], local.obs["normalization_factor"])
    assert np.abs(result.obsm["X_pca"] - local.obsm["X_pca"]).max() < 1e-4


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ConfigError, match="cannot reach the dask scheduler at tcp://127.0.0.1:9"):
        Engine("tcp://127.0.0.1:9", connect_seconds=1)


def test_a_truncated_file_gets_the_in_memory_message(counts_file, tmp_path):
    data = counts_file.read_bytes()
    truncated = tmp_path / "cut.h5ad"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(FormatError) as in_memory:
        read_dataset(truncated)
    with pytest.raises(FormatError) as out_of_core:
        run_atlas(truncated, tmp_path / "out.h5ad", CONFIG, memory_budget="1KB")
    assert str(out_of_core.value) == str(in_memory.value)
    assert not (tmp_path / "out.h5ad").exists()


def test_a_lying_pointer_array_gets_the_in_memory_message(counts_file, tmp_path):
    import h5py

    lying = tmp_path / "lying.h5ad"
    lying.write_bytes(counts_file.read_bytes())
    with h5py.File(lying, "r+") as handle:
        handle["X/indptr"][-1] = handle["X/indptr"][-1] + 1000
    with pytest.raises(FormatError) as in_memory:
        read_dataset(lying)
    with pytest.raises(FormatError) as out_of_core:
        open_backed(lying)
    assert str(out_of_core.value) == str(in_memory.value)
    assert "pointers must run from 0" in str(out_of_core.value)


def test_a_column_index_out_of_range_names_the_cell(counts_file, tmp_path):
    import h5py

    bad = tmp_path / "bad.h5ad"
    bad.write_bytes(counts_file.read_bytes())
    with h5py.File(bad, "r+") as handle:
        start = int(handle["X/indptr"][700])
        handle["X/indices"][start] = 10_000
    with pytest.raises(FormatError, match=r"bad.h5ad: cell 701: .*column index 10,000 out of"):
        run_atlas(bad, tmp_path / "out.h5ad", CONFIG, memory_budget="1KB", block_values=5000)


def test_values_that_are_not_counts_are_refused(matrix, tmp_path):
    adata = matrix.adata.copy()
    adata.X = adata.X * 0.5
    path = tmp_path / "halves.h5ad"
    adata.write_h5ad(path)
    with pytest.raises(ConfigError, match="needs raw counts"):
        run_atlas(path, tmp_path / "out.h5ad", CONFIG)


def test_filters_that_remove_every_cell_are_refused(counts_file, tmp_path):
    config = AtlasConfig(min_genes_per_cell=100_000)
    with pytest.raises(ConfigError, match="remove all 1,500 cells"):
        run_atlas(counts_file, tmp_path / "out.h5ad", config)


@pytest.mark.parametrize(
    ("field", "value"), [("n_pcs", 0), ("resolution", 0.0), ("max_mito_percent", 0.0)]
)
def test_bad_settings_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        AtlasConfig(**{field: value})
