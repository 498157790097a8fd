from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from genodash.errors import ConfigError
from genodash.models import build_model
from genodash.predict import predict_probabilities
from genodash.train.callbacks import Callbacks
from genodash.train.loop import StepOutput, TrainConfig, fit
from genodash.train.metrics import classification_metrics
from genodash.train.sequence import (
    EncodingConfig,
    classification_step,
    prepare_sequences,
    train_sequence_model,
)


def tensors(prepared, subset):
    index = getattr(prepared.split, subset)
    return torch.from_numpy(prepared.codes[index]), torch.from_numpy(prepared.targets[index])


def test_training_learns_the_planted_motif(trained_cnn):
    assert trained_cnn.metrics["test_accuracy"] >= 0.9
    assert trained_cnn.metrics["test_auroc"] >= 0.95
    history = trained_cnn.history
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert set(history[0]) >= {
        "epoch",
        "train_loss",
        "val_loss",
        "train_accuracy",
        "val_accuracy",
        "seconds",
    }


def test_same_seed_same_model_on_cpu(small_prepared):
    config = TrainConfig(epochs=2, patience=0, seed=3)
    first = train_sequence_model(small_prepared, "cnn", train_config=config)
    second = train_sequence_model(small_prepared, "cnn", train_config=config)
    assert [r["val_loss"] for r in first.history] == [r["val_loss"] for r in second.history]
    for a, b in zip(
        first.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    other = train_sequence_model(
        small_prepared, "cnn", train_config=TrainConfig(epochs=2, patience=0, seed=4)
    )
    assert other.history[-1]["val_loss"] != first.history[-1]["val_loss"]


def test_early_stopping_keeps_the_best_epoch(small_prepared):
    calls = {"n": 0}

    def worsening_step(model, batch):
        output = classification_step(model, batch)
        if not model.training:  # validation loss rises every epoch after the first
            calls["n"] += 1
            return StepOutput(loss=output.loss * 0 + calls["n"], sums=output.sums)
        return output

    model = build_model("cnn", n_outputs=2, filters=8, seed=0)
    result = fit(
        model,
        tensors(small_prepared, "train"),
        tensors(small_prepared, "val"),
        worsening_step,
        config=TrainConfig(epochs=20, patience=2),
    )
    assert result.stop_reason == "early_stopping"
    assert result.best_epoch == 1
    assert result.epochs_run == 3


def test_stop_signal_ends_training_within_a_batch(small_prepared):
    batches = []

    def on_batch(progress):
        batches.append((progress.epoch, progress.batch))

    callbacks = Callbacks(on_batch_end=on_batch, should_stop=lambda: len(batches) >= 3)
    model = build_model("cnn", n_outputs=2, filters=8, seed=0)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    result = fit(
        model,
        tensors(small_prepared, "train"),
        tensors(small_prepared, "val"),
        classification_step,
        config=TrainConfig(epochs=5, batch_size=16),
        callbacks=callbacks,
    )
    assert result.stop_reason == "stopped"
    assert len(batches) == 3
    assert result.epochs_run == 0
    # nothing completed an epoch, so the initial weights are the best known
    assert all(torch.equal(initial[k], v) for k, v in model.state_dict().items())


def test_non_finite_loss_stops_at_that_step_and_keeps_the_last_good_weights(small_prepared):
    steps = {"n": 0}

    def poisoned_step(model, batch):
        output = classification_step(model, batch)
        if model.training:
            steps["n"] += 1
            if steps["n"] == 20:
                return StepOutput(loss=output.loss * float("nan"), sums=output.sums)
        return output

    model = build_model("cnn", n_outputs=2, filters=8, seed=0)
    result = fit(
        model,
        tensors(small_prepared, "train"),
        tensors(small_prepared, "val"),
        poisoned_step,
        config=TrainConfig(epochs=10, batch_size=32, patience=0),
    )
    per_epoch = math.ceil(len(small_prepared.split.train) / 32)
    assert result.stop_reason == "diverged"
    assert "the loss became nan" in result.message
    assert result.epochs_run == (20 - 1) // per_epoch
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_progress_reports_epoch_batch_and_eta(small_prepared):
    reports = []
    model = build_model("cnn", n_outputs=2, filters=8, seed=0)
    fit(
        model,
        tensors(small_prepared, "train"),
        tensors(small_prepared, "val"),
        classification_step,
        config=TrainConfig(epochs=2, batch_size=64, patience=0),
        callbacks=Callbacks(on_batch_end=reports.append),
    )
    last = reports[-1]
    assert (last.epoch, last.epochs, last.batch) == (2, 2, last.batches)
    assert last.fraction == 1.0 and last.eta_seconds == 0.0


def test_prepare_rejects_unusable_data(small_motif_data):
    from dataclasses import replace

    with pytest.raises(ConfigError, match="has no labels"):
        prepare_sequences(replace(small_motif_data, labels=None))
    one_class = replace(small_motif_data, labels=("x",) * small_motif_data.n_obs)
    with pytest.raises(ConfigError) as error:
        prepare_sequences(one_class)
    assert str(error.value).startswith(f"{small_motif_data.name}: all {small_motif_data.n_obs} ")
    assert "have the same label 'x'" in str(error.value)
    few = replace(small_motif_data, labels=("a",) * (small_motif_data.n_obs - 3) + ("b",) * 3)
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(small_motif_data.name)}: .*fewer than 5 .*'b' \(3\)"
    ):
        prepare_sequences(few)


def test_split_is_stratified_and_seeded(small_prepared, small_motif_data):
    sizes = small_prepared.split_sizes()
    assert abs(sizes["test"]["background"] - sizes["test"]["motif"]) <= 1
    again = prepare_sequences(small_motif_data, seed=0)
    assert np.array_equal(again.split.test, small_prepared.split.test)
    other = prepare_sequences(small_motif_data, seed=1)
    assert not np.array_equal(other.split.test, small_prepared.split.test)
    everything = np.concatenate(
        [small_prepared.split.train, small_prepared.split.val, small_prepared.split.test]
    )
    assert sorted(everything) == list(range(small_motif_data.n_obs))


def test_reverse_complement_augmentation_doubles_training(small_motif_data):
    prepared = prepare_sequences(small_motif_data, encoding=EncodingConfig(augment_rc=True))
    run = train_sequence_model(prepared, "cnn", train_config=TrainConfig(epochs=1))
    assert run.data["augmented_train"] is True
    from genodash.train.sequence import _training_codes

    codes, _targets = _training_codes(prepared)
    assert len(codes) == 2 * len(prepared.split.train)
    first = prepared.source.sequences[prepared.split.train[0]]
    rc = first.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    assert "".join("ACGT"[c] for c in codes[len(prepared.split.train)]) == rc


def test_classification_metrics_by_hand():
    targets = np.array([0, 0, 1, 1, 2, 2])
    probabilities = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.6, 0.3, 0.1],
            [0.2, 0.7, 0.1],
            [0.5, 0.4, 0.1],
            [0.1, 0.1, 0.8],
            [0.2, 0.2, 0.6],
        ]
    )
    metrics = classification_metrics(targets, probabilities, ["a", "b", "c"])
    assert metrics["accuracy"] == pytest.approx(5 / 6)
    assert metrics["confusion"] == [[2, 0, 0], [1, 1, 0], [0, 0, 2]]
    assert metrics["per_class"]["a"]["precision"] == pytest.approx(2 / 3)
    assert metrics["per_class"]["b"]["recall"] == pytest.approx(0.5)
    assert metrics["average"] == "macro"
    assert metrics["auroc"] == pytest.approx(1.0)  # every class's scores rank perfectly
    binary = classification_metrics(
        np.array([0, 1, 1, 0]),
        np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]]),
        ["neg", "pos"],
        positive_class="pos",
    )
    assert binary["auroc"] == pytest.approx(0.75)
    assert binary["positive_class"] == "pos" and list(binary["roc"]) == ["pos"]


def test_predict_probabilities_sum_to_one(trained_cnn, small_prepared):
    p = predict_probabilities(trained_cnn.model, small_prepared.codes[:10])
    assert p.shape == (10, 2)
    assert np.allclose(p.sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("epochs", 0, "epochs must be a whole number of at least 1, got 0"),
        ("epochs", -3, "epochs must be a whole number of at least 1, got -3"),
        ("epochs", 2.5, "epochs must be a whole number of at least 1, got 2.5"),
        ("batch_size", 0, "batch_size must be a whole number of at least 1, got 0"),
        ("learning_rate", -1.0, "learning_rate must be a number above 0, got -1.0"),
        ("learning_rate", 0.0, "learning_rate must be a number above 0, got 0.0"),
        ("learning_rate", math.nan, "learning_rate must be a number above 0, got nan"),
        ("learning_rate", math.inf, "learning_rate must be a number above 0, got inf"),
        ("weight_decay", -1e-5, "weight_decay must be a number of at least 0, got -1e-05"),
        ("patience", -1, "patience must be a whole number of at least 0, got -1"),
        ("min_delta", -0.1, "min_delta must be a number of at least 0, got -0.1"),
        ("seed", -1, "seed must be a whole number from 0 to 4,294,967,295, got -1"),
        ("seed", 2**32, "seed must be a whole number from 0 to 4,294,967,295, got 4294967296"),
        ("mixed_precision", 1, "mixed_precision must be true or false, got 1"),
    ],
)
def test_train_config_refuses_settings_out_of_range(setting, value, message):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{setting: value})
    assert str(info.value) == message
    with pytest.raises(ConfigError):  # a changed copy is checked too
        from dataclasses import replace

        replace(TrainConfig(), **{setting: value})


def test_train_config_accepts_its_limits():
    config = TrainConfig(
        epochs=1, batch_size=1, learning_rate=1e6, weight_decay=0, patience=0, min_delta=0
    )
    assert (config.epochs, config.patience, config.seed) == (1, 0, 0)
    assert TrainConfig(seed=2**32 - 1, epochs=np.int64(3)).epochs == 3


def test_a_misspelt_training_option_is_refused_not_ignored(small_prepared):
    with pytest.raises(TypeError, match="train_conifg"):
        train_sequence_model(small_prepared, "cnn", train_conifg=TrainConfig(epochs=1))
