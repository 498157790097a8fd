"""The simulated atlas: a valid ``.h5ad`` that anndata and genodash read, the same for a seed
whatever the block size or threads, separable cell types, 10x-like depth and sparsity, QC
work to do, and no file left behind by a failed write."""

from __future__ import annotations

import re

import anndata
import h5py
import numpy as np
import pytest

from genodash.errors import ConfigError
from genodash.expression import atlas_simulation
from genodash.expression.atlas_simulation import MITO_GENES, write_simulated_atlas
from genodash.expression.qc import qc_table

CELLS, GENES = 3000, 2000


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("atlas")


@pytest.fixture(scope="module")
def atlas(folder):
    """3,000 × 2,000, written in blocks of 700 cells on one thread; the progress reports."""
    reports = []
    summary = write_simulated_atlas(
        folder / "atlas.h5ad",
        n_cells=CELLS,
        n_genes=GENES,
        seed=0,
        block_cells=700,
        threads=1,
        progress=lambda done, total: reports.append((done, total)),
    )
    return summary, reports


def _arrays(path) -> tuple[np.ndarray, ...]:
    with h5py.File(path, "r") as handle:
        return tuple(handle["X"][name][:] for name in ("data", "indices", "indptr"))


def test_anndata_reads_the_file_as_written(atlas):
    summary, _ = atlas
    adata = anndata.read_h5ad(summary["path"])
    X = adata.X
    assert adata.shape == (CELLS, GENES)
    assert (X.format, X.dtype, X.indices.dtype, X.indptr.dtype) == (
        "csr",
        np.float32,
        np.int32,
        np.int64,
    )
    assert X.has_canonical_format  # sorted genes, no duplicates, in every row
    data, indices, indptr = _arrays(summary["path"])
    assert np.array_equal(X.data, data) and np.array_equal(X.indices, indices)
    assert np.array_equal(X.indptr, indptr)
    assert X.data.min() >= 1 and np.array_equal(X.data, np.round(X.data))  # counts
    assert summary["nnz"] == X.nnz and summary["cells"] == CELLS
    assert summary["median_counts"] == np.median(np.asarray(X.sum(axis=1)).ravel())
    assert summary["median_genes"] == np.median(np.diff(X.indptr))
    assert adata.obs_names.is_unique
    assert all(re.fullmatch(r"[ACGT]{16}-\d+", name) for name in adata.obs_names[:200])
    suffix = adata.obs_names.str.split("-").str[1].astype(int)
    assert np.array_equal(suffix, adata.obs["batch"].cat.codes + 1)  # 10x-style: -N per batch
    assert list(adata.obs["cell_type"].cat.categories) == [f"type_{t:02d}" for t in range(1, 13)]
    assert list(adata.obs["batch"].cat.categories) == ["batch_1", "batch_2", "batch_3", "batch_4"]
    assert adata.var_names[0] == "Gene00001"
    assert list(adata.var_names[-len(MITO_GENES) :]) == list(MITO_GENES)
    assert adata.var_names.is_unique
    generator = adata.uns["generator"]
    assert (generator["n_cells"], generator["n_genes"], generator["seed"]) == (CELLS, GENES, 0)


def test_backed_rows_equal_the_loaded_rows(atlas):
    summary, _ = atlas
    loaded = anndata.read_h5ad(summary["path"])
    backed = anndata.read_h5ad(summary["path"], backed="r")
    try:
        for start, stop in ((0, 10), (695, 705), (CELLS - 7, CELLS)):  # across a block edge
            assert (backed.X[start:stop] != loaded.X[start:stop]).nnz == 0
    finally:
        backed.file.close()


def test_progress_after_every_block(atlas):
    _, reports = atlas
    assert reports == [(done, CELLS) for done in (700, 1400, 2100, 2800, 3000)]


def test_block_size_and_threads_never_change_the_matrix(atlas, folder):
    summary, _ = atlas
    other = write_simulated_atlas(
        folder / "other-blocks.h5ad", n_cells=CELLS, n_genes=GENES, block_cells=5000, threads=2
    )
    for mine, theirs in zip(_arrays(summary["path"]), _arrays(other["path"]), strict=True):
        assert np.array_equal(mine, theirs)
    first, second = anndata.read_h5ad(summary["path"]), anndata.read_h5ad(other["path"])
    assert first.obs.equals(second.obs)


def test_another_seed_gives_another_matrix(atlas, folder):
    summary, _ = atlas
    other = write_simulated_atlas(folder / "seed-1.h5ad", n_cells=CELLS, n_genes=GENES, seed=1)
    first, second = anndata.read_h5ad(summary["path"]), anndata.read_h5ad(other["path"])
    assert other["nnz"] != summary["nnz"]
    assert (first.X != second.X).nnz > 0.5 * first.X.nnz
    assert not first.obs_names.equals(second.obs_names)
    assert anndata.read_h5ad(other["path"]).uns["generator"]["seed"] == 1


def test_gzip_holds_the_same_counts_in_less_space(atlas, folder):
    summary, _ = atlas
    packed = write_simulated_atlas(
        folder / "gzip.h5ad", n_cells=CELLS, n_genes=GENES, compression="gzip"
    )
    assert packed["bytes"] < 0.7 * summary["bytes"]
    for mine, theirs in zip(_arrays(summary["path"]), _arrays(packed["path"]), strict=True):
        assert np.array_equal(mine, theirs)


def test_genodash_reads_it_and_qc_removes_the_low_quality_cells(atlas):
    from genodash.expression.embed import pca_coordinates
    from genodash.expression.preprocess import PreprocessConfig, preprocess
    from genodash.expression.scores import knn_accuracy
    from genodash.io import ReadOptions, read_dataset

    summary, _ = atlas
    matrix = read_dataset(summary["path"], ReadOptions(kind="matrix"))
    assert (matrix.value_type, matrix.label_column, matrix.batch_column) == (
        "counts",
        "cell_type",
        "batch",
    )
    config = PreprocessConfig(max_mito_percent=15.0, n_top_genes=1000, scale=True)
    processed = preprocess(matrix, config)
    low_quality = matrix.adata.obs["low_quality"].to_numpy()
    kept = processed.qc["kept"].to_numpy()
    assert 0.01 < low_quality.mean() < 0.06
    assert np.mean(kept[low_quality]) < 0.1 and np.mean(kept[~low_quality]) > 0.97
    coords = pca_coordinates(processed.adata.X, 20, seed=0)
    assert knn_accuracy(coords, processed.adata.obs["cell_type"].to_numpy()) > 0.9


def test_cell_types_have_unequal_shares_and_their_own_markers(atlas):
    summary, _ = atlas
    adata = anndata.read_h5ad(summary["path"])
    shares = adata.obs["cell_type"].value_counts(normalize=True)
    assert shares.max() > 0.25 and shares.min() < 0.04  # a few large types, some rare ones
    normal = ~adata.obs["low_quality"].to_numpy()
    X = adata.X[normal]
    share = X.multiply(1 / np.asarray(X.sum(axis=1))).tocsr()
    types = adata.obs["cell_type"].to_numpy()[normal]
    profiles = np.vstack([np.asarray(share[types == t].mean(axis=0)).ravel() for t in shares.index])
    others_max = np.array(
        [np.delete(profiles, i, axis=0).max(axis=0) for i in range(len(profiles))]
    )
    strong_markers = ((profiles > 8 * others_max) & (profiles > 1e-3)).sum(axis=1)
    assert strong_markers.min() >= 10  # every type has genes that are its own


def test_depth_sparsity_and_mito_like_10x_mouse_brain(folder):
    """At the data set's 28,000 genes: median 2,000-3,000 UMIs and 1,000-1,500 genes per cell,
    a few percent mitochondrial counts, low-quality cells shallow and mito-rich."""
    summary = write_simulated_atlas(folder / "brain.h5ad", n_cells=2000, seed=2)
    adata = anndata.read_h5ad(summary["path"])
    assert adata.shape == (2000, 28_000)
    qc = qc_table(adata.X, adata.var_names)
    low = adata.obs["low_quality"].to_numpy()
    assert 2000 <= qc["total_counts"].median() <= 3000
    assert 1000 <= qc["n_genes"].median() <= 1500
    assert 1.0 <= qc["pct_mito"][~low].median() <= 6.0
    assert qc["pct_mito"][low].median() > 20.0
    assert qc["total_counts"][low].median() < 0.5 * qc["total_counts"][~low].median()
    assert (np.asarray(adata.X[:, -13:].sum(axis=0)).ravel() > 0).all()  # every mt- gene


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(folder, monkeypatch):
    target = folder / "failing" / "atlas.h5ad"
    target.parent.mkdir()
    target.write_bytes(b"the previous file")
    appended = []
    real_append = atlas_simulation._CsrWriter.append

    def append_then_fail(self, rows):
        if appended:
            raise OSError("disk full")
        appended.append(rows.n_cells)
        real_append(self, rows)

    monkeypatch.setattr(atlas_simulation._CsrWriter, "append", append_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_simulated_atlas(target, n_cells=CELLS, n_genes=GENES, block_cells=600, threads=2)
    assert appended == [512]  # it failed mid-way, after one chunk was written
    assert [path.name for path in target.parent.iterdir()] == ["atlas.h5ad"]
    assert target.read_bytes() == b"the previous file"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_cells": 0}, "cells: 1 to 10,000,000, got 0"),
        ({"n_genes": 100_001}, "genes: at most 100,000, got 100,001"),
        ({"n_genes": 500}, "500 genes are too few for 12 cell types: need at least 1213"),
        ({"n_types": 1}, "cell types: 2 to 40, got 1"),
        ({"n_batches": 0}, "batches: 1 to 16, got 0"),
        ({"seed": -1}, "seed: 0 or more"),
        ({"block_cells": 0}, "block size: at least 1 cell"),
        ({"threads": 0}, "threads: at least 1"),
        ({"compression": "zip"}, "compression: none, gzip or lzf"),
    ],
)
def test_bad_options_are_refused_before_writing(folder, options, message):
    target = folder / "refused.h5ad"
    with pytest.raises(ConfigError, match=re.escape(message)):
        write_simulated_atlas(target, **{"n_cells": 100, "n_genes": GENES, **options})
    assert not target.exists()


def test_only_h5ad_is_written(folder):
    with pytest.raises(ConfigError, match="written as .h5ad"):
        write_simulated_atlas(folder / "atlas.csv", n_cells=10, n_genes=GENES)
