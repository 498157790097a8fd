"""AppTest: a sample of a converted read file trains on the sample, or on every read."""

from __future__ import annotations

import pytest

from genodash.examples import write_read_file
from genodash.io.read_store import open_read_store
from support import has_subheader, open_page, until


@pytest.fixture
def sample(tmp_path):
    path = write_read_file(tmp_path / "reads.tsv", 900, seed=6)
    return open_read_store(path, tmp_path / "cache").sample(300, seed=0)


def test_the_toggle_trains_on_every_read_of_the_file(sample):
    at = open_page("pages/3_Train.py")
    at.session_state["dataset"] = sample
    at.run()
    toggle = at.toggle(key="train-all-reads")
    assert "all 900 reads" in toggle.label
    toggle.set_value(True).run()
    at.number_input(key="train-epochs").set_value(1)
    at.button(key="start-training").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception
    totals = at.dataframe[0].value.loc["all classes"]
    assert int(totals.sum()) == 900


def test_without_the_toggle_the_sample_is_trained(sample):
    at = open_page("pages/3_Train.py")
    at.session_state["dataset"] = sample
    at.run()
    assert not at.exception
    totals = at.dataframe[0].value.loc["all classes"]
    assert int(totals.sum()) == 300
