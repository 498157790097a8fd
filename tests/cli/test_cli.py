from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from support import run_cli


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("validate", "examples", "example", "device"):
        assert command in result.stdout


def test_train_help_names_every_model_the_command_trains():
    from genodash.cli.train import TRAINABLE_MODELS

    result = run_cli("train", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split()).replace("- ", "-")  # help wraps at hyphens
    missing = [name for name in TRAINABLE_MODELS if name not in text]
    assert missing == []


def test_commands_run_with_docstrings_stripped():
    """``python -OO`` strips the docstrings the help texts come from; commands still run."""
    for args in (["--help"], ["demo", "variance", "--n", "20", "--p", "5", "--reps", "50"]):
        result = subprocess.run(
            [sys.executable, "-OO", "-m", "genodash", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-1000:]


def test_validate_prints_one_json_line_per_file(data_dir):
    result = run_cli("validate", str(data_dir / "labelled.fa.gz"), str(data_dir / "matrix.csv"))
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["kind"] == "sequences"
    assert (first["n"], first["classes"]) == (4, {"bound": 2, "unbound": 2})
    assert (first["min_length"], first["max_length"]) == (14, 18)
    assert first["path"].endswith("labelled.fa.gz")
    assert second["kind"] == "matrix"
    assert (second["n_obs"], second["n_vars"]) == (6, 5)
    assert second["metadata_columns"] == ["cell_type"]
    assert 0 < second["sparsity"] < 1


def test_validate_reading_options(data_dir):
    transposed = run_cli("validate", str(data_dir / "genes_as_rows.csv"), "--transpose")
    assert json.loads(transposed.stdout)["n_obs"] == 6
    labelled = run_cli(
        "validate",
        str(data_dir / "custom_columns.csv"),
        "--sequence-column",
        "dna",
        "--label-column",
        "kind",
    )
    assert json.loads(labelled.stdout)["classes"] == {"p": 2, "q": 1}
    per_class = run_cli(
        "validate", "--one-class-per-file", str(data_dir / "bound.fa"), str(data_dir / "unbound.fa")
    )
    assert json.loads(per_class.stdout)["classes"] == {"bound": 2, "unbound": 3}


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("protein.fa", "error: protein.fa: record 1 'p1' (line 1): invalid character 'I'"),
        ("genes_as_rows.csv", "error: genes_as_rows.csv: looks like genes are rows"),
        ("truncated.fa.gz", "error: truncated.fa.gz: gzip stream is truncated"),
        ("external_link.h5ad", "error: external_link.h5ad: '/secret': has an external link"),
        ("missing.fa", "error: missing.fa: file not found"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(data_dir, name, start):
    result = run_cli("validate", str(data_dir / name))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start)


def test_example_round_trip(tmp_path):
    out = tmp_path / "pm.fa"
    made = run_cli(
        "example", "planted-motif", "--set", "n=120", "--set", "length=40", "--out", str(out)
    )
    assert made.returncode == 0, made.stderr
    validated = json.loads(run_cli("validate", str(out)).stdout)
    assert (validated["n"], validated["min_length"]) == (120, 40)
    assert validated["classes"] == {"background": 60, "motif": 60}


def test_example_bad_parameter():
    result = run_cli("example", "planted-motif", "--set", "n=many", "--out", "x.fa")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --set n=many: expected a whole number"


def test_device_reports_cpu_here():
    info = json.loads(run_cli("device").stdout)
    assert info["kind"] in ("cpu", "cuda", "mps")
    assert "cpu" in info["available"]


def test_commands_that_train_nothing_do_not_import_torch(data_dir):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from genodash.cli import main\n"
        f"main(['validate', {str(data_dir / 'labelled.fa')!r}])\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
