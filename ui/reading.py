"""Reading a file on the Data page: the reading options a person can set, and the message
after a read (with the orientation buttons a transposed-looking matrix asks for).

The upload tab and the server data folder tab each draw their own set of these widgets;
``prefix`` keeps their keys apart (the upload tab's have none).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from genodash.io import ReadOptions, read_options_from_text
from ui.messages import escape_markdown, show_error
from ui.state import setting

TRANSPOSE, KEEP = "Genes are rows: transpose", "Cells are rows: keep"
ORIENTATIONS = {"Detect": None, TRANSPOSE: True, KEEP: False}
KINDS = {"auto": "decide for me", "sequences": "sequences", "matrix": "a matrix"}


def reading_options(prefix: str = "") -> tuple[ReadOptions, Any]:
    """The reading options expander: the options typed, and the labels file uploaded (or None)."""
    with st.expander("Reading options (column names, orientation, labels file)"):
        left, middle, right = st.columns(3)
        options = read_options_from_text(
            kind=left.radio(
                "The file holds",
                list(KINDS),
                horizontal=True,
                key=setting(f"{prefix}read-kind", "auto", list(KINDS)),
                format_func=KINDS.get,
            ),
            sequence_column=middle.text_input(
                "Sequence column (tables)", key=setting(f"{prefix}read-seq", "SEQ")
            ),
            label_column=right.text_input(
                "Label column (blank: LAB or a guess)", key=setting(f"{prefix}read-label", "")
            ),
            batch_column=left.text_input(
                "Batch column (matrices)", key=setting(f"{prefix}read-batch", "")
            ),
            metadata_columns=middle.text_input(
                "Extra metadata columns, comma-separated", key=setting(f"{prefix}read-meta", "")
            ),
            transpose=ORIENTATIONS[
                right.radio(
                    "Matrix orientation",
                    list(ORIENTATIONS),
                    key=setting(f"{prefix}read-orientation", "Detect", list(ORIENTATIONS)),
                )
            ],
        )
        labels_file = st.file_uploader(
            "Labels file for plain one-sequence-per-line text", key=f"{prefix}labels-upload"
        )
    return options, labels_file


def show_read_outcome(status: str, value: str, prefix: str = "") -> None:
    """The message after a read: ``status`` ``"ok"`` (``value``: the data set's name),
    ``"error"`` or ``"orientation"`` (``value``: the message), with the buttons that set the
    orientation for the next read in the latter case."""
    if status == "ok":
        st.success(
            f"Loaded {escape_markdown(value)}. Its summary is below.",
            icon=":material/check_circle:",
        )
        return
    show_error(value, context="This file was not loaded; your previous data is still in use")
    if status == "orientation":
        st.markdown("Which way round is this matrix?")
        left, right = st.columns(2)
        key = f"{prefix}read-orientation"
        left.button(
            TRANSPOSE,
            on_click=_orient,
            args=(key, TRANSPOSE),
            type="primary",
            key=f"{prefix}orient-transpose",
        )
        right.button(
            "Cells are rows: keep as is",
            on_click=_orient,
            args=(key, KEEP),
            key=f"{prefix}orient-keep",
        )


def _orient(key: str, choice: str) -> None:
    st.session_state[key] = choice
