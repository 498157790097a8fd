"""The atlas result file: written whole or not at all, opened without the counts, and one
gene's values read back from the source matrix as the pipeline normalized them."""

from __future__ import annotations

from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse

from genodash.atlas.result import (
    gene_expression,
    is_atlas_result,
    open_atlas_result,
    write_atlas_result,
)
from genodash.errors import FormatError, InputError
from genodash.examples import simulated_counts

TARGET_SUM = 1e4


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A 240-cell × 200-gene simulated count matrix as .h5ad (X stored as CSR)."""
    adata = simulated_counts(n_cells=240, n_genes=200, n_types=3, seed=3).adata.copy()
    adata.X = scipy.sparse.csr_matrix(adata.X)
    path = tmp_path_factory.mktemp("source") / "counts.h5ad"
    adata.write_h5ad(path)
    return path


def _parts(source: Path) -> dict:
    """What the pipeline would pass for ``source``: every third cell dropped, the genes
    after the first 20 kept, totals over all genes."""
    adata = anndata.read_h5ad(source)
    rows = np.flatnonzero(np.arange(adata.n_obs) % 3 != 0)
    columns = np.arange(20, adata.n_vars)
    rng = np.random.default_rng(0)
    obs = adata.obs.iloc[rows].copy()
    obs["leiden"] = pd.Categorical(rng.integers(0, 3, len(rows)).astype(str))
    obs["source_row"] = rows.astype(np.int64)
    obs["total_counts"] = np.asarray(adata.X[rows].sum(axis=1)).ravel()
    obs["n_genes"] = np.asarray((adata.X[rows] > 0).sum(axis=1)).ravel()
    var = pd.DataFrame(
        {
            "source_column": columns.astype(np.int64),
            "highly_variable": columns % 2 == 0,
            "means": rng.random(len(columns)),
            "dispersions_norm": rng.normal(size=len(columns)),
        },
        index=adata.var_names[columns],
    )
    info = {
        "source": str(source.resolve()),
        "label_column": "cell_type",
        "batch_column": "batch",
        "target_sum": TARGET_SUM,
        "pca_variance_ratio": [0.2, 0.1, 0.05],
        "steps": [
            {"step": "qc", "seconds": 1.25, "note": "240 cells"},
            {"step": "umap", "seconds": 3.5, "note": ""},
        ],
        "version": 1,
        "scheduler": "local threads",
    }
    pca = rng.normal(size=(len(rows), 3))
    umap = rng.normal(size=(len(rows), 2))
    return {"obs": obs, "var": var, "pca": pca, "umap": umap, "info": info}


@pytest.fixture
def result_file(source, tmp_path) -> Path:
    return write_atlas_result(tmp_path / "atlas.h5ad", **_parts(source))


def test_a_written_result_opens_as_it_was_given(source, result_file):
    parts = _parts(source)
    result = open_atlas_result(result_file)
    assert result.name == "atlas.h5ad" and result.n_cells == 160
    assert list(result.obs.index) == list(parts["obs"].index)
    assert result.obs["leiden"].dtype == "category"
    assert result.obs["source_row"].dtype == np.int64
    np.testing.assert_array_equal(result.obs["source_row"], parts["obs"]["source_row"])
    assert list(result.var.index) == list(parts["var"].index)
    assert result.var["source_column"].dtype == np.int64
    assert result.pca.dtype == result.umap.dtype == np.float32
    np.testing.assert_allclose(result.umap, parts["umap"], rtol=1e-6)
    assert result.pca.shape == (160, 3)
    assert result.info == parts["info"]
    assert (result.label_column, result.batch_column) == ("cell_type", "batch")
    assert result.source == source.resolve()


def test_scanpy_reads_it_and_there_is_no_matrix(result_file):
    adata = anndata.read_h5ad(result_file)
    assert adata.X is None and adata.shape == (160, 180)
    assert set(adata.obsm) == {"X_pca", "X_umap"}
    assert list(adata.uns["atlas"]["steps"]["step"]) == ["qc", "umap"]


def test_gene_expression_equals_scanpy_normalize_total_and_log1p(source, result_file):
    result = open_atlas_result(result_file)
    gene = result.var.index[7]
    seen = []
    values = gene_expression(result, gene, progress=lambda done, total: seen.append(total))
    adata = anndata.read_h5ad(source)
    sc.pp.normalize_total(adata, target_sum=TARGET_SUM)
    sc.pp.log1p(adata)
    expected = adata[result.obs["source_row"].to_numpy(), gene].X.toarray().ravel()
    assert values.dtype == np.float32 and values.shape == (160,)
    np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)
    assert values.max() > 0 and seen and seen[-1] == 240


def test_the_pipelines_own_factor_is_used_when_recorded(source, tmp_path):
    """The pipeline normalizes by the kept genes' totals and records each cell's factor."""
    parts = _parts(source)
    adata = anndata.read_h5ad(source)
    rows = parts["obs"]["source_row"].to_numpy()
    kept = adata.X[rows][:, parts["var"]["source_column"].to_numpy()]
    factors = (TARGET_SUM / np.asarray(kept.sum(axis=1)).ravel()).astype(np.float32)
    parts["obs"]["normalization_factor"] = factors
    result = open_atlas_result(write_atlas_result(tmp_path / "r.h5ad", **parts))
    gene = result.var.index[3]
    counts = adata[rows, gene].X.toarray().ravel().astype(np.float32)
    expected = np.log1p(counts * factors)
    np.testing.assert_array_equal(gene_expression(result, gene), expected)
    by_totals = np.log1p(counts * TARGET_SUM / parts["obs"]["total_counts"].to_numpy())
    assert not np.allclose(expected, by_totals)


def test_a_gene_not_kept_is_a_clear_error(result_file):
    with pytest.raises(InputError, match=r"atlas.h5ad: gene 'MT-1' is not among the 180 genes"):
        gene_expression(open_atlas_result(result_file), "MT-1")


def test_colour_by_gene_without_the_source_says_where_it_must_be(source, tmp_path):
    parts = _parts(source)
    parts["info"]["source"] = str(tmp_path / "moved" / "counts.h5ad")
    result = open_atlas_result(write_atlas_result(tmp_path / "r.h5ad", **parts))
    with pytest.raises(InputError, match="needs the source matrix at .*moved/counts.h5ad"):
        gene_expression(result, result.var.index[0])


def test_another_matrix_at_the_source_path_is_refused(source, tmp_path):
    other = tmp_path / "other.h5ad"
    anndata.AnnData(scipy.sparse.csr_matrix(np.ones((240, 200), np.float32))).write_h5ad(other)
    parts = _parts(source)
    parts["info"]["source"] = str(other)
    result = open_atlas_result(write_atlas_result(tmp_path / "r.h5ad", **parts))
    with pytest.raises(FormatError, match="is not the one this result was made from"):
        gene_expression(result, result.var.index[0])


def test_a_truncated_result_names_the_file(result_file):
    data = result_file.read_bytes()
    result_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"^atlas.h5ad: .*(truncated|damaged|corrupt)"):
        open_atlas_result(result_file)
    assert not is_atlas_result(result_file)


def test_a_plain_h5ad_or_other_file_is_not_a_result(source, tmp_path):
    assert not is_atlas_result(source)
    with pytest.raises(FormatError, match=r"counts.h5ad: is not an atlas result .*X_pca"):
        open_atlas_result(source)
    text = tmp_path / "notes.h5ad"
    text.write_text("not hdf5")
    assert not is_atlas_result(text) and not is_atlas_result(tmp_path / "missing.h5ad")
    with pytest.raises(FormatError, match="notes.h5ad: is not an HDF5 file"):
        open_atlas_result(text)


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(source, result_file, monkeypatch):
    def fail_halfway(self, filename, **kwargs):
        Path(filename).write_bytes(b"\x89HDF\r\n\x1a\n half a file")
        raise OSError("disk full")

    before = result_file.read_bytes()
    monkeypatch.setattr(anndata.AnnData, "write_h5ad", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        write_atlas_result(result_file, **_parts(source))
    with pytest.raises(OSError, match="disk full"):
        write_atlas_result(result_file.with_name("new.h5ad"), **_parts(source))
    assert [p.name for p in result_file.parent.iterdir()] == ["atlas.h5ad"]
    assert result_file.read_bytes() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p.update(umap=p["umap"][:, :1]), "umap must be 160 cells × 2"),
        (lambda p: p.update(pca=p["pca"][:10]), "pca must be 160 cells × k"),
        (lambda p: p["obs"].drop(columns="source_row", inplace=True), "source_row"),
        (lambda p: p["obs"].__setitem__("leiden", "0"), "must be categorical"),
        (lambda p: p["info"].pop("target_sum"), "needs target_sum"),
        (lambda p: p["info"].update(mixed=[1, "a"]), "cannot keep exactly"),
        (lambda p: p["info"].update(nothing=None), "holds None"),
    ],
)
def test_the_writer_refuses_parts_that_do_not_fit(source, tmp_path, change, message):
    parts = _parts(source)
    change(parts)
    with pytest.raises(ValueError, match=message):
        write_atlas_result(tmp_path / "bad.h5ad", **parts)
    assert list(tmp_path.iterdir()) == []
