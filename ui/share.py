"""The links of a page's header: this view for anyone, a read-only link to this workspace's
results, and the workspace's own (private) link."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import address, state


def links_popover(placeholder: Any) -> None:
    """Fill ``placeholder`` (made in the header, filled at the end of the run so that the
    links hold every setting the page drew) with the "Copy link to this view" popover.

    Parameters
    ----------
    placeholder
        An ``st.empty()`` in the page header.
    """
    box = placeholder.container()
    if state.read_only():
        box.info(
            "You are looking at someone's results through a **read-only link**: training, "
            "deleting and uploading are off here. Open genodash without the link to work in "
            "a workspace of your own.",
            icon=":material/visibility:",
        )
    with box, st.popover("Copy link to this view", icon=":material/link:"):
        st.markdown(
            "**This view, for anyone**: the same page, data example and settings — a "
            "student who opens it gets the same figures in a workspace of their own."
        )
        st.code(address.view_url(ws="", view=""), language=None, wrap_lines=True)
        if state.read_only():
            return
        st.markdown(
            "**Your results, read-only**: shows this view with your runs; whoever opens it "
            "cannot train, delete or upload in your workspace."
        )
        st.code(state.share_link(), language=None, wrap_lines=True)
        st.markdown(
            "**Your workspace (keep it to yourself)**: bookmark it to come back to your "
            "runs; whoever has it can also train and delete there."
        )
        st.code(address.view_url(), language=None, wrap_lines=True)
