"""What embeddings are computed on (input keys, run latents, titles), the workbench that
computes each once, and the scores as people read them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from genodash.examples import simulated_counts
from genodash.expression import embedding_inputs as inputs
from genodash.expression.cluster import cluster_summary
from genodash.expression.display import UNDEFINED
from genodash.expression.embed import Embedding, EmbeddingConfig, embedding_caption
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.scores import (
    embed_and_score,
    score_metrics,
    scores_caption,
    scores_display,
    scores_table,
)
from genodash.expression.workbench import EmbeddingWorkbench

N_CELLS = 100


@pytest.fixture(scope="module")
def processed():
    matrix = simulated_counts(n_cells=N_CELLS, n_genes=140, n_types=3, seed=0)
    return preprocess(matrix, PreprocessConfig(hvg=False))


def _save_run(
    folder, *, model: str, data_name: str, latent: pd.DataFrame | None = None, dims: int = 0
):
    from genodash.models import build_model
    from genodash.train.runs import Run, save_run

    run = Run(
        config={"model": model, "kind": "expression", "n_outputs": 2, "model_config": {}},
        metrics={"latent_dim": dims} if dims else {},
        history=[{"epoch": 1, "train_loss": 1.0}],
        data={"name": data_name},
        model=build_model("cnn", n_outputs=2),
        tables={} if latent is None else {"latent": latent},
        title=f"{model} run",
    )
    return save_run(run, folder)


def _latent(cells: list[str], k: int = 3) -> pd.DataFrame:
    values = np.random.default_rng(0).normal(size=(len(cells), k))
    table = pd.DataFrame(values, columns=[f"z{i + 1}" for i in range(k)])
    table.insert(0, "cell", cells)
    return table


def _cells(processed) -> list[str]:
    return [str(c) for c in processed.adata.obs_names]


# --- input keys ---------------------------------------------------------------------------------


def test_inputs_without_runs_are_the_data_and_its_pca(tmp_path, processed) -> None:
    offered = inputs.embedding_inputs(tmp_path / "none", processed.source_name)
    assert {key: source.label for key, source in offered.items()} == {
        "data": "Processed data",
        "pca": "PCA of the data (50 components)",
    }
    assert inputs.course_panels(offered) == []


def test_runs_on_this_data_come_first_and_two_modalities_offer_each(tmp_path, processed) -> None:
    _save_run(tmp_path / "ae-other", model="autoencoder", data_name="other data")
    _save_run(tmp_path / "joint", model="integration", data_name=processed.source_name)
    offered = inputs.embedding_inputs(tmp_path, processed.source_name)
    assert list(offered) == [
        "data",
        "pca",
        "run:joint",
        "run:joint:first",
        "run:joint:second",
        "run:ae-other",
    ]
    first = offered["run:joint:first"]
    assert (
        first.label == "Latent of RNA + protein autoencoder run “integration run” (first "
        "modality alone)"
    )
    assert (first.run_name, first.modality) == ("joint", "first")
    assert offered["run:ae-other"].model_short == "Autoencoder"
    assert inputs.course_panels(offered) == [
        ("pca", "pca"),
        ("run:joint", "pca"),
        ("pca", "tsne"),
        ("run:joint", "tsne"),
    ]


def test_the_course_figure_draws_a_2d_bottleneck_and_runs_tsne_on_the_widest(
    tmp_path, processed
) -> None:
    for name, dims in (("ae10", 10), ("ae2", 2), ("ae5", 5)):
        _save_run(tmp_path / name, model="autoencoder", data_name=processed.source_name, dims=dims)
    offered = inputs.embedding_inputs(tmp_path, processed.source_name)
    assert offered["run:ae2"].latent_dim == 2
    assert inputs.course_panels(offered) == [
        ("pca", "pca"),
        ("run:ae2", "pca"),
        ("pca", "tsne"),
        ("run:ae10", "tsne"),
    ]


def test_titles_use_the_method_display_names() -> None:
    data = inputs.EmbeddingInput("data", "Processed data")
    pca = inputs.EmbeddingInput("pca", "PCA of the data")
    latent = inputs.EmbeddingInput("run:r1:second", "…", "RNA + protein autoencoder")
    assert inputs.embedding_title(data, "pca") == "PCA"
    assert inputs.embedding_title(pca, "umap") == "UMAP of PCA"
    assert inputs.embedding_title(data, "tsne") == "t-SNE of the data"
    assert (
        inputs.embedding_title(latent, "tsne")
        == "t-SNE of the RNA + protein autoencoder latent (second modality alone)"
    )
    assert inputs.download_stem("tsne", "run:r1:second") == "tsne_run_r1_second"
    assert inputs.is_latent("run:r1") and not inputs.is_latent("pca")


def test_input_matrix_of_data_pca_and_a_saved_latent(tmp_path, processed) -> None:
    latent = _latent(_cells(processed))
    _save_run(tmp_path / "ae", model="cnn", data_name="x", latent=latent.iloc[::-1])
    X = inputs.input_matrix(processed, "data", runs_dir=tmp_path)
    assert X is processed.adata.X
    pcs = inputs.input_matrix(processed, "pca", runs_dir=tmp_path)
    assert pcs.shape == (N_CELLS, 50 - 1)  # components: at most min(50, cells, genes) - 1
    z = inputs.input_matrix(processed, "run:ae", runs_dir=tmp_path)
    np.testing.assert_allclose(z, latent[["z1", "z2", "z3"]].to_numpy(), rtol=1e-6)


def test_run_latent_says_whether_it_encoded(tmp_path, processed, monkeypatch) -> None:
    import genodash.predict as predict
    from genodash.train.runs import load_run

    monkeypatch.setattr(
        predict, "latent_for_run", lambda run, adata, **_: np.ones((adata.n_obs, 2))
    )
    partial = _latent(_cells(processed)[:10])
    run = load_run(_save_run(tmp_path / "ae", model="cnn", data_name="x", latent=partial))
    told = []
    latent, saved = inputs.run_latent(run, processed.adata, on_encode=lambda: told.append(1))
    assert not saved and told == [1]
    assert latent.dtype == np.float32 and latent.shape == (N_CELLS, 2)


# --- the workbench ------------------------------------------------------------------------------


def test_workbench_computes_each_embedding_and_score_once(tmp_path, processed) -> None:
    bench = EmbeddingWorkbench(processed, tmp_path, size=2)
    config = EmbeddingConfig(method="pca")
    first = bench.embedding("data", config)
    assert bench.embedding("data", EmbeddingConfig(method="pca")) is first  # by content
    scores = bench.scores("data", config, label=processed.label_column)
    assert bench.scores("data", config, label=processed.label_column) is scores
    assert 0 <= scores["knn_accuracy"] <= 1 and "batch_mixing" not in scores
    bench.embedding("pca", config)
    bench.embedding("data", EmbeddingConfig(method="pca", seed=1))
    assert bench.embedding("data", config) is not first  # only the last two are kept


def test_workbench_panels_clusters_and_table(tmp_path, processed) -> None:
    bench = EmbeddingWorkbench(processed, tmp_path)
    panels = bench.panels([("pca", "pca"), ("data", "tsne")], label=processed.label_column)
    assert [title for title, _, _ in panels] == ["PCA", "t-SNE of the data"]
    assert all(coords.shape == (N_CELLS, 2) for _, coords, _ in panels)
    clusters = bench.clusters("pca", 1.0)
    assert bench.clusters("pca", 1.0) is clusters and len(clusters) == N_CELLS
    embedding = bench.embedding("pca", EmbeddingConfig(method="pca"))
    table = bench.coordinates_table(embedding, clusters=list(clusters))
    assert list(table.columns[:3]) == ["cell", "x", "y"] and "leiden" in table
    assert "leiden" not in bench.coordinates_table(embedding)
    assert bench.obs_text(None) is None


def test_a_2d_latent_is_drawn_directly_without_a_trivial_trustworthiness(
    tmp_path, processed
) -> None:
    flat, wide = _latent(_cells(processed), k=2), _latent(_cells(processed), k=3)
    # saved with a small CNN's weights, which is all the test's runs hold
    _save_run(tmp_path / "ae2", model="cnn", data_name="x", latent=flat, dims=2)
    _save_run(tmp_path / "ae3", model="cnn", data_name="x", latent=wide, dims=3)
    bench = EmbeddingWorkbench(processed, tmp_path)
    chosen = [("run:ae2", "pca"), ("run:ae3", "pca"), ("run:ae2", "tsne")]
    panels = bench.panels(chosen, label=processed.label_column)
    titles = [title for title, _, _ in panels]
    assert titles == [
        "The CNN latent (2-D, drawn directly)",
        "PCA of the CNN latent",
        "t-SNE of the CNN latent",
    ]
    trust = [scores["trustworthiness"] for _, _, scores in panels]
    assert np.isnan(trust[0]) and 0 < trust[1] <= 1 and 0 < trust[2] <= 1
    assert 0 <= panels[0][2]["knn_accuracy"] <= 1


def test_cluster_summary_counts_and_compares(processed) -> None:
    clusters = np.array(["0", "0", "1", "1"])
    assert cluster_summary(clusters, 1.0) == "2 clusters at resolution 1"
    text = cluster_summary(clusters, 0.5, labels=["a", "a", "b", "b"], label_name="type")
    assert (
        text == "2 clusters at resolution 0.5; agreement with 'type' (adjusted Rand index): 1.000"
    )


# --- embedding and scores for people -------------------------------------------------------------


def test_embed_and_score_scores_against_the_reference(processed) -> None:
    X = processed.adata.X
    pcs = inputs.input_matrix(processed, "pca", runs_dir=None)
    config = EmbeddingConfig(method="pca")
    embedding, scores = embed_and_score(pcs, config, input_name="pca", reference=X, seed=3)
    assert embedding.input_name == "pca" and scores["n_scored"] == N_CELLS
    _, own = embed_and_score(pcs, config)
    assert own["trustworthiness"] != scores["trustworthiness"]


def test_score_metrics_blank_undefined_and_speak_of_the_unit() -> None:
    scores = {"trustworthiness": 0.91234, "silhouette": math.nan, "n_scored": 10, "k": 4}
    metrics = score_metrics(scores, unit="sequences")
    assert [(m.label, m.value) for m in metrics] == [
        ("Silhouette", UNDEFINED),
        ("Trustworthiness", "0.912"),
    ]
    assert "each sequence's 4 nearest" in metrics[1].help
    assert scores_caption(scores, "sequences") == (
        "Scores on all 10 sequences; — = undefined here (see each score’s help)."
    )
    assert scores_caption({"n_scored": 5, "n_total": 9}) == "Scores on a random 5 of the 9 cells."


def test_scores_display_turns_only_undefined_columns_into_text() -> None:
    rows = [
        ("PCA", {"trustworthiness": 0.9, "silhouette": 0.2, "n_scored": 8, "k": 3}),
        ("UMAP", {"trustworthiness": 0.8, "silhouette": math.nan, "n_scored": 8, "k": 3}),
    ]
    assert list(scores_table(rows).columns) == ["embedding", "silhouette", "trustworthiness"]
    display = scores_display(rows)
    assert list(display.frame["silhouette"]) == ["0.200", UNDEFINED]
    assert display.columns["silhouette"].format is None
    assert display.columns["trustworthiness"].format == "%.3f"
    assert display.columns["embedding"].label == "Embedding"
    assert display.note == (
        "Scores on all 8 cells, k = 3 neighbours; — = undefined here (see each score’s help)."
    )


def test_embedding_caption_warns_of_a_parallel_layout() -> None:
    coords = np.zeros((4, 2), dtype=np.float32)
    quick = Embedding(coords, "pca", "data", {}, 0.05)
    assert embedding_caption(quick) == "Computed in under 0.1 s."
    parallel = Embedding(coords, "umap", "data", {"deterministic": False}, 2.34)
    assert embedding_caption(parallel).startswith("Computed in 2.3 s. The UMAP layout used")


def test_sequence_features_are_embedded_and_scored(trained_cnn, small_motif_data) -> None:
    run = trained_cnn.run if hasattr(trained_cnn, "run") else trained_cnn
    embedding, scores = inputs.sequence_features_embedding(
        run, small_motif_data, EmbeddingConfig(method="pca")
    )
    assert embedding.input_name == "features:cnn"
    assert embedding.coords.shape == (small_motif_data.n_obs, 2)
    assert "knn_accuracy" in scores and scores["n_total"] == small_motif_data.n_obs
