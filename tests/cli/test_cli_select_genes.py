"""``select-genes``: rankings to CSV, one JSON line with the accuracy of each ranking's top
genes, and clear errors."""

from __future__ import annotations

import json

import anndata
import numpy as np
import pandas as pd
import pytest

from genodash.cli import main
from genodash.data import MatrixSet
from genodash.io.writers import write_dataset

N_CELLS, N_GENES = 120, 40


def _matrix(labels: list[str] | None = None) -> MatrixSet:
    """Log-like values; gene g05 alone carries the label."""
    rng = np.random.default_rng(0)
    kinds = labels or [f"type {i % 2}" for i in range(N_CELLS)]
    values = np.clip(rng.normal(2.0, 0.6, size=(len(kinds), N_GENES)), 0, None)
    values[:, 5] = [2.0 + (0.3 if kind.endswith("1") else 0.0) for kind in kinds]
    obs = pd.DataFrame({"kind": kinds}, index=[f"cell{i}" for i in range(len(kinds))])
    adata = anndata.AnnData(values.astype(np.float32), obs=obs)
    adata.var_names = [f"g{i:02d}" for i in range(N_GENES)]
    return MatrixSet(adata, "planted", "example", value_type="non-negative")


@pytest.fixture(scope="module")
def matrix_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("genes") / "cells.h5ad"
    write_dataset(_matrix(), path)
    return path


def _run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return code, (json.loads(lines[-1]) if lines else None), captured.err


def test_select_genes_writes_both_rankings_and_one_json_line(matrix_file, tmp_path, capsys):
    out = tmp_path / "genes.csv"
    code, result, err = _run(
        capsys,
        "select-genes",
        str(matrix_file),
        "--label-column",
        "kind",
        "--out",
        str(out),
        "--epochs",
        "20",
    )
    assert code == 0, err
    assert result["ks"] == [10, 20]
    for ranking in ("hvg", "gradient", "perturbation"):
        assert len(result[ranking]) == 2 and all(0 <= a <= 1 for a in result[ranking])
    assert result["gradient"][0] == 1.0
    assert result["top_genes"]["gradient"][0] == "g05"
    assert {"all_genes", "overlap", "classifier", "n_train", "n_test", "seconds"} <= set(result)
    assert result["out"] == str(out)
    table = pd.read_csv(out)
    assert list(table.columns) == [
        "gene", "hvg_rank", "hvg_score", "gradient_rank", "gradient_score",
        "perturbation_rank", "perturbation_score",
    ]  # fmt: skip
    assert len(table) == N_GENES and table["gene"].iloc[0] == "g05"
    assert "training classifier" in err
    assert not list(tmp_path.glob(".*tmp"))


def test_gradient_only_with_chosen_ks(matrix_file, tmp_path, capsys):
    out = tmp_path / "genes.csv"
    code, result, _ = _run(
        capsys,
        "select-genes",
        str(matrix_file),
        "--label-column",
        "kind",
        "--out",
        str(out),
        "--ks",
        "3",
        "1",
        "--no-perturbation",
        "--epochs",
        "5",
    )
    assert code == 0
    assert result["ks"] == [1, 3] and "perturbation" not in result
    assert "perturbation_rank" not in pd.read_csv(out).columns


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--label-column", "nope"), "has no label column 'nope'"),
        (("--ks", "0"), "--ks must be whole numbers of at least 1"),
        (("--ks", "500"), "between 1 and the 40 genes"),
        (("--seed", "-1"), "--seed must be a whole number"),
    ],
)
def test_bad_options_are_one_error_line(matrix_file, tmp_path, capsys, extra, message):
    out = tmp_path / "genes.csv"
    label = () if "--label-column" in extra else ("--label-column", "kind")
    code, result, err = _run(
        capsys, "select-genes", str(matrix_file), "--out", str(out), *label, *extra
    )
    assert code == 2 and result is None
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last
    assert not out.exists()


def test_no_label_column_and_one_class_are_refused(tmp_path, capsys):
    unlabelled = _matrix()
    unlabelled.adata.obs = unlabelled.adata.obs.rename(columns={"kind": "something"})
    path = tmp_path / "unlabelled.h5ad"
    write_dataset(unlabelled, path)
    code, _, err = _run(capsys, "select-genes", str(path), "--out", str(tmp_path / "g.csv"))
    assert code == 2 and "no label column was given or recognised" in err
    assert "--label-column" in err
    one_class = tmp_path / "one.h5ad"
    write_dataset(_matrix(["B cell"] * N_CELLS), one_class)
    code, _, err = _run(
        capsys, "select-genes", str(one_class), "--label-column", "kind", "--out", "g.csv"
    )
    assert code == 2 and "a classifier needs at least two classes" in err
