from __future__ import annotations

import threading
import time

import pytest

from genodash.errors import ConfigError, WorkerFailed
from genodash.jobs import Job, JobQueue, OpenTabs
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
        raise WorkerFailed("training ran out of the memory a job may use")

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


# --- a refresh finds the workspace's job again ------------------------------------------------


def test_a_new_tab_finds_its_workspaces_running_job_then_the_waiting_one():
    release = threading.Event()
    queue = JobQueue(1, per_workspace=2)
    other = queue.submit(Job("b", lambda c: release.wait(10), owner="b"))
    wait_for(lambda: other.snapshot().status == "running")
    first = queue.submit(Job("a1", lambda c: release.wait(10), owner="a"))
    second = queue.submit(Job("a2", lambda c: "ok", owner="a"))
    assert queue.active_for("a") == [first, second]  # both wait: b holds the only slot
    assert queue.job_for("a") is first
    assert queue.active_for("nobody") == [] and queue.job_for("nobody") is None
    release.set()
    wait_for(lambda: second.snapshot().status == "done")
    assert queue.active_for("a") == []
    assert queue.job_for("a") is second  # ended: still found, to show its outcome


def test_a_running_job_comes_first_for_its_workspace():
    release = threading.Event()
    queue = JobQueue(2, per_workspace=2)
    running = queue.submit(Job("a1", lambda c: release.wait(10), owner="a"))
    wait_for(lambda: running.snapshot().status == "running")
    waiting = queue.submit(Job("a2", lambda c: "ok", owner="a"))  # a runs one at a time
    assert queue.job_for("a") is running
    assert queue.active_for("a") == [running, waiting]
    release.set()
    assert waiting.wait(10).status == "done"


def test_an_ended_job_lets_go_of_its_work_and_keeps_its_result():
    data = bytearray(10)
    job = JobQueue(1).submit(Job("x", lambda c: len(data), owner="a"))
    assert job.wait(10).status == "done" and job.result == 10
    with pytest.raises(RuntimeError, match="already run"):
        job.work(None)  # the closure (and the data it held) is gone


def test_the_queue_keeps_the_last_job_of_a_bounded_number_of_workspaces(monkeypatch):
    from genodash import jobs

    monkeypatch.setattr(jobs, "KEPT_WORKSPACES", 2)
    queue = JobQueue(1)
    for owner in ("a", "b", "c"):
        queue.submit(Job(owner, lambda c: None, owner=owner)).wait(10)
    queue.submit(Job("d", lambda c: None, owner="d")).wait(10)
    assert [queue.job_for(owner) is not None for owner in "abcd"] == [False, False, True, True]


def test_open_tabs_say_whether_a_workspace_has_a_tab_open():
    tabs = OpenTabs()
    connected = {"t1": True, "t2": True}
    tabs.add("a", "t1", lambda: connected["t1"])
    tabs.add("a", "t2", lambda: connected["t2"])
    check = tabs.alive_check("a")
    assert check() and not tabs.any_open("b")
    connected["t1"] = False
    assert check()  # t2 is still open
    connected["t2"] = False
    assert not check()
    connected["t2"] = True
    assert not check()  # a closed tab is forgotten until it adds itself again
    tabs.add("a", "t2", lambda: connected["t2"])
    assert check()


def test_a_job_goes_on_while_another_tab_of_its_workspace_is_open():
    """A refresh: the tab that started the job closes, a new tab of the workspace opens."""
    tabs = OpenTabs()
    connected = {"old": True, "new": False}
    tabs.add("a", "old", lambda: connected["old"])
    job = Job("long", lambda c: _until_stopped(c), owner="a", grace_seconds=0.2)
    job.alive = tabs.alive_check("a")
    JobQueue(1).submit(job)
    wait_for(lambda: job.snapshot().status == "running")
    connected.update(old=False, new=True)
    tabs.add("a", "new", lambda: connected["new"])
    time.sleep(1.5)  # several checks, well past the grace period
    assert job.snapshot().status == "running"
    connected["new"] = False  # every tab of the workspace closed: stops as before
    snapshot = job.wait(10)
    assert snapshot.status == "stopped" and job.result == "tab_closed"
    assert "no other tab of its workspace is open" in snapshot.messages[-1]


def test_a_waiting_job_stays_queued_while_its_workspace_has_a_tab_open():
    release = threading.Event()
    tabs = OpenTabs()
    connected = {"new": True}
    tabs.add("a", "new", lambda: connected["new"])
    queue = JobQueue(1)
    queue.submit(Job("busy", lambda c: release.wait(10), owner="b"))
    waiting = Job("a", lambda c: "ran", owner="a", grace_seconds=0.2)
    waiting.alive = tabs.alive_check("a")
    queue.submit(waiting)
    time.sleep(1.0)
    assert waiting.snapshot().status == "queued"
    release.set()
    assert waiting.wait(10).status == "done" and waiting.result == "ran"


def _until_stopped(context) -> str | bool:
    while not (reason := context.should_stop()):
        time.sleep(0.02)
    return reason
