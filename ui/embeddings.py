"""The Embeddings page's side-by-side views: the course figure (with a computed check of a
learned latent against PCA) and scvis's mapping of held-out cells beside t-SNE and UMAP."""

from __future__ import annotations

from typing import Any

import streamlit as st

from genodash.errors import GenodashError
from genodash.expression import embedding_inputs as inputs
from genodash.expression.embed import METHOD_TITLES, Embedding, EmbeddingConfig
from genodash.expression.scores import scores_display, scores_table
from genodash.expression.workbench import EmbeddingWorkbench
from genodash.models import MODELS
from genodash.plotting.expression import embedding_figure, embedding_grid
from genodash.train import held_out
from genodash.train.runs import load_run
from ui.figures import show_figure
from ui.frame import stacking
from ui.messages import show_error
from ui.results import show_table
from ui.state import session_memo, setting
from ui.widgets import download, method_choice, optional_column

COURSE_SETTINGS = (
    "**The course's two settings.** *A 2-D bottleneck drawn directly*: train the "
    "autoencoder (course 8-layer) with **2 latent dimensions**; its panel then shows the "
    "bottleneck itself (PCA of two dimensions only turns the picture). *A larger bottleneck "
    "followed by t-SNE*: train another with e.g. 10 latent dimensions. With both trained, "
    "**Course figure** draws the 2-D one in the second panel and t-SNE of the widest in the "
    "fourth. PCA of a 10-D latent keeps only two of its directions, so such a panel usually "
    "separates the cell types worse than PCA does."
)
MAPPING_ABOUT = (
    "**What the course says:** scvis (Ding, Condon & Shah 2018) is a variational autoencoder "
    "with a 2-D latent space trained with a t-SNE-like term, so its latent *is* the picture. "
    "t-SNE and UMAP place only the cells they were given; scvis learns a mapping, so cells "
    "it never saw are placed by its encoder. **What you see:** the run trained on part of "
    "the cells (grey: its training cells); the held-out cells (its validation and test "
    "cells) were placed afterwards. If they land among training cells of their own type, "
    "the mapping generalises."
)


def embedding_of(
    bench: EmbeddingWorkbench, key: str, config: EmbeddingConfig, batch: str | None
) -> Embedding:
    """An embedding of the workbench, with a spinner naming it while it is computed."""
    bench.matrix(key, batch)  # the input first: the spinner names the embedding only
    with st.spinner(f"Computing {METHOD_TITLES[config.method]}…"):
        return bench.embedding(key, config, batch)


def metadata_columns(bench: EmbeddingWorkbench) -> tuple[str | None, str | None]:
    """The label and batch columns chosen by the user (``None``: none)."""
    obs, processed = bench.obs_columns(), bench.processed
    left, right = st.columns(2)
    label_text = "Label column (for kNN accuracy and silhouette)"
    label = optional_column(left, label_text, obs, "emb-label", processed.label_column)
    batch_text = "Batch column (for batch mixing)"
    return label, optional_column(right, batch_text, obs, "emb-batch", processed.batch_column)


# --- the course figure ------------------------------------------------------------------------


def compare_view(bench: EmbeddingWorkbench) -> None:
    """Up to four embeddings side by side, with the course figure one click away."""
    label, batch = metadata_columns(bench)
    options = bench.inputs()
    st.markdown(
        "Up to four embeddings of the same cells, same colours, scores under each panel. "
        "The **course figure**: PCA | autoencoder latent | t-SNE on PCA | t-SNE on the latent."
    )
    st.caption(COURSE_SETTINGS)
    if st.button("Course figure", icon=":material/school:", key="cmp-course"):
        set_course_panels(inputs.course_panels(options))
    cells = [*st.columns(2, gap="large"), *st.columns(2, gap="large")]  # two rows of two
    chosen = [panel for i, cell in enumerate(cells) if (panel := panel_choice(cell, i, options))]
    if not chosen:
        st.info("Choose at least one panel.", icon=":material/info:")
        return
    if not any(inputs.is_latent(key) for key in options):
        st.caption("No autoencoder yet: train one on *Autoencoders* to compare its latent space.")
    for key, method in chosen:
        embedding_of(bench, key, EmbeddingConfig(method=method), batch)
    panels = bench.panels(chosen, label=label, batch=batch)
    colors = None if label is None else bench.obs_text(label).tolist()
    figure = embedding_grid(panels, color=colors, color_name=label or "", cell_ids=bench.cell_ids())
    show_figure(figure, key="cmp-grid", stem="course-figure")
    rows = [(title, scores) for title, _, scores in panels]
    show_table(scores_display(rows))
    csv = scores_table(rows).to_csv(index=False)
    download(st, "Scores (CSV)", csv, "embedding_scores.csv", "cmp-dl-scores")
    latents = dict.fromkeys(key for key, _ in chosen if inputs.is_latent(key))
    for key in latents:
        latent_against_pca(bench, options[key], label)


def latent_against_pca(
    bench: EmbeddingWorkbench, source: inputs.EmbeddingInput, label: str | None
) -> None:
    """Say whether a run's latent separates the labels worse than PCA with as many dims."""
    if label is None:
        return
    labels = bench.obs_text(label)
    latent, pcs = bench.matrix(source.key), bench.matrix("pca")
    loses, ours, theirs = session_memo(
        "latent-vs-pca",
        bench,
        (source.key, label),
        lambda: held_out.loses_to_pca(latent, pcs, labels),
    )
    dims = latent.shape[1]
    text = (
        f"The {source.model_short} latent ({dims}-D) has kNN accuracy {ours:.3f}; PCA with "
        f"{dims} components {theirs:.3f}."
    )
    if loses:
        st.warning(
            f"{text} **The learned latent loses to PCA here**: the network did not find more "
            "than the linear directions of largest variance. Try the course's settings above, "
            "more epochs, or less dropout.",
            icon=":material/trending_down:",
        )
    else:
        st.success(f"{text} The learned latent does at least as well as PCA.")


def set_course_panels(panels: list[tuple[str, str]]) -> None:
    """Fill the four panel choices with the course figure's."""
    if not panels:
        text = "The course figure needs an autoencoder: train one on *Autoencoders* first."
        st.warning(text, icon=":material/warning:")
    for i, (input_key, method) in enumerate(panels):
        st.session_state[f"cmp-input-{i}"] = input_key
        st.session_state[f"cmp-method-{i}"] = method


def panel_choice(
    where: Any, index: int, options: dict[str, inputs.EmbeddingInput]
) -> tuple[str, str] | None:
    """One panel's input and method (``None``: the panel is empty)."""
    keys = ["(empty)", *options]
    default = "pca" if index < 2 else "(empty)"
    box = stacking(f"cmp-panel-{index}", narrower_than=420, where=where)  # method under input
    left, right = box.columns([3, 1])
    input_key = left.selectbox(
        f"Panel {index + 1}: computed on",
        keys,
        format_func=lambda k: options[k].label if k in options else k,
        key=setting(f"cmp-input-{index}", default, keys),
    )
    first_method = "tsne" if index else "pca"
    with right:
        method = method_choice("Method", f"cmp-method-{index}", first_method, menu=True)
    return None if input_key == "(empty)" else (input_key, method)


# --- scvis: train on part of the cells, place the rest ----------------------------------------


def mapping_view(bench: EmbeddingWorkbench) -> None:
    """An scvis run's picture coloured by training vs held-out cells, beside t-SNE and UMAP."""
    st.markdown(MAPPING_ABOUT)
    options = bench.inputs()
    scvis = MODELS["scvis"].short
    keys = [key for key, source in options.items() if source.model_short == scvis]
    if not keys:
        st.info(
            "No scvis run on this matrix yet: train one on *Autoencoders* (model scvis).",
            icon=":material/info:",
        )
        return
    key = st.selectbox(
        "scvis run",
        keys,
        format_func=lambda k: options[k].label,
        key=setting("map-run", keys[0], keys),
    )
    label, _ = metadata_columns(bench)
    try:
        roles = session_memo("map-roles", bench, key, lambda: _roles(bench, options[key]))
    except GenodashError as error:
        show_error(error, context="The held-out cells of this run cannot be found")
        return
    latent = bench.matrix(key)
    figure = embedding_figure(
        latent,
        color=roles.tolist(),
        color_name="cells",
        cell_ids=bench.cell_ids(),
        palette={held_out.TRAINING: "#bdbdbd", held_out.HELD_OUT: "#d62728"},
        title="scvis latent: training cells and held-out cells placed by the encoder",
    )
    show_figure(figure, key="map-plot", stem="scvis-latent")
    if label is None:
        st.caption("Choose a label column to score the pictures.")
        return
    side_by_side(bench, latent, roles, label)


def _roles(bench: EmbeddingWorkbench, source: inputs.EmbeddingInput) -> Any:
    run = load_run(bench.runs_dir / str(source.run_name))
    return held_out.cell_roles(run, bench.processed.adata.obs)


def side_by_side(bench: EmbeddingWorkbench, latent: Any, roles: Any, label: str) -> None:
    """scvis, t-SNE and UMAP of the same cells, each scored against the same 50 PCs."""
    pictures = {"scvis latent": latent}
    for method in ("tsne", "umap"):
        embedding = embedding_of(bench, "pca", EmbeddingConfig(method=method), None)
        pictures[f"{METHOD_TITLES[method]} of PCA"] = embedding.coords
    labels = bench.obs_text(label)
    table = session_memo(
        "map-scores",
        bench,
        (label, tuple(map(id, pictures.values()))),
        lambda: held_out.mapping_scores(
            bench.matrix("pca"), pictures, labels, roles, mapped="scvis latent"
        ),
    )
    grid = [
        (
            row.picture,
            pictures[row.picture],
            {"knn_accuracy": row.knn, "trustworthiness": row.trust},
        )
        for row in table.rename(
            columns={"kNN accuracy": "knn", "trustworthiness": "trust"}
        ).itertuples()
    ]
    figure = embedding_grid(
        grid, color=labels.tolist(), color_name=label, cell_ids=bench.cell_ids()
    )
    show_figure(figure, key="map-grid", stem="scvis-tsne-umap")
    st.dataframe(table, hide_index=True, width="stretch")
    held = table["held-out kNN accuracy"].iloc[0]
    st.caption(
        f"Trustworthiness of every picture is measured against the same 50 principal "
        f"components. Held-out cells placed by scvis: {held:.3f} of them have mostly training "
        "cells of their own label among their 15 nearest (t-SNE and UMAP cannot place new "
        "cells without being run again on all of them)."
    )
