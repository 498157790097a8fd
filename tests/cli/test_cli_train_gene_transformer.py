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
SMALL = ("--set", "width=16", "--set", "heads=2", "--set", "layers=1", "--set", "n_tokens=12")


@pytest.fixture(scope="module")
def scaled_table():
    """80 cells × 25 scaled (signed) genes in two groups, with a cell_type column."""
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1], 40)
    values = rng.normal(size=(80, 25)) + group[:, None] * np.r_[np.full(5, 3.0), np.zeros(20)]
    table = pd.DataFrame(values.round(3), columns=[f"G{i}" for i in range(25)])
    table.insert(0, "cell", [f"c{i}" for i in range(80)])
    table["cell_type"] = np.where(group == 1, "B", "A")
    return table


@pytest.fixture(scope="module")
def trained(scaled_table, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gene-transformer")
    source = folder / "scaled.csv"
    scaled_table.to_csv(source, index=False)
    out = folder / "gt-run"
    result = run_cli(
        "train", str(source), "--model", "gene-transformer", "--latent-dim", "3", "--epochs",
        "2", "--seed", "1", *SMALL, "--out", str(out),
    )  # fmt: skip
    return source, out, result


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_train_prints_the_contract_and_writes_the_latent(trained):
    _, out, result = trained
    assert result.returncode == 0, result.stderr
    summary = last_json(result.stdout)
    assert set(CONTRACT) <= set(summary)
    assert summary["model"] == "gene-transformer" and summary["run_dir"] == str(out)
    assert (summary["latent_dim"], summary["n_cells"], summary["n_genes"]) == (3, 80, 25)
    assert np.isfinite(summary["test_loss"]) and summary["epochs_run"] == 2
    assert summary["model_config"]["n_tokens"] == 12
    latent = pd.read_csv(out / "latent.csv")
    assert list(latent.columns) == ["cell", "z1", "z2", "z3"] and len(latent) == 80
    assert (out / "weights.safetensors").is_file()


def test_embed_scores_the_saved_latent(trained, tmp_path):
    source, out, _ = trained
    result = run_cli(
        "embed", str(source), "--method", "pca", "--no-preprocess", "--input", str(out),
        "--out", str(tmp_path / "pca.csv"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    scores = last_json(result.stdout)
    assert scores["input"] == "latent:gt-run" and scores["n"] == 80
    assert 0 <= scores["knn_accuracy"] <= 1 and 0 < scores["trustworthiness"] <= 1
    assert "using the latent coordinates saved with run gt-run" in result.stderr


def test_embed_encodes_new_cells_with_the_saved_model(trained, scaled_table, tmp_path):
    _, out, _ = trained
    renamed = scaled_table.assign(cell=[f"new{i}" for i in range(80)])
    source = tmp_path / "new.csv"
    renamed.to_csv(source, index=False)
    result = run_cli(
        "embed", str(source), "--method", "pca", "--no-preprocess", "--input", str(out),
        "--out", str(tmp_path / "pca.csv"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "encoding the cells with run gt-run" in result.stderr
    assert "knn_accuracy" in last_json(result.stdout)
    from sklearn.decomposition import PCA

    saved = pd.read_csv(out / "latent.csv")[["z1", "z2", "z3"]].to_numpy()
    expected = PCA(2, svd_solver="full").fit_transform(saved)  # same values, same token genes
    written = pd.read_csv(tmp_path / "pca.csv")[["x", "y"]].to_numpy()
    np.testing.assert_allclose(np.abs(written), np.abs(expected), atol=1e-3)
