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
    write_dataset(load_example("simulated-counts", n_cells=300, n_genes=300, n_types=3), path)
    return path


@pytest.fixture(scope="module")
def scaled_file(tmp_path_factory):
    """80 cells × 25 scaled (signed) genes in two groups, with a cell_type column."""
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1], 40)
    values = rng.normal(size=(80, 25)) + group[:, None] * np.r_[np.full(5, 2.0), np.zeros(20)]
    table = pd.DataFrame(values.round(3), columns=[f"G{i}" for i in range(25)])
    table.insert(0, "cell", [f"c{i}" for i in range(80)])
    table["cell_type"] = np.where(group == 1, "B", "A")
    path = tmp_path_factory.mktemp("matrices") / "scaled.csv"
    table.to_csv(path, index=False)
    return path


def last_json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_vae_on_counts_prints_the_contract_and_writes_the_latent(counts_file, tmp_path):
    out = tmp_path / "vae-run"
    result = run_cli(
        "train", str(counts_file), "--model", "vae", "--latent-dim", "4", "--epochs", "3",
        "--seed", "1", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = last_json(result)
    assert set(CONTRACT) <= set(summary)
    assert summary["model"] == "vae" and summary["run_dir"] == str(out)
    assert summary["latent_dim"] == 4 and summary["n_cells"] == 300
    assert np.isfinite(summary["test_loss"])
    assert "preprocessing" in result.stderr and "negative binomial" in result.stderr
    assert "batch covariate: column 'batch' (2 batches" in result.stderr
    assert summary["model_config"]["n_batches"] == 2
    latent = pd.read_csv(out / "latent.csv")
    assert list(latent.columns) == ["cell", "z1", "z2", "z3", "z4"]
    assert len(latent) == summary["n_cells"]
    assert (out / "weights.safetensors").is_file()


def test_models_on_scaled_values_skip_preprocessing(scaled_file, tmp_path):
    out = tmp_path / "ae-run"
    result = run_cli(
        "train", str(scaled_file), "--model", "autoencoder", "--latent-dim", "2", "--epochs",
        "3", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = last_json(result)
    assert (summary["model"], summary["n_cells"], summary["n_genes"]) == ("autoencoder", 80, 25)
    assert summary["epochs_run"] == 3 and "epoch 3:" in result.stderr
    assert "preprocessing" not in result.stderr
    assert list(pd.read_csv(out / "latent.csv").columns) == ["cell", "z1", "z2"]
    vae = run_cli(
        "train", str(scaled_file), "--model", "vae", "--epochs", "2", "--out",
        str(tmp_path / "vae-run"),
    )  # fmt: skip
    assert vae.returncode == 0, vae.stderr
    assert "VAE likelihood: gaussian" in vae.stderr
    assert last_json(vae)["model_config"]["likelihood"] == "gaussian"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{nan}", "--model", "autoencoder"], "error: nan.csv"),
        (["{fasta}", "--model", "vae"], "error: vae trains on an expression matrix"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(args, message, data_dir, tmp_path):
    values = {"nan": data_dir / "nan.csv", "fasta": data_dir / "labelled.fa"}
    result = run_cli("train", *(a.format(**values) for a in args), "--out", str(tmp_path / "r"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "r").exists()
