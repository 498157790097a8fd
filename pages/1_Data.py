"""Data: load a built-in example or an uploaded file, and see what was read."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import streamlit as st

import ui
from genodash import plotting, summaries
from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError, OrientationError
from genodash.examples import EXAMPLES
from genodash.expression.qc import matrix_qc
from genodash.io import RawFile, ReadOptions, read_upload
from genodash.io.writers import fasta_text, h5ad_bytes, sequences_csv_text

ABOUT = """
Everything in genodash starts from one **data set**, chosen here and kept while you move
between pages.

- **Built-in examples** are ready in seconds and each says what it teaches.
- **Your own file**: DNA sequences (FASTA, FASTQ, a CSV/TSV table with `SEQ` and `LAB`
  columns, or plain text with one sequence per line) or an expression matrix (CSV/TSV with
  cells as rows, `.h5ad`, 10x `.h5`, a 10x folder as `.zip`, or its three files together).
  Gzipped files are fine. Upload several FASTA files at once to use **one class per file**
  (each file's name is its class); otherwise the newest upload replaces the older ones.

Below the loader, the **summary** shows what was read — and the *notes* list everything
the loader changed (RNA read as DNA, ambiguous bases turned into N, duplicate names made
unique…). Nothing is changed silently. A file that cannot be read gives a message saying
where and why, and your previous data stays loaded.
"""

ORIENTATIONS = {"Detect": None, "Genes are rows: transpose": True, "Cells are rows: keep": False}
KINDS = {"auto": "decide for me", "sequences": "sequences", "matrix": "a matrix"}


def examples_tab() -> None:
    keys = list(EXAMPLES)
    current = ui.current_dataset()
    key = st.selectbox(
        "Example",
        keys,
        key=ui.setting("ex-choice", keys[0], keys),
        format_func=lambda k: f"{EXAMPLES[k].title}  ·  {EXAMPLES[k].kind}",
    )
    example = EXAMPLES[key]
    st.markdown(example.teaches)
    with st.form(f"example-form-{key}", border=True):
        columns = st.columns(3)
        params = {}
        for i, control in enumerate(example.controls):
            with columns[i % 3]:
                params[control.name] = ui.control_widget(control, key=f"ex-{key}-{control.name}")
        submitted = st.form_submit_button(
            "Load this example", type="primary", icon=":material/download:"
        )
    if submitted:
        try:
            dataset = ui.cached_example(key, tuple(sorted(params.items())))
        except GenodashError as error:
            ui.show_error(error, context="The example could not be made")
            return
        ui.set_dataset(dataset, origin="example")
        st.toast(f"Loaded {ui.escape_markdown(dataset.name)}", icon=":material/check_circle:")
        st.rerun()
    elif current.format == "example":
        st.caption(
            "The loaded data set is an example; change the controls and press the button "
            "to make a new one."
        )


def upload_tab() -> None:
    st.markdown(
        f"Up to **{ui.upload_limit_mb():,} MB** per file. Sequences: `.fa` `.fasta` `.fq` "
        "`.fastq` `.csv` `.tsv` `.txt` (also `.gz`). Matrices: `.csv` `.tsv` `.h5ad` `.h5` "
        "`.zip` (10x folder), or `matrix.mtx` + `barcodes.tsv` + `features.tsv` together."
    )
    files = st.file_uploader("Data files", accept_multiple_files=True, key="upload")
    options, labels_file = reading_options()
    if not files:
        return
    key = (
        tuple(f.file_id for f in files),
        labels_file.file_id if labels_file else None,
        repr(options),
    )
    if st.session_state.get("upload_key") == key:
        show_upload_outcome()
        return
    raws = [RawFile(name=f.name, data=f.getvalue()) for f in files]
    if labels_file is not None:
        labels = RawFile(labels_file.name, labels_file.getvalue())
        options = dataclasses.replace(options, labels_file=labels)
    with st.spinner(f"Reading {', '.join(raw.display_name for raw in raws)}…"):
        try:
            dataset = read_upload(raws, options)
            outcome: tuple[str, str] = ("ok", dataset.name)
            ui.set_dataset(dataset, origin="upload")
        except OrientationError as error:
            outcome = ("orientation", str(error))
        except GenodashError as error:
            # keep the message only: the error's traceback would keep the file's data alive
            outcome = ("error", str(error))
    st.session_state["upload_key"] = key
    st.session_state["upload_outcome"] = outcome
    if outcome[0] == "ok":
        st.rerun()  # so that the sidebar and every section show the new data
    show_upload_outcome()


def show_upload_outcome() -> None:
    status, value = st.session_state["upload_outcome"]
    if status == "ok":
        st.success(
            f"Loaded {ui.escape_markdown(value)}. Its summary is below.",
            icon=":material/check_circle:",
        )
        return
    ui.show_error(value, context="This file was not loaded; your previous data is still in use")
    if status == "orientation":
        st.markdown("Which way round is this matrix?")
        left, right = st.columns(2)
        left.button(
            "Genes are rows: transpose",
            on_click=_set_orientation,
            args=("Genes are rows: transpose",),
            type="primary",
        )
        right.button(
            "Cells are rows: keep as is", on_click=_set_orientation, args=("Cells are rows: keep",)
        )


def _set_orientation(choice: str) -> None:
    st.session_state["read-orientation"] = choice


def reading_options() -> tuple[ReadOptions, Any]:
    with st.expander("Reading options (column names, orientation, labels file)"):
        left, middle, right = st.columns(3)
        kind = left.radio(
            "The file holds",
            list(KINDS),
            horizontal=True,
            key=ui.setting("read-kind", "auto"),
            format_func=KINDS.get,
        )
        sequence_column = middle.text_input(
            "Sequence column (tables)", key=ui.setting("read-seq", "SEQ")
        )
        label_column = right.text_input(
            "Label column (blank: LAB or a guess)", key=ui.setting("read-label", "")
        )
        batch_column = left.text_input("Batch column (matrices)", key=ui.setting("read-batch", ""))
        metadata = middle.text_input(
            "Extra metadata columns, comma-separated", key=ui.setting("read-meta", "")
        )
        orientation = right.radio(
            "Matrix orientation",
            list(ORIENTATIONS),
            key=ui.setting("read-orientation", "Detect", list(ORIENTATIONS)),
        )
        labels_file = st.file_uploader(
            "Labels file for plain one-sequence-per-line text", key="labels-upload"
        )
    options = ReadOptions(
        kind=kind,
        sequence_column=sequence_column.strip() or "SEQ",
        label_column=label_column.strip() or None,
        batch_column=batch_column.strip() or None,
        metadata_columns=tuple(c.strip() for c in metadata.split(",") if c.strip()),
        transpose=ORIENTATIONS[orientation],
    )
    return options, labels_file


def metrics(dataset: SequenceSet | MatrixSet, summary: dict[str, Any]) -> None:
    for column, metric in zip(
        st.columns(5), summaries.headline_metrics(dataset, summary=summary), strict=True
    ):
        column.metric(metric.label, metric.value, help=metric.help)


def sequence_summary(dataset: SequenceSet) -> None:
    summary = dataset.summary()
    metrics(dataset, summary)
    loader_notes(dataset.notes)
    profile = ui.session_cached("profile", dataset, lambda: summaries.sequence_profile(dataset))
    if profile.n_profiled < profile.n_total:
        st.caption(f"Plots use a random {profile.n_profiled:,} of {profile.n_total:,} sequences.")
    names = ["Classes", "Lengths", "GC content", "Base composition"]
    planted = summaries.planted_motif(dataset)
    tabs = st.tabs([*names, *(["Planted motif"] if planted else []), "Sequences"])
    with tabs[0]:
        if dataset.labels is None:
            st.info(
                "This data set has no labels. Add `label=X` to FASTA headers, a `LAB` "
                "column, or upload one file per class."
            )
        else:
            chart(plotting.class_balance_figure(dataset.class_counts()), "classes")
    with tabs[1]:
        chart(plotting.length_histogram_figure(profile), "lengths")
    with tabs[2]:
        chart(plotting.gc_content_figure(profile), "gc")
    with tabs[3]:
        chart(plotting.base_composition_figure(profile), "composition")
    if planted:
        with tabs[4]:
            st.markdown(
                f"Motif **{planted.motif}**, planted in the class "
                f"`{planted.positive_class}` sequences at these positions:"
            )
            figure = plotting.motif_position_figure(
                planted.starts, planted.width, planted.max_length
            )
            chart(figure, "motif")
    with tabs[-1]:
        preview = summaries.sequence_preview(dataset)
        st.dataframe(preview.table, hide_index=True, width="stretch")
        st.caption(preview.caption)
    files = [
        ("FASTA", lambda: fasta_text(dataset), "sequences.fa"),
        ("CSV", lambda: sequences_csv_text(dataset), "sequences.csv"),
    ]
    downloads(files, summary)


def matrix_summary(dataset: MatrixSet) -> None:
    summary = dataset.summary()
    metrics(dataset, summary)
    loader_notes(dataset.notes)
    qc = ui.session_cached("qc", dataset, lambda: matrix_qc(dataset))
    labels = summaries.qc_labels(dataset)
    tabs = st.tabs(["Per-cell totals", "Genes per cell", "Top genes", "Metadata", "Preview"])
    with tabs[0]:
        totals = plotting.distribution_figure(
            qc.totals, title=labels.totals_title, x=labels.totals_axis, log_x=labels.log_totals
        )
        chart(totals, "totals")
        if labels.note:
            st.caption(labels.note)
    with tabs[1]:
        detected = qc.detected.astype(float)
        chart(
            plotting.distribution_figure(detected, title=labels.detected_title, x="genes"),
            "detected",
        )
    with tabs[2]:
        chart(plotting.top_genes_figure(qc), "top-genes")
    with tabs[3]:
        metadata_view(dataset)
    with tabs[4]:
        preview = summaries.matrix_preview(dataset)
        st.dataframe(preview.table, width="stretch")
        st.caption(preview.caption)
    downloads([("AnnData (.h5ad)", lambda: h5ad_bytes(dataset), "matrix.h5ad")], summary)


def metadata_view(dataset: MatrixSet) -> None:
    columns, default = summaries.metadata_columns(dataset)
    if not columns:
        st.info("This matrix has no cell metadata (labels, batches…).")
        return
    column = st.selectbox("Metadata column", columns, index=default)
    shown = summaries.metadata_summary(dataset, column)
    if shown.kind == "distribution":
        figure = plotting.distribution_figure(shown.values, title=column, x=column)
    else:
        figure = plotting.category_counts_figure(
            shown.counts, title=f"Cells per {column}", x=column
        )
    chart(figure, "meta")
    roles = summaries.column_roles(dataset)
    if roles:
        st.caption("Columns in use — " + ", ".join(f"{role}: `{name}`" for role, name in roles))


def loader_notes(notes: tuple[str, ...]) -> None:
    if notes:
        st.info(
            "**What the loader did**\n\n" + ui.notes_markdown(notes), icon=":material/fact_check:"
        )
    else:
        st.caption("Read as is: nothing was converted, renamed or skipped.")


def chart(figure: Any, key: str) -> None:
    st.plotly_chart(figure, key=f"chart-{key}", config={"displaylogo": False})


def downloads(files: list[tuple[str, Any, str]], summary: dict[str, Any]) -> None:
    """Download buttons; each file is made when its button is clicked (a copy of a large
    data set in every session's memory would cost what the data set costs)."""
    columns = st.columns(len(files) + 1)
    for column, (label, data, name) in zip(columns, files, strict=False):
        column.download_button(
            f"Download {label}", data, file_name=name, on_click="ignore", icon=":material/download:"
        )
    columns[-1].download_button(
        "Download summary (JSON)",
        json.dumps(summary, indent=2),
        file_name="summary.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
    )


with ui.page("Data", ":material/folder_open:", ABOUT):
    examples, upload = st.tabs(
        [":material/menu_book: Built-in examples", ":material/upload: Upload your file"]
    )
    with examples:
        examples_tab()
    with upload:
        upload_tab()
    st.divider()
    dataset = ui.current_dataset()
    st.subheader(f"Summary: {ui.escape_markdown(dataset.name)}")
    if isinstance(dataset, SequenceSet):
        sequence_summary(dataset)
    else:
        matrix_summary(dataset)
