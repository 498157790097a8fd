"""Training from a converted read file gives what training on the same file in memory gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from genodash.examples import write_read_file
from genodash.io import read_sequences
from genodash.io.read_store import open_read_store
from genodash.train.loop import TrainConfig
from genodash.train.sequence import (
    EncodingConfig,
    prepare_reads,
    prepare_sequences,
    train_sequence_model,
)

CNN = {"filters": 8, "dropout": 0.0}


@pytest.fixture(scope="module")
def reads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_read_file(tmp_path_factory.mktemp("reads") / "reads.tsv", 1_200, seed=5)


@pytest.mark.parametrize("encoding", [EncodingConfig(), EncodingConfig(length=80, align="right")])
def test_the_split_and_codes_equal_the_in_memory_ones(reads, tmp_path, encoding):
    in_memory = prepare_sequences(read_sequences(reads), encoding=encoding, seed=3)
    from_disk = prepare_reads(open_read_store(reads, tmp_path), encoding=encoding, seed=3)
    for subset in ("train", "val", "test"):
        assert np.array_equal(getattr(in_memory.split, subset), getattr(from_disk.split, subset))
    assert from_disk.classes == in_memory.classes and from_disk.length == in_memory.length
    assert np.array_equal(from_disk.codes[0 : from_disk.n_obs], in_memory.codes)
    assert np.array_equal(from_disk.targets, in_memory.targets)


@pytest.mark.parametrize("augment", [False, True])
def test_training_from_disk_gives_the_in_memory_model(reads, tmp_path, augment):
    encoding = EncodingConfig(length=120, align="left", augment_rc=augment)
    config = TrainConfig(epochs=2, batch_size=32, seed=1)
    runs = [
        train_sequence_model(prepared, "cnn", model_config=CNN, train_config=config)
        for prepared in (
            prepare_sequences(read_sequences(reads), encoding=encoding),
            prepare_reads(open_read_store(reads, tmp_path), encoding=encoding),
        )
    ]
    for (name, a), b in zip(
        runs[0].model.state_dict().items(), runs[1].model.state_dict().values(), strict=True
    ):
        assert torch.allclose(a, b, atol=1e-6), name
    assert runs[0].metrics["test_accuracy"] == runs[1].metrics["test_accuracy"]
    assert runs[1].data["fingerprint"] == open_read_store(reads, tmp_path).sha256
    assert "split" not in runs[1].tables


def test_curves_of_a_large_test_set_are_binned_within_a_hair_of_exact(monkeypatch):
    from genodash.train import metrics

    rng = np.random.default_rng(0)
    targets = rng.integers(0, 3, 20_000)
    scores = rng.dirichlet(np.ones(3), 20_000)
    scores[np.arange(20_000), targets] += 0.4
    scores = (scores / scores.sum(axis=1, keepdims=True)).astype(np.float32)
    exact = metrics.classification_metrics(targets, scores, ["a", "b", "c"])
    monkeypatch.setattr(metrics, "EXACT_CURVES_UP_TO", 1_000)
    binned = metrics.classification_metrics(targets, scores, ["a", "b", "c"])
    assert binned["auroc"] == pytest.approx(exact["auroc"], abs=1e-4)
    assert binned["auprc"] == pytest.approx(exact["auprc"], abs=1e-3)
    assert binned["auroc"] != exact["auroc"]  # the binned path ran
    assert binned["confusion"] == exact["confusion"]
    assert binned["per_class"] == exact["per_class"]


def test_millions_of_rows_are_split_by_class_without_scikit_learn(monkeypatch):
    from genodash import splits

    monkeypatch.setattr(splits, "LEAN_ABOVE", 1_000)
    labels = np.repeat(np.arange(3, dtype=np.int16), [3_000, 1_000, 200])
    split = splits.stratified_split(labels, len(labels), seed=4, class_names=["a", "b", "c"])
    together = np.concatenate([split.train, split.val, split.test])
    assert np.array_equal(np.sort(together), np.arange(len(labels)))  # each row once
    for subset, share in (("test", 0.25), ("val", 0.15)):
        counts = np.bincount(labels[getattr(split, subset)], minlength=3)
        assert counts.tolist() == [round(n * share) for n in (3_000, 1_000, 200)]
    again = splits.stratified_split(labels, len(labels), seed=4, class_names=["a", "b", "c"])
    assert np.array_equal(again.test, split.test)
    other = splits.stratified_split(labels, len(labels), seed=5, class_names=["a", "b", "c"])
    assert not np.array_equal(other.test, split.test)


def test_interpret_explains_the_sample_reads_of_the_test_set(reads, tmp_path):
    from genodash import interpret

    store = open_read_store(reads, tmp_path)
    prepared = prepare_reads(store, seed=2)
    config = TrainConfig(epochs=1, batch_size=64, seed=0)
    run = train_sequence_model(prepared, "cnn", model_config=CNN, train_config=config)
    sample = store.sample(400, seed=1)
    rows, described = interpret.sequences_to_explain(run, sample)
    in_file = sample.meta["read_rows"]
    expected = np.flatnonzero(np.isin(in_file, prepared.split.test))
    assert np.array_equal(rows, expected) and 0 < len(rows) < 400
    assert "test set" in described
    other = open_read_store(write_read_file(tmp_path / "other.tsv", 300, seed=9), tmp_path)
    rows, described = interpret.sequences_to_explain(run, other.sample(100))
    assert len(rows) == 100 and "other data" in described
