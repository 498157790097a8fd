"""``train`` and ``embed`` on a matrix over the memory budget: read from disk block by block,
and the JSON line says so."""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import pytest

from genodash.cli import main
from genodash.examples import simulated_counts
from support import run_main

TRAIN_KEYS = ("model", "test_loss", "latent_dim", "n_cells", "n_genes", "train_seconds", "run_dir")


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("out-of-core") / "counts.h5ad"
    simulated_counts(n_cells=300, n_genes=260, n_types=3, seed=1).adata.write_h5ad(path)
    return path


@pytest.fixture(scope="module")
def trained(counts_file, tmp_path_factory):
    """A VAE trained from disk (``--memory-budget 1KB``) and its JSON line."""
    out = tmp_path_factory.mktemp("runs") / "vae-from-disk"
    stdout, stderr = io.StringIO(), io.StringIO()  # a module fixture cannot take capsys
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(
            ["train", str(counts_file), "--model", "vae", "--epochs", "2", "--latent-dim", "3",
             "--memory-budget", "1KB", "--out", str(out)]
        )  # fmt: skip
    assert status == 0, stderr.getvalue()
    return out, json.loads(stdout.getvalue().strip().splitlines()[-1]), stderr.getvalue()


def test_train_over_the_budget_reads_from_disk_and_says_so(trained):
    out, summary, err = trained
    assert summary["out_of_core"] is True
    assert set(TRAIN_KEYS) <= set(summary) and summary["run_dir"] == str(out)
    assert "out of core" in err and "epoch 2" in err


def test_the_latent_has_one_row_per_cell_in_file_order(trained, counts_file):
    out, _, _ = trained
    latent = pd.read_csv(out / "latent.csv")
    expected = simulated_counts(n_cells=300, n_genes=260, n_types=3, seed=1).adata.obs_names
    assert latent["cell"].tolist() == list(expected)
    assert list(latent.columns) == ["cell", "z1", "z2", "z3"]


def test_a_matrix_within_the_budget_keeps_the_in_memory_path(counts_file, tmp_path, capsys):
    out = tmp_path / "in-memory"
    status, summary, err = run_main(
        capsys, "train", str(counts_file), "--model", "autoencoder", "--epochs", "1",
        "--memory-budget", "8GB", "--out", str(out),
    )  # fmt: skip
    assert status == 0, err
    assert "out_of_core" not in summary and "out of core" not in err


def test_embed_reads_the_run_latent_out_of_core(trained, counts_file, tmp_path, capsys):
    run_dir, _, _ = trained
    out = tmp_path / "embedding.csv"
    status, summary, err = run_main(
        capsys, "embed", str(counts_file), "--method", "pca", "--input", str(run_dir),
        "--memory-budget", "1KB", "--max-scored", "100", "--out", str(out),
    )  # fmt: skip
    assert status == 0, err
    assert summary["out_of_core"] is True and summary["n"] == 300
    assert summary["input"] == f"latent:{run_dir.name}" and 0 < summary["trustworthiness"] <= 1
    table = pd.read_csv(out)
    assert list(table.columns) == ["cell", "x", "y", "label", "batch"] and len(table) == 300


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["embed", "--method", "pca", "--input", "pca"], "--input pca needs the whole matrix"),
        (["train", "--model", "scvis"], "scvis trains on a matrix held in memory"),
    ],
)
def test_what_cannot_run_out_of_core_is_refused(counts_file, tmp_path, capsys, args, message):
    status, _, err = run_main(
        capsys, *args[:1], str(counts_file), *args[1:], "--memory-budget", "1KB",
        "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert status == 2
    assert message in err


def test_a_budget_that_is_not_a_size_is_refused(counts_file, tmp_path, capsys):
    status, _, err = run_main(
        capsys, "train", str(counts_file), "--model", "vae", "--memory-budget", "lots",
        "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert status == 2 and "'lots' is not a size" in err
