"""The server data folder's matrices too large for memory: summarised from the file's
header and pointers, with the command that runs the atlas pipeline on them."""

from __future__ import annotations

import subprocess

import anndata
import numpy as np
import scipy.sparse

from genodash.io.data_folder import is_in_data_folder, matrix_in_folder, out_of_core_matrix


def _matrix(path, n_cells=50, n_genes=30):
    rng = np.random.default_rng(0)
    counts = scipy.sparse.random(n_cells, n_genes, density=0.2, format="csr", random_state=rng)
    anndata.AnnData(counts.astype(np.float32)).write_h5ad(path)
    return counts.nnz


def test_a_matrix_over_the_budget_is_summarised_without_loading(tmp_path):
    nnz = _matrix(tmp_path / "big one.h5ad")
    matrix = out_of_core_matrix("sub/big one.h5ad", tmp_path / "big one.h5ad", 1_000)
    assert (matrix.n_cells, matrix.n_genes, matrix.stored_values) == (50, 30, nnz)
    assert matrix.in_memory_bytes == nnz * 8 + 51 * 8
    assert matrix.needed_bytes == 3 * matrix.in_memory_bytes and matrix.budget_bytes == 1_000
    assert matrix.result_name == "sub/big one.atlas.h5ad"
    assert matrix.command == (
        "python -m genodash atlas \"$GENODASH_DATA_DIR\"/'sub/big one.h5ad' "
        "--out \"$GENODASH_DATA_DIR\"/'sub/big one.atlas.h5ad'"
    )


def test_the_command_is_one_the_shell_reads_as_meant(tmp_path):
    _matrix(tmp_path / "a b.h5ad")
    matrix = out_of_core_matrix("a b.h5ad", tmp_path / "a b.h5ad", 1)
    words = subprocess.run(
        ["bash", "-c", f"printf '%s\\n' {matrix.command.removeprefix('python -m genodash ')}"],
        env={"GENODASH_DATA_DIR": "/srv/data"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert words == ["atlas", "/srv/data/a b.h5ad", "--out", "/srv/data/a b.atlas.h5ad"]


def test_a_matrix_within_the_budget_or_another_file_takes_the_usual_way(tmp_path):
    _matrix(tmp_path / "small.h5ad")
    assert out_of_core_matrix("small.h5ad", tmp_path / "small.h5ad", 10**9) is None
    (tmp_path / "cells.csv").write_text("cell,g1\nc1,1\n")
    assert out_of_core_matrix("cells.csv", tmp_path / "cells.csv", 1) is None
    (tmp_path / "broken.h5ad").write_bytes(b"not hdf5")
    assert out_of_core_matrix("broken.h5ad", tmp_path / "broken.h5ad", 1) is None


def test_inside_the_data_folder_follows_links(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "m.h5ad").write_text("x")
    (tmp_path / "secret.h5ad").write_text("x")
    (root / "link.h5ad").symlink_to(tmp_path / "secret.h5ad")
    assert is_in_data_folder(root / "m.h5ad", root)
    assert not is_in_data_folder(tmp_path / "secret.h5ad", root)
    assert not is_in_data_folder(root / "link.h5ad", root)
    assert not is_in_data_folder(root / ".." / "secret.h5ad", root)
    assert not is_in_data_folder(root / "m.h5ad", tmp_path / "missing")


def test_the_source_of_a_result_is_found_inside_the_folder_only(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    outside = tmp_path / "brain.h5ad"
    outside.write_bytes(b"counts")
    result = root / "brain.atlas.h5ad"
    assert matrix_in_folder(outside, result, root) is None  # outside, and no copy beside
    (root / "brain.h5ad").write_bytes(b"counts")
    assert matrix_in_folder(outside, result, root) == root / "brain.h5ad"
    inside = root / "sub" / "brain.h5ad"
    inside.parent.mkdir()
    inside.write_bytes(b"counts")
    assert matrix_in_folder(inside, result, root) == inside
    (root / "link.h5ad").symlink_to(outside)
    assert matrix_in_folder(tmp_path / "link.h5ad", result, root) is None
