"""The leaderboard says how long each model trained and warns when a ranking rests on too
little training: real tiny runs, one cut off by the epoch limit, one stopped early."""

from __future__ import annotations

import pytest
from torch import nn

from genodash.examples import planted_motif
from genodash.train import runs
from genodash.train.loop import TrainConfig
from genodash.train.runs import Run
from genodash.train.sequence import PreparedSequences, prepare_sequences, train_sequence_model


@pytest.fixture(scope="module")
def prepared() -> PreparedSequences:
    """300 sequences of 30 bp, an exact 8-bp motif in half of them: learnt in seconds."""
    data = planted_motif(n=300, length=30, motif="ACGTACGT", mutation_rate=0.0, seed=1)
    return prepare_sequences(data, seed=0)


@pytest.fixture(scope="module")
def capped(prepared) -> Run:
    """The k-mer baseline cut off after 2 epochs, while its validation loss still falls."""
    return train_sequence_model(
        prepared, "kmer", train_config=TrainConfig(epochs=2, patience=5, seed=0)
    )


@pytest.fixture(scope="module")
def converged(prepared) -> Run:
    """A small CNN that early stopping ended: it had stopped improving."""
    return train_sequence_model(
        prepared,
        "cnn",
        model_config={"filters": 8},
        train_config=TrainConfig(epochs=200, patience=3, learning_rate=3e-3, seed=0),
    )


def _synthetic(stop_reason: str, *, epochs: int, best: int, patience: int = 5) -> Run:
    metrics = {
        "test_accuracy": 0.9,
        "epochs_run": epochs,
        "best_epoch": best,
        "stop_reason": stop_reason,
    }
    config = {"kind": "sequence", "model": "lstm", "train_config": {"patience": patience}}
    return Run(config, metrics, [], {}, nn.Linear(1, 1))


def test_the_fixtures_ended_as_intended(capped, converged):
    val_losses = [record["val_loss"] for record in capped.history]
    assert capped.metrics["stop_reason"] == "completed"
    assert val_losses[-1] < val_losses[0]  # still falling when the limit came
    assert converged.metrics["stop_reason"] == "early_stopping"
    assert runs.MIN_RANKED_EPOCHS <= converged.metrics["epochs_run"] < 200


def test_epoch_columns_come_from_the_runs(capped, converged):
    table = runs.leaderboard_table([capped, converged]).set_index("Model")
    for run, short in ((capped, "k-mer baseline"), (converged, "CNN")):
        row = table.loc[short]
        assert row["Epochs"] == run.metrics["epochs_run"] == len(run.history)
        assert row["Best epoch"] == run.metrics["best_epoch"]
    assert table.loc["k-mer baseline", "Epochs"] == 2
    assert table.loc["k-mer baseline", "Training ended"] == "epoch limit, still improving"
    assert table.loc["CNN", "Training ended"] == "early stopping: no longer improving"


def test_warning_names_the_run_cut_off_while_improving(capped, converged):
    assert runs.still_improving(capped)
    assert not runs.still_improving(converged)
    warning = runs.ranking_warning([capped, converged])
    assert warning is not None
    assert "k-mer baseline was still improving when the limit of 2 epochs" in warning
    assert "CNN" not in warning


def test_no_warning_when_every_model_converged(converged):
    assert runs.ranking_warning([converged]) is None


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (
            _synthetic("early_stopping", epochs=3, best=1, patience=2),
            "LSTM trained only 3 epochs before early stopping",
        ),
        (_synthetic("stopped", epochs=7, best=7), "LSTM: stopped by the user after 7 epochs."),
        (_synthetic("completed", epochs=1, best=1, patience=0), "limit of 1 epoch ended"),
    ],
)
def test_warning_for_too_few_or_interrupted_epochs(run, expected):
    assert expected in runs.ranking_warning([run])


def test_epoch_limit_after_the_best_epoch_is_not_still_improving():
    """Without early stopping (patience 0), a best epoch before the last one means the
    validation loss had stopped falling before the limit."""
    run = _synthetic("completed", epochs=30, best=12, patience=0)
    assert not runs.still_improving(run)
    assert runs.training_ending(run) == "epoch limit"
    assert runs.ranking_warning([run]) is None
