"""The Data page's "Server data folder" tab: the files a teacher put in
``GENODASH_DATA_DIR``, listed, and the chosen one opened from disk without an upload.

The tab exists only when the variable is set. Every file is opened by
:func:`open_from_folder`, the one place that turns a file of the folder into a data set.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError, OrientationError
from genodash.io import RawFile, ReadOptions
from genodash.io.data_folder import (
    list_data_folder,
    open_large_reads,
    read_folder_file,
    resolve_in_data_folder,
)
from genodash.io.read_store import LARGE_READ_FILE_BYTES, is_large_read_file, load_read_store
from genodash.limits import data_dir, human_bytes
from genodash.train.callbacks import progress_text
from ui.messages import escape_markdown, show_error
from ui.reading import reading_options, show_read_outcome
from ui.state import outcome_once, set_dataset

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
        bar = st.progress(0.0, text=f"{doing}…")
        started = time.perf_counter()

        def report(done: int, total: int) -> None:
            text = progress_text(done, total, time.perf_counter() - started)
            bar.progress(done / total if total else 1.0, text=f"{doing}: {text}")

        try:
            return open_large_reads(path, options, progress=report)
        finally:
            bar.empty()  # the outcome (data or message) replaces it
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
                "Kind": [KIND_TEXT[f.kind] for f in listing.files],
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
            dataset = open_from_folder(resolve_in_data_folder(name), options)
        except OrientationError as error:
            return ("orientation", str(error))
        except GenodashError as error:
            return ("error", str(error))
    set_dataset(dataset, origin="data folder")
    return ("ok", dataset.name)
