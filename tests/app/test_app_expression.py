"""AppTest of the expression pages: preprocess, autoencoders, embeddings, and their runs."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import ui
from conftest import ROOT
from support import has_subheader, open_page, summary_metrics, train_cnn, until

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
    monkeypatch.setattr(ui.state, "RUNS_ROOT", tmp_path / "runs")


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


def steps_table(at):
    """The Preprocess page's record of steps (the one table with a "Ran" column)."""
    return next(table.value for table in at.table if "Ran" in table.value.columns)


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
    steps = steps_table(at)
    assert steps.loc["Normalize each cell's total", "Ran"] == "yes"
    assert steps.loc["Take log(1 + x)", "Ran"] == "yes"
    assert "total per cell: " in steps.loc["Normalize each cell's total", "Settings"]
    assert (
        "median of the cells' totals" in steps.loc["Normalize each cell's total", "What happened"]
    )
    assert not at.info or "Not run yet" not in at.info[0].value


def test_preprocess_page_offers_scanpy_median_target_and_a_fixed_one():
    at = with_counts("pages/7_Preprocess.py")
    target = at.radio(key="prep-target")
    assert target.value == "median"
    assert "scanpy's default" in target.options[0]
    target.set_value("10000").run()
    at.button(key="prep-run").click().run()
    steps = steps_table(at)
    assert steps.loc["Normalize each cell's total", "Settings"].startswith("total per cell: 10,000")


def test_preprocess_page_skips_count_steps_for_normalized_data():
    at = open_page("pages/1_Data.py")
    at.selectbox[0].set_value("pbmc68k").run()
    at.button[0].click().run()
    at.switch_page("pages/7_Preprocess.py").run()
    assert not at.exception
    steps = steps_table(at)
    assert steps.loc["Normalize each cell's total", "Ran"] == "no"
    assert "already scaled" in at.info[0].value  # said at the top, before any step
    assert "Load the raw-count example" in at.button[0].label
    for field in ("normalize", "log1p", "hvg", "min_genes_per_cell"):  # cannot run: off
        widget = (
            at.checkbox(key=f"prep-{field}-off")
            if field in ("normalize", "log1p", "hvg")
            else at.text_input(key=f"prep-{field}-off")
        )
        assert widget.disabled and widget.value in (False, "0")
    assert not at.get("plotly_chart")  # no QC histograms of scaled values
    at.button[0].click().run()  # load raw counts
    assert at.session_state["dataset"].value_type == "counts"
    assert not at.checkbox(key="prep-normalize").disabled


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
    assert list(table["embedding"]) == ["PCA", "t-SNE of the data"]


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


def test_sequence_embedding_speaks_of_sequences_not_cells():
    at = train_cnn(epochs=2)
    at.session_state["seqemb-method"] = "pca"
    at.switch_page("pages/9_Embeddings.py").run()
    assert not at.exception
    n = at.session_state["dataset"].n_obs
    captions = [c.value for c in at.caption]
    assert any(f"Scores on all {n:,} sequences" in c for c in captions)
    assert any(c.startswith("Computed in") for c in captions)
    assert not any("cell" in c for c in captions)
    helps = {m.label: m.proto.help for m in at.metric}
    assert "sequences" in helps["kNN accuracy"] and "each sequence's" in helps["Trustworthiness"]
    assert not any("cell" in h for h in helps.values())
    figure = charts(at)[0]
    hover = " ".join(" ".join(trace["text"]) for trace in figure["data"])
    layout = {key: value for key, value in figure["layout"].items() if key != "template"}
    names = [trace.get("name", "") for trace in figure["data"]]
    assert "cell" not in hover and "cell" not in json.dumps(layout) + " ".join(names)


def test_selection_table_labels_columns_and_blanks_undefined_fold_change():
    at = open_page("pages/1_Data.py")
    at.selectbox[0].set_value("pbmc68k").run()
    at.button[0].click().run()
    at.switch_page("pages/9_Embeddings.py")
    selection = {"points": [{"customdata": i} for i in range(0, 700, 3)]}
    at.session_state["emb-method"] = "pca"
    at.session_state["emb-input"] = "data"
    at.session_state["emb-plot-2"] = {"selection": selection}  # as a lasso would leave it
    at.run()
    assert not at.exception
    table = at.dataframe[0]
    config = json.loads(table.proto.columns)
    shown = [key for key in table.value.columns if not config.get(key, {}).get("hidden")]
    for key in shown:  # every visible column: a label for people and a help line
        assert config[key]["label"] != key and "_" not in config[key]["label"]
        assert config[key]["help"]
    assert config["pvals_adj"]["type_config"]["format"] == "%.1e"
    assert set(table.value["log2_fold_change"]) == {"—"}  # pbmc68k is scaled
    notes = [c.value for c in at.caption if "Fold change" in c.value]
    assert len(notes) == 1 and "scaled" in notes[0]


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
