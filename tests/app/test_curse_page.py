"""AppTest of the curse-of-dimensionality page: every demo runs and follows its main slider."""

from __future__ import annotations

import json
import re

import pytest

from genodash.curse import DEMOS
from support import open_page

PAGE = "pages/2_Curse_of_dimensionality.py"

# demo → (main slider's key, a new value for it)
MAIN_SLIDERS = {
    "sparsity": ("sparsity-top", 15),
    "distances": ("distances-n", 100),
    "genotypes": ("genotypes-m", 8),
    "ols": ("ols-n", 30),
    "collinearity": ("collinearity-n", 100),
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


def test_the_buttons_are_the_librarys_demos_with_a_place_of_their_own(app):
    on_page = [name for name, demo in DEMOS.items() if demo.part_of is None]
    assert list(MAIN_SLIDERS) == on_page
    buttons = app.segmented_control(key="demo")
    assert list(buttons.options) == [
        f"{i} · {DEMOS[name].title}" for i, name in enumerate(on_page, start=1)
    ]


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
    app.pills(key="fp-n").set_value([]).run()
    assert not app.exception
    assert "n needs at least one whole number" in app.error[0].value


def test_overfitting_on_real_cells(app):
    app.segmented_control(key="demo").set_value("overfitting").run()
    app.radio(key="overfit-data").set_value("pbmc68k").run()
    assert not app.exception
    (figure,) = plotted(app)
    assert {trace["name"] for trace in figure} == {
        "training error",
        "test error",
        "genes = training cells (60)",
    }
    assert (
        "PBMC 68k" in json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    )


def shown_texts(at) -> list[str]:
    """Markdown, captions, table headers and chart titles, legends and annotations."""
    texts = [e.value for e in (*at.markdown, *at.caption)]
    texts += [str(column) for table in at.dataframe for column in table.value.columns]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        texts.append(spec["layout"]["title"]["text"])
        texts += [a.get("text", "") for a in spec["layout"].get("annotations", [])]
        texts += [trace.get("name", "") for trace in spec["data"]]
    return texts


def test_false_positive_texts_follow_the_significance_level(app):
    app.segmented_control(key="demo").set_value("multiple-testing").run()
    app.pills(key="fp-n").set_value([100, 250, 1000]).run()
    app.slider(key="fp-alpha").set_value(0.01).run()
    assert not app.exception
    texts = shown_texts(app)
    assert not [text for text in texts if "0.05" in text]
    (title,) = [t for t in texts if "regressions per design" in t]
    assert "α = 0.01" in title
    (note,) = [c.value for c in app.caption if "t-tests" in c.value]
    assert "α = 0.01" in note
    (meaning,) = [m.value for m in app.markdown if "extraneous predictor" in m.value]
    assert "below α = 0.01 in 1% of regressions" in meaning
    assert "expected: 0.01 × k" in texts


def test_a_small_distance_ratio_is_not_printed_as_zero(app):
    app.segmented_control(key="demo").set_value("distances").run()
    app.slider(key="distances-n").set_value(500).run()  # nearest ÷ farthest about 0.002
    (value,) = [m.value for m in app.metric if m.label == "nearest ÷ farthest, p = 1"]
    assert value != "0.00" and float(value) > 0


def test_collinearity_section_sets_variance_beside_theory(app):
    app.segmented_control(key="demo").set_value("collinearity").run()
    app.slider(key="collinearity-n").set_value(50).run()  # another test may have moved it
    assert not app.exception and not app.error
    assert app.subheader[0].value.endswith("5. Collinearity")
    charts = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(charts) == 2
    names = [trace.get("name") for trace in charts[0]["data"]]
    assert "theory (exact): VIF: 1/(1 − ρ²)" in names
    assert "ρ = 0.99" in [trace.get("name") for trace in charts[1]["data"]]
    shown = {m.label: m.proto for m in app.metric}
    assert shown["inflation, ρ = 0.99"].body.endswith("×")
    assert shown["Var β̂₁, ρ = 0.99"].delta == "theory 1.01"
    # short labels; the library's full label opens the help text
    assert shown["Var β̂₁, ρ = 0.99"].help.startswith("variance of β̂₁, ρ = 0.99: ")
    assert r"\frac{1}{1-\rho^2}" in app.latex[0].value
    assert any("variance inflation factor" in m.value for m in app.markdown)


def test_texts_state_power_lambda_carriers_and_the_minimum_norm_fit(app):
    app.segmented_control(key="demo").set_value("multiple-testing").run()
    app.pills(key="fp-n").set_value([100, 250, 1000]).run()
    app.slider(key="fp-alpha").set_value(0.05).run()
    (meaning,) = [m.value for m in app.markdown if "does not restore power" in m.value]
    assert re.search(r"found in \d+% of regressions without correction and in \d+% with", meaning)

    app.segmented_control(key="demo").set_value("sparsity").run()
    app.radio(key="sparsity-placement").set_value("fixed-distance").run()
    assert "2.25" in app.latex[0].value

    app.segmented_control(key="demo").set_value("genotypes").run()
    carriers = next(t.value for t in app.dataframe if "carriers of" in t.value.columns)
    assert list(carriers["expected among 1,000 subjects"]) == ["100", "10", "1"]

    app.segmented_control(key="demo").set_value("ols").run()
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    # in the legend: inside the half-width panels the note covered the line p = n
    assert any("minimum-norm" in trace.get("name", "") for trace in spec["data"])
