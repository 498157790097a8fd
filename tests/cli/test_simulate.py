"""``simulate-atlas``: one JSON line, a file anndata reads, and bad options refused with exit
status 2 and one ``error:`` line."""

from __future__ import annotations

import json

import anndata
import pytest

from support import run_cli


def test_simulate_atlas_writes_the_file_and_prints_its_summary(tmp_path):
    out = tmp_path / "atlas.h5ad"
    result = run_cli(
        "simulate-atlas",
        str(out),
        *("--cells", "600", "--genes", "1500", "--types", "4", "--batches", "2", "--seed", "3"),
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    summary = json.loads(line)
    assert {"path", "cells", "genes", "nnz", "bytes", "seconds"} <= summary.keys()
    assert (summary["cells"], summary["genes"], summary["path"]) == (600, 1500, str(out))
    assert summary["bytes"] == out.stat().st_size
    adata = anndata.read_h5ad(out)
    assert adata.shape == (600, 1500) and adata.X.nnz == summary["nnz"]
    assert adata.obs["cell_type"].nunique() == 4 and adata.obs["batch"].nunique() == 2
    assert adata.uns["generator"]["seed"] == 3
    assert "wrote" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cells", "0"], "error: cells: 1 to 10,000,000, got 0"),
        (["--genes", "300"], "error: 300 genes are too few for 12 cell types"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(tmp_path, options, message):
    out = tmp_path / "atlas.h5ad"
    result = run_cli("simulate-atlas", str(out), *options)
    assert result.returncode == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert result.stdout == "" and not out.exists()
