"""Training, prediction and attribution on every real device present (the ``device``
fixture of conftest.py: the CPU always, CUDA or MPS where torch finds them).

The device tests in test_faults.py fake an out-of-memory CUDA with stand-in training
functions; these run the real code on the real device, and check it agrees with the CPU.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from genodash import interpret
from genodash.encoding import one_hot
from genodash.examples import load_example
from genodash.predict import encode_for_run, predict_probabilities, predict_sequences
from genodash.train.expression import prepare_matrix, train_expression_model
from genodash.train.faults import train_with_memory_fallback
from genodash.train.loop import TrainConfig
from genodash.train.sequence import train_sequence_model

TINY = TrainConfig(epochs=2, batch_size=32, patience=0, seed=0)


def _on(model) -> str:
    return next(model.parameters()).device.type


@pytest.mark.parametrize(("model_name", "model_config"), [("cnn", {"filters": 8}), ("lstm", {})])
@pytest.mark.parametrize("mixed_precision", [False, True])  # autocast on CUDA only
def test_sequence_model_trains_on_the_device(
    small_prepared, device, model_name, model_config, mixed_precision
):
    config = TrainConfig(**{**TINY.as_dict(), "mixed_precision": mixed_precision})
    run = train_sequence_model(
        small_prepared, model_name, model_config=model_config, train_config=config, device=device
    )
    assert run.metrics["device"] == device
    assert _on(run.model) == device
    assert [row["epoch"] for row in run.history] == [1, 2]
    assert all(np.isfinite(row["val_loss"]) for row in run.history)
    assert 0.0 <= run.metrics["test_accuracy"] <= 1.0


def test_prediction_on_the_device_matches_the_cpu(trained_cnn, small_motif_data, device):
    run = copy.deepcopy(trained_cnn)  # the session's model stays on the CPU
    sequences = small_motif_data.subset(np.arange(60))
    on_cpu = predict_sequences(run, sequences, device="cpu")
    on_device = predict_sequences(run, sequences, device=device)
    assert list(on_device["seq_id"]) == list(on_cpu["seq_id"])
    columns = [f"p_{name}" for name in run.classes]
    # GPUs may compute convolutions in TF32: close to the CPU, not bit-equal
    np.testing.assert_allclose(on_device[columns].to_numpy(), on_cpu[columns].to_numpy(), atol=5e-3)
    assert (on_device["predicted"] == on_cpu["predicted"]).mean() >= 0.95
    probabilities = predict_probabilities(run.model, encode_for_run(run, sequences), device=device)
    assert isinstance(probabilities, np.ndarray)  # back on the host
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_attribution_runs_where_the_model_is_and_matches_the_cpu(trained_cnn, device):
    cpu_model = copy.deepcopy(trained_cnn.model).cpu()
    device_model = copy.deepcopy(trained_cnn.model).to(device)
    x = one_hot(["ACGTACGTAAACCCGGGTTTACGTACGTAA", "T" * 30])
    for method in (interpret.saliency, interpret.ism):
        expected = method(cpu_model, x, target=1)
        got = method(device_model, x, target=1)
        assert isinstance(got, np.ndarray) and got.shape == expected.shape == (2, 4, 30)
        scale = float(np.abs(expected).max()) or 1.0
        np.testing.assert_allclose(got, expected, atol=0.02 * scale)
    assert _on(device_model) == device  # attribution does not move the model


@pytest.fixture(scope="module")
def tiny_matrix():
    matrix = load_example("simulated-counts", n_cells=120, n_genes=140, n_types=3, seed=0)
    adata = matrix.adata.copy()
    counts = np.asarray(adata.X.toarray(), dtype=np.float32)
    adata.layers["counts"] = counts.copy()
    adata.X = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4).astype(np.float32)
    return prepare_matrix(adata, source_name="sim", label_column="cell_type", seed=0)


@pytest.mark.parametrize("model_name", ["autoencoder", "vae"])  # the VAE samples on the device
def test_expression_model_trains_and_embeds_on_the_device(tiny_matrix, device, model_name):
    run = train_expression_model(
        tiny_matrix, model_name, model_config={"latent_dim": 2}, train_config=TINY, device=device
    )
    assert run.metrics["device"] == device
    assert all(np.isfinite(row["val_loss"]) for row in run.history)
    latent = run.tables["latent"][["z1", "z2"]].to_numpy(dtype=np.float64)
    assert latent.shape == (120, 2) and np.isfinite(latent).all()


def test_memory_fallback_trains_on_the_device_it_is_given(small_prepared, device):
    def train(config, on):
        return train_sequence_model(
            small_prepared, "cnn", model_config={"filters": 4}, train_config=config, device=on
        )

    messages = []
    run = train_with_memory_fallback(train, TINY, device, notify=messages.append)
    assert run.metrics["device"] == device and messages == []  # it fitted: no retry
