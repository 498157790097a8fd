"""Expression-matrix helpers shared by pages: the preprocessed matrix, its caption and the
background UMAP warm-up."""

from __future__ import annotations

from typing import Any

import streamlit as st

from genodash.data import MatrixSet
from genodash.errors import GenodashError
from ui.messages import show_error


def processed_matrix(dataset: MatrixSet) -> Any:
    """The preprocessed loaded matrix: the user's choice from *Preprocess*, else the defaults."""
    stored = st.session_state.get("processed")
    if stored is not None and stored[0] is dataset:
        return stored[1]
    from genodash.expression.preprocess import PreprocessConfig, preprocess

    with st.spinner("Preprocessing with the default settings…"):
        processed = preprocess(dataset, PreprocessConfig())
    set_processed(dataset, processed, chosen=False)
    return processed


def set_processed(dataset: MatrixSet, processed: Any, *, chosen: bool) -> None:
    st.session_state["processed"] = (dataset, processed, chosen)


def processed_or_error(dataset: MatrixSet) -> Any | None:
    """:func:`processed_matrix`, or None after saying why the default preprocessing failed."""
    try:
        return processed_matrix(dataset)
    except GenodashError as error:
        show_error(error, context="The default preprocessing does not suit this matrix")
        return None


def processed_caption(dataset: MatrixSet) -> None:
    """Say which preprocessing the page works on, with a link to change it."""
    stored = st.session_state.get("processed")
    chosen = stored is not None and stored[0] is dataset and stored[2]
    from genodash.expression.preprocess import processed_summary

    st.caption(processed_summary(processed_matrix(dataset), chosen=chosen))
    st.page_link("pages/7_Preprocess.py", label="Change preprocessing", icon=":material/tune:")


def scanpy_defaults_expander() -> None:
    """Where genodash's expression defaults match scanpy's, and where and why they differ."""
    from genodash.expression.scanpy_defaults import defaults_table

    with st.expander("genodash's defaults beside scanpy's", icon=":material/compare_arrows:"):
        st.table(defaults_table().set_index("Step"))


@st.cache_resource(show_spinner=False)
def umap_warmup() -> dict[str, float | None]:
    """Pay UMAP's one-off import and compilation in a background thread, once per server,
    as soon as someone works on a matrix; by their first UMAP click it is done."""
    import threading

    from genodash.expression.embed import warm_umap

    state: dict[str, float | None] = {"seconds": None}

    def warm() -> None:
        state["seconds"] = warm_umap()

    threading.Thread(target=warm, name="umap-warmup", daemon=True).start()
    return state
