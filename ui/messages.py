"""Safe text for the page: user text escaped for markdown, errors shown as messages."""

from __future__ import annotations

import re

import streamlit as st

from genodash.errors import GenodashError

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def sentence(text: str) -> str:
    """``text`` with a capital first letter, to begin a sentence."""
    return text[:1].upper() + text[1:]


def escape_markdown(text: str) -> str:
    """Make user-provided text (file names, FASTA headers, gene names) display literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def show_error(error: GenodashError | str, *, context: str | None = None) -> None:
    """Show a genodash error (or its kept message) as a message, never a traceback; user
    text escaped."""
    text = escape_markdown(str(error))
    st.error(f"**{context}**\n\n{text}" if context else text, icon=":material/error:")


def notes_markdown(notes: tuple[str, ...] | list[str]) -> str:
    """Loader notes as a markdown list, each escaped."""
    return "\n".join(f"- {escape_markdown(note)}" for note in notes)
