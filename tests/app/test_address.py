"""AppTest of links that restore a view: settings and the example come from the address,
what cannot be used is named in a note, and the address follows the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import ROOT

NOTE = "This link could not be restored in full."


def opened(path: str, **params: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(params)
    if path != "app.py":
        at.switch_page(path)
    return at.run()


def notes(at) -> str:
    return "\n".join(info.value for info in at.info if NOTE in info.value)


def test_a_link_sets_the_train_page_and_clamps_what_is_out_of_range():
    at = opened(
        "pages/3_Train.py",
        **{"train-model": "lstm", "train-epochs": "9999", "train-test": "0.3", "bogus": "1"},
    )
    assert not at.exception
    assert at.selectbox(key="train-model").value == "lstm"
    assert at.number_input(key="train-epochs").value == 500
    assert at.slider(key="train-test").value == pytest.approx(0.3)
    text = notes(at)
    assert "`train-epochs=9999` is out of range: the largest allowed value, 500, is used" in text
    assert "`bogus` is not a setting of this page" in text
    assert at.query_params["train-epochs"] == "500"
    assert "bogus" not in at.query_params


def test_changed_settings_go_into_the_address_and_defaults_leave_it():
    at = opened("pages/2_Curse_of_dimensionality.py", demo="ols")
    assert at.session_state["demo"] == "ols"
    at.slider(key="ols-n").set_value(30).run()
    assert at.query_params["ols-n"] == "30"
    at.slider(key="ols-n").set_value(50).run()  # the default
    assert "ols-n" not in at.query_params
    assert at.query_params["demo"] == "ols"
    assert not notes(at)


def test_a_malformed_value_is_ignored_and_the_page_runs():
    at = opened("pages/2_Curse_of_dimensionality.py", demo="nonsense", **{"sparsity-n": "12"})
    assert not at.exception
    assert at.session_state["demo"] == "sparsity"
    text = notes(at)
    assert "`demo=nonsense` is not one of" in text and "`sparsity-n=12` is not one of" in text


def test_a_link_loads_the_example_it_names_and_the_data_page_shows_its_controls():
    at = opened("pages/1_Data.py", data="planted-motif", **{"data.n": "777", "data.length": "120"})
    assert not at.exception
    dataset = at.session_state["dataset"]
    assert dataset.n_obs == 777 and int(dataset.lengths.max()) == 120
    assert at.session_state["ex-planted-motif-n"] == 777
    assert at.query_params["data.n"] == "777" and at.query_params["data"] == "planted-motif"


def test_a_link_to_an_upload_this_workspace_lacks_says_what_is_missing():
    at = opened("pages/3_Train.py", data="upload:reads.fa")
    assert not at.exception
    assert "an uploaded file (**reads\\.fa**) that this workspace does not hold" in notes(at)
    assert at.session_state["dataset"].format == "example"


def test_a_workspace_keeps_its_upload_for_the_next_session(tmp_path: Path, monkeypatch):
    from genodash.io import RawFile, ReadOptions
    from genodash.workspace import KeptData, keep_data
    from ui import state

    monkeypatch.setattr(state, "RUNS_ROOT", tmp_path)
    fasta = b"".join(b">r%d\nACGTACGTAC\n" % i for i in range(12))
    keep_data(
        tmp_path / "0123456789ab",
        KeptData("upload", (RawFile("mine.fa", fasta),), "mine.fa", ReadOptions()),
        10_000,
    )
    at = opened("pages/1_Data.py", ws="0123456789ab")
    assert not at.exception
    assert at.session_state["dataset"].n_obs == 12
    assert at.query_params["data"] == "upload:mine.fa"


def test_a_share_link_opens_the_workspace_read_only(tmp_path: Path, monkeypatch):
    from genodash.workspace import share_token
    from ui import state

    monkeypatch.setattr(state, "RUNS_ROOT", tmp_path)
    (tmp_path / "0123456789ab").mkdir()
    token = share_token(tmp_path, "0123456789ab")
    at = opened("pages/6_Runs.py", view=token)
    assert not at.exception
    assert at.session_state["workspace"] == "0123456789ab"
    assert "ws" not in at.query_params and at.query_params["view"] == token
    unknown = opened("pages/6_Runs.py", view="ffffffffffff")
    assert "names no workspace on this server" in notes(unknown)
    assert unknown.session_state["workspace"] != "0123456789ab"


def test_a_share_link_turns_uploads_off(tmp_path: Path, monkeypatch):
    from genodash.workspace import share_token
    from ui import state

    monkeypatch.setattr(state, "RUNS_ROOT", tmp_path)
    (tmp_path / "0123456789ab").mkdir()
    at = opened("pages/1_Data.py", view=share_token(tmp_path, "0123456789ab"))
    assert not at.exception
    assert not at.get("file_uploader")
    assert any("uploading is off here" in info.value for info in at.info)
    own = opened("pages/1_Data.py")
    assert own.get("file_uploader")


@pytest.mark.parametrize(
    ("link", "said"),
    [
        ("99-nope.7", "lesson `99-nope` is not on this server"),
        ("99-nope", "lesson `99-nope` is not on this server"),
        ("1-curse-of-dimensionality.99", "has 4 steps, not 99: its first step is shown"),
    ],
)
def test_a_lesson_link_that_names_no_lesson_or_step_says_so(link, said):
    at = opened("pages/0_Lessons.py", lesson=link)
    assert not at.exception
    assert said in notes(at)
    assert at.selectbox(key="lesson").value == "1-curse-of-dimensionality"
    assert at.query_params["lesson"] == "1-curse-of-dimensionality.1"  # the address follows


def test_a_lesson_link_to_a_step_opens_it_without_a_note():
    at = opened("pages/0_Lessons.py", lesson="1-curse-of-dimensionality.2")
    assert not notes(at)
    assert at.segmented_control(key="lesson-step-1-curse-of-dimensionality").value == 2
