"""Training faults: out of GPU memory, a closed browser tab, a crashing worker."""

from __future__ import annotations

import time

import pytest
import torch

from genodash.jobs import Job, JobQueue
from genodash.train.faults import train_with_memory_fallback
from genodash.train.loop import TrainConfig
from genodash.train.workflows import model_training


def fake_training(fails_above: int, *, devices: tuple[str, ...] = ("cuda",)):
    calls = []

    def train(config, device):
        calls.append((config.batch_size, device))
        if device in devices and config.batch_size > fails_above:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return "trained"

    return train, calls


def test_out_of_memory_halves_the_batch_until_it_fits():
    train, calls = fake_training(fails_above=16)
    messages = []
    result = train_with_memory_fallback(
        train, TrainConfig(batch_size=64), "cuda", notify=messages.append
    )
    assert result == "trained"
    assert calls == [(64, "cuda"), (32, "cuda"), (16, "cuda")]
    assert messages[0] == (
        "the GPU (CUDA) ran out of memory at batch size 64; retrying with batch size 32"
    )


def test_then_falls_back_to_the_cpu():
    train, calls = fake_training(fails_above=0)
    messages = []
    train_with_memory_fallback(train, TrainConfig(batch_size=16), "cuda", notify=messages.append)
    assert calls == [(16, "cuda"), (8, "cuda"), (8, "cpu")]
    assert messages[-1] == (
        "the GPU (CUDA) ran out of memory even at batch size 8; continuing on the CPU"
    )


def test_other_errors_and_cpu_out_of_memory_are_not_hidden():
    def broken(config, device):
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        train_with_memory_fallback(broken, TrainConfig(), "cuda")
    train, _ = fake_training(fails_above=0, devices=("cpu",))
    with pytest.raises(torch.OutOfMemoryError):
        train_with_memory_fallback(train, TrainConfig(), "cpu")


def test_runtime_out_of_memory_messages_count_too():
    calls = []

    def train(config, device):
        calls.append(device)
        if device == "mps":
            raise RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)")
        return "ok"

    assert train_with_memory_fallback(train, TrainConfig(batch_size=8), "mps") == "ok"
    assert calls == ["mps", "cpu"]


def test_a_closed_tab_stops_its_training(small_prepared, tmp_path):
    connected = {"yes": True}
    work = model_training(
        small_prepared,
        [("cnn", {})],
        train_config=TrainConfig(epochs=500, patience=0, batch_size=8),
        device="cpu",
        runs_root=tmp_path,
    )
    job = Job("train", work, alive=lambda: connected["yes"], grace_seconds=0.5)
    JobQueue(1).submit(job)
    deadline = time.monotonic() + 60
    while not job.snapshot().history.get("CNN"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    connected["yes"] = False
    closed = time.monotonic()
    snapshot = job.wait(60)
    assert snapshot.status == "stopped"
    assert time.monotonic() - closed < 10  # grace + at most one batch, with a margin
    assert "the browser tab that started it was closed" in " ".join(snapshot.messages)
    assert job.result[0].run.config["status"] == "tab_closed"  # said truthfully in the run
    assert next(job.result[0].run.model.parameters()).device.type == "cpu"


def test_a_crashing_worker_fails_the_job_not_the_app():
    def crashes(context):
        raise RuntimeError("segment of code went wrong")

    snapshot = JobQueue(1).submit(Job("x", crashes)).wait(10)
    assert snapshot.status == "failed"
    assert snapshot.error == "unexpected error: RuntimeError: segment of code went wrong"
