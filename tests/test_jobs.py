from __future__ import annotations

import threading
import time

import pytest

from genodash.errors import ConfigError
from genodash.jobs import Job, JobQueue
from genodash.train.loop import TrainConfig
from genodash.train.workflows import model_training


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_job_runs_and_keeps_its_result():
    job = JobQueue(1).submit(Job("sum", lambda context: 1 + 2))
    assert job.wait(10).status == "done"
    assert job.result == 3


def test_errors_are_reported_not_raised():
    def fails(context):
        raise ConfigError("bad setting")

    job = JobQueue(1).submit(Job("x", fails))
    snapshot = job.wait(10)
    assert snapshot.status == "failed" and snapshot.error == "bad setting"


def test_queue_caps_running_jobs_and_keeps_order():
    release = threading.Event()
    queue = JobQueue(1)
    first = queue.submit(Job("first", lambda c: release.wait(10)))
    second = queue.submit(Job("second", lambda c: "ok"))
    third = queue.submit(Job("third", lambda c: "ok"))
    wait_for(lambda: first.snapshot().status == "running")
    assert (second.snapshot().status, second.snapshot().queue_position) == ("queued", 1)
    assert third.snapshot().queue_position == 2
    assert queue.counts() == (1, 2)
    third.stop()
    wait_for(lambda: third.snapshot().status == "stopped")
    assert "cancelled while waiting" in third.snapshot().messages[0]
    release.set()
    assert second.wait(10).status == "done"
    assert queue.counts() == (0, 0)


def test_stop_ends_training_and_keeps_the_best_model(small_prepared, tmp_path):
    work = model_training(
        small_prepared,
        [("cnn", {}), ("lstm", {})],
        train_config=TrainConfig(epochs=200, patience=0, batch_size=8),
        device="cpu",
        runs_root=tmp_path,
    )
    job = JobQueue(1).submit(Job("train", work))
    wait_for(lambda: len(job.snapshot().history.get("CNN", [])) >= 2)
    job.stop()
    snapshot = job.wait(30)
    assert snapshot.status == "stopped"
    saved = job.result
    assert [s.run.model_name for s in saved] == ["cnn"]  # the LSTM never started
    assert saved[0].run.config["status"] == "stopped"
    assert saved[0].path.exists()
    assert snapshot.progress["label"] == "CNN"


@pytest.mark.parametrize("models", [[("cnn", {"filters": 8})]])
def test_history_and_messages_are_recorded(small_prepared, tmp_path, models):
    work = model_training(
        small_prepared,
        models,
        train_config=TrainConfig(epochs=2),
        device="cpu",
        runs_root=tmp_path,
    )
    job = JobQueue(1).submit(Job("train", work))
    snapshot = job.wait(60)
    assert snapshot.status == "done"
    assert [r["epoch"] for r in snapshot.history["CNN"]] == [1, 2]
    assert snapshot.messages[0] == "Training CNN on the CPU"
    assert (
        snapshot.messages[1].startswith("CNN: trained every epoch")
        or "kept epoch" in (snapshot.messages[1])
    )
    assert f"Saved as “CNN on {small_prepared.source.name} · " in snapshot.messages[1]


def test_a_workspace_has_few_jobs_at_once_and_runs_one_at_a_time():
    release = threading.Event()
    queue = JobQueue(2, per_workspace=2)
    a1 = queue.submit(Job("a1", lambda c: release.wait(10), owner="a"))
    a2 = queue.submit(Job("a2", lambda c: "ok", owner="a"))
    with pytest.raises(ConfigError, match="already has 2 training jobs running or waiting"):
        queue.submit(Job("a3", lambda c: "ok", owner="a"))
    b1 = queue.submit(Job("b1", lambda c: release.wait(10), owner="b"))
    wait_for(lambda: b1.snapshot().status == "running")  # a free slot: b goes before a2
    assert a1.snapshot().status == "running"
    assert a2.snapshot().status == "queued"  # a already runs one
    release.set()
    assert a2.wait(10).status == "done"


def test_a_waiting_job_whose_tab_closed_is_dropped():
    release = threading.Event()
    queue = JobQueue(1)
    ran = []
    queue.submit(Job("busy", lambda c: release.wait(10)))
    orphan = queue.submit(
        Job("orphan", lambda c: ran.append(1), alive=lambda: False, grace_seconds=0.0)
    )
    wait_for(lambda: orphan.snapshot().status == "stopped")
    release.set()
    time.sleep(0.3)
    assert ran == []  # it never started
    assert "dropped from the queue" in orphan.snapshot().messages[0]


def test_a_job_stops_at_its_time_limit_and_the_run_says_so(small_prepared, tmp_path):
    work = model_training(
        small_prepared,
        [("cnn", {})],
        train_config=TrainConfig(epochs=500, patience=0, batch_size=8),
        device="cpu",
        runs_root=tmp_path,
    )
    job = JobQueue(1).submit(Job("long", work, time_limit=3.0))
    snapshot = job.wait(120)
    assert snapshot.status == "stopped"
    assert any("time limit" in message for message in snapshot.messages)
    assert job.result[0].run.config["status"] == "time_limit"
    assert "stopped at the time limit" in job.result[0].run.metrics["message"]


def test_a_job_that_fails_in_its_worker_says_why(small_prepared, tmp_path, monkeypatch):
    from genodash.train import worker

    def out_of_memory(task, relay, *, memory):
        raise worker.TrainingFailed("training ran out of the memory a job may use")

    monkeypatch.setattr(worker.POOL, "run", out_of_memory)
    work = model_training(
        small_prepared,
        [("cnn", {})],
        train_config=TrainConfig(epochs=2),
        device="cpu",
        runs_root=tmp_path,
    )
    snapshot = JobQueue(1).submit(Job("x", work)).wait(60)
    assert snapshot.status == "failed"
    assert snapshot.error == "training ran out of the memory a job may use"
