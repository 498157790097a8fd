"""AppTest of the gene-token Transformer on the Autoencoders page."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT
from support import has_subheader, until

SMALL_COUNTS = {"n_cells": 200, "n_genes": 300, "n_types": 3, "n_batches": 1, "seed": 0}


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ui.state, "RUNS_ROOT", tmp_path / "runs")


def test_gene_transformer_trains_and_draws_attention_for_a_cell_type():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/8_Autoencoders.py")
    at.session_state["dataset"] = ui.cached_example(
        "simulated-counts", tuple(sorted(SMALL_COUNTS.items()))
    )
    at.run()
    at.selectbox(key="ae-model").set_value("gene-transformer").run()
    assert not at.exception
    assert any("33 million cells" in info.value for info in at.info)  # how it differs
    at.number_input(key="ae-gene-transformer-n_tokens").set_value(16)
    at.number_input(key="ae-gene-transformer-epochs").set_value(2)
    at.button(key="ae-start").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception
    assert any("Attention between genes" in m.value for m in at.markdown)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    heatmaps = [f for f in figures if f["data"][0]["type"] == "heatmap"]
    assert heatmaps and "Attention between genes in" in heatmaps[0]["layout"]["title"]["text"]
    assert len(heatmaps[0]["data"][0]["x"]) == 16  # every token gene, at most 20 shown
