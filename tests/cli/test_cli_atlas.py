"""``python -m genodash atlas``: one JSON line, clear errors."""

from __future__ import annotations

import pytest

from genodash.examples import simulated_counts
from support import run_main

KEYS = {
    "cells",
    "genes",
    "cells_kept",
    "genes_kept",
    "highly_variable_genes",
    "clusters",
    "seconds",
    "seconds_total",
    "peak_memory_bytes",
    "out_of_core",
    "memory_budget_bytes",
    "blocks",
    "scheduler",
    "ran_on",
    "result",
}


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("atlas-cli") / "cells.h5ad"
    simulated_counts(n_cells=400, n_genes=600, n_types=3, seed=0).adata.write_h5ad(path)
    return path


def test_atlas_prints_one_json_line_and_writes_the_result(counts_file, tmp_path, capsys):
    out = tmp_path / "result.h5ad"
    code, summary, _ = run_main(
        capsys,
        "atlas",
        str(counts_file),
        "--out",
        str(out),
        "--min-genes",
        "100",
        "--n-top-genes",
        "200",
        "--n-pcs",
        "10",
        "--umap-epochs",
        "10",
        "--memory-budget",
        "1KB",
    )
    assert code == 0
    assert set(summary) == KEYS
    assert summary["out_of_core"] is True
    assert summary["memory_budget_bytes"] == 1000
    assert (summary["cells"], summary["genes"]) == (400, 600)
    assert summary["highly_variable_genes"] == 200
    assert summary["result"] == str(out)
    assert out.is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--memory-budget", "lots"), "memory budget 'lots' is not a size"),
        (("--scheduler", "tcp://127.0.0.1:9"), "cannot reach the dask scheduler"),
        (("--n-pcs", "0"), "n_pcs must be at least 1"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(counts_file, tmp_path, capsys, extra, message):
    out = tmp_path / "result.h5ad"
    code, summary, err = run_main(capsys, "atlas", str(counts_file), "--out", str(out), *extra)
    assert code == 2
    assert summary is None
    assert err.startswith("error: ") and message in err
    assert not out.exists()


def test_a_file_that_is_not_hdf5_names_the_file(tmp_path, capsys):
    text = tmp_path / "cells.h5ad"
    text.write_text("cell,gene\n")
    code, _, err = run_main(capsys, "atlas", str(text), "--out", str(tmp_path / "r.h5ad"))
    assert code == 2
    assert "error: cells.h5ad: is not an HDF5 file" in err
