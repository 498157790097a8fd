"""Every argument error of the command line: exit status 2 and one ``error:`` line on stderr,
checked before any file is read or any model built."""

from __future__ import annotations

import pytest

from genodash.cli import main
from support import run_cli


def run_main(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as stop:  # argparse's mistakes end the process, as from the shell
        status = stop.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_error_line(status: int, out: str, err: str, expected: str) -> None:
    assert status == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"error: {expected}"), err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size must be a whole number of at least 1, got 0"),
        (["--lr", "-1"], "--lr must be a number above 0, got -1.0"),
        (["--lr", "nan"], "--lr must be a number above 0, got nan"),
        (["--epochs", "0"], "--epochs must be a whole number of at least 1, got 0"),
        (["--epochs", "-3"], "--epochs must be a whole number of at least 1, got -3"),
        (["--patience", "-1"], "--patience must be a whole number of at least 0, got -1"),
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4,294,967,295, got -1"),
        (["--length", "0"], "--length must be a whole number of at least 1, got 0"),
        (["--set", "filters=0"], "model 'cnn': filters must be between 4 and 512, got 0"),
        (["--set", "filters=-5"], "model 'cnn': filters must be between 4 and 512, got -5"),
        (["--set", "dropout=0.9"], "model 'cnn': dropout must be between 0 and 0.8, got 0.9"),
        (["--set", "filters=many"], "--set filters=many: expected a whole number"),
        (["--set", "colour=red"], "bad --set 'colour=red': expected KEY=VALUE with KEY one of"),
        (
            ["--latent-dim", "4"],
            "--latent-dim applies to the expression models (autoencoder, vae, scvis, "
            "gene-transformer); for cnn leave",
        ),
    ],
)
def test_train_options_are_checked_before_the_data_is_read(args, message, tmp_path, capsys):
    """The data file does not exist: the option's error comes first, and nothing is made."""
    out = tmp_path / "run"
    result = run_main(
        "train",
        str(tmp_path / "missing.fa"),
        "--model",
        "cnn",
        *args,
        "--out",
        str(out),
        capsys=capsys,
    )
    assert_one_error_line(*result, message)
    assert not out.exists()


@pytest.mark.parametrize(
    ("model", "args", "message"),
    [
        ("vae", ["--latent-dim", "1"], "model 'vae': latent_dim must be between 2 and 128, got 1"),
        (
            "vae",
            ["--set", "likelihood=poisson"],
            "model 'vae': unknown likelihood 'poisson'; choose one of",
        ),
        ("lstm", ["--set", "bidirectional=maybe"], "--set bidirectional=maybe: expected true or"),
        ("transformer", ["--set", "tokens=words"], "model 'transformer': unknown tokens 'words'"),
    ],
)
def test_model_settings_of_every_model_are_checked_first(model, args, message, tmp_path, capsys):
    result = run_main("train", str(tmp_path / "missing"), "--model", model, *args, capsys=capsys)
    assert_one_error_line(*result, message)


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_zero_epochs_never_saves_an_untrained_model(data_dir, tmp_path, capsys, epochs):
    out = tmp_path / "run"
    result = run_main(
        "train",
        str(data_dir / "labelled.fa.gz"),
        "--model",
        "cnn",
        "--epochs",
        epochs,
        "--out",
        str(out),
        capsys=capsys,
    )
    assert_one_error_line(*result, f"--epochs must be a whole number of at least 1, got {epochs}")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "--seed must be a whole number from 0 to 4,294,967,295, got -1"),
        (["--max-scored", "0"], "--max-scored must be a whole number of at least 4"),
    ],
)
def test_embed_options_are_checked_before_the_data_is_read(args, message, tmp_path, capsys):
    result = run_main(
        "embed",
        str(tmp_path / "missing.csv"),
        "--method",
        "pca",
        *args,
        "--out",
        str(tmp_path / "e.csv"),
        capsys=capsys,
    )
    assert_one_error_line(*result, message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "x.fa", "--model", "cnn", "--epochs", "many"], "--epochs expects a whole"),
        (["train", "x.fa", "--model", "cnn", "--lr", "fast"], "--lr expects a number, got 'fast'"),
        (["train", "x.fa", "--model", "cnn", "--bogus"], "unrecognized arguments: --bogus"),
        (["train", "x.fa", "--model", "gru"], "argument --model: invalid choice: 'gru'"),
        (["train"], "the following arguments are required: PATH, --model"),
        (["predict", "run", "x.fa"], "the following arguments are required: --out"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
        (["demo", "sparsity", "--n", "x"], "--n expects a whole number, got 'x'"),
    ],
)
def test_argument_mistakes_are_one_error_line_without_usage(args, message, capsys):
    status, out, err = run_main(*args, capsys=capsys)
    assert_one_error_line(status, out, err, message)
    assert "usage:" not in err and "--help" in err


def test_from_the_shell_too():
    result = run_cli("train", "x.fa", "--model", "cnn", "--batch-size", "zero")
    assert result.returncode == 2
    assert result.stderr == (
        "error: --batch-size expects a whole number, got 'zero' "
        "(see `python -m genodash train --help`)\n"
    )
    result = run_cli("train", "x.fa", "--model", "cnn", "--batch-size", "0")
    assert result.returncode == 2
    assert result.stderr == "error: --batch-size must be a whole number of at least 1, got 0\n"


def test_help_still_shows_the_usage(capsys):
    status, out, _ = run_main("train", "--help", capsys=capsys)
    assert status == 0 and out.startswith("usage: python -m genodash train")
