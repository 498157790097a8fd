from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from genodash.cli import main
from genodash.examples import simulated_counts
from genodash.io.writers import write_dataset

N_CELLS = 200


@pytest.fixture(scope="module")
def counts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("embed") / "cells.h5ad"
    write_dataset(simulated_counts(n_cells=N_CELLS, n_genes=200, n_types=3, seed=0), path)
    return path


def _run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else None), captured.err


def test_tsne_writes_csv_and_json(counts_file, tmp_path, capsys) -> None:
    out = tmp_path / "tsne.csv"
    code, result, err = _run(
        capsys, "embed", str(counts_file), "--method", "tsne", "--out", str(out)
    )
    assert code == 0
    assert {"method", "input", "n", "seconds", "trustworthiness", "n_scored", "out"} <= set(result)
    assert result["method"] == "tsne" and result["input"] == "pca" and result["n"] == N_CELLS
    assert result["knn_accuracy"] > 0.9  # label column guessed: cell_type
    assert 0 <= result["batch_mixing"] <= 1.1 and 0 < result["trustworthiness"] <= 1
    assert result["n_scored"] == N_CELLS and result["out"] == str(out)
    assert "preprocessing with the default settings" in err
    table = pd.read_csv(out)
    assert list(table.columns) == ["cell", "x", "y", "label", "batch"]
    assert len(table) == N_CELLS and table["cell"].iloc[0] == "cell_00000"
    assert not list(tmp_path.glob(".*partial"))


def test_pca_in_3d_without_preprocessing(counts_file, tmp_path, capsys) -> None:
    out = tmp_path / "pca.csv"
    code, result, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--n-components",
        "3",
        "--no-preprocess",
        "--input",
        "raw",
        "--out",
        str(out),
    )
    assert code == 0 and result["input"] == "data" and result["n_components"] == 3
    assert "using the values as given (--no-preprocess)" in err
    assert list(pd.read_csv(out).columns)[:4] == ["cell", "x", "y", "z"]


def test_csv_matrix_with_label_column(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    values = rng.poisson(3, size=(40, 12))
    table = pd.DataFrame(values, columns=[f"G{i}" for i in range(12)])
    table.insert(0, "cell", [f"c{i}" for i in range(40)])
    table["group"] = np.where(np.arange(40) < 20, "g1", "g2")
    source = tmp_path / "small.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "small_pca.csv"
    code, result, _ = _run(
        capsys,
        "embed",
        str(source),
        "--method",
        "pca",
        "--label-column",
        "group",
        "--out",
        str(out),
    )
    assert code == 0 and "knn_accuracy" in result and "batch_mixing" not in result
    written = pd.read_csv(out)
    assert list(written.columns) == ["cell", "x", "y", "label"]
    assert list(written["label"]) == list(table["group"])


def test_unknown_column_exits_2_listing_columns(counts_file, tmp_path, capsys) -> None:
    code, result, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--label-column",
        "celltype",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert code == 2 and result is None
    assert err.strip().startswith("error:") and len(err.strip().splitlines()) == 1
    assert "'celltype'" in err and "'cell_type'" in err and "'batch'" in err
    assert not (tmp_path / "x.csv").exists()


def test_bad_file_exits_2(tmp_path, capsys) -> None:
    out = tmp_path / "x.csv"
    code, _, err = _run(
        capsys, "embed", str(DATA / "not_hdf5.h5ad"), "--method", "pca", "--out", str(out)
    )
    assert code == 2 and err.startswith("error:") and "not_hdf5.h5ad" in err


def test_bad_settings_exit_2(counts_file, tmp_path, capsys) -> None:
    out = str(tmp_path / "x.csv")
    code, _, err = _run(
        capsys, "embed", str(counts_file), "--method", "tsne", "--perplexity", "90", "--out", out
    )
    assert code == 2 and "perplexity 90 is too large" in err
    code, _, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--input",
        str(tmp_path / "nothing"),
        "--out",
        out,
    )
    assert code == 2 and "neither raw, pca nor a run folder" in err


def _save_run(folder, *, kind: str, latent: pd.DataFrame | None):
    from genodash.models import build_model
    from genodash.train.runs import Run, save_run

    run = Run(
        config={"model": "cnn", "kind": kind, "n_outputs": 2, "model_config": {}},
        metrics={},
        history=[{"epoch": 1, "train_loss": 1.0}],
        data={"name": "cells"},
        model=build_model("cnn", n_outputs=2),
        tables={} if latent is None else {"latent": latent},
    )
    return save_run(run, folder)


def _latent_table(cells: list[str], k: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(len(cells), k)), columns=[f"z{i + 1}" for i in range(k)])
    table.insert(0, "cell", cells)
    return table


def test_run_folder_latent_is_aligned_by_cell(counts_file, tmp_path, capsys) -> None:
    cells = [f"cell_{i:05d}" for i in range(N_CELLS)]
    latent = _latent_table(cells)
    folder = _save_run(tmp_path / "runs" / "vae-1", kind="expression", latent=latent.iloc[::-1])
    out = tmp_path / "latent_pca.csv"
    code, result, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--input",
        str(folder),
        "--out",
        str(out),
    )
    assert code == 0, err
    assert result["input"] == "latent:vae-1" and result["n"] == N_CELLS
    assert "using the latent coordinates saved with run vae-1" in err
    from sklearn.decomposition import PCA

    expected = PCA(2, svd_solver="full").fit_transform(latent[["z1", "z2", "z3"]].to_numpy())
    written = pd.read_csv(out)
    np.testing.assert_allclose(np.abs(written[["x", "y"]].to_numpy()), np.abs(expected), atol=1e-4)


def test_run_folder_without_all_cells_encodes_them(
    counts_file, tmp_path, capsys, monkeypatch
) -> None:
    import genodash.predict as predict

    calls = []

    def fake_latent_for_run(run, adata, **kwargs):
        calls.append(adata.n_obs)
        return np.random.default_rng(0).normal(size=(adata.n_obs, 4))

    monkeypatch.setattr(predict, "latent_for_run", fake_latent_for_run)
    partial = _latent_table([f"cell_{i:05d}" for i in range(50)])
    folder = _save_run(tmp_path / "vae-2", kind="expression", latent=partial)
    code, _, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--input",
        str(folder),
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert code == 0, err
    assert calls == [N_CELLS] and "encoding the cells with run vae-2" in err


def test_sequence_run_is_refused(counts_file, tmp_path, capsys) -> None:
    folder = _save_run(tmp_path / "cnn-1", kind="sequence", latent=None)
    code, _, err = _run(
        capsys,
        "embed",
        str(counts_file),
        "--method",
        "pca",
        "--input",
        str(folder),
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert code == 2 and "is a sequence run" in err
