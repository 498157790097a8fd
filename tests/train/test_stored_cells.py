"""Cells on disk as the models read them: processed rows, and block-shuffled training rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genodash.examples import simulated_counts
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.io import read_matrix
from genodash.io.backed import open_backed
from genodash.train.backed_expression import prepare_backed_matrix
from genodash.train.stored_cells import ShuffledBlocks, subset_cells

BLOCK = 4_000  # stored values per block: about 40 cells, so 600 cells make ~15 blocks


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory):
    """600 cells × 300 genes of raw counts in an .h5ad, and its default-processed values
    (100 variable genes) read into memory."""
    path = tmp_path_factory.mktemp("stored") / "cells.h5ad"
    simulated_counts(n_cells=600, n_genes=300, seed=4).adata.write_h5ad(path)
    config = PreprocessConfig(n_top_genes=100)
    expected = preprocess(read_matrix(path), config).adata
    prepared = prepare_backed_matrix(open_backed(path), config=config, seed=2, block_values=BLOCK)
    return prepared, expected.X.toarray()


def test_rows_read_in_any_order_are_the_in_memory_rows(on_disk):
    prepared, values = on_disk
    picked = np.array([599, 0, 17, 300, 301, 42])
    assert np.array_equal(prepared.values[picked], values[picked])
    assert np.array_equal(prepared.values[10:400:7], values[10:400:7])
    assert prepared.values[[]].shape == (0, values.shape[1])


def _shuffled(prepared, buffer_blocks):
    """Training rows whose second input is each cell's row number, to see which it is."""
    train = prepared.split.train
    cell_numbers = np.arange(prepared.n_obs)
    arrays = subset_cells((prepared.values, cell_numbers), train)
    return ShuffledBlocks(arrays, seed=5, buffer_blocks=buffer_blocks)


def _one_epoch(rows, batch_size, generator):
    order = torch.randperm(rows.n_rows, generator=generator)
    taken = [rows.take(order[i : i + batch_size], "cpu") for i in range(0, len(order), batch_size)]
    return torch.cat([t[0] for t in taken]).numpy(), torch.cat([t[1] for t in taken]).numpy()


def test_each_epoch_visits_every_training_cell_once_in_a_new_order(on_disk):
    prepared, values = on_disk
    rows = _shuffled(prepared, buffer_blocks=2)
    generator = torch.Generator().manual_seed(0)
    orders = []
    for _ in range(3):
        taken_values, cells = _one_epoch(rows, 37, generator)
        assert np.array_equal(np.sort(cells), prepared.split.train)
        assert np.array_equal(taken_values, values[cells])  # each cell with its own values
        orders.append(cells)
    assert not np.array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[0], np.sort(orders[0]))


def test_the_buffer_holds_at_most_its_blocks(on_disk):
    prepared, _ = on_disk
    rows = _shuffled(prepared, buffer_blocks=2)
    _one_epoch(rows, 64, torch.Generator().manual_seed(1))
    assert 0 < rows.peak_buffer_values <= 2 * BLOCK
    buffers = list(rows.epoch_order())
    assert max(len(buffer) for buffer in buffers) < rows.n_rows / 3  # blocks, not all cells


def test_a_row_number_taken_twice_in_an_epoch_is_refused(on_disk):
    prepared, _ = on_disk
    rows = _shuffled(prepared, buffer_blocks=2)
    rows.take(torch.tensor([3, 4]), "cpu")
    with pytest.raises(ValueError, match="twice in one epoch"):
        rows.take(torch.tensor([4, 5]), "cpu")
