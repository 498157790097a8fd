"""AppTest of the Gene selection page: it runs on a small matrix and shows the curve, the top
genes, the overlap and the downloads (tests/app/test_app.py opens it with sequences loaded)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT
from support import summary_metrics

PAGE = "pages/10_Gene_selection.py"
SMALL_COUNTS = {
    "n_cells": 300,
    "n_genes": 300,
    "n_types": 3,
    "n_batches": 2,
    "batch_strength": 0.5,
    "seed": 0,
}


def with_counts() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(PAGE)
    at.session_state["dataset"] = ui.cached_example(
        "simulated-counts", tuple(sorted(SMALL_COUNTS.items()))
    )
    return at.run()


def test_the_page_ranks_genes_and_shows_curve_top_genes_overlap_and_downloads():
    at = with_counts()
    assert not at.exception
    assert at.selectbox(key="genes-label").value == "cell_type"
    assert "What the course says" in at.info[0].value
    assert not at.get("plotly_chart")  # nothing runs before the click
    at.number_input(key="genes-epochs").set_value(10)
    at.button(key="genes-run").click().run()
    assert not at.exception
    metrics = summary_metrics(at)
    assert metrics["Classes"] == "3"
    assert float(metrics["Logistic regression, all genes"]) > 0.9
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    names = [[trace.get("name") for trace in chart["data"]] for chart in charts]
    assert names[0] == ["highly variable genes", "gradient importance", "perturbation importance"]
    assert len(charts) == 3 and charts[1]["data"][0]["type"] == "bar"
    assert "two random lists" in names[2]
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Rankings (CSV)" in labels and "Accuracy curve (CSV)" in labels
    # the library makes PNG/SVG of embedding figures only, so the curve is offered as HTML
    assert "Figure (HTML)" in labels and "Figure (PNG)" not in labels
    assert any("test cells, so one cell" in caption.value for caption in at.caption)
    at.slider(key="genes-top").set_value(5).run()  # the kept result is shown again
    assert not at.exception and len(at.get("plotly_chart")) == 3
