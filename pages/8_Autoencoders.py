"""Autoencoders: train a dense AE, a count VAE or a two-modality AE on the loaded matrix."""

from __future__ import annotations

import streamlit as st

import ui
from genodash.data import MatrixSet
from genodash.errors import GenodashError
from genodash.examples import second_modality
from genodash.io import RawFile, ReadOptions, read_dataset
from genodash.models import MODELS, models_of
from genodash.models.expression import DATA_SETTINGS
from genodash.train.expression import (
    build_expression_model,
    default_train_config,
    example_batch,
    pair_modalities,
    prepare_matrix,
)
from ui.gene_transformer import gene_attention_view, scgpt_note

ABOUT = """
An **autoencoder** squeezes each cell's thousands of gene values through a narrow
*bottleneck* — the **latent space**, a handful of numbers per cell — and learns to rebuild
the cell from it. To rebuild well it must keep what matters (cell type, state) and drop
noise, so the latent space is a learned, non-linear alternative to PCA.

- **Autoencoder**: the plain version (the course's 8-layer network is a preset).
- **VAE with a count likelihood** (as in scVI): models the raw counts themselves, with their
  sequencing depth; given the **batch** of each cell it can explain batch effects away, so
  cells of one type from different batches land together in the latent space.
- **Two-modality integration**: RNA and protein measured in the same cells (CITE-seq); one
  encoder per modality and a shared latent that uses both.
- **Gene-token Transformer** (the idea of scGPT): each cell is a sentence of gene tokens with
  binned values; it learns by guessing hidden values, and its attention between genes can be
  drawn per cell type. A tiny model trained on your cells, not the pretrained scGPT.

The test loss measures how well held-out cells are rebuilt. Whether the latent space is
*useful* is measured on *Embeddings*: do cell types stay apart, do batches mix?
"""

NO_COLUMN = "(none)"


def column_choices(processed: object, dataset: MatrixSet) -> tuple[str | None, str | None]:
    columns = [str(c) for c in processed.adata.obs.columns]
    options = [NO_COLUMN, *columns]
    left, right = st.columns(2)
    label = left.selectbox(
        "Cell label column (for the split and the colours)",
        options,
        key=ui.setting("ae-label", dataset.label_column or NO_COLUMN, options),
    )
    batch = right.selectbox(
        "Batch column (the VAE can correct for it)",
        options,
        key=ui.setting("ae-batch", dataset.batch_column or NO_COLUMN, options),
    )
    return (None if label == NO_COLUMN else label), (None if batch == NO_COLUMN else batch)


def paired_modalities(dataset: MatrixSet, processed: object) -> tuple[object, object | None]:
    """The (first, second) matrices for training: the processed matrix alone, or paired with
    the example's proteins or an uploaded second matrix of the same cells."""
    built_in = ui.session_memo("ae-second", dataset, None, lambda: second_modality(dataset))
    if built_in is not None:
        st.caption(
            f"Second modality: {built_in.n_vars} proteins measured in the same cells "
            "(part of this example), for the integration model."
        )
        return processed.adata, built_in
    if ui.state.read_only():  # a shared view uploads nothing
        return processed.adata, None
    upload = st.file_uploader(
        "Optional, for the integration model: a second matrix of the same cells (e.g. "
        "protein counts), CSV/TSV or .h5ad",
        key="ae-second-upload",
    )
    if upload is None:
        return processed.adata, None
    try:
        first, paired, notes = ui.session_memo(
            "ae-pairs",
            processed,
            upload.file_id,
            lambda: pair_modalities(
                MatrixSet(processed.adata, dataset.name, "table"),
                read_dataset(RawFile(upload.name, upload.getvalue()), ReadOptions(kind="matrix")),
            ),
        )
    except GenodashError as error:
        ui.show_error(error, context="The second matrix cannot be used")
        return processed.adata, None
    st.caption(
        f"Second modality: {paired.n_vars:,} features of {ui.escape_markdown(upload.name)} "
        f"measured in {paired.n_obs:,} of the same cells, for the integration model."
    )
    if notes:
        st.markdown(ui.notes_markdown(notes))
    return first, paired


def model_choice(prepared: object, has_second: bool) -> tuple[str, dict | None]:
    names = models_of("expression")
    name = st.selectbox(
        "Model",
        names,
        format_func=lambda n: MODELS[n].title,
        key=ui.setting("ae-model", names[0], names),
    )
    spec = MODELS[name]
    st.markdown(spec.description)
    if "attention" in spec.shows:
        scgpt_note()
    with st.expander("Model settings", expanded=True):
        settings = ui.config_widgets(spec, key=f"ae-{name}", exclude=DATA_SETTINGS)
    if spec.needs_second_modality and not has_second:
        st.warning(
            "The integration model needs a second matrix of the same cells.",
            icon=":material/warning:",
        )
        return name, None
    try:
        model = build_expression_model(prepared, name, settings, meta=True)
    except GenodashError as error:
        ui.show_error(error, context="These settings do not make a valid model")
        return name, None
    ui.layers_expander(model, *example_batch(prepared, name))
    return name, settings


def results(processed: object, label_column: str | None) -> None:
    saved_runs = ui.job_results("expression", heading="Results")
    if saved_runs is None:
        return
    labels = None
    if label_column is not None:
        labels = processed.adata.obs[label_column].astype(str)
        labels.index = processed.adata.obs_names.astype(str)
    for saved in saved_runs:
        st.markdown(f"#### {MODELS[saved.run.model_name].title}")
        ui.show_expression_run(saved.run, saved.path, key=f"ae-{saved.path.name}", labels=labels)
        if "attention" in MODELS[saved.run.model_name].shows:
            gene_attention_view(
                saved.run, processed.adata, label_column, key=f"ae-{saved.path.name}"
            )


def split_settings() -> dict:
    columns = st.columns(3)
    test = columns[0].slider(
        "Test share", 0.05, 0.4, step=0.05, key=ui.setting("ae-test", 0.1, low=0.05, high=0.4)
    )
    val = columns[1].slider(
        "Validation share", 0.05, 0.3, step=0.05, key=ui.setting("ae-val", 0.1, low=0.05, high=0.3)
    )
    seed = columns[2].number_input(
        "Split seed", 0, 10_000, key=ui.setting("ae-split-seed", 0, low=0, high=10_000)
    )
    return {"val_fraction": val, "test_fraction": test, "seed": int(seed)}


with ui.page("Autoencoders", ":material/hub:", ABOUT):
    dataset = ui.current_dataset()
    processed = ui.processed_or_error(dataset) if ui.require_matrix(dataset) else None
    if processed is not None:
        ui.jobs.running_note("training")
        st.subheader("1 · Data")
        ui.processed_caption(dataset)
        label_column, batch_column = column_choices(processed, dataset)
        split = split_settings()
        first, second = paired_modalities(dataset, processed)
        prepared = ui.prepared_for_training(
            "ae-prepared",
            first,
            lambda: prepare_matrix(
                first,
                source_name=dataset.name,
                label_column=label_column,
                batch_column=batch_column,
                second=second,
                **split,
            ),
            key=(label_column, batch_column, id(second), tuple(split.items())),
            what="matrix",
        )
        if prepared is not None:
            sizes = prepared.split.sizes()
            st.caption(
                f"Split: {sizes['train']:,} training, {sizes['val']:,} validation, "
                f"{sizes['test']:,} test cells"
                + (" (stratified by label)." if label_column else ".")
            )
            st.subheader("2 · Model")
            name, settings = model_choice(prepared, second is not None)
            st.subheader("3 · Training", anchor="training")
            with ui.jobs.beside_live_job():
                config, device = ui.training_settings(f"ae-{name}", default_train_config(name))
                ui.train_one_model(
                    dataset, prepared, name, settings, config, device, key="ae-start"
                )
        results(processed, label_column)
