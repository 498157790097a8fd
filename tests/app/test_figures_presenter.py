"""AppTest of ui.figures.show_figure (the slide export under every figure, an enlarged
copy in presenter view) and of the presenter switch in the page header."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from support import open_page, small_dataset


def _figure_script() -> None:
    import plotly.graph_objects as go

    from ui.figures import show_figure

    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"height": 400})
    show_figure(figure, key="bars", stem="my-bars")
    show_figure(figure, key="live", slides=False)


def _run(presenter: bool) -> AppTest:
    at = AppTest.from_function(_figure_script, default_timeout=60)
    if presenter:
        at.query_params["presenter"] = "1"
    return at.run()


def _spec(at: AppTest, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_every_figure_gets_a_slide_export_made_on_click():
    at = _run(presenter=False)
    assert not at.exception
    assert [p.proto.popover.label for p in at.get("popover")] == ["Slide (PNG/SVG)"]  # no "live"
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Slide (PNG)", "Slide (SVG)"]
    assert [b.key for b in buttons] == ["bars-slide-png", "bars-slide-svg"]
    chart = at.get("plotly_chart")[0].proto
    assert json.loads(chart.config)["displaylogo"] is False
    assert _spec(at, 0)["layout"]["height"] == 400


def test_presenter_view_draws_figures_larger():
    at = _run(presenter=True)
    assert not at.exception
    assert _spec(at, 0)["layout"]["height"] == 540  # 400 × 1.35
    assert _spec(at, 0)["layout"]["font"]["size"] > 13


def test_the_header_switch_puts_presenter_in_the_address():
    at = open_page("pages/2_Curse_of_dimensionality.py")
    switch = at.toggle(key="presenter-switch")
    assert switch.value is False and "presenter" not in at.query_params
    switch.set_value(True).run()
    assert at.query_params["presenter"] == "1"
    assert not at.exception
    styles = " ".join(h.proto.body for h in at.get("html"))
    assert "stSidebar" in styles and ".st-key-sparsity-top" in styles  # every setting hidden
    at.toggle(key="presenter-switch").set_value(False).run()
    assert "presenter" not in at.query_params


def test_hide_takes_a_settings_name_in_the_address_as_well_as_its_key():
    at = small_dataset(open_page("pages/3_Train.py"))
    dataset = at.session_state["dataset"]
    at.query_params.update({"presenter": "1", "hide": "train-length,train-epochs"})
    at.run()
    assert not at.exception
    styles = " ".join(h.proto.body for h in at.get("html"))
    # the length's key names the data set; its name in the address does not
    assert f".st-key-train-length-{dataset.name.replace(' ', '-')}-{dataset.n_obs}" in styles
    assert ".st-key-train-epochs" in styles
    assert ".st-key-train-model" not in styles  # not listed: shown
