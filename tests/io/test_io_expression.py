from __future__ import annotations

import gzip

import h5py
import numpy as np
import pytest
import scipy.sparse

from genodash.data import MatrixSet
from genodash.errors import FormatError, LimitError, OrientationError
from genodash.io import RawFile, detect_kind, read_dataset, read_matrix
from genodash.limits import Limits

FIRST_ROW = [2, 0, 7, 1, 1]  # cell1 in tests/data/matrix.csv


@pytest.mark.parametrize("name", ["matrix.csv", "matrix.tsv"])
def test_table_matrix_with_metadata(data_dir, name):
    result = read_matrix(data_dir / name)
    assert (result.n_obs, result.n_vars) == (6, 5)
    assert list(result.adata.var_names) == ["CD3E", "MS4A1", "LYZ", "GAPDH", "MT-CO1"]
    assert list(result.adata.obs.columns) == ["cell_type"]
    assert result.label_column == "cell_type"
    assert result.value_type == "counts"
    assert result.adata.X.dtype == np.float32
    assert result.adata.X[0].tolist() == FIRST_ROW
    assert "kept 1 metadata columns: cell_type" in result.notes


@pytest.mark.parametrize("name", ["small.h5ad", "tenx", "tenx.zip", "tenx_v3.h5"])
def test_binary_formats_read_the_same_values_sparse(data_dir, name):
    result = read_matrix(data_dir / name)
    assert (result.n_obs, result.n_vars) == (6, 5)
    assert scipy.sparse.issparse(result.adata.X)
    assert result.adata.X.dtype == np.float32
    assert result.adata.X[0].toarray().ravel().tolist() == FIRST_ROW
    assert list(result.adata.obs_names[:2]) == ["cell1", "cell2"]
    assert "CD3E" in result.adata.var_names


def test_10x_files_uploaded_together(data_dir):
    parts = [RawFile(p.name, p.read_bytes()) for p in sorted((data_dir / "tenx").iterdir())]
    result = read_dataset(parts)
    assert isinstance(result, MatrixSet)
    assert result.format == "10x-mtx"
    assert result.adata.var["gene_ids"].iloc[0] == "ENSG00000000000"


def test_several_matrix_files_that_are_not_10x_parts_say_so(data_dir):
    files = [RawFile(name, (data_dir / "small.h5ad").read_bytes()) for name in ("a.h5ad", "b.h5ad")]
    with pytest.raises(FormatError) as refused:
        read_dataset(files)
    message = str(refused.value)
    assert message.startswith("the uploaded files (a.h5ad, b.h5ad): are 2 matrix files")
    assert "remove the others" in message


def test_h5ad_keeps_obs_metadata(data_dir):
    result = read_matrix(data_dir / "small.h5ad")
    assert result.adata.obs["cell_type"].tolist() == ["T", "B", "T", "B", "mono", "mono"]
    assert "label column guessed as 'cell_type'" in result.notes


def test_genes_as_rows_needs_confirmation(data_dir):
    with pytest.raises(OrientationError, match="looks like genes are rows"):
        read_matrix(data_dir / "genes_as_rows.csv")
    transposed = read_matrix(data_dir / "genes_as_rows.csv", transpose=True)
    assert (transposed.n_obs, transposed.n_vars) == (6, 5)
    assert transposed.adata.X[0].tolist() == FIRST_ROW
    assert "transposed: genes were rows, now columns (as confirmed)" in transposed.notes
    kept = read_matrix(data_dir / "genes_as_rows.csv", transpose=False)
    assert (kept.n_obs, kept.n_vars) == (5, 6)


def test_normalized_values_are_flagged(data_dir):
    result = read_matrix(data_dir / "normalized.csv")
    assert result.value_type == "signed"
    assert any("count-based steps" in note for note in result.notes)


def test_duplicate_gene_names_made_unique(data_dir):
    result = read_matrix(data_dir / "duplicate_genes.csv")
    assert list(result.adata.var_names[:3]) == ["CD3E", "MS4A1", "CD3E-1"]
    assert "1 duplicate column names made unique by adding -1, -2, …" in result.notes


def test_numeric_column_named_as_metadata(raw_file):
    text = "cell,G1,G2,cluster\nc1,1,2,0\nc2,3,4,1\n"
    plain = read_matrix(raw_file("m.csv", text))
    assert plain.n_vars == 3
    named = read_matrix(raw_file("m.csv", text), metadata_columns=["cluster"])
    assert named.n_vars == 2
    assert named.adata.obs["cluster"].tolist() == [0, 1]


def test_label_and_batch_columns_must_exist(data_dir):
    with pytest.raises(FormatError) as info:
        read_matrix(data_dir / "matrix.csv", label_column="celltype")
    assert str(info.value) == (
        "matrix.csv: has no label column 'celltype'; metadata columns: 'cell_type'"
    )


BAD_FILES = {
    "nan.csv": "nan.csv: row 2 (cell 'c2'), column 'G1': missing value. Fill or remove missing "
    "values",
    "inf.csv": "inf.csv: row 1 (cell 'c1'), column 'G2': value inf is not a finite number. "
    "Matrices must hold finite numbers within the float32 range (±3.4e38)",
    "text_in_numeric.csv": "text_in_numeric.csv: row 2 (cell 'c2'): non-numeric value 'oops' in "
    "numeric column 'G2'. Fix the value, or name the column as metadata (CLI: --metadata-column)",
    "header_only.csv": "header_only.csv: has a header but no data rows",
    "matrix_ragged.tsv": "matrix_ragged.tsv: line 3 has 4 fields but earlier lines have 3. Every "
    "row needs one value per header column",
    "not_hdf5.h5ad": "not_hdf5.h5ad: is named .h5ad but is not an HDF5 (.h5ad) file. Check that "
    "the upload finished and that the file was not renamed",
    "external_link.h5ad": "external_link.h5ad: '/secret': has an external link to another file; "
    "refused",
    "missing_obs.h5ad": "missing_obs.h5ad: has no 'obs' entry; it is not a complete AnnData file",
    "tenx_mismatch": "tenx_mismatch: features file lists 4 entries but the matrix has 5 genes "
    "(rows). The three files must come from the same 10x sample",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_matrix_files_give_exact_messages(data_dir, name):
    with pytest.raises(FormatError) as info:
        read_dataset(data_dir / name)
    assert str(info.value) == BAD_FILES[name]


def test_truncated_h5ad_is_an_error(data_dir):
    with pytest.raises(FormatError, match="truncated.h5ad: HDF5 file is truncated or corrupt"):
        read_matrix(data_dir / "truncated.h5ad")


def _h5ad_bytes(tmp_path, edit) -> bytes:
    import anndata

    path = tmp_path / "edited.h5ad"
    anndata.AnnData(X=np.ones((3, 2), dtype=np.float32)).write_h5ad(path)
    with h5py.File(path, "r+") as handle:
        edit(handle)
    return path.read_bytes()


def test_h5ad_external_storage_is_refused(tmp_path):
    def add_external(handle):
        handle.create_dataset(
            "leak", shape=(4,), dtype="i1", external=[(str(tmp_path / "other.bin"), 0, 4)]
        )

    with pytest.raises(FormatError, match="dataset '/leak': has a dataset stored in an external"):
        read_matrix(RawFile("x.h5ad", _h5ad_bytes(tmp_path, add_external)))


def test_h5ad_declared_size_is_checked_before_reading(tmp_path):
    def add_huge(handle):
        handle.create_dataset("huge", shape=(10**6, 10**4), dtype="f8", chunks=(1000, 100))

    with pytest.raises(LimitError, match="declares arrays of more than 1.0 GiB"):
        read_matrix(
            RawFile("x.h5ad", _h5ad_bytes(tmp_path, add_huge)), limits=Limits(max_array_bytes=2**30)
        )


def test_lone_matrix_market_file_asks_for_the_other_files(data_dir):
    mtx = gzip.decompress((data_dir / "tenx" / "matrix.mtx.gz").read_bytes())
    with pytest.raises(FormatError, match="is a lone Matrix Market file"):
        read_matrix(RawFile("matrix.mtx", mtx))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("table.csv", "sequences"),
        ("matrix.csv", "matrix"),
        ("labelled.fa.gz", "sequences"),
        ("small.h5ad", "matrix"),
        ("tenx", "matrix"),
        ("plain.txt", "sequences"),
        ("reads.fq", "sequences"),
        ("tenx.zip", "matrix"),
    ],
)
def test_kind_is_detected_from_content(data_dir, name, kind):
    assert detect_kind(data_dir / name) == kind


def test_sparse_input_stays_sparse_and_dense_is_float32(data_dir):
    assert scipy.sparse.isspmatrix_csr(read_matrix(data_dir / "tenx").adata.X)
    assert isinstance(read_matrix(data_dir / "matrix.csv").adata.X, np.ndarray)
