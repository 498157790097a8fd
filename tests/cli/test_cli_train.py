from __future__ import annotations

import csv
import json

import pytest

from support import run_cli


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "motif.fa"
    made = run_cli(
        "example",
        "planted-motif",
        "--set",
        "n=300",
        "--set",
        "length=30",
        "--set",
        "motif=ACGTACGT",
        "--out",
        str(path),
    )
    assert made.returncode == 0, made.stderr
    return path


@pytest.fixture(scope="module")
def trained(data_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "cnn-run"
    result = run_cli(
        "train", str(data_file), "--model", "cnn", "--epochs", "4", "--seed", "1", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    return out, result


def test_train_prints_the_contract_json_last(trained):
    out, result = trained
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "model",
        "test_accuracy",
        "test_auroc",
        "n_train",
        "n_val",
        "n_test",
        "epochs_run",
        "train_seconds",
        "device",
        "run_dir",
    ):
        assert key in summary
    assert summary["model"] == "cnn" and summary["run_dir"] == str(out)
    assert summary["n_train"] + summary["n_val"] + summary["n_test"] == 300
    assert summary["epochs_run"] == 4
    assert "epoch 4:" in result.stderr  # progress goes to stderr
    assert (out / "weights.safetensors").is_file()


def test_predict_writes_one_row_per_sequence(trained, data_file, tmp_path):
    out, _ = trained
    target = tmp_path / "pred.csv"
    result = run_cli("predict", str(out), str(data_file), "--out", str(target))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 300
    assert list(rows[0]) == ["seq_id", "predicted", "label", "p_background", "p_motif"]
    assert abs(float(rows[0]["p_background"]) + float(rows[0]["p_motif"]) - 1) < 1e-4


@pytest.mark.parametrize("method", ["saliency", "ism"])
def test_explain_writes_one_row_per_position(trained, tmp_path, method):
    out, _ = trained
    few = tmp_path / "few.fa"
    few.write_text(">a\nACGTACGTTTTTTTTT\n>b\nGGGGCCCCAAAA\n")
    target = tmp_path / "scores.csv"
    result = run_cli(
        "explain", str(out), str(few), "--method", method, "--target", "motif", "--out", str(target)
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(target.open()))
    assert list(rows[0]) == ["seq_id", "position", "base", "score"]
    assert len(rows) == 16 + 12
    assert [r["position"] for r in rows[:3]] == ["0", "1", "2"] and rows[0]["base"] == "A"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "{bad}", "--model", "cnn"], "error: protein.fa: record 1"),
        (["train", "{matrix}", "--model", "cnn"], "error: cnn trains on sequences"),
        (["predict", "{missing_run}", "{data}", "--out", "x.csv"], "error: nope: is not a run"),
        (
            ["explain", "{run}", "{data}", "--target", "9", "--out", "x.csv"],
            "error: --target '9' is not a class",
        ),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    args, message, trained, data_file, data_dir, tmp_path
):
    out, _ = trained
    values = {
        "bad": data_dir / "protein.fa",
        "matrix": data_dir / "matrix.csv",
        "missing_run": tmp_path / "nope",
        "data": data_file,
        "run": out,
    }
    result = run_cli(*(a.format(**values) for a in args))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message)


def test_predict_refuses_a_run_whose_config_asks_for_a_huge_model(trained, data_file, tmp_path):
    """config.json edited to filters=200000 (manifest updated so the checksums pass) would
    need terabytes: refused from the config, quickly, with one line."""
    import hashlib
    import shutil
    import time

    out, _ = trained
    run = tmp_path / "cnn-huge"
    shutil.copytree(out, run)
    config = json.loads((run / "config.json").read_text())
    config["model_config"]["filters"] = 200000
    content = json.dumps(config).encode()
    (run / "config.json").write_bytes(content)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config.json"] = hashlib.sha256(content).hexdigest()
    (run / "manifest.json").write_text(json.dumps(manifest))
    started = time.perf_counter()
    result = run_cli("predict", str(run), str(data_file), "--out", str(tmp_path / "p.csv"))
    assert time.perf_counter() - started < 60
    assert result.returncode == 2
    assert result.stderr == (
        "error: cnn-huge: config.json: model 'cnn': filters must be between 4 and 512, got 200000\n"
    )
    assert not (tmp_path / "p.csv").exists()
