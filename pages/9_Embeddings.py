"""Embeddings: PCA, t-SNE and UMAP of data, PCA or a learned latent, with quality scores."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

import ui
from genodash.data import VALUE_DESCRIPTIONS, MatrixSet, SequenceSet
from genodash.errors import GenodashError
from genodash.expression import embedding_inputs as inputs
from genodash.expression.cluster import cluster_summary, top_genes, top_genes_display
from genodash.expression.embed import Embedding, embedding_caption
from genodash.expression.preprocess import ProcessedMatrix
from genodash.expression.workbench import EmbeddingWorkbench
from genodash.io.writers import h5ad_bytes
from genodash.plotting.expression import embedding_figure, selection_indices
from genodash.train.runs import list_runs, load_run
from ui.atlas import atlas_chosen, atlas_view
from ui.embeddings import compare_view, embedding_of, mapping_view, metadata_columns
from ui.figures import show_figure

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

**Map new cells (scvis)**: a model with a 2-D latent trained with a t-SNE-like term places
cells it never saw by its encoder; see them beside t-SNE and UMAP of the same cells.

With sequences loaded, the page embeds what a trained sequence model computes for each
sequence (the input of its last layer), and the scores are computed on sequences.

**An atlas result** (a million cells and more, made by `python -m genodash atlas` and
opened from the Data page's server data folder) is drawn here too: every cell as one image,
a random sample as points for hover and selection, coloured by Leiden cluster, label,
batch or one gene.
"""


LEIDEN = "Leiden cluster"
GENE = "Gene expression"
VIEWS = ("Explore", "Compare side by side", "Map new cells (scvis)")


def workbench_of(processed: ProcessedMatrix) -> EmbeddingWorkbench:
    """This matrix's embeddings, inputs, scores and clusters, kept for the session."""
    runs_dir = ui.workspace_dir()
    make = lambda: EmbeddingWorkbench(processed, runs_dir)  # noqa: E731
    return ui.session_cached("embedding-workbench", processed, make, key=runs_dir)


def color_values(bench: EmbeddingWorkbench, input_key: str, label: str | None) -> tuple[list, str]:
    """The colour column chosen by the user: metadata, Leiden clusters or a gene."""
    options = [*bench.obs_columns(), LEIDEN, GENE]
    choice = st.selectbox(
        "Colour cells by", options, key=ui.setting("emb-color", label or options[0], options)
    )
    if choice == LEIDEN:
        return clusters_for(bench, input_key, label), LEIDEN
    if choice == GENE:
        genes = bench.gene_names()
        gene = st.selectbox(
            "Gene (type to search)",
            genes,
            key=ui.setting("emb-gene", genes[0], genes),
            help="The colour is the gene's value in each cell, as preprocessed: "
            f"{VALUE_DESCRIPTIONS[bench.processed.value_type]}",
        )
        return bench.gene_values(gene), gene
    return bench.obs_text(choice).tolist(), choice


def clusters_for(bench: EmbeddingWorkbench, input_key: str, label: str | None) -> list[str]:
    key, tip = (
        ui.setting("emb-resolution", 1.0, low=0.1, high=3.0),
        "Higher: more, smaller clusters",
    )
    resolution = st.slider(
        "Leiden resolution",
        0.1,
        3.0,
        step=0.1,
        format="%.1f",
        key=key,
        help=ui.lessons.term_help("Leiden", tip),
    )
    with st.spinner("Finding Leiden clusters…"):
        clusters = bench.clusters(input_key, resolution)
    name = ui.escape_markdown(label or "")
    st.caption(cluster_summary(clusters, resolution, labels=bench.obs_text(label), label_name=name))
    return list(clusters)


def explore_view(bench: EmbeddingWorkbench) -> None:
    label, batch = metadata_columns(bench)
    options = bench.inputs()
    left, right = st.columns(2)
    input_key = left.selectbox(
        "Computed on",
        list(options),
        format_func=lambda key: options[key].label,
        key=ui.setting("emb-input", "pca", list(options)),
    )
    with right:
        method = ui.method_choice("Method", "emb-method", "pca")
    config = ui.embedding_settings("emb", method or "pca")
    embedding = embedding_of(bench, input_key, config, batch)
    colors, color_name = color_values(bench, input_key, label)
    figure = embedding_figure(
        embedding.coords,
        color=colors,
        color_name=color_name,
        cell_ids=bench.cell_ids(),
        hover={name: bench.obs_text(name).tolist() for name in (label, batch) if name},
        title=inputs.embedding_title(options[input_key], config.method),
    )
    event = show_figure(
        figure,
        on_select="rerun",
        selection_mode=("lasso", "box"),
        key=f"emb-plot-{config.n_components}",
    )
    st.caption(embedding_caption(embedding))
    ui.show_scores(bench.scores(input_key, config, label=label, batch=batch))
    selection_section(bench.processed, event)
    downloads(bench, embedding, figure, colors if color_name == LEIDEN else None, input_key, batch)


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
    ui.show_table(top_genes_display(table))
    csv, name = table.to_csv(index=False), "selection_top_genes.csv"
    ui.download(st, "Download these genes (CSV)", csv, name, "emb-selection-download")


def downloads(
    bench: EmbeddingWorkbench,
    embedding: Embedding,
    figure: go.Figure,
    clusters: list | None,
    input_key: str,
    batch: str | None,
) -> None:
    """Coordinates, the figure and an AnnData file (with the clusters when shown)."""
    stem = inputs.download_stem(embedding.method, input_key)
    row = st.container(horizontal=True)  # wraps on a narrow screen instead of cutting labels
    csv = bench.coordinates_table(embedding, clusters=clusters).to_csv(index=False)
    ui.download(row, "Coordinates (CSV)", csv, f"{stem}.csv", "emb-dl-csv")
    ui.figure_downloads([row] * 3, figure, stem, key="emb-dl")
    h5ad = lambda: h5ad_bytes(  # noqa: E731  (made on click, not kept in the session)
        bench.export_anndata(input_key, embedding, batch=batch, clusters=clusters)
    )
    help_text = (
        "The processed matrix with this embedding (and the Leiden clusters and latent "
        "space, when shown), to open with scanpy or anndata"
    )
    ui.download(row, "AnnData (.h5ad)", h5ad, "embedding.h5ad", "emb-dl-h5ad", help=help_text)


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
    method = ui.method_choice("Method", "seqemb-method", "umap")
    config = ui.embedding_settings("seqemb", method or "umap", unit="sequences")
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
    show_figure(figure, key="seqemb-plot")
    st.caption(embedding_caption(embedding))
    ui.show_scores(scores, unit="sequences")
    csv = inputs.sequence_features_table(dataset, embedding).to_csv(index=False)
    file_name = f"{embedding.method}_features_{listing.name}.csv"
    ui.download(st, "Coordinates (CSV)", csv, file_name, "seqemb-dl")


def matrix_view(dataset: MatrixSet) -> None:
    processed = ui.processed_or_error(dataset)
    if processed is None:
        return
    ui.processed_caption(dataset)
    ui.scanpy_defaults_expander()
    view = st.segmented_control("View", VIEWS, key=ui.setting("emb-view", VIEWS[0], VIEWS))
    show = dict(zip(VIEWS, (explore_view, compare_view, mapping_view), strict=True))
    show = show[view or VIEWS[0]]
    try:
        show(workbench_of(processed))
    except GenodashError as error:
        ui.show_error(error, context="This embedding cannot be computed")


with ui.page("Embeddings", ":material/bubble_chart:", ABOUT):
    dataset = ui.current_dataset()
    if atlas_chosen():
        atlas_view()
    elif isinstance(dataset, SequenceSet):
        sequence_view(dataset)
    else:
        matrix_view(dataset)
