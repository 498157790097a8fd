"""Matrices read from disk in blocks of cells."""

from __future__ import annotations

import itertools

import h5py
import numpy as np
import pytest

from genodash.errors import ConfigError, FormatError
from genodash.examples import simulated_counts
from genodash.io import read_matrix
from genodash.io.backed import open_backed
from genodash.limits import GIB, memory_budget_bytes


@pytest.fixture(scope="module")
def counts(tmp_path_factory):
    matrix = simulated_counts(n_cells=300, n_genes=200, n_types=3, seed=2)
    path = tmp_path_factory.mktemp("backed") / "cells.h5ad"
    matrix.adata.write_h5ad(path)
    return matrix, path


@pytest.mark.parametrize("name", ["small.h5ad", "tenx_v3.h5"])
def test_the_published_formats_read_the_same_as_in_memory(data_dir, name):
    backed = open_backed(data_dir / name)
    expected = read_matrix(data_dir / name).adata
    assert (backed.n_cells, backed.n_genes) == expected.shape
    rows = backed.read_rows(0, backed.n_cells)
    assert np.array_equal(rows.toarray(), expected.X.toarray())
    assert list(backed.obs().index) == list(expected.obs_names)
    assert list(backed.var_names()) == list(expected.var_names)


@pytest.mark.parametrize("max_values", [1, 500, 7_000, 10**9])
def test_blocks_cover_every_cell_once_within_their_size(counts, max_values):
    matrix, path = counts
    backed = open_backed(path)
    blocks = backed.row_blocks(max_values)
    assert blocks[0][0] == 0 and blocks[-1][1] == backed.n_cells
    assert all(a[1] == b[0] for a, b in itertools.pairwise(blocks))
    for start, stop in blocks:
        assert backed.indptr[stop] - backed.indptr[start] <= max_values or stop - start == 1
    stacked = np.vstack([rows.toarray() for _, _, rows in backed.blocks(max_values)])
    assert np.array_equal(stacked, matrix.adata.X.toarray())


def test_one_gene_read_block_by_block(counts):
    matrix, path = counts
    seen = []
    column = open_backed(path).column(17, progress=lambda done, total: seen.append(done))
    assert np.array_equal(column, matrix.adata.X[:, 17].toarray().ravel())
    assert seen[-1] == 300


def test_a_dense_x_is_read_in_rows(counts, tmp_path):
    matrix, _ = counts
    adata = matrix.adata.copy()
    adata.X = adata.X.toarray()
    path = tmp_path / "dense.h5ad"
    adata.write_h5ad(path)
    backed = open_backed(path)
    assert backed.layout == "dense"
    assert np.array_equal(backed.read_rows(5, 40).toarray(), adata.X[5:40])


def test_x_stored_by_gene_is_refused_with_a_way_out(counts, tmp_path):
    matrix, _ = counts
    adata = matrix.adata.copy()
    adata.X = adata.X.tocsc()
    path = tmp_path / "csc.h5ad"
    adata.write_h5ad(path)
    with pytest.raises(FormatError, match=r"csc.h5ad: stores X by gene \(CSC\).*tocsr"):
        open_backed(path)


def test_a_link_to_another_file_is_refused(counts, tmp_path):
    _, path = counts
    linked = tmp_path / "linked.h5ad"
    linked.write_bytes(path.read_bytes())
    with h5py.File(linked, "r+") as handle:
        handle["uns/secret"] = h5py.ExternalLink("/etc/passwd", "/")
    with pytest.raises(FormatError, match="external link to another file; refused"):
        open_backed(linked)


def test_a_value_that_is_not_finite_names_the_cell(counts, tmp_path):
    _, path = counts
    broken = tmp_path / "nan.h5ad"
    broken.write_bytes(path.read_bytes())
    with h5py.File(broken, "r+") as handle:
        handle["X/data"][int(handle["X/indptr"][42])] = np.nan
    with pytest.raises(FormatError, match=r"nan.h5ad: cell 43, gene \d+: NaN or infinite value"):
        open_backed(broken).read_rows(0, 300)


def test_the_memory_budget_switch(counts):
    _, path = counts
    backed = open_backed(path)
    assert backed.needs_out_of_core(backed.in_memory_bytes)
    assert not backed.needs_out_of_core(10 * backed.in_memory_bytes)


def test_memory_budget_sizes(monkeypatch):
    assert memory_budget_bytes("4GB") == 4_000_000_000
    assert memory_budget_bytes("512MiB") == 512 * 2**20
    monkeypatch.setenv("GENODASH_MEMORY_BUDGET", "2GiB")
    assert memory_budget_bytes() == 2 * GIB
    monkeypatch.delenv("GENODASH_MEMORY_BUDGET")
    assert memory_budget_bytes() > 0
    for bad in ("lots", "-1GB", "0"):
        with pytest.raises(ConfigError, match="memory budget"):
            memory_budget_bytes(bad)


def test_a_none_in_uns_is_not_taken_for_damage(counts, tmp_path):
    matrix, _ = counts
    adata = matrix.adata.copy()
    adata.uns["log1p"] = {"base": None}  # what scanpy's log1p leaves
    path = tmp_path / "logged.h5ad"
    adata.write_h5ad(path)
    assert open_backed(path).n_cells == 300
    assert read_matrix(path).n_obs == 300
