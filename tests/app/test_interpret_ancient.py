"""AppTest of the Interpret page on the ancient-DNA example: the "Read ends" view."""

from __future__ import annotations

import json

import pytest

import ui
from support import has_subheader, open_page, until


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ui.state, "RUNS_ROOT", tmp_path / "runs")


def test_interpret_shows_read_ends_for_the_ancient_example():
    at = open_page("pages/3_Train.py")
    params = {"n": 800, "length": 50, "damage": 0.8, "same_length": True, "seed": 0}
    at.session_state["dataset"] = ui.cached_example("ancient-dna", tuple(sorted(params.items())))
    at.run()
    at.checkbox(key="train-rc").check()
    at.number_input(key="train-epochs").set_value(2)
    at.button(key="start-training").click().run()
    until(at, has_subheader("Results"))

    at.switch_page("pages/5_Interpret.py").run()
    assert not at.exception
    assert at.segmented_control(key="interpret-view").value == "Read ends"  # this example's
    labels = [m.label for m in at.metric]
    assert "Ceiling: end-base baseline" in labels
    assert "Saliency at the ends vs the middle" in labels
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert titles[0] == "Base composition at the read ends, by class"
    assert titles[1].startswith("Where the model looks: the first and last 5 bases")
    assert titles[2] == "Samples of 1,000 reads: share called ancient"
    assert any("One read says little, many reads say a lot" in c.value for c in at.caption)
    threshold = "How one read is called: ancient when the model gives it a probability of ancient"
    assert any(threshold in c.value and "median" in c.value for c in at.caption)

    at.segmented_control(key="interpret-view").set_value("One sequence").run()
    assert not at.exception
