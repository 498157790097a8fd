"""Embeddings: PCA, tSNE and UMAP of data, PCA or a learned latent, with quality scores."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from genodash.data import VALUE_DESCRIPTIONS, MatrixSet, SequenceSet
from genodash.errors import GenodashError
from genodash.expression.cluster import (
    DisplayTable,
    adjusted_rand,
    leiden_clusters,
    top_genes,
    top_genes_display,
)
from genodash.expression.embed import (
    UMAP_LAYOUTS,
    Embedding,
    EmbeddingConfig,
    embed,
    pca_coordinates,
)
from genodash.expression.export import embedding_table, figure_bytes, h5ad_bytes
from genodash.expression.preprocess import ProcessedMatrix
from genodash.expression.scores import embedding_scores, scored_on
from genodash.models import MODELS
from genodash.plotting.expression import embedding_figure, embedding_grid, selection_indices
from genodash.settings import option_title
from genodash.train.expression import cells_latent
from genodash.train.runs import list_runs, load_run

ABOUT = """
An **embedding** draws every cell (or, for a trained sequence model, every sequence) as a
point so that similar ones sit close together.

- **PCA** is linear: the directions of largest variance. Fast, faithful to big distances,
  but it crowds cell types that differ in many small ways.
- **tSNE** and **UMAP** are non-linear: they keep each cell's *neighbours* together and
  make clusters pop out — but distances *between* clusters and cluster sizes mean little.
- Any of them can run on the processed data, on its PCA, or on an autoencoder's **latent
  space** (train one on *Autoencoders*). The course compares *PCA vs autoencoder* and
  *tSNE on PCA vs tSNE on the autoencoder*: the **Compare** view does that in one click.

Do not judge by eye alone: every embedding gets **scores**. *kNN accuracy*: how often a
cell's nearest neighbours share its label. *Silhouette*: how compact and separate the
labelled groups are (−1 to 1). *Trustworthiness*: whether neighbours in the picture were
neighbours in the data (0 to 1). *Batch mixing*: whether cells from different batches mix
(1) or sit apart (0) — high is good when the batches hold the same cell types.

Lasso or box-select cells in the picture to see which genes set them apart.

With sequences loaded, the page embeds what a trained sequence model computes for each
sequence (the input of its last layer), and the scores are computed on sequences.
"""

METHOD_NAMES = {"pca": "PCA", "tsne": "tSNE", "umap": "UMAP"}
LEIDEN = "Leiden cluster"
GENE = "Gene expression"
NO_COLOR = "(none)"
EMBEDDING_FIELDS = {field.name: field for field in fields(EmbeddingConfig)}


# --- inputs: what the embeddings are computed on ----------------------------------------------


LATENT_TABLES = {"": "latent", ":first": "latent_first", ":second": "latent_second"}
MODALITY_NAMES = {
    "": "",
    ":first": " (first modality alone)",
    ":second": " (second modality alone)",
}


def input_options(data_name: str) -> dict[str, str]:
    """Input key -> label: the data, its PCA, and the latent of each expression run (for a
    two-modality run also each modality's own latent), runs on this data first."""
    options = {"data": "Processed data", "pca": "PCA of the data (50 components)"}
    runs = [r for r in list_runs(ui.workspace_dir()) if r.kind == "expression"]
    for listing in sorted(runs, key=lambda r: r.data_name != data_name):
        parts = LATENT_TABLES if listing.model == "integration" else {"": "latent"}
        for suffix in parts:
            model = MODELS[listing.model].short if listing.model in MODELS else listing.model
            options[f"run:{listing.name}{suffix}"] = (
                f"Latent of {model} run “{listing.title}”{MODALITY_NAMES[suffix]}"
            )
    return options


def input_matrix(processed: ProcessedMatrix, key: str, batch_column: str | None) -> object:
    return ui.session_memo(
        "inputs",
        processed,
        (key, batch_column),
        lambda: _compute_input(processed, key, batch_column),
    )


def _compute_input(processed: ProcessedMatrix, key: str, batch_column: str | None) -> object:
    if key == "data":
        return processed.adata.X
    if key == "pca":
        return pca_coordinates(processed.adata.X, min(50, *processed.adata.shape) - 1)
    name, _, modality = key.removeprefix("run:").partition(":")
    run = load_run(ui.workspace_dir() / name)
    table = LATENT_TABLES[f":{modality}" if modality else ""]
    return cells_latent(run, processed.adata, table=table, batch_column=batch_column)


def embedding_of(
    processed: ProcessedMatrix, input_key: str, config: EmbeddingConfig, batch: str | None
) -> Embedding:
    """The embedding of one input with these settings, computed once per session."""

    def compute() -> object:
        matrix = input_matrix(processed, input_key, batch)
        with st.spinner(f"Computing {METHOD_NAMES[config.method]}…"):
            return embed(matrix, config, input_name=input_key)

    return ui.session_memo("embeddings", processed, (input_key, config, batch), compute)


def scores_of(
    processed: ProcessedMatrix,
    input_key: str,
    embedding: Embedding,
    label: str | None,
    batch: str | None,
) -> dict:
    obs = processed.adata.obs
    return ui.session_memo(
        "scores",
        embedding,
        (label, batch),
        lambda: embedding_scores(
            input_matrix(processed, input_key, batch),
            embedding.coords,
            labels=None if label is None else obs[label].astype(str).to_numpy(),
            batches=None if batch is None else obs[batch].astype(str).to_numpy(),
        ),
    )


# --- widgets ------------------------------------------------------------------------------------


def method_settings(prefix: str, method: str, unit: str = "cells") -> EmbeddingConfig:
    columns = st.columns(5)
    dims = columns[0].segmented_control(
        "Dimensions", [2, 3], key=ui.setting(f"{prefix}-dims", 2, [2, 3])
    )
    seed = columns[1].number_input("Seed", 0, 10_000, key=ui.setting(f"{prefix}-seed", 0))
    config = EmbeddingConfig(method=method, n_components=int(dims or 2), seed=int(seed))
    if method == "tsne":
        perplexity = columns[2].slider(
            "Perplexity",
            5.0,
            100.0,
            step=1.0,
            format="%.0f",
            key=ui.setting(f"{prefix}-perplexity", 30.0),
            help=f"Roughly how many neighbours each {_singular(unit)} tries to keep close",
        )
        config = replace(config, perplexity=perplexity)
    if method == "umap":
        neighbours = columns[2].slider(
            "Neighbours", 2, 200, key=ui.setting(f"{prefix}-neighbours", 15)
        )
        min_dist = columns[3].slider(
            "Minimum distance", 0.0, 1.0, step=0.05, key=ui.setting(f"{prefix}-min-dist", 0.5)
        )
        layout = columns[4].selectbox(
            "Layout",
            UMAP_LAYOUTS,
            format_func=option_title,
            key=ui.setting(f"{prefix}-layout", "auto", list(UMAP_LAYOUTS)),
            help=EMBEDDING_FIELDS["umap_layout"].metadata["help"],
        )
        config = replace(
            config, n_neighbors=int(neighbours), min_dist=float(min_dist), umap_layout=layout
        )
    return config


def computed_caption(embedding: Embedding) -> str:
    """How long the embedding took, and whether a UMAP picture will come out the same."""
    took = "under 0.1 s" if embedding.seconds < 0.1 else f"{embedding.seconds:.1f} s"
    return f"Computed in {took}.{layout_note(embedding)}"


def layout_note(embedding: Embedding) -> str:
    """A caption's warning when a UMAP picture will not come out the same next time."""
    if embedding.params.get("deterministic") is False:
        return (
            " The UMAP layout used every core, so it varies slightly from run to run; choose "
            "the reproducible layout for the same picture every time."
        )
    return ""


def metadata_columns(processed: ProcessedMatrix) -> tuple[str | None, str | None]:
    obs_columns = [str(c) for c in processed.adata.obs.columns]
    options = [NO_COLOR, *obs_columns]
    left, right = st.columns(2)
    label = left.selectbox(
        "Label column (for kNN accuracy and silhouette)",
        options,
        key=ui.setting("emb-label", _default(processed.label_column, options), options),
    )
    batch = right.selectbox(
        "Batch column (for batch mixing)",
        options,
        key=ui.setting("emb-batch", _default(processed.batch_column, options), options),
    )
    return (None if label == NO_COLOR else label), (None if batch == NO_COLOR else batch)


def _default(column: str | None, options: list[str]) -> str:
    return column if column in options else NO_COLOR


def color_values(
    processed: ProcessedMatrix, source_key: str, input_key: str, label: str | None
) -> tuple[list | np.ndarray, str]:
    """The colour column chosen by the user: metadata, Leiden clusters or a gene."""
    obs = processed.adata.obs
    options = [*[str(c) for c in obs.columns], LEIDEN, GENE]
    choice = st.selectbox(
        "Colour cells by",
        options,
        key=ui.setting(f"{source_key}-color", label or options[0], options),
    )
    if choice == LEIDEN:
        return clusters_for(processed, input_key, label), LEIDEN
    if choice == GENE:
        genes = [str(g) for g in processed.adata.var_names]
        gene = st.selectbox(
            "Gene (type to search)",
            genes,
            key=ui.setting(f"{source_key}-gene", genes[0], genes),
            help="The colour is the gene's value in each cell, as preprocessed: "
            f"{VALUE_DESCRIPTIONS[processed.value_type]}",
        )
        column = processed.adata[:, gene].X
        values = column.toarray().ravel() if hasattr(column, "toarray") else np.ravel(column)
        return values.astype(float), gene
    return obs[choice].astype(str).tolist(), choice


def clusters_for(processed: ProcessedMatrix, input_key: str, label: str | None) -> list[str]:
    resolution = st.slider(
        "Leiden resolution",
        0.1,
        3.0,
        step=0.1,
        format="%.1f",
        key=ui.setting("emb-resolution", 1.0),
        help="Higher: more, smaller clusters",
    )
    with st.spinner("Finding Leiden clusters…"):
        clusters = ui.session_memo(
            "clusters",
            processed,
            (input_key, resolution),
            lambda: leiden_clusters(
                input_matrix(processed, input_key, None), resolution=resolution
            ),
        )
    st.session_state["emb-last-clusters"] = (id(processed), clusters)
    text = f"{len(set(clusters))} clusters at resolution {resolution:g}"
    if label is not None:
        ari = adjusted_rand(processed.adata.obs[label].astype(str).to_numpy(), clusters)
        text += f"; agreement with '{ui.escape_markdown(label)}' (adjusted Rand index): {ari:.3f}"
    st.caption(text)
    return list(clusters)


def _singular(unit: str) -> str:
    return unit.removesuffix("s")


def score_help(scores: dict, unit: str = "cells") -> dict[str, str]:
    """One line per score: what it measures, its range, which way is better."""
    one = _singular(unit)
    k, k_batch = scores.get("k", 15), scores.get("k_batch", 50)
    return {
        "knn_accuracy": f"Share of {unit} whose {k} nearest neighbours in the picture mostly "
        "share their label (0 to 1, higher is better)",
        "silhouette": "How compact and apart the labelled groups are (−1 to 1, higher is "
        "better; undefined with fewer than 2 groups)",
        "trustworthiness": f"Whether each {one}'s {k} nearest neighbours in the picture "
        "were near it in the data too (0 to 1, higher is better)",
        "batch_mixing": f"Whether {unit} of different batches mix among each {one}'s "
        f"{k_batch} neighbours: 0 = apart, 1 = as mixed as the whole data set (undefined "
        "with one batch)",
    }


def score_metrics(scores: dict, unit: str = "cells") -> None:
    helps = score_help(scores, unit)
    shown = [(k, scores[k]) for k in SCORE_LABELS if scores.get(k) is not None]
    for column, (key, value) in zip(st.columns(len(shown)), shown, strict=True):
        text = f"{value:.3f}" if np.isfinite(value) else UNDEFINED
        column.metric(SCORE_LABELS[key], text, help=helps[key])
    st.caption(
        f"{scored_on(scores, unit)}"
        f"{'; — = undefined here (see each score’s help)' if _any_undefined(scores) else ''}."
    )


def _any_undefined(scores: dict) -> bool:
    return any(scores.get(k) is not None and not np.isfinite(scores[k]) for k in SCORE_LABELS)


# --- views ------------------------------------------------------------------------------------


def explore_view(dataset: MatrixSet, processed: ProcessedMatrix) -> None:
    label, batch = metadata_columns(processed)
    options = input_options(processed.source_name)
    left, right = st.columns(2)
    input_key = left.selectbox(
        "Computed on", list(options), format_func=options.get, key=ui.setting("emb-input", "pca")
    )
    method = right.segmented_control(
        "Method",
        list(METHOD_NAMES),
        format_func=METHOD_NAMES.get,
        key=ui.setting("emb-method", "pca", list(METHOD_NAMES)),
    )
    config = method_settings("emb", method or "pca")
    embedding = embedding_of(processed, input_key, config, batch)
    colors, color_name = color_values(processed, "emb", input_key, label)
    cell_ids = processed.adata.obs_names.astype(str).tolist()
    figure = embedding_figure(
        embedding.coords,
        color=colors,
        color_name=color_name,
        cell_ids=cell_ids,
        hover=_hover(processed, label, batch),
        title=embedding_title(input_key, config.method, options),
    )
    event = st.plotly_chart(
        figure,
        on_select="rerun",
        selection_mode=("lasso", "box"),
        key=f"emb-plot-{config.n_components}",
    )
    st.caption(computed_caption(embedding))
    score_metrics(scores_of(processed, input_key, embedding, label, batch))
    selection_section(processed, event)
    downloads(processed, embedding, figure, (colors, color_name), input_key, batch)


def _hover(processed: ProcessedMatrix, label: str | None, batch: str | None) -> dict:
    obs = processed.adata.obs
    return {name: obs[name].astype(str).tolist() for name in (label, batch) if name is not None}


def selection_section(processed: ProcessedMatrix, event: object) -> None:
    indices = selection_indices(event)
    if not indices:
        st.caption("Lasso or box-select cells to see the genes that set them apart.")
        return
    mask = np.zeros(processed.adata.n_obs, dtype=bool)
    mask[indices] = True
    st.markdown(f"**{mask.sum():,} cells selected**: top genes against the other cells")
    try:
        table = top_genes(processed.adata, mask)
    except GenodashError as error:
        ui.show_error(error)
        return
    show_table(top_genes_display(table))
    st.download_button(
        "Download these genes (CSV)",
        table.to_csv(index=False),
        file_name="selection_top_genes.csv",
        on_click="ignore",
        icon=":material/download:",
        key="emb-selection-download",
    )


def show_table(display: DisplayTable) -> None:
    """A library display table: its labels, help lines and number formats, its note once."""
    config = {
        key: (
            st.column_config.TextColumn(column.label, help=column.help)
            if column.format is None
            else st.column_config.NumberColumn(column.label, help=column.help, format=column.format)
        )
        for key, column in display.columns.items()
    }
    st.dataframe(display.frame, hide_index=True, width="stretch", column_config=config)
    if display.note:
        st.caption(display.note)


def downloads(
    processed: ProcessedMatrix,
    embedding: Embedding,
    figure: go.Figure,
    coloring: tuple[list | np.ndarray, str],
    input_key: str,
    batch: str | None,
) -> None:
    colors, color_name = coloring
    obs = processed.adata.obs
    extra = {str(c): obs[c].astype(str).tolist() for c in obs.columns[:8]}
    if color_name == LEIDEN:
        extra["leiden"] = colors
    table = embedding_table(
        processed.adata.obs_names.astype(str).tolist(),
        embedding.coords,
        method=embedding.method,
        extra=extra,
    )
    stem = f"{embedding.method}_{input_key.replace(':', '_')}"
    columns = st.columns(5)
    columns[0].download_button(
        "Coordinates (CSV)",
        table.to_csv(index=False),
        file_name=f"{stem}.csv",
        on_click="ignore",
        icon=":material/download:",
        key="emb-dl-csv",
    )
    for column, fmt in zip(columns[1:4], ("png", "svg", "html"), strict=True):
        column.download_button(
            f"Figure ({fmt.upper()})",
            lambda fmt=fmt: figure_bytes(figure, fmt),  # made on click
            file_name=f"{stem}.{fmt}",
            on_click="ignore",
            icon=":material/image:",
            key=f"emb-dl-{fmt}",
        )
    with columns[4]:
        h5ad_download(processed, embedding, input_key, batch)


def h5ad_download(
    processed: ProcessedMatrix, embedding: Embedding, input_key: str, batch: str | None
) -> None:
    latent = None
    if input_key.startswith("run:"):
        latent = input_matrix(processed, input_key, batch)
    stored = st.session_state.get("emb-last-clusters")
    clusters = stored[1] if stored is not None and stored[0] == id(processed) else None
    name = f"{embedding.method}_{input_key.replace(':', '_')}"
    st.download_button(
        "AnnData (.h5ad)",
        lambda: h5ad_bytes(  # made on click, not kept in the session
            processed, embeddings={name: embedding.coords}, latent=latent, clusters=clusters
        ),
        file_name="embedding.h5ad",
        help="The processed matrix with this embedding (and the Leiden clusters and latent "
        "space, when shown), to open with scanpy or anndata",
        on_click="ignore",
        icon=":material/download:",
        key="emb-dl-h5ad",
    )


COURSE_PANELS = (("pca", "pca"), ("latent", "pca"), ("pca", "tsne"), ("latent", "tsne"))


def compare_view(dataset: MatrixSet, processed: ProcessedMatrix) -> None:
    label, batch = metadata_columns(processed)
    options = input_options(processed.source_name)
    runs = [key for key in options if key.startswith("run:")]
    autoencoders = [key for key in runs if "autoencoder run" in options[key]]
    st.markdown(
        "Up to four embeddings of the same cells, same colours, scores under each panel. "
        "The **course figure**: PCA | autoencoder latent | tSNE on PCA | tSNE on the latent."
    )
    if st.button("Course figure", icon=":material/school:", key="cmp-course"):
        _set_course_panels(autoencoders or runs)
    panels = []
    for i in range(4):
        if i % 2 == 0:
            columns = st.columns(2, gap="large")
        with columns[i % 2]:
            chosen = panel_choice(i, options)
        if chosen is not None:
            panels.append(chosen)
    if not panels:
        st.info("Choose at least one panel.", icon=":material/info:")
        return
    if not runs:
        st.caption("No autoencoder yet: train one on *Autoencoders* to compare its latent space.")
    computed = []
    for input_key, method in panels:
        config = EmbeddingConfig(method=method)
        embedding = embedding_of(processed, input_key, config, batch)
        scores = scores_of(processed, input_key, embedding, label, batch)
        title = embedding_title(input_key, method, options)
        computed.append((title, embedding.coords, scores))
    colors = None if label is None else processed.adata.obs[label].astype(str).tolist()
    figure = embedding_grid(
        computed,
        color=colors,
        color_name=label or "",
        cell_ids=processed.adata.obs_names.astype(str).tolist(),
    )
    st.plotly_chart(figure, key="cmp-grid")
    table = pd.DataFrame(
        [
            {"embedding": title, **{SCORE_COLUMNS[k]: s[k] for k in SCORE_COLUMNS if k in s}}
            for title, _, s in computed
        ]
    )
    shown = _blank_undefined(table)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=score_columns(shown))
    st.caption(
        f"{scored_on(computed[0][2])}, k = {computed[0][2]['k']} neighbours"
        f"{'; — = undefined here (see each score’s help)' if table.isna().any().any() else ''}."
    )
    st.download_button(
        "Scores (CSV)",
        table.to_csv(index=False),
        file_name="embedding_scores.csv",
        on_click="ignore",
        icon=":material/download:",
        key="cmp-dl-scores",
    )


def embedding_title(input_key: str, method: str, options: dict[str, str]) -> str:
    """Short titles: 'PCA', 'UMAP of PCA', 'tSNE of the autoencoder latent (run …)'."""
    if input_key in ("pca", "data") and method == "pca":
        return "PCA"
    if input_key == "pca":
        return f"{METHOD_NAMES[method]} of PCA"
    if input_key == "data":
        return f"{METHOD_NAMES[method]} of the data"
    modality = input_key.removeprefix("run:").partition(":")[2]
    suffix = MODALITY_NAMES[f":{modality}" if modality else ""]
    model = options[input_key].removeprefix("Latent of ").split(" run ")[0]
    return f"{METHOD_NAMES[method]} of the {model} latent{suffix}"


# score key -> its column in the compare table (and the scores CSV) and its label on screen
SCORE_COLUMNS = {
    "knn_accuracy": "kNN accuracy",
    "silhouette": "silhouette",
    "trustworthiness": "trustworthiness",
    "batch_mixing": "batch mixing",
}
SCORE_LABELS = {
    "knn_accuracy": "kNN accuracy",
    "silhouette": "Silhouette",
    "trustworthiness": "Trustworthiness",
    "batch_mixing": "Batch mixing",
}
UNDEFINED = "—"


def score_columns(shown: pd.DataFrame) -> dict[str, object]:
    """Labels and help of the compare table's columns (text where "—" stands for NaN)."""
    helps = score_help({})
    config: dict[str, object] = {
        "embedding": st.column_config.TextColumn("Embedding", help="What was embedded, and how")
    }
    for key, column in SCORE_COLUMNS.items():
        if column in shown and shown[column].dtype == object:
            config[column] = st.column_config.TextColumn(SCORE_LABELS[key], help=helps[key])
        else:
            config[column] = st.column_config.NumberColumn(
                SCORE_LABELS[key], help=helps[key], format="%.3f"
            )
    return config


def _blank_undefined(table: pd.DataFrame) -> pd.DataFrame:
    """Score columns with an undefined (NaN) value become text, with "—" for it."""
    shown = table.copy()
    for column in SCORE_COLUMNS.values():
        if column in shown and shown[column].isna().any():
            shown[column] = [UNDEFINED if pd.isna(v) else f"{v:.3f}" for v in shown[column]]
    return shown


def _set_course_panels(runs: list[str]) -> None:
    if not runs:
        st.warning(
            "The course figure needs an autoencoder: train one on *Autoencoders* first.",
            icon=":material/warning:",
        )
        return
    for i, (source, method) in enumerate(COURSE_PANELS):
        st.session_state[f"cmp-input-{i}"] = runs[0] if source == "latent" else "pca"
        st.session_state[f"cmp-method-{i}"] = method


def panel_choice(index: int, options: dict[str, str]) -> tuple[str, str] | None:
    keys = ["(empty)", *options]
    default = "pca" if index < 2 else "(empty)"
    left, right = st.columns([3, 1])
    input_key = left.selectbox(
        f"Panel {index + 1}: computed on",
        keys,
        format_func=lambda k: options.get(k, k),
        key=ui.setting(f"cmp-input-{index}", default, keys),
    )
    method = right.selectbox(
        "Method",
        list(METHOD_NAMES),
        format_func=METHOD_NAMES.get,
        key=ui.setting(f"cmp-method-{index}", "tsne" if index else "pca", list(METHOD_NAMES)),
    )
    return None if input_key == "(empty)" else (input_key, method)


def sequence_view(dataset: SequenceSet) -> None:
    st.markdown(
        "A trained sequence model turns each sequence into a vector: the input of its last "
        "layer. Embedding those vectors shows how the model sees your sequences — if it "
        "learned the task, the classes form separate groups."
    )
    runs = [r for r in list_runs(ui.workspace_dir()) if r.kind == "sequence"]
    if not runs:
        st.info("No sequence model yet: train one first.", icon=":material/info:")
        st.page_link("pages/3_Train.py", label="Train a model", icon=":material/model_training:")
        return
    listing = ui.run_selector("Sequence run", runs, key="seqemb-run")
    name = listing.name
    method = st.segmented_control(
        "Method",
        list(METHOD_NAMES),
        format_func=METHOD_NAMES.get,
        key=ui.setting("seqemb-method", "umap", list(METHOD_NAMES)),
    )
    config = method_settings("seqemb", method or "umap", unit="sequences")
    path = listing.path
    with st.spinner("Running the model over the sequences and embedding its features…"):
        embedding, scores = ui.session_memo(
            "sequence-features",
            dataset,
            (name, config),
            lambda: _features_embedding(load_run(path), dataset, config),
        )
    colors = None if dataset.labels is None else [str(x) for x in dataset.labels]
    figure = embedding_figure(
        embedding.coords,
        color=colors,
        color_name="" if colors is None else "class",
        cell_ids=list(dataset.ids),
        title=f"{METHOD_NAMES[embedding.method]} of the penultimate-layer features of "
        f"{listing.title}",
        unit="sequences",
    )
    st.plotly_chart(figure, key="seqemb-plot")
    st.caption(computed_caption(embedding))
    score_metrics(scores, unit="sequences")
    table = embedding_table(
        list(dataset.ids),
        embedding.coords,
        method=embedding.method,
        extra=None if colors is None else {"class": colors},
    )
    st.download_button(
        "Coordinates (CSV)",
        table.to_csv(index=False),
        file_name=f"{embedding.method}_features_{name}.csv",
        on_click="ignore",
        icon=":material/download:",
        key="seqemb-dl",
    )


def _features_embedding(run: object, dataset: SequenceSet, config: EmbeddingConfig) -> tuple:
    from genodash.train.sequence import sequence_features

    features = sequence_features(run, dataset)
    embedding = embed(features, config, input_name=f"features:{run.config['model']}")
    labels = None if dataset.labels is None else np.asarray(dataset.labels, dtype=str)
    scores = embedding_scores(features, embedding.coords, labels=labels, unit="sequences")
    return embedding, scores


VIEWS = ("Explore", "Compare side by side")

with ui.page("Embeddings", ":material/bubble_chart:", ABOUT):
    dataset = ui.current_dataset()
    if isinstance(dataset, SequenceSet):
        sequence_view(dataset)
    else:
        try:
            processed = ui.processed_matrix(dataset)
        except GenodashError as error:
            ui.show_error(error, context="The default preprocessing does not suit this matrix")
            processed = None
        if processed is not None:
            ui.processed_caption(dataset)
            ui.scanpy_defaults_expander()
            view = (
                st.segmented_control("View", VIEWS, key=ui.setting("emb-view", VIEWS[0], VIEWS))
                or VIEWS[0]
            )
            try:
                if view == VIEWS[0]:
                    explore_view(dataset, processed)
                else:
                    compare_view(dataset, processed)
            except GenodashError as error:
                ui.show_error(error, context="This embedding cannot be computed")
