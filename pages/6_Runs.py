"""Runs: every trained model, saved; reload, download, delete, or predict on new sequences."""

from __future__ import annotations

import streamlit as st

import ui
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.io import RawFile, ReadOptions, read_dataset
from genodash.predict import encoding_notes, predict_sequences
from genodash.summaries import cell_labels
from genodash.train.runs import (
    MAX_TITLE_LENGTH,
    delete_run,
    list_runs,
    load_run,
    prediction_summary,
    rename_run,
    run_description,
    runs_table,
)

ABOUT = """
Every model you train is saved as a **run**: its settings, scores, learning curves, the
split it was trained on and its weights (in the safe *safetensors* format). Runs are kept
in your own workspace: the `?ws=…` part of this page's address. Bookmark the address to come
back to your runs later, or share it to let someone else see them.

Pick a run to see its results again, download it as a .zip, delete it, or **predict** the
classes of new sequences: upload a file and download the predictions as a table.
"""
SHARED_VIEW = (
    "This is a shared view: its runs can be looked at and downloaded, not renamed, deleted "
    "or used for predictions. Open your own workspace to train and predict."
)


def predict_section(run: object, key: str) -> None:
    st.markdown("**Predict new sequences with this model**")
    upload = st.file_uploader(
        "Sequence file (FASTA, FASTQ, CSV/TSV, text; optionally .gz)", key=f"predict-{key}"
    )
    if upload is None:
        return
    try:
        sequences = read_dataset(
            RawFile(upload.name, upload.getvalue()), ReadOptions(kind="sequences")
        )
        table = predict_sequences(run, sequences)
    except GenodashError as error:
        ui.show_error(error, context="No predictions were made")
        return
    st.success(
        f"Predicted {len(table):,} sequences from {ui.escape_markdown(upload.name)}.",
        icon=":material/check_circle:",
    )
    notes = [*sequences.notes, *encoding_notes(run, sequences)]
    if notes:
        st.info(
            "**What was done to the sequences**\n\n" + ui.notes_markdown(notes),
            icon=":material/fact_check:",
        )
    summary = prediction_summary(table)
    st.caption(
        "Predicted classes: "
        + ", ".join(f"{ui.escape_markdown(c)}: {n:,}" for c, n in summary.counts.items())
    )
    if summary.agreement is not None:
        st.caption(f"Agreement with the file's labels: {summary.agreement:.1%}")
    st.dataframe(
        table.head(500),
        hide_index=True,
        width="stretch",
        column_config={
            "seq_id": "Sequence ID",
            "predicted": "Predicted class",
            "label": "Class in the file",
            **{
                f"p_{name}": st.column_config.NumberColumn(
                    f"P({name})", format="%.3f", help=f"The model's probability of class {name}"
                )
                for name in run.classes
            },
        },
    )
    csv = table.to_csv(index=False)
    ui.download(st, "Download predictions (CSV)", csv, "predictions.csv", f"predict-dl-{key}")


@st.dialog("Rename the run")
def rename_dialog(listing: object, key: str) -> None:
    title = st.text_input(
        "Name", value=listing.title, max_chars=MAX_TITLE_LENGTH, key=f"rename-text-{key}"
    )
    if st.button("Save the name", type="primary", key=f"rename-{key}"):
        try:
            rename_run(listing.path, title)
        except GenodashError as error:
            ui.show_error(error)
            return
        st.rerun()


def delete_section(path: object, key: str) -> None:
    with st.popover("Delete this run", icon=":material/delete:"):
        st.markdown("The run's folder, weights and results will be removed for good.")
        if st.button("Delete", type="primary", key=f"delete-{key}"):
            try:
                delete_run(path)
            except GenodashError as error:
                ui.show_error(error)
                return
            st.session_state.pop("runs-selected", None)
            st.toast("Deleted the run", icon=":material/delete:")
            st.rerun()


with ui.page("Runs", ":material/inventory_2:", ABOUT):
    runs = list_runs(ui.workspace_dir())
    if not runs:
        st.info("No runs yet: train a model and it appears here.", icon=":material/info:")
        st.page_link("pages/3_Train.py", label="Train a model", icon=":material/model_training:")
    else:
        table = runs_table(runs)
        ui.runs_dataframe(table)
        listing = ui.run_selector("Run", runs, key="runs-selected")
        name = listing.name
        try:
            run = ui.session_cached(
                "runs-loaded",
                None,
                lambda: load_run(listing.path),
                key=(str(listing.path), listing.title),
            )
        except GenodashError as error:
            ui.show_error(error, context="This run cannot be loaded")
            run = None
        if run is not None:
            st.subheader(ui.escape_markdown(listing.title))
            if ui.state.read_only():
                st.caption(SHARED_VIEW)
            else:
                with st.container(horizontal=True):
                    if st.button("Rename", icon=":material/edit:", key=f"rename-open-{name}"):
                        rename_dialog(listing, name)
                    delete_section(listing.path, name)
        if run is not None and run.kind == "sequence":
            st.caption(ui.escape_markdown(run_description(run)))
            ui.show_sequence_run(run, listing.path, key=f"run-{name}")
            if not ui.state.read_only():
                st.divider()
                if not isinstance(ui.current_dataset(), SequenceSet):
                    st.caption("Tip: predictions work on uploaded sequence files below.")
                predict_section(run, name)
        elif run is not None:
            st.caption(ui.escape_markdown(run_description(run)))
            labels = cell_labels(ui.current_dataset())
            ui.show_expression_run(run, listing.path, key=f"run-{name}", labels=labels)
