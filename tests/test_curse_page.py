"""AppTest of the curse-of-dimensionality page: every demo runs and follows its main slider."""

from __future__ import annotations

import json

import pytest

from test_app import open_page

PAGE = "pages/2_Curse_of_dimensionality.py"

# demo → (main slider's key, a new value for it)
MAIN_SLIDERS = {
    "sparsity": ("sparsity-top", 15),
    "distances": ("distances-n", 100),
    "genotypes": ("genotypes-m", 8),
    "ols": ("ols-n", 30),
    "variance": ("variance-n", 30),
    "multiple-testing": ("fp-alpha", 0.1),
    "overfitting": ("overfit-n", 30),
    "big-data": ("bigdata-n", 100),
}


@pytest.fixture(scope="module")
def app():
    return open_page(PAGE)


def plotted(at) -> list[dict]:
    return [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")]


def test_page_opens_on_sparsity_with_the_papers_numbers(app):
    assert not app.exception
    assert app.title[0].value.endswith("Curse of dimensionality")
    assert app.subheader[0].value.endswith("1. Sparsity")
    assert len(app.get("plotly_chart")) == 2
    table = app.dataframe[0].value
    assert list(table["dimensions"])[:3] == ["1-D, x", "1-D, y", "2-D"]
    assert list(table["the paper (Fig. 1)"])[:3] == ["31.0%", "30.0%", "6.0%"]
    assert len(app.latex) == 1


@pytest.mark.parametrize("demo", list(MAIN_SLIDERS))
def test_each_demo_follows_its_main_slider(app, demo):
    app.segmented_control(key="demo").set_value(demo).run()
    assert not app.exception
    assert not app.error
    before = plotted(app)
    assert before
    key, value = MAIN_SLIDERS[demo]
    slider = next(w for w in (*app.slider, *app.select_slider) if w.key == key)
    slider.set_value(value).run()
    assert not app.exception
    assert plotted(app) != before
    assert app.latex
    assert any(d.proto.label == "Download the numbers (JSON)" for d in app.get("download_button"))


def test_an_impossible_setting_is_a_message(app):
    app.segmented_control(key="demo").set_value("multiple-testing").run()
    app.multiselect(key="fp-n").set_value([]).run()
    assert not app.exception
    assert "n needs at least one whole number" in app.error[0].value


def test_overfitting_on_real_cells(app):
    app.segmented_control(key="demo").set_value("overfitting").run()
    app.radio(key="overfit-data").set_value("pbmc68k").run()
    assert not app.exception
    (figure,) = plotted(app)
    assert {trace["name"] for trace in figure} == {"training error", "test error"}
    assert (
        "PBMC 68k" in json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    )
