"""AppTest of the expression pages: preprocess, autoencoders, embeddings, and their runs."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT
from test_app import open_page, summary_metrics
from test_app_models import has_subheader, train_cnn, until

SMALL_COUNTS = {
    "n_cells": 300,
    "n_genes": 300,
    "n_types": 3,
    "n_batches": 2,
    "batch_strength": 0.5,
    "seed": 0,
}


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "RUNS_ROOT", tmp_path / "runs")


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


def test_expression_pages_explain_themselves_for_sequences():
    for path in ("pages/7_Preprocess.py", "pages/8_Autoencoders.py"):
        at = open_page(path)
        assert not at.exception
        assert "expression matrix" in at.info[0].value


def test_preprocess_page_runs_the_chosen_steps():
    at = with_counts("pages/7_Preprocess.py")
    assert not at.exception
    assert "Not run yet" in at.info[0].value
    at.number_input(key="prep-n_top_genes").set_value(120)
    at.button(key="prep-run").click().run()
    assert not at.exception
    metrics = summary_metrics(at)
    assert metrics["Genes kept"] == "120"
    assert metrics["Cells kept"] == "300"
    ran = at.table[0].value["ran"]
    assert ran["normalize_total"] == "yes" and ran["log1p"] == "yes"
    assert not at.info or "Not run yet" not in at.info[0].value


def test_preprocess_page_skips_count_steps_for_normalized_data():
    at = open_page("pages/1_Data.py")
    at.selectbox[0].set_value("pbmc68k").run()
    at.button[0].click().run()
    at.switch_page("pages/7_Preprocess.py").run()
    assert not at.exception
    assert at.table[0].value["ran"]["normalize_total"] == "no"
    assert any("not raw counts" in c.value for c in at.caption)


def test_autoencoder_page_trains_and_shows_the_latent_space():
    at = with_counts("pages/8_Autoencoders.py")
    assert not at.exception
    at.selectbox(key="ae-model").set_value("autoencoder").run()
    at.number_input(key="ae-autoencoder-epochs").set_value(3)
    at.button(key="ae-start").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception
    metrics = summary_metrics(at)
    assert float(metrics["Test loss"]) > 0
    assert metrics["Cells"] == "300"
    assert any(" · 300 cells × " in caption.value for caption in at.caption)
    latent = [c for c in charts(at) if "Latent" in c["layout"]["title"]["text"]]
    assert latent and len(latent[0]["data"]) == 3  # one trace per cell type


def test_vae_with_batch_covariate_trains():
    at = with_counts("pages/8_Autoencoders.py")
    at.selectbox(key="ae-model").set_value("vae").run()
    assert at.selectbox(key="ae-batch").value == "batch"
    at.number_input(key="ae-vae-epochs").set_value(2)
    at.button(key="ae-start").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception
    assert "Test loss" in summary_metrics(at)


def test_embeddings_page_scores_a_pca_and_colours_by_gene():
    at = with_counts("pages/9_Embeddings.py", **{"emb-method": "pca", "emb-input": "data"})
    assert not at.exception
    metrics = summary_metrics(at)
    assert 0 <= float(metrics["kNN accuracy"]) <= 1
    assert 0 <= float(metrics["Trustworthiness"]) <= 1
    assert "Batch mixing" in metrics
    at.selectbox(key="emb-color").set_value("Gene expression").run()
    assert not at.exception
    scatter = charts(at)[0]
    assert scatter["data"][0]["type"] == "scattergl"
    assert scatter["data"][0]["marker"]["coloraxis"] == "coloraxis"  # a continuous scale
    gene = at.selectbox(key="emb-gene").value
    assert scatter["layout"]["coloraxis"]["colorbar"]["title"]["text"] == gene


def test_embeddings_page_leiden_clusters_report_agreement():
    at = with_counts(
        "pages/9_Embeddings.py",
        **{"emb-method": "pca", "emb-input": "pca", "emb-color": "Leiden cluster"},
    )
    assert not at.exception
    assert any("adjusted Rand index" in c.value for c in at.caption)


def test_compare_view_shows_scores_under_each_panel():
    at = with_counts(
        "pages/9_Embeddings.py",
        **{
            "emb-view": "Compare side by side",
            "cmp-input-0": "pca",
            "cmp-method-0": "pca",
            "cmp-input-1": "data",
            "cmp-method-1": "tsne",
        },
    )
    assert not at.exception
    grid = charts(at)[0]
    titles = " ".join(a["text"] for a in grid["layout"]["annotations"])
    assert "kNN" in titles
    table = at.dataframe[0].value
    assert len(table) == 2
    assert {"kNN accuracy", "trustworthiness", "batch mixing"} <= set(table.columns)
    assert list(table["embedding"]) == ["PCA", "tSNE of the data"]


def test_course_figure_asks_for_an_autoencoder_first():
    at = with_counts("pages/9_Embeddings.py", **{"emb-view": "Compare side by side"})
    at.button(key="cmp-course").click().run()
    assert not at.exception
    assert "needs an autoencoder" in at.warning[0].value


def test_sequence_run_features_can_be_embedded():
    at = train_cnn(epochs=2)
    at.session_state["seqemb-method"] = "pca"
    at.switch_page("pages/9_Embeddings.py").run()
    assert not at.exception
    assert "kNN accuracy" in summary_metrics(at)
    assert "penultimate-layer features" in charts(at)[0]["layout"]["title"]["text"]


def test_runs_page_shows_an_expression_run():
    at = with_counts("pages/8_Autoencoders.py")
    at.selectbox(key="ae-model").set_value("autoencoder").run()
    at.number_input(key="ae-autoencoder-epochs").set_value(2)
    at.button(key="ae-start").click().run()
    until(at, has_subheader("Results"))
    at.switch_page("pages/6_Runs.py").run()
    assert not at.exception
    assert "Latent dimensions" in summary_metrics(at)


def test_integration_model_shows_each_modality_beside_the_joint_latent():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("pages/8_Autoencoders.py")
    at.session_state["dataset"] = ui.cached_example(
        "simulated-cite-seq", (("n_cells", 300), ("seed", 0))
    )
    at.session_state["ae-model"] = "integration"
    at.run()
    assert not at.exception
    assert any("proteins measured in the same cells" in c.value for c in at.caption)
    at.number_input(key="ae-integration-epochs").set_value(2)
    at.button(key="ae-start").click().run()
    at = until(at, has_subheader("Results"))
    assert not at.exception
    titles = [c["layout"]["title"]["text"] for c in charts(at) if "Latent" in str(c["layout"])]
    assert any("first modality" in t for t in titles)
    assert any("second modality" in t for t in titles)
    assert any("joint" in t for t in titles)
