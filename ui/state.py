"""Session state: the current dataset, the shared example cache, kept settings, this
browser's workspace and per-session caches."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from genodash.data import MatrixSet, SequenceSet
from genodash.limits import runs_dir
from genodash.viewstate import ViewField
from ui import address

if TYPE_CHECKING:
    from genodash.atlas.result import AtlasResult
    from genodash.examples import ExampleCache
    from genodash.workspace import KeptData

Dataset = SequenceSet | MatrixSet
RUNS_ROOT = runs_dir(Path(__file__).resolve().parent.parent / "runs")
_WORKSPACE = re.compile(r"[0-9a-f]{12}")
_MISSING = object()
ADDRESS_NAMES = "_address_names"  # a setting's name in the address -> its widget key


# --- settings that survive visits to other pages -------------------------------------------


def keep_widget_values() -> None:
    """Copy the settings' current values aside at the start of each run (see :func:`setting`)."""
    logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)
    kept = st.session_state.setdefault("_kept_widgets", {})
    for key in kept:
        if key in st.session_state:
            kept[key] = st.session_state[key]


def setting(
    key: str,
    default: Any,
    options: Sequence[Any] | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    name: str | None = None,
    in_address: bool = True,
) -> str:
    """The key for a settings widget whose value survives visits to other pages and lives
    in the page's address.

    Use as ``st.number_input("Epochs", 1, 500, key=ui.setting("train-epochs", 30, low=1,
    high=500))`` and give the widget no default of its own. Streamlit forgets the state of
    widgets a run does not draw; the value is kept aside each run and put back before the
    widget is drawn again (Streamlit's documented remedy). A link that sets ``key`` sets the
    widget once (see :mod:`ui.address`): ``options`` (the choices, or for a list the items it
    may hold) and ``low``/``high`` (a number's range, which the widget's must match) say
    what the link may ask; ``name`` is its name in the address (default: ``key``);
    ``in_address=False`` keeps a setting out of the address.
    """
    kept = st.session_state.setdefault("_kept_widgets", {})
    current = st.session_state.get(key, kept.get(key, default))
    choices = None if options is None else tuple(options)
    field = ViewField(name or key, default, choices, low, high)
    if in_address:
        linked, value = address.linked_value(field)
        current = value if linked else current
    if options is not None and not _allowed(current, options):
        current = default
    if isinstance(current, int | float) and not isinstance(current, bool):
        current = _within(current, low, high)  # a bound that moved (e.g. to a new data set)
    if st.session_state.get(key, _MISSING) != current:
        st.session_state[key] = current
    kept[key] = current
    if in_address:
        address.write_value(field, current)
        st.session_state.setdefault(ADDRESS_NAMES, {})[field.key] = key
    return key


def _within(value: float, low: float | None, high: float | None) -> float:
    if low is not None and value < low:
        return type(value)(low)
    if high is not None and value > high:
        return type(value)(high)
    return value


def _allowed(value: Any, options: Sequence[Any]) -> bool:
    if isinstance(value, list | tuple):
        return all(item in options for item in value)
    return value in options


# --- the current dataset ------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def example_cache() -> ExampleCache:
    """The server's one example cache (see :class:`genodash.examples.ExampleCache`)."""
    from genodash.examples import ExampleCache
    from genodash.limits import Limits

    return ExampleCache(Limits.from_env().max_example_cache_bytes)


def cached_example(key: str, params: tuple[tuple[str, Any], ...]) -> Dataset:
    """A built-in example, shared by all users: immutable, keyed by its parameters."""
    from genodash.examples import load_example

    def make() -> Dataset:
        with st.spinner("Preparing the example…"):
            return load_example(key, **dict(params))

    return example_cache().get((key, params), make)


def current_dataset() -> Dataset:
    return st.session_state["dataset"]


def set_dataset(
    dataset: Dataset,
    *,
    origin: str,
    example: tuple[str, dict[str, Any]] | None = None,
    kept: KeptData | None = None,
) -> None:
    """Make ``dataset`` the one every page uses; ``origin`` is 'example', 'upload' or
    'data folder'. An example gives its key and parameters (the address names them); an
    upload or data folder file its files and read options, kept in the workspace (within
    :attr:`~genodash.limits.Limits.max_kept_data_bytes`) so that a refresh brings it back."""
    st.session_state["dataset"] = dataset
    st.session_state["dataset_origin"] = origin
    st.session_state["dataset_example"] = example
    st.session_state["dataset_kept"] = kept.name if kept else None
    if kept is not None and not read_only():
        from genodash.limits import Limits
        from genodash.workspace import keep_data

        keep_data(workspace_dir(), kept, Limits.from_env().max_kept_data_bytes)


def current_atlas() -> AtlasResult | None:
    """The atlas result opened in this session (from the server data folder), or None."""
    return st.session_state.get("atlas")


def set_atlas(result: AtlasResult) -> None:
    """Make ``result`` this session's atlas: the Embeddings page draws it. The data set
    stays as it was."""
    st.session_state["atlas"] = result


# --- this browser's workspace ----------------------------------------------------------------


def workspace_dir() -> Path:
    """This browser's runs folder. Its token sits in the URL (``?ws=…``): bookmark or share
    the link to come back to the same runs; other users never see them otherwise. A
    read-only share link (``?view=…``) opens another workspace's folder without ``ws``."""
    token = st.session_state.get("workspace")
    if token is None:
        token = _shared_workspace() or _own_workspace()
        st.session_state["workspace"] = token
    if read_only():
        st.query_params["view"] = st.session_state["view_token"]
        st.query_params.pop("ws", None)
    elif st.query_params.get("ws") != token:
        st.query_params["ws"] = token
    return RUNS_ROOT / token


def _own_workspace() -> str:
    given = st.query_params.get("ws", "")
    return given if _WORKSPACE.fullmatch(given) else secrets.token_hex(6)


def _shared_workspace() -> str | None:
    """The workspace a ``?view=`` link shows read-only, or None (with a note if unknown)."""
    from genodash.workspace import workspace_of_share

    view = st.query_params.get("view")
    if view is None:
        return None
    from ui.jobs import job_queue

    folder = workspace_of_share(RUNS_ROOT, view, also=job_queue().owners())
    if folder is None:
        address.add_note(
            "This share link names no workspace on this server (it may have been deleted, or "
            "hold nothing yet: no run, no kept data): a new workspace of your own is opened."
        )
        st.query_params.pop("view", None)
        return None
    st.session_state["view_token"] = view
    return folder.name


def read_only() -> bool:
    """True when the page was opened by a read-only share link: results can be looked at,
    but nothing trained, deleted or uploaded in that workspace."""
    return "view_token" in st.session_state


def share_link() -> str:
    """The read-only share link of this workspace's current view."""
    from genodash.workspace import share_token

    token = share_token(RUNS_ROOT, workspace_dir().name)
    return address.view_url(view=token, ws="")


def presenter() -> bool:
    """True in presenter view (``?presenter=1``)."""
    return st.query_params.get("presenter") == "1"


def hidden_settings() -> set[str] | None:
    """The widget keys of the settings presenter view hides: those ``hide=`` lists
    (comma-separated names as in the address, or widget keys), or None for every setting
    (``hide=all``, an empty ``hide=`` or none given)."""
    listed = {key.strip() for key in st.query_params.get("hide", "").split(",") if key.strip()}
    if not listed or "all" in listed:
        return None
    keys = st.session_state.get(ADDRESS_NAMES, {})
    return {keys.get(name, name) for name in listed}


# --- per-session caches --------------------------------------------------------------------


def outcome_once(name: str, key: object, compute: Callable[[], Any]) -> tuple[Any, bool]:
    """The outcome of ``compute()`` for ``key`` (e.g. the files of an upload), kept in the
    session as ``{name}_key`` and ``{name}_outcome`` and computed again only when ``key``
    changes; and whether it was computed in this call (False: the kept one)."""
    if st.session_state.get(f"{name}_key") == key:
        return st.session_state[f"{name}_outcome"], False
    outcome = compute()
    st.session_state[f"{name}_key"] = key
    st.session_state[f"{name}_outcome"] = outcome
    return outcome, True


def session_cached(name: str, owner: object, compute: Any, key: object = None) -> Any:
    """Compute once per session for ``owner`` (e.g. the current dataset) and ``key``
    (e.g. the settings), then reuse until either changes."""
    slot = f"_cache_{name}"
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] is owner and cached[1] == key:
        return cached[2]
    value = compute()
    st.session_state[slot] = (owner, key, value)
    return value


def session_memo(name: str, owner: object, key: Any, compute: Any, size: int = 12) -> Any:
    """Like :func:`session_cached`, but keeps the last ``size`` results for ``owner``+``key``
    (e.g. several embeddings), so going back to earlier settings recomputes nothing."""
    memo = st.session_state.setdefault(f"_memo_{name}", {})
    hit = memo.get((id(owner), key))
    if hit is not None and hit[0] is owner:
        return hit[1]
    value = compute()
    memo[(id(owner), key)] = (owner, value)
    while len(memo) > size:
        memo.pop(next(iter(memo)))
    return value
