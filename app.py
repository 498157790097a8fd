"""genodash home: what it is, the course map, the data and device in use."""

from __future__ import annotations

import streamlit as st

import ui

ABOUT = """
genodash lets you **train and look inside deep-learning models for genomics** without
writing code. Each page is one step of the course *AI for Genomics: from CNNs and LSTMs to
Transformers*. Start on **Data**: pick a built-in example or upload your own file. The data
you choose stays loaded as you move between pages.
"""

with ui.page("genodash", ":material/genetics:", ABOUT):
    st.markdown(
        "#### Deep learning for genomics — from CNNs and LSTMs to Transformers\n"
        "Upload DNA reads or a single-cell expression matrix, train a model on it, watch it "
        "learn, and see *what* it learned. Built for biologists and students: every screen "
        "explains itself."
    )

    st.subheader("Course map")
    cards = st.container(horizontal=True, wrap=True)  # as many in a row as the screen holds
    for info in ui.PAGES[1:]:
        with cards.container(border=True, width=240, height="stretch"):
            st.markdown(f"#### {info.icon} {info.label}")
            st.markdown(info.teaches)
            st.page_link(info.path, label=info.label, icon=":material/arrow_forward:")

    st.subheader("Right now")
    dataset = ui.current_dataset()
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**Loaded data**")
        st.markdown(ui.escape_markdown(dataset.name))
        ui.dataset_caption(dataset)
        st.page_link("pages/1_Data.py", label="Change data", icon=":material/folder_open:")
    with right.container(border=True):
        st.markdown("**Where models train**")
        st.markdown(ui.device_info().describe())
        st.caption(
            f"Uploads up to {ui.upload_limit_mb():,} MB per file. Training uses the GPU when "
            "there is one (CUDA or Apple MPS), otherwise the CPU."
        )
