"""Memory estimates of training steps: made without building the model, and they hold."""

from __future__ import annotations

import pytest
import torch

from genodash.encoding import one_hot
from genodash.errors import ConfigError
from genodash.models.memory import (
    check_training_memory,
    estimate_training_memory,
    meta_model,
)

READ = (torch.from_numpy(one_hot(["ACGT" * 25])),)  # one 100-bp read


def test_the_model_is_never_built_for_an_estimate():
    model = meta_model("autoencoder", n_outputs=2000, hidden="12000,12000")
    assert all(p.is_meta for p in model.parameters())  # 336 million parameters, no memory
    estimate = estimate_training_memory(
        "autoencoder",
        (torch.zeros(1, 2000),),
        n_outputs=2000,
        batch_size=64,
        config={"hidden": "12000,12000"},
    )
    assert estimate.parameters == sum(p.numel() for p in model.parameters())
    assert estimate.fixed_bytes == 16 * estimate.parameters  # weights, gradients, 2 moments


@pytest.mark.parametrize("name", ["cnn", "lstm", "transformer"])
def test_estimates_grow_with_the_batch(name):
    small, large = (
        estimate_training_memory(name, READ, n_outputs=2, batch_size=b) for b in (8, 512)
    )
    assert small.per_example_bytes == large.per_example_bytes > 0
    assert large.total_bytes > small.total_bytes


def test_a_step_over_the_budget_is_refused_with_what_fits():
    estimate = estimate_training_memory(
        "cnn", READ, n_outputs=2, batch_size=4096, config={"filters": 512}
    )
    budget = estimate.fixed_bytes + 100 * estimate.per_example_bytes
    with pytest.raises(ConfigError) as error:
        check_training_memory(estimate, budget, model="CNN")
    message = str(error.value)
    assert message.startswith("training CNN with batch size 4,096 would need about ")
    assert "a batch size of at most 100 fits" in message
    check_training_memory(estimate, estimate.total_bytes, model="CNN")  # exactly fits


def test_a_model_too_large_for_any_batch_says_so():
    estimate = estimate_training_memory(
        "autoencoder",
        (torch.zeros(1, 2000),),
        n_outputs=2000,
        batch_size=64,
        config={"hidden": "12000,12000"},
    )
    with pytest.raises(ConfigError, match="the model alone .336,290,010 parameters. does not fit"):
        check_training_memory(estimate, 2 * 1024**3, model="Autoencoder")


def test_training_refuses_settings_over_the_job_budget_before_building(small_prepared, monkeypatch):
    from genodash.train import sequence

    monkeypatch.setenv("GENODASH_MAX_JOB_MEMORY_BYTES", str(20 * 1024**2))
    monkeypatch.setattr(sequence, "build_model", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(ConfigError, match="more than the 20 MiB one training job may use"):
        sequence.train_sequence_model(small_prepared, "cnn", model_config={"filters": 512})
