from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from support import run_cli

CONTRACT = (
    "model",
    "test_loss",
    "latent_dim",
    "n_cells",
    "n_genes",
    "train_seconds",
    "device",
    "run_dir",
)


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    from genodash.examples import load_example
    from genodash.io.writers import write_dataset

    path = tmp_path_factory.mktemp("matrices") / "counts.h5ad"
    write_dataset(load_example("simulated-counts", n_cells=200, n_genes=200, n_types=3), path)
    return path


def last_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_scvis_prints_the_contract_writes_a_2d_latent_and_embed_scores_it(counts_file, tmp_path):
    out = tmp_path / "scvis-run"
    result = run_cli(
        "train", str(counts_file), "--model", "scvis", "--epochs", "3", "--seed", "1",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = last_json(result)
    assert set(CONTRACT) <= set(summary)
    assert summary["model"] == "scvis" and summary["run_dir"] == str(out)
    assert summary["latent_dim"] == 2 and summary["n_cells"] == 200
    assert np.isfinite(summary["test_loss"])
    assert summary["model_config"]["perplexity"] == 10.0
    latent = pd.read_csv(out / "latent.csv")
    assert list(latent.columns) == ["cell", "z1", "z2"] and len(latent) == 200
    assert np.isfinite(latent[["z1", "z2"]].to_numpy()).all()

    embedded = run_cli(
        "embed", str(counts_file), "--method", "pca", "--input", str(out),
        "--out", str(tmp_path / "scvis_pca.csv"),
    )  # fmt: skip
    assert embedded.returncode == 0, embedded.stderr
    scores = last_json(embedded)
    assert scores["input"] == "latent:scvis-run" and scores["n"] == 200
    assert 0 <= scores["trustworthiness"] <= 1 and 0 <= scores["knn_accuracy"] <= 1


def test_a_latent_dim_out_of_range_exits_2(counts_file, tmp_path):
    result = run_cli(
        "train", str(counts_file), "--model", "scvis", "--latent-dim", "50",
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert result.returncode == 2
    assert "latent_dim" in result.stderr and not (tmp_path / "r").exists()
