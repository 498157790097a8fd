"""AppTest: a new session of a workspace (a browser refresh) takes its job up again, and a
read-only shared view neither trains nor deletes."""

from __future__ import annotations

import pytest

import ui
from conftest import ROOT
from support import has_subheader, small_dataset, until

WORKSPACE = "0123456789ab"


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    """A runs folder and a workspace of each test's own (the job queue is the server's)."""
    import secrets

    monkeypatch.setattr(ui.state, "RUNS_ROOT", tmp_path / "runs")
    monkeypatch.setitem(globals(), "WORKSPACE", secrets.token_hex(6))


def refreshed(path: str):
    """A new session of the workspace ``WORKSPACE`` on ``path``, as after a browser refresh."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ws"] = WORKSPACE
    at.switch_page(path).run()
    return small_dataset(at)


def start_long_training(epochs: int):
    at = refreshed("pages/3_Train.py")
    at.number_input(key="train-epochs").set_value(epochs)
    at.number_input(key="train-patience").set_value(0)
    at.button(key="start-training").click().run()
    return until(at, lambda at: at.get("plotly_chart"))


def stop_buttons(at) -> list:
    return [b for b in at.button if b.key and b.key.startswith("stop-")]


def test_a_refresh_takes_the_running_job_up_again_and_stop_works():
    first = start_long_training(epochs=400)
    job = first.session_state["job"]
    again = refreshed("pages/3_Train.py")
    assert again.session_state["job"] is job  # the same job, found through the queue
    assert again.button(key="start-training").disabled
    assert [b.label for b in stop_buttons(again)] == ["Stop"]
    assert again.get("plotly_chart")  # the live curves
    assert any("(#training)" in note.value for note in again.info)  # a link down to them
    stop_buttons(again)[0].click().run()
    until(again, has_subheader("Results")).run()  # a run that starts after the job ended
    assert any("Stopped. The best model so far" in w.value for w in again.warning)
    assert not again.button(key="start-training").disabled
    assert job.snapshot().status == "stopped"


def test_the_compare_page_of_a_new_session_shows_the_running_job():
    first = start_long_training(epochs=400)
    compare = refreshed("pages/4_Compare.py")
    assert compare.button(key="start-compare").disabled
    assert stop_buttons(compare)
    stop_buttons(compare)[0].click().run()
    assert first.session_state["job"].wait(60).status == "stopped"


def test_a_job_that_ended_with_no_tab_open_shows_its_results_when_the_workspace_returns():
    first = refreshed("pages/3_Train.py")
    first.number_input(key="train-epochs").set_value(2)
    first.button(key="start-training").click().run()
    first.session_state["job"].wait(120)  # ends unseen: the first session never reruns
    back = refreshed("pages/3_Train.py")
    assert has_subheader("Results")(back)
    assert any(m.label == "Test accuracy" for m in back.metric)


def shared_view(path: str):
    """A session opened by the workspace's read-only share link (``?view=``) on ``path``."""
    from streamlit.testing.v1 import AppTest

    from genodash.workspace import share_token

    token = share_token(ui.state.RUNS_ROOT, WORKSPACE)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["view"] = token
    at.switch_page(path).run()
    return small_dataset(at)


def test_a_shared_view_cannot_train_stop_or_delete():
    owner = refreshed("pages/3_Train.py")
    owner.number_input(key="train-epochs").set_value(2)
    owner.button(key="start-training").click().run()
    until(owner, has_subheader("Results"))
    owner.switch_page("pages/6_Runs.py").run()
    assert [b for b in owner.button if b.key and b.key.startswith("rename-open-")]
    assert owner.get("file_uploader")  # the owner predicts
    viewer = shared_view("pages/3_Train.py")
    assert viewer.session_state["workspace"] == WORKSPACE
    assert viewer.button(key="start-training").disabled
    assert any("shared view: open your own workspace to train" in c.value for c in viewer.caption)
    viewer.switch_page("pages/6_Runs.py").run()
    assert not viewer.exception
    assert any(s.value.startswith("CNN on ") for s in viewer.subheader)  # the owner's run
    assert not [b for b in viewer.button if b.key and b.key.startswith(("delete-", "rename-"))]
    assert not viewer.get("file_uploader")  # nothing uploaded into someone's workspace
    assert any("This is a shared view" in c.value for c in viewer.caption)


def test_a_shared_view_sees_a_running_job_without_stop():
    first = start_long_training(epochs=400)
    viewer = shared_view("pages/3_Train.py")
    assert viewer.get("plotly_chart")
    assert stop_buttons(viewer) == []
    assert viewer.button(key="start-training").disabled
    first.session_state["job"].stop()
    assert first.session_state["job"].wait(60).status == "stopped"
