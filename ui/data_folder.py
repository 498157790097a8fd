"""The Data page's "Server data folder" tab: the files a teacher put in
``GENODASH_DATA_DIR``, listed, and the chosen one opened from disk without an upload.

The tab exists only when the variable is set. Every file is opened by
:func:`open_from_folder`, the one place that turns a file of the folder into a data set.
Two kinds of file take another way: an atlas result opens in seconds as the session's
atlas (drawn on the Embeddings page), and an ``.h5ad`` or ``.h5`` matrix too large for
memory is summarised without loading, with the command that runs the out-of-core
pipeline on it.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from genodash.atlas.result import is_atlas_result
from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError, OrientationError
from genodash.io import RawFile, ReadOptions
from genodash.io.data_folder import (
    DataFile,
    OutOfCoreMatrix,
    list_data_folder,
    open_large_reads,
    out_of_core_matrix,
    read_folder_file,
    resolve_in_data_folder,
)
from genodash.io.read_store import LARGE_READ_FILE_BYTES, is_large_read_file, load_read_store
from genodash.limits import data_dir, human_bytes, memory_budget_bytes
from genodash.workspace import KeptData
from ui.atlas import open_atlas
from ui.messages import escape_markdown, show_error
from ui.reading import reading_options, show_read_outcome
from ui.state import outcome_once, set_atlas, set_dataset
from ui.widgets import progress_bar

TAB = ":material/dns: Server data folder"
PREFIX = "folder-"
KIND_TEXT = {
    "sequences": "sequences",
    "matrix": "matrix",
    "table": "table (sequences or matrix)",
    "other": "other",
}


def tab_titles() -> list[str]:
    """The data folder tab's title when ``GENODASH_DATA_DIR`` is set, else nothing."""
    return [TAB] if data_dir() is not None else []


def open_from_folder(path: Path, options: ReadOptions) -> SequenceSet | MatrixSet:
    """Open a file of the server data folder as a data set: the one place that does. A
    large read file is converted once into memory-mapped codes (with a progress bar) and a
    sample of it is held; anything else is read as an upload is, in the reader's
    memory-capped process.

    Parameters
    ----------
    path
        The file, from :func:`genodash.io.data_folder.resolve_in_data_folder` (so inside
        the folder).
    options
        The reading options chosen in the tab.
    """
    if is_large_read_file(path, options):
        # the bar also runs while the file is hashed to find an earlier conversion
        doing = f"Checking {escape_markdown(path.name)}, converting it once if new"
        with progress_bar(doing) as report:
            return open_large_reads(path, options, progress=report)
    return read_folder_file(path, options)


def whole_file_summary(dataset: SequenceSet | MatrixSet) -> dict[str, Any] | None:
    """The summary of every read of a converted file, when ``dataset`` is its sample; else
    None (an example, an upload, a file read into memory)."""
    folder = dataset.meta.get("read_store") if isinstance(dataset, SequenceSet) else None
    if folder is None:
        return None
    try:
        return load_read_store(folder).summary
    except GenodashError:
        return None  # the cache was cleared: the sample's own figures are shown instead


def folder_tab() -> None:
    """The tab: the files of the folder in a table, a choice of one, reading options and
    an Open button; the message of the last opening below."""
    try:
        listing = list_data_folder()
    except GenodashError as error:
        show_error(error, context="The server data folder cannot be listed")
        return
    st.markdown(
        "Files your teacher put on the server. Opening one reads it from there: nothing is "
        "uploaded. It is read with the same checks as an upload. A file of reads over "
        f"{human_bytes(LARGE_READ_FILE_BYTES)} may be of any size: the first opening "
        "converts it once (a progress bar shows the time left), later ones reuse that."
    )
    if listing.files:
        table = pd.DataFrame(
            {
                "File": [f.name for f in listing.files],
                "Size": [f.size_text for f in listing.files],
                "Kind": [_kind_text(f) for f in listing.files],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
    if listing.note:
        st.caption(listing.note)
    if not listing.files:
        return
    st.selectbox("File to open", [f.name for f in listing.files], key="folder-file")
    options, labels_file = reading_options(PREFIX)
    st.button(
        "Open",
        type="primary",
        icon=":material/file_open:",
        key="folder-open",
        on_click=_choose,
    )
    if "folder-chosen" not in st.session_state:
        return
    chosen, clicks = st.session_state["folder-chosen"]
    key = (chosen, clicks, labels_file and labels_file.file_id, repr(options))
    outcome, fresh = outcome_once("folder", key, lambda: _open(chosen, options, labels_file))
    if outcome[0] in SPECIAL:
        return SPECIAL[outcome[0]](outcome[1])
    if fresh and outcome[0] == "ok":
        st.rerun()  # so that the sidebar and every section show the new data
    show_read_outcome(*outcome, prefix=PREFIX)


def _choose() -> None:
    """Keep the file chosen to open and count the clicks: each click reads it again (it
    may have changed on disk), as do new reading options."""
    _, clicks = st.session_state.get("folder-chosen", ("", 0))
    st.session_state["folder-chosen"] = (st.session_state["folder-file"], clicks + 1)


def _open(name: str, options: ReadOptions, labels_file: Any) -> tuple[str, str]:
    """Open the folder's file ``name`` into ``(status, message)``, as the upload tab reads."""
    if labels_file is not None:
        labels = RawFile(labels_file.name, labels_file.getvalue())
        options = dataclasses.replace(options, labels_file=labels)
    with st.spinner(f"Reading {escape_markdown(name)}…"):
        try:
            path = resolve_in_data_folder(name)
            special = _atlas_or_out_of_core(name, path)
            if special is not None:
                return special
            dataset = open_from_folder(path, options)
        except OrientationError as error:
            return ("orientation", str(error))
        except GenodashError as error:
            return ("error", str(error))
    set_dataset(dataset, origin="data folder", kept=KeptData("data folder", (), name, options))
    return ("ok", dataset.name)


# --- atlas results and matrices too large for memory ---------------------------------------


def _kind_text(file: DataFile) -> str:
    """What the listing says a file holds; an atlas result is named as one."""
    if file.name.lower().endswith(".h5ad") and _is_atlas_file(file.name):
        return "atlas result (opens in seconds)"
    return KIND_TEXT[file.kind]


def _is_atlas_file(name: str) -> bool:
    try:
        return is_atlas_result(resolve_in_data_folder(name))
    except GenodashError:
        return False


def _atlas_or_out_of_core(name: str, path: Path) -> tuple[str, Any] | None:
    """Open an atlas result as the session's atlas, or summarise a matrix that needs the
    out-of-core way, into ``(status, value)``; None for any other file."""
    if is_atlas_result(path):
        started = time.perf_counter()
        result = open_atlas(path)
        set_atlas(result)
        return ("atlas", (name, result.n_cells, time.perf_counter() - started))
    matrix = out_of_core_matrix(name, path, memory_budget_bytes())
    return None if matrix is None else ("out-of-core", matrix)


def _show_atlas_opened(opened: tuple[str, int, float]) -> None:
    name, n_cells, seconds = opened
    st.success(
        f"Opened the atlas result {escape_markdown(name)}: {n_cells:,} cells, in "
        f"{seconds:.1f} s. The Embeddings page draws it; the data set of the other pages "
        "stays as it was.",
        icon=":material/check_circle:",
    )
    st.page_link(
        "pages/9_Embeddings.py", label="Draw it on Embeddings", icon=":material/bubble_chart:"
    )


def _show_out_of_core(matrix: OutOfCoreMatrix) -> None:
    """The summary of a matrix too large for memory, and how to run the pipeline on it."""
    st.warning(
        f"**{escape_markdown(matrix.name)}** is too large for memory here: it goes the "
        "out-of-core way. Nothing was loaded; your previous data is still in use.",
        icon=":material/memory:",
    )
    figures = {
        "Cells": f"{matrix.n_cells:,}",
        "Genes": f"{matrix.n_genes:,}",
        "Stored values": f"{matrix.stored_values:,}",
        "In memory (one copy)": human_bytes(matrix.in_memory_bytes),
        "Preprocessing needs": human_bytes(matrix.needed_bytes),
        "Memory budget": human_bytes(matrix.budget_bytes),
    }
    with st.container(horizontal=True, horizontal_alignment="distribute", gap="medium"):
        for label, value in figures.items():
            st.metric(label, value, width="content")
    st.markdown(
        "Preprocessing in memory holds several copies of the matrix, more than the memory "
        "budget (`GENODASH_MEMORY_BUDGET`) allows. The **atlas pipeline** reads it in "
        "blocks of cells instead (quality control, normalization, variable genes, PCA, "
        "neighbours, UMAP, Leiden). Run it once on the server, in a shell where "
        "`GENODASH_DATA_DIR` is set as for the app:"
    )
    st.code(matrix.command, language="bash", wrap_lines=True)
    st.markdown(
        f"It writes **{escape_markdown(matrix.result_name)}** into this folder; choose it "
        "in the list above and press **Open**: it opens here in seconds and the "
        "Embeddings page draws every cell."
    )
    if _is_atlas_file(matrix.result_name):
        st.info(
            f"A result of this matrix is already here: {escape_markdown(matrix.result_name)}.",
            icon=":material/info:",
        )


SPECIAL = {"atlas": _show_atlas_opened, "out-of-core": _show_out_of_core}
