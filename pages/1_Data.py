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
from genodash.io.writers import dataset_downloads
from genodash.plotting.reads import (
    read_classes_figure,
    read_composition_figure,
    read_gc_figure,
    read_length_figure,
)
from genodash.workspace import KeptData
from ui import data_folder
from ui.data_folder import whole_file_summary
from ui.figures import show_figure
from ui.reading import reading_options, show_read_outcome

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

A teacher can also offer large files from a folder on the server (the `GENODASH_DATA_DIR`
setting): they are then listed in a **Server data folder** tab and open without an upload.
A matrix too large for memory there is summarised without loading, with the command that
runs the out-of-core **atlas pipeline** on it; its result opens in seconds and the
Embeddings page draws every cell.
"""


def examples_tab() -> None:
    keys = list(EXAMPLES)
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
                name = f"ex-{key}-{control.name}"
                params[control.name] = ui.control_widget(control, key=name, in_address=False)
        submitted = st.form_submit_button(
            "Load this example", type="primary", icon=":material/download:"
        )
    if submitted:
        try:
            dataset = ui.cached_example(key, tuple(sorted(params.items())))
        except GenodashError as error:
            ui.show_error(error, context="The example could not be made")
            return
        ui.set_dataset(dataset, origin="example", example=(key, params))
        st.toast(f"Loaded {ui.escape_markdown(dataset.name)}", icon=":material/check_circle:")
        st.rerun()
    elif ui.current_dataset().format == "example":
        st.caption(
            "The loaded data set is an example; change the controls and press the button "
            "to make a new one."
        )


def upload_tab() -> None:
    if ui.read_only():
        st.info(
            "This is a shared, read-only view of someone's workspace: uploading is off here. "
            "Open genodash without the link to work with your own files.",
            icon=":material/visibility:",
        )
        return
    st.markdown(
        f"Up to **{ui.upload_limit_mb():,} MB** per file. Sequences: `.fa` `.fasta` `.fq` "
        "`.fastq` `.csv` `.tsv` `.txt` (also `.gz`). Matrices: `.csv` `.tsv` `.h5ad` `.h5` "
        "`.zip` (10x folder), or `matrix.mtx` + `barcodes.tsv` + `features.tsv` together."
    )
    files = st.file_uploader("Data files", accept_multiple_files=True, key="upload")
    options, labels_file = reading_options()
    if not files:
        return
    key = (tuple(f.file_id for f in files), labels_file and labels_file.file_id, repr(options))
    outcome, fresh = ui.outcome_once("upload", key, lambda: read_files(files, options, labels_file))
    if fresh and outcome[0] == "ok":
        st.rerun()  # so that the sidebar and every section show the new data
    show_read_outcome(*outcome)


def read_files(files: list[Any], options: ReadOptions, labels_file: Any) -> tuple[str, str]:
    """Read the uploads into ``(status, message)``; not the error: its traceback holds the data."""
    raws = [RawFile(name=f.name, data=f.getvalue()) for f in files]
    labels = RawFile(labels_file.name, labels_file.getvalue()) if labels_file else None
    options = dataclasses.replace(options, labels_file=labels)
    with st.spinner(f"Reading {', '.join(raw.display_name for raw in raws)}…"):
        try:
            dataset = read_upload(raws, options)
        except OrientationError as error:
            return ("orientation", str(error))
        except GenodashError as error:
            return ("error", str(error))
    name = ", ".join(raw.display_name for raw in raws)
    ui.set_dataset(dataset, origin="upload", kept=KeptData("upload", tuple(raws), name, options))
    return ("ok", dataset.name)


def metrics(dataset: SequenceSet | MatrixSet, summary: dict[str, Any]) -> None:
    # a row that wraps, each metric as wide as its text: five equal columns cut "60–150 bp"
    # to "60–150 …" at 1280 px and most values at 1024 px
    with st.container(horizontal=True, horizontal_alignment="distribute", gap="medium"):
        for metric in summaries.headline_metrics(dataset, summary=summary):
            st.metric(metric.label, metric.value, help=metric.help, width="content")


def sequence_summary(dataset: SequenceSet) -> None:
    whole_file = whole_file_summary(dataset)
    if whole_file is not None:
        return large_file_summary(dataset, whole_file)
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
            st.markdown(planted.caption)
            figure = plotting.motif_position_figure(
                planted.starts, planted.width, planted.max_length
            )
            chart(figure, "motif")
    with tabs[-1]:
        preview = summaries.sequence_preview(dataset)
        st.dataframe(preview.table, hide_index=True, width="stretch")
        st.caption(preview.caption)


def large_file_summary(dataset: SequenceSet, whole_file: dict[str, Any]) -> None:
    """A converted read file: figures of every read (from the conversion), the sample below."""
    st.caption(
        f"The figures cover all {whole_file['n_reads']:,} reads of the file, counted while it "
        f"was converted; the table shows reads of the {dataset.n_obs:,} held in memory."
    )
    names = ["Classes", "Lengths", "GC content", "Base composition", "Sequences"]
    figures = [read_classes_figure, read_length_figure, read_gc_figure, read_composition_figure]
    tabs = st.tabs(names)
    for tab, name, build in zip(tabs, names, figures, strict=False):
        with tab:
            chart(build(whole_file), f"whole-{name}")
    with tabs[-1]:
        preview = summaries.sequence_preview(dataset)
        st.dataframe(preview.table, hide_index=True, width="stretch")
        st.caption(preview.caption)


def matrix_summary(dataset: MatrixSet) -> None:
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
    if roles := summaries.column_roles_caption(dataset):
        st.caption(roles)


def loader_notes(notes: tuple[str, ...]) -> None:
    if notes:
        st.info(
            "**What the loader did**\n\n" + ui.notes_markdown(notes), icon=":material/fact_check:"
        )
    else:
        st.caption("Read as is: nothing was converted, renamed or skipped.")


def chart(figure: Any, key: str) -> None:
    show_figure(figure, key=f"chart-{key}")


def downloads(files: list[tuple[str, Any, str]], summary: dict[str, Any]) -> None:
    """A download button per file (files made on click) and one for the summary as JSON."""
    files = [*files, ("summary (JSON)", json.dumps(summary, indent=2), "summary.json")]
    row = st.container(horizontal=True)  # wraps on a narrow screen instead of cutting labels
    for label, data, name in files:
        row.download_button(
            f"Download {label}",
            data,
            file_name=name,
            mime="application/json" if name.endswith(".json") else None,
            on_click="ignore",
            icon=":material/download:",
        )


with ui.page("Data", ":material/folder_open:", ABOUT):
    examples, upload, *folder = st.tabs(
        [
            ":material/menu_book: Built-in examples",
            ":material/upload: Upload your file",
            *data_folder.tab_titles(),
        ]
    )
    with examples:
        examples_tab()
    with upload:
        upload_tab()
    for tab in folder:
        with tab:
            data_folder.folder_tab()
    st.divider()
    dataset = ui.current_dataset()
    st.subheader(f"Summary: {ui.escape_markdown(dataset.name)}")
    summary = dataset.summary()
    metrics(dataset, summary)
    loader_notes(dataset.notes)
    if isinstance(dataset, SequenceSet):
        sequence_summary(dataset)
    else:
        matrix_summary(dataset)
    downloads(dataset_downloads(dataset), summary)
