"""AppTest of the Embeddings page's scvis mapping view and its latent-against-PCA check."""

from __future__ import annotations

import json
import math

import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT
from support import has_subheader, until

SMALL_COUNTS = {
    "n_cells": 300,
    "n_genes": 300,
    "n_types": 3,
    "n_batches": 2,
    "batch_strength": 0.5,
    "seed": 0,
}
MAP_VIEW = "Map new cells (scvis)"


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(autouse=True)
def isolated_runs(runs_root, monkeypatch):
    monkeypatch.setattr(ui.state, "RUNS_ROOT", runs_root)


def with_counts(path: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(path)
    at.session_state["dataset"] = ui.cached_example(
        "simulated-counts", tuple(sorted(SMALL_COUNTS.items()))
    )
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_mapping_view_asks_for_an_scvis_run_first():
    at = with_counts("pages/9_Embeddings.py", **{"emb-view": MAP_VIEW})
    assert not at.exception
    assert any("No scvis run" in info.value for info in at.info)


def test_scvis_run_maps_held_out_cells_and_is_checked_against_pca():
    at = with_counts("pages/8_Autoencoders.py")
    at.selectbox(key="ae-model").set_value("scvis").run()
    at.number_input(key="ae-scvis-epochs").set_value(3)
    at.button(key="ae-start").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception

    at.session_state["emb-view"] = MAP_VIEW
    at.switch_page("pages/9_Embeddings.py").run()
    assert not at.exception
    picture, grid = charts(at)[:2]
    names = {trace["name"] for trace in picture["data"]}
    assert names == {"training cell", "held-out cell"}
    titles = " ".join(a["text"] for a in grid["layout"]["annotations"])
    assert "scvis latent" in titles and "t-SNE of PCA" in titles and "UMAP of PCA" in titles
    table = at.dataframe[0].value
    assert list(table["picture"]) == ["scvis latent", "t-SNE of PCA", "UMAP of PCA"]
    held = table["held-out kNN accuracy"]
    assert 0 <= held.iloc[0] <= 1 and all(math.isnan(v) for v in held.iloc[1:])
    assert table["trustworthiness"].between(0, 1).all()

    # the same run in the course figure view: a computed check against PCA, not fixed text
    at.segmented_control(key="emb-view").set_value("Compare side by side").run()
    options = at.selectbox(key="cmp-input-0").options
    latent = next(i for i, label in enumerate(options) if "scvis" in label)
    at.selectbox(key="cmp-input-0").select_index(latent).run()
    assert not at.exception
    said = [m.value for m in (*at.success, *at.warning) if "PCA with 2 components" in m.value]
    assert len(said) == 1
    assert ("loses to PCA" in said[0]) != ("at least as well as PCA" in said[0])
