"""Embeddings: PCA, t-SNE and UMAP of data, PCA or a learned latent, with quality scores."""

from __future__ import annotations

from dataclasses import fields, replace

import plotly.graph_objects as go
import streamlit as st

import ui
from genodash.data import VALUE_DESCRIPTIONS, MatrixSet, SequenceSet
from genodash.errors import GenodashError
from genodash.expression import embedding_inputs as inputs
from genodash.expression.cluster import cluster_summary, top_genes, top_genes_display
from genodash.expression.display import DisplayTable
from genodash.expression.embed import (
    METHOD_TITLES,
    UMAP_LAYOUTS,
    Embedding,
    EmbeddingConfig,
    embedding_caption,
)
from genodash.expression.export import embedding_table, figure_bytes, h5ad_bytes
from genodash.expression.preprocess import ProcessedMatrix
from genodash.expression.scores import score_metrics, scores_caption, scores_display, scores_table
from genodash.expression.workbench import EmbeddingWorkbench
from genodash.plotting.expression import embedding_figure, embedding_grid, selection_indices
from genodash.settings import option_title
from genodash.train.runs import list_runs, load_run

ABOUT = """
An **embedding** draws every cell (or, for a trained sequence model, every sequence) as a
point so that similar ones sit close together.

- **PCA** is linear: the directions of largest variance. Fast, faithful to big distances,
  but it crowds cell types that differ in many small ways.
- **t-SNE** and **UMAP** are non-linear: they keep each cell's *neighbours* together and
  make clusters pop out — but distances *between* clusters and cluster sizes mean little.
- Any of them can run on the processed data, on its PCA, or on an autoencoder's **latent
  space** (train one on *Autoencoders*). The course compares *PCA vs autoencoder* and
  *t-SNE on PCA vs t-SNE on the autoencoder*: the **Compare** view does that in one click.

Do not judge by eye alone: every embedding gets **scores**. *kNN accuracy*: how often a
cell's nearest neighbours share its label. *Silhouette*: how compact and separate the
labelled groups are (−1 to 1). *Trustworthiness*: whether neighbours in the picture were
neighbours in the data (0 to 1). *Batch mixing*: whether cells from different batches mix
(1) or sit apart (0) — high is good when the batches hold the same cell types.

Lasso or box-select cells in the picture to see which genes set them apart.

With sequences loaded, the page embeds what a trained sequence model computes for each
sequence (the input of its last layer), and the scores are computed on sequences.
"""


METHODS = list(METHOD_TITLES)
LEIDEN = "Leiden cluster"
GENE = "Gene expression"
NO_COLOR = "(none)"
EMBEDDING_FIELDS = {field.name: field for field in fields(EmbeddingConfig)}
VIEWS = ("Explore", "Compare side by side")


def workbench_of(processed: ProcessedMatrix) -> EmbeddingWorkbench:
    """This matrix's embeddings, inputs, scores and clusters, kept for the session."""
    runs_dir = ui.workspace_dir()
    make = lambda: EmbeddingWorkbench(processed, runs_dir)  # noqa: E731
    return ui.session_cached("embedding-workbench", processed, make, key=runs_dir)


def embedding_of(
    bench: EmbeddingWorkbench, key: str, config: EmbeddingConfig, batch: str | None
) -> Embedding:
    bench.matrix(key, batch)  # the input first: the spinner names the embedding only
    with st.spinner(f"Computing {METHOD_TITLES[config.method]}…"):
        return bench.embedding(key, config, batch)


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
            help=f"Roughly how many neighbours each {unit.removesuffix('s')} tries to keep close",
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


def method_choice(label: str, key: str, default: str, *, menu: bool = False) -> str | None:
    widget = st.selectbox if menu else st.segmented_control
    options = {"format_func": METHOD_TITLES.get, "key": ui.setting(key, default, METHODS)}
    return widget(label, METHODS, **options)


def metadata_columns(processed: ProcessedMatrix) -> tuple[str | None, str | None]:
    options = [NO_COLOR, *[str(c) for c in processed.adata.obs.columns]]
    widgets = (
        ("Label column (for kNN accuracy and silhouette)", "emb-label", processed.label_column),
        ("Batch column (for batch mixing)", "emb-batch", processed.batch_column),
    )
    chosen = [
        column.selectbox(text, options, key=ui.setting(key, _default(known, options), options))
        for column, (text, key, known) in zip(st.columns(2), widgets, strict=True)
    ]
    return tuple(None if name == NO_COLOR else name for name in chosen)


def _default(column: str | None, options: list[str]) -> str:
    return column if column in options else NO_COLOR


def color_values(bench: EmbeddingWorkbench, input_key: str, label: str | None) -> tuple[list, str]:
    """The colour column chosen by the user: metadata, Leiden clusters or a gene."""
    adata = bench.processed.adata
    options = [*[str(c) for c in adata.obs.columns], LEIDEN, GENE]
    choice = st.selectbox(
        "Colour cells by", options, key=ui.setting("emb-color", label or options[0], options)
    )
    if choice == LEIDEN:
        return clusters_for(bench, input_key, label), LEIDEN
    if choice == GENE:
        genes = [str(g) for g in adata.var_names]
        gene = st.selectbox(
            "Gene (type to search)",
            genes,
            key=ui.setting("emb-gene", genes[0], genes),
            help="The colour is the gene's value in each cell, as preprocessed: "
            f"{VALUE_DESCRIPTIONS[bench.processed.value_type]}",
        )
        return adata.obs_vector(gene).astype(float), gene
    return adata.obs[choice].astype(str).tolist(), choice


def clusters_for(bench: EmbeddingWorkbench, input_key: str, label: str | None) -> list[str]:
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
        clusters = bench.clusters(input_key, resolution)
    name = ui.escape_markdown(label or "")
    labels = bench.obs_text(label)
    st.caption(cluster_summary(clusters, resolution, labels=labels, label_name=name))
    return list(clusters)


def show_scores(scores: dict, unit: str = "cells") -> None:
    metrics = score_metrics(scores, unit)
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(metric.label, metric.value, help=metric.help)
    st.caption(scores_caption(scores, unit))


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


def download(where: object, label: str, data: object, file_name: str, key: str, **extra) -> None:
    icon = ":material/image:" if label.startswith("Figure") else ":material/download:"
    where.download_button(
        label, data, file_name=file_name, on_click="ignore", icon=icon, key=key, **extra
    )


def explore_view(bench: EmbeddingWorkbench) -> None:
    label, batch = metadata_columns(bench.processed)
    options = bench.inputs()
    left, right = st.columns(2)
    input_key = left.selectbox(
        "Computed on",
        list(options),
        format_func=lambda key: options[key].label,
        key=ui.setting("emb-input", "pca"),
    )
    with right:
        method = method_choice("Method", "emb-method", "pca")
    config = method_settings("emb", method or "pca")
    embedding = embedding_of(bench, input_key, config, batch)
    colors, color_name = color_values(bench, input_key, label)
    figure = embedding_figure(
        embedding.coords,
        color=colors,
        color_name=color_name,
        cell_ids=bench.processed.adata.obs_names.astype(str).tolist(),
        hover={name: bench.obs_text(name).tolist() for name in (label, batch) if name},
        title=inputs.embedding_title(options[input_key], config.method),
    )
    event = st.plotly_chart(
        figure,
        on_select="rerun",
        selection_mode=("lasso", "box"),
        key=f"emb-plot-{config.n_components}",
    )
    st.caption(embedding_caption(embedding))
    show_scores(bench.scores(input_key, config, label=label, batch=batch))
    selection_section(bench.processed, event)
    clusters = colors if color_name == LEIDEN else None
    downloads(bench, embedding, figure, clusters, input_key, batch)


def selection_section(processed: ProcessedMatrix, event: object) -> None:
    indices = selection_indices(event)
    if not indices:
        st.caption("Lasso or box-select cells to see the genes that set them apart.")
        return
    st.markdown(f"**{len(set(indices)):,} cells selected**: top genes against the other cells")
    try:
        table = top_genes(processed.adata, indices)
    except GenodashError as error:
        ui.show_error(error)
        return
    show_table(top_genes_display(table))
    csv = table.to_csv(index=False)
    download(
        st, "Download these genes (CSV)", csv, "selection_top_genes.csv", "emb-selection-download"
    )


def downloads(
    bench: EmbeddingWorkbench,
    embedding: Embedding,
    figure: go.Figure,
    clusters: list | None,
    input_key: str,
    batch: str | None,
) -> None:
    """Coordinates, the figure and an AnnData file (with the clusters when shown)."""
    table = bench.coordinates_table(embedding, clusters=clusters)
    stem = inputs.download_stem(embedding.method, input_key)
    columns = st.columns(5)
    download(
        columns[0], "Coordinates (CSV)", table.to_csv(index=False), f"{stem}.csv", "emb-dl-csv"
    )
    for column, fmt in zip(columns[1:4], ("png", "svg", "html"), strict=True):
        made_on_click = lambda fmt=fmt: figure_bytes(figure, fmt)  # noqa: E731
        download(column, f"Figure ({fmt.upper()})", made_on_click, f"{stem}.{fmt}", f"emb-dl-{fmt}")
    latent = bench.matrix(input_key, batch) if inputs.is_latent(input_key) else None
    h5ad = lambda: h5ad_bytes(  # noqa: E731  (made on click, not kept in the session)
        bench.processed, embeddings={stem: embedding.coords}, latent=latent, clusters=clusters
    )
    help_text = (
        "The processed matrix with this embedding (and the Leiden clusters and latent "
        "space, when shown), to open with scanpy or anndata"
    )
    download(columns[4], "AnnData (.h5ad)", h5ad, "embedding.h5ad", "emb-dl-h5ad", help=help_text)


def compare_view(bench: EmbeddingWorkbench) -> None:
    label, batch = metadata_columns(bench.processed)
    options = bench.inputs()
    st.markdown(
        "Up to four embeddings of the same cells, same colours, scores under each panel. "
        "The **course figure**: PCA | autoencoder latent | t-SNE on PCA | t-SNE on the latent."
    )
    if st.button("Course figure", icon=":material/school:", key="cmp-course"):
        set_course_panels(inputs.course_panels(options))
    chosen = []
    for i in range(4):
        if i % 2 == 0:
            columns = st.columns(2, gap="large")
        with columns[i % 2]:
            chosen.append(panel_choice(i, options))
    chosen = [panel for panel in chosen if panel is not None]
    if not chosen:
        st.info("Choose at least one panel.", icon=":material/info:")
        return
    if not any(inputs.is_latent(key) for key in options):
        st.caption("No autoencoder yet: train one on *Autoencoders* to compare its latent space.")
    for key, method in chosen:
        embedding_of(bench, key, EmbeddingConfig(method=method), batch)
    panels = bench.panels(chosen, label=label, batch=batch)
    colors = None if label is None else bench.obs_text(label).tolist()
    cell_ids = bench.processed.adata.obs_names.astype(str).tolist()
    figure = embedding_grid(panels, color=colors, color_name=label or "", cell_ids=cell_ids)
    st.plotly_chart(figure, key="cmp-grid")
    rows = [(title, scores) for title, _, scores in panels]
    show_table(scores_display(rows))
    csv = scores_table(rows).to_csv(index=False)
    download(st, "Scores (CSV)", csv, "embedding_scores.csv", "cmp-dl-scores")


def set_course_panels(panels: list[tuple[str, str]]) -> None:
    if not panels:
        st.warning(
            "The course figure needs an autoencoder: train one on *Autoencoders* first.",
            icon=":material/warning:",
        )
    for i, (input_key, method) in enumerate(panels):
        st.session_state[f"cmp-input-{i}"] = input_key
        st.session_state[f"cmp-method-{i}"] = method


def panel_choice(index: int, options: dict[str, inputs.EmbeddingInput]) -> tuple[str, str] | None:
    keys = ["(empty)", *options]
    default = "pca" if index < 2 else "(empty)"
    left, right = st.columns([3, 1])
    input_key = left.selectbox(
        f"Panel {index + 1}: computed on",
        keys,
        format_func=lambda k: options[k].label if k in options else k,
        key=ui.setting(f"cmp-input-{index}", default, keys),
    )
    with right:
        method = method_choice(
            "Method", f"cmp-method-{index}", "tsne" if index else "pca", menu=True
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
    method = method_choice("Method", "seqemb-method", "umap")
    config = method_settings("seqemb", method or "umap", unit="sequences")
    with st.spinner("Running the model over the sequences and embedding its features…"):
        embedding, scores = ui.session_memo(
            "sequence-features",
            dataset,
            (listing.name, config),
            lambda: inputs.sequence_features_embedding(load_run(listing.path), dataset, config),
        )
    colors = None if dataset.labels is None else [str(x) for x in dataset.labels]
    figure = embedding_figure(
        embedding.coords,
        color=colors,
        color_name="" if colors is None else "class",
        cell_ids=list(dataset.ids),
        title=f"{embedding.title} of the penultimate-layer features of {listing.title}",
        unit="sequences",
    )
    st.plotly_chart(figure, key="seqemb-plot")
    st.caption(embedding_caption(embedding))
    show_scores(scores, unit="sequences")
    extra = None if colors is None else {"class": colors}
    table = embedding_table(
        list(dataset.ids), embedding.coords, method=embedding.method, extra=extra
    )
    file_name = f"{embedding.method}_features_{listing.name}.csv"
    download(st, "Coordinates (CSV)", table.to_csv(index=False), file_name, "seqemb-dl")


def matrix_view(dataset: MatrixSet) -> None:
    try:
        processed = ui.processed_matrix(dataset)
    except GenodashError as error:
        ui.show_error(error, context="The default preprocessing does not suit this matrix")
        return
    ui.processed_caption(dataset)
    ui.scanpy_defaults_expander()
    view = st.segmented_control("View", VIEWS, key=ui.setting("emb-view", VIEWS[0], VIEWS))
    try:
        if (view or VIEWS[0]) == VIEWS[0]:
            explore_view(workbench_of(processed))
        else:
            compare_view(workbench_of(processed))
    except GenodashError as error:
        ui.show_error(error, context="This embedding cannot be computed")


with ui.page("Embeddings", ":material/bubble_chart:", ABOUT):
    dataset = ui.current_dataset()
    if isinstance(dataset, SequenceSet):
        sequence_view(dataset)
    else:
        matrix_view(dataset)
