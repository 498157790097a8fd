"""Expression models trained from a matrix on disk: the same inputs, split and results as
the matrix read into memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genodash.errors import ConfigError
from genodash.examples import simulated_counts
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.io import read_matrix
from genodash.io.backed import open_backed
from genodash.predict import latent_for_run
from genodash.train.backed_expression import (
    latent_from_disk,
    open_if_over_budget,
    prepare_backed_matrix,
    read_backed_cells,
)
from genodash.train.expression import default_train_config, prepare_matrix, train_expression_model

CONFIG = PreprocessConfig(n_top_genes=100)  # 300 genes: the default 2,000 would keep all


def _write(path, matrix):
    matrix.adata.write_h5ad(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("backed-expression")


@pytest.fixture(scope="module")
def counts_file(folder):
    return _write(folder / "counts.h5ad", simulated_counts(n_cells=600, n_genes=300, seed=1))


@pytest.fixture(scope="module")
def in_memory(counts_file):
    matrix = read_matrix(counts_file)
    adata = preprocess(matrix, CONFIG).adata
    return prepare_matrix(
        adata,
        source_name=matrix.name,
        label_column=matrix.label_column,
        batch_column=matrix.batch_column,
        seed=3,
    )


@pytest.fixture(scope="module")
def from_disk(counts_file):
    return prepare_backed_matrix(
        open_backed(counts_file), config=CONFIG, seed=3, block_values=5_000
    )


def test_inputs_and_split_equal_the_in_memory_ones(in_memory, from_disk):
    assert from_disk.genes == in_memory.genes and len(from_disk.genes) == 100
    assert from_disk.cell_ids == in_memory.cell_ids
    assert np.array_equal(from_disk.values[:], in_memory.values)
    assert np.array_equal(from_disk.counts[:], in_memory.counts)
    assert (from_disk.label_column, from_disk.batch_column) == ("cell_type", "batch")
    assert from_disk.labels == in_memory.labels
    assert np.array_equal(from_disk.batches, in_memory.batches)
    assert from_disk.batch_names == in_memory.batch_names
    for subset in ("train", "val", "test"):
        assert np.array_equal(getattr(from_disk.split, subset), getattr(in_memory.split, subset))
    assert any("out of core" in note for note in from_disk.notes)


def test_block_boundaries_change_nothing(counts_file, from_disk):
    other = prepare_backed_matrix(
        open_backed(counts_file), config=CONFIG, seed=3, block_values=50_000
    )
    assert np.array_equal(other.values[:], from_disk.values[:])
    assert other.fingerprint == from_disk.fingerprint


def test_values_that_are_not_counts_are_used_as_given(folder):
    matrix = simulated_counts(n_cells=60, n_genes=260, n_types=2, seed=2)
    matrix.adata.X = np.log1p(matrix.adata.X.toarray()) * 0.5  # a normalized, dense X
    path = _write(folder / "normalized.h5ad", matrix)
    cells = read_backed_cells(open_backed(path), block_values=3_000)
    assert cells.value_type == "non-negative" and cells.counts is None
    assert np.array_equal(cells.values[:], read_matrix(path).adata.X)


@pytest.mark.parametrize("model", ["vae", "autoencoder"])
def test_training_from_disk_reaches_the_in_memory_loss(in_memory, from_disk, model):
    settings = {"latent_dim": 4}
    config = default_train_config(model, epochs=8, seed=1)
    runs = [
        train_expression_model(prepared, model, model_config=settings, train_config=config)
        for prepared in (in_memory, from_disk)
    ]
    memory_loss, disk_loss = (run.metrics["test_loss"] for run in runs)
    assert abs(disk_loss - memory_loss) < 0.05 * abs(memory_loss)
    latent = runs[1].tables["latent"]
    assert latent["cell"].tolist() == in_memory.cell_ids  # one row per cell, in file order
    assert latent.shape == (600, 5) and np.isfinite(latent.iloc[:, 1:].to_numpy()).all()


def test_only_the_autoencoder_and_the_vae_train_from_disk(from_disk):
    with pytest.raises(ConfigError, match="held in memory"):
        train_expression_model(from_disk, "scvis")


def test_filters_do_not_run_out_of_core(counts_file):
    with pytest.raises(ConfigError, match="min_genes_per_cell cannot run"):
        prepare_backed_matrix(
            open_backed(counts_file), config=PreprocessConfig(min_genes_per_cell=5)
        )


def test_a_new_file_is_encoded_block_by_block_as_in_memory(folder, counts_file):
    """A VAE with a batch covariate, trained in memory, encodes another file's cells."""
    matrix = read_matrix(counts_file)
    prepared = prepare_matrix(
        preprocess(matrix, PreprocessConfig()).adata,
        source_name=matrix.name,
        batch_column="batch",
    )
    run = train_expression_model(
        prepared,
        "vae",
        model_config={"latent_dim": 3},
        train_config=default_train_config("vae", epochs=2),
    )
    new_cells = simulated_counts(n_cells=200, n_genes=300, seed=9)
    new_cells.adata.obs_names = [f"new_{i}" for i in range(200)]  # cells the run never saw
    other = _write(folder / "other.h5ad", new_cells)
    expected = latent_for_run(run, preprocess(read_matrix(other), PreprocessConfig()).adata)
    cells = read_backed_cells(open_backed(other), block_values=4_000)
    latent, saved = latent_from_disk(run, cells)
    assert not saved
    np.testing.assert_allclose(latent, expected, rtol=1e-5, atol=1e-6)


def test_only_hdf5_files_over_the_budget_are_read_from_disk(folder, counts_file):
    assert open_if_over_budget(counts_file, 1_000) is not None
    assert open_if_over_budget(counts_file, 10**12) is None
    table = folder / "cells.csv"
    pd.DataFrame({"g1": [1, 2]}).to_csv(table)
    assert open_if_over_budget(table, 1) is None
    by_gene = simulated_counts(n_cells=30, n_genes=260, n_types=2)
    by_gene.adata.X = by_gene.adata.X.tocsc()  # cannot be read by cells: left to memory
    assert open_if_over_budget(_write(folder / "csc.h5ad", by_gene), 10**9) is None


@pytest.mark.parametrize("name", ["small.h5ad", "tenx_v3.h5"])
def test_both_formats_give_the_in_memory_values(data_dir, name):
    expected = preprocess(read_matrix(data_dir / name), PreprocessConfig()).adata
    cells = read_backed_cells(open_backed(data_dir / name))
    assert cells.genes == list(expected.var_names)
    assert cells.cell_ids == list(expected.obs_names)
    assert np.array_equal(cells.values[:], expected.X.toarray())
