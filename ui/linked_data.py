"""The data set a link or a refresh brings back: an example named in the address (with its
parameters), or the upload or data folder file this workspace keeps; the address then names
the data set in use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from genodash.viewstate import DATA, DATA_PARAM, decode_view, encode_view, example_fields
from ui import address
from ui.messages import escape_markdown
from ui.state import Dataset, cached_example, set_dataset, workspace_dir

if TYPE_CHECKING:
    from genodash.workspace import KeptData


def ensure_dataset() -> None:
    """This run's dataset: the one a link names (an example with its parameters, or this
    workspace's kept upload), else the session's, else the workspace's kept one (after a
    refresh), else the default example; then the address names it."""
    linked = st.query_params.get(DATA)
    if linked is not None and _data_spec() != st.session_state.get("_data_spec"):
        _open_linked(linked)
    elif "dataset" not in st.session_state and not _restore_kept():
        _load_example(_default_example(), {})
    _write_dataset_address()
    st.session_state["_data_spec"] = _data_spec()


def _data_spec() -> tuple[str | None, tuple[tuple[str, str], ...]]:
    return st.query_params.get(DATA), tuple(sorted(_data_params().items()))


def _data_params() -> dict[str, str]:
    return {name: st.query_params[name] for name in st.query_params if name.startswith(DATA_PARAM)}


def _load_example(key: str, params: dict[str, Any]) -> None:
    from genodash.examples import EXAMPLES

    values = {**EXAMPLES[key].defaults(), **params}
    dataset = cached_example(key, tuple(sorted(values.items())))
    set_dataset(dataset, origin="example", example=(key, values))


def _open_linked(linked: str) -> None:
    """Open the data set the address names, or say why not and keep (or load) another."""
    from genodash.errors import GenodashError
    from genodash.examples import EXAMPLES

    if linked in EXAMPLES:
        values, notes = decode_view(_data_params(), example_fields(EXAMPLES[linked].controls))
        for note in notes:
            address.add_note(note)
        try:
            _load_example(linked, {name.removeprefix(DATA_PARAM): v for name, v in values.items()})
        except GenodashError as error:
            address.add_note(f"The link's example could not be made ({error}).")
        else:
            _show_on_data_page(*st.session_state["dataset_example"])
            return
    elif _restore_kept(linked):
        return
    else:
        address.add_note(_missing_data_note(linked))
    if "dataset" not in st.session_state:
        _load_example(_default_example(), {})


def _show_on_data_page(key: str, values: dict[str, Any]) -> None:
    """Set the Data page's example controls to the example a link loaded."""
    kept = st.session_state.setdefault("_kept_widgets", {})
    for name, value in {
        "ex-choice": key,
        **{f"ex-{key}-{n}": v for n, v in values.items()},
    }.items():
        st.session_state[name] = kept[name] = value


def _missing_data_note(linked: str) -> str:
    origin, _, name = linked.partition(":")
    if origin in ("upload", "folder"):
        what = "an uploaded file" if origin == "upload" else "a file of the server data folder"
        return (
            f"This view was made with {what} (**{escape_markdown(name)}**) that this workspace "
            "does not hold: open the link of the workspace that loaded it, or load the file "
            "on the Data page. The data already loaded here is shown instead."
        )
    return f"The link's data **{escape_markdown(linked)}** is not a built-in example: ignored."


def _restore_kept(linked: str | None = None) -> bool:
    """Bring back the workspace's kept data set (the one ``linked`` names, if given)."""
    from genodash.workspace import kept_data

    kept = kept_data(workspace_dir())
    if kept is None or (linked is not None and linked != _data_name(kept)):
        return False
    from genodash.errors import GenodashError

    try:
        with st.spinner(f"Reading {escape_markdown(kept.name)} again…"):
            dataset = _read_kept(kept)
    except GenodashError as error:
        address.add_note(f"The data kept in this workspace could not be read again ({error}).")
        return False
    set_dataset(dataset, origin=kept.origin)
    st.session_state["dataset_kept"] = kept.name
    return True


def _read_kept(kept: KeptData) -> Dataset:
    if kept.origin == "upload":
        from genodash.io import read_upload

        return read_upload(list(kept.files), kept.options)
    from genodash.io.data_folder import resolve_in_data_folder
    from ui.data_folder import open_from_folder

    return open_from_folder(resolve_in_data_folder(kept.name), kept.options)


def _data_name(kept: KeptData) -> str:
    return f"{'upload' if kept.origin == 'upload' else 'folder'}:{kept.name}"


def _write_dataset_address() -> None:
    """``data=…`` names the data set: an example (with ``data.<param>`` for parameters that
    differ from its defaults; nothing for the default example), or the kept upload."""
    from genodash.examples import EXAMPLES

    for name in _data_params():
        del st.query_params[name]
    example = st.session_state.get("dataset_example")
    origin = st.session_state.get("dataset_origin")
    if origin == "example" and example is not None:
        key, values = example
        fields = example_fields(EXAMPLES[key].controls)
        params = encode_view({DATA_PARAM + name: v for name, v in values.items()}, fields)
        if key == _default_example() and not params:
            st.query_params.pop(DATA, None)
            return
        st.query_params.update({DATA: key, **params})
    elif st.session_state.get("dataset_kept"):
        prefix = "upload" if origin == "upload" else "folder"
        st.query_params[DATA] = f"{prefix}:{st.session_state['dataset_kept']}"
    else:
        st.query_params.pop(DATA, None)


def _default_example() -> str:
    from genodash.examples import DEFAULT_EXAMPLE

    return DEFAULT_EXAMPLE
