"""AppTest of the model pages: train, compare, interpret, runs."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

import ui
from test_app import open_page, summary_metrics


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "RUNS_ROOT", tmp_path / "runs")


def small_dataset(at: AppTest) -> AppTest:
    at.session_state["dataset"] = ui.cached_example(
        "planted-motif",
        tuple(
            sorted(
                {
                    "n": 300,
                    "length": 30,
                    "motif": "ACGTACGT",
                    "mutation_rate": 0.0,
                    "positive_fraction": 0.5,
                    "seed": 1,
                }.items()
            )
        ),
    )
    return at.run()


def until(at: AppTest, done, timeout: float = 120) -> AppTest:
    """Rerun (as the live fragment would) until ``done(at)``."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
        at.run()
    return at


def has_subheader(text: str):
    return lambda at: any(text in s.value for s in at.subheader)


def train_cnn(epochs: int = 3) -> AppTest:
    at = small_dataset(open_page("pages/3_Train.py"))
    at.number_input(key="train-epochs").set_value(epochs)
    at.button(key="start-training").click().run()
    return until(at, has_subheader("Results"))


def test_train_page_trains_and_shows_results():
    at = train_cnn(epochs=12)
    assert not at.exception
    metrics = summary_metrics(at)
    assert metrics["Epochs (best)"].startswith("12")
    assert float(metrics["Test accuracy"].rstrip("%")) > 80
    assert any("Saved as run" in c.value for c in at.caption)


def test_train_page_shows_split_layers_and_settings():
    at = small_dataset(open_page("pages/3_Train.py"))
    split = at.dataframe[0].value
    assert split.loc["all classes"].sum() == 300
    assert any("parameters" in e.label for e in at.expander)
    at.selectbox(key="train-model").set_value("transformer").run()
    at.number_input(key="train-transformer-heads").set_value(5).run()
    assert "not divisible" in at.error[0].value


def test_unlabelled_data_gets_a_message():
    from dataclasses import replace

    at = open_page("pages/3_Train.py")
    at.session_state["dataset"] = replace(at.session_state["dataset"], labels=None)
    at.run()
    assert not at.exception
    assert "has no labels" in at.error[0].value


def test_compare_page_trains_models_on_one_split():
    at = small_dataset(open_page("pages/4_Compare.py"))
    at.multiselect(key="compare-models").set_value(["cnn", "transformer"])
    at.number_input(key="compare-epochs").set_value(2)
    at.button(key="start-compare").click().run()
    until(at, has_subheader("Leaderboard"))
    table = at.dataframe[0].value
    assert sorted(table["model"]) == ["cnn", "transformer"]
    assert set(table["epochs"]) == {2}


def test_interpret_and_runs_pages_after_training():
    at = train_cnn(epochs=4)
    at.switch_page("pages/5_Interpret.py").run()
    assert not at.exception
    assert at.get("plotly_chart")  # saliency and ISM
    at.segmented_control(key="interpret-view").set_value("Across sequences").run()
    assert any("planted motif" in m.label for m in at.metric)
    at.segmented_control(key="interpret-view").set_value("Filters as motifs").run()
    assert not at.exception and len(at.image) >= 4
    at.segmented_control(key="interpret-view").set_value("Attention").run()
    assert "Transformer only" in at.info[0].value

    at.switch_page("pages/6_Runs.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1
    upload = at.file_uploader(key=f"predict-{at.selectbox(key='runs-selected').value}")
    upload.set_value([("new.fa", b">x\nACGTACGTTTTTTTTT\n>y\nGGGGCCCCAAAA\n", "text/plain")])
    at.run()
    assert any("Predicted 2 sequences" in s.value for s in at.success)
    bad = at.file_uploader(key=f"predict-{at.selectbox(key='runs-selected').value}")
    bad.set_value([("bad.fa", b">x\nMKLV\n", "text/plain")]).run()
    assert "No predictions were made" in at.error[0].value


def test_pages_without_runs_point_to_training():
    for path in ("pages/5_Interpret.py", "pages/6_Runs.py"):
        at = open_page(path)
        assert not at.exception
        assert "No" in at.info[0].value
