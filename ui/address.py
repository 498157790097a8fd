"""The page's address holds its view: each setting is read from a link once, then written
back as it changes (only values that differ from the defaults); notes say what a link asked
for that could not be used; the link buttons hand the view on.

Why not Streamlit's ``bind="query-params"``: it drops a value it cannot use without a word,
compares with the widget's own default rather than the page's, and a bound parameter
cannot be written through ``st.query_params`` — a link must say what it could not restore.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from genodash.viewstate import (
    ViewField,
    decode_value,
    encode_value,
    is_default,
    unknown_note,
    unknown_params,
)

_WRITTEN = "_address_written"  # parameter → the text this session last read or wrote
_CLAIMED = "_address_claimed"  # parameters this run's settings own
_NOTES = "_address_notes"  # (page address, note) kept until another page is opened
_AT = "_address_page"


def begin_run() -> None:
    """Start a page run: no parameter is owned yet; notes of another page are dropped."""
    st.session_state[_CLAIMED] = set()
    here = st.context.url
    if st.session_state.get(_AT) != here:
        st.session_state[_AT] = here
        st.session_state[_NOTES] = []


def linked_value(field: ViewField) -> tuple[bool, Any]:
    """``(True, value)`` when the address sets ``field`` to a value this session has not
    read from it yet (a link just opened, a refresh, the browser's Back); else
    ``(False, None)``: the session's own value stands. A value that cannot be used leaves
    a note.

    Parameters
    ----------
    field
        The setting, keyed as in the address.
    """
    raw = linked_text(field.key)
    if raw is None:
        return False, None
    value, note = decode_value(raw, field)
    if note:
        add_note(note)
    return value is not None, value


def linked_text(name: str) -> str | None:
    """The address's text for ``name`` when this session has not read it yet, else None;
    ``name`` becomes one of the page's own parameters.

    Parameters
    ----------
    name
        The parameter.
    """
    claim(name)
    raw = st.query_params.get(name)
    written = st.session_state.setdefault(_WRITTEN, {})
    if raw is None or written.get(name) == raw:
        return None
    written[name] = raw
    return raw


def write_value(field: ViewField, value: Any) -> None:
    """Put ``value`` in the address (or take the parameter out when it is the default).

    Parameters
    ----------
    field
        The setting.
    value
        Its value in this run.
    """
    written = st.session_state.setdefault(_WRITTEN, {})
    if is_default(value, field):
        written.pop(field.key, None)
        if field.key in st.query_params:
            del st.query_params[field.key]
        return
    text = encode_value(value)
    written[field.key] = text
    if st.query_params.get(field.key) != text:
        st.query_params[field.key] = text


def add_note(text: str) -> None:
    """Say on this page that a link's parameter could not be used as it was.

    Parameters
    ----------
    text
        The note (Markdown).
    """
    notes = st.session_state.setdefault(_NOTES, [])
    if text not in notes:
        notes.append(text)


def finish_run(placeholder: Any) -> None:
    """End a page run: parameters no setting of the page owns are taken out of the address
    with a note, and the notes are shown in ``placeholder``.

    Parameters
    ----------
    placeholder
        An ``st.empty()`` near the top of the page.
    """
    written = st.session_state.get(_WRITTEN, {})
    for name in unknown_params(list(st.query_params), st.session_state.get(_CLAIMED, set())):
        if written.get(name) != st.query_params[name]:  # not a setting another page wrote
            add_note(unknown_note(name))
        del st.query_params[name]
    notes = st.session_state.get(_NOTES) or []
    if notes:
        with placeholder.container():
            st.info(
                "**This link could not be restored in full.**\n\n"
                + "\n".join(f"- {note}" for note in notes),
                icon=":material/link_off:",
            )


def claim(name: str) -> None:
    """Mark an address parameter as the page's own (not a setting: e.g. ``demo``).

    Parameters
    ----------
    name
        The parameter.
    """
    st.session_state.setdefault(_CLAIMED, set()).add(name)


def view_url(**extra: str) -> str:
    """This page's address with its current parameters (``extra`` replacing some).

    Parameters
    ----------
    **extra
        Parameters to set, or to leave out when given as ``""``.
    """
    from urllib.parse import urlencode

    params = {name: st.query_params.get(name) for name in st.query_params}
    params.update(extra)
    query = urlencode({name: value for name, value in params.items() if value})
    here = st.context.url or ""
    return f"{here}?{query}" if query else here
