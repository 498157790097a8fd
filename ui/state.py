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

if TYPE_CHECKING:
    from genodash.atlas.result import AtlasResult
    from genodash.examples import ExampleCache

Dataset = SequenceSet | MatrixSet
RUNS_ROOT = runs_dir(Path(__file__).resolve().parent.parent / "runs")
_WORKSPACE = re.compile(r"[0-9a-f]{12}")
_MISSING = object()


# --- settings that survive visits to other pages -------------------------------------------


def keep_widget_values() -> None:
    """Copy the settings' current values aside at the start of each run (see :func:`setting`)."""
    logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)
    kept = st.session_state.setdefault("_kept_widgets", {})
    for key in kept:
        if key in st.session_state:
            kept[key] = st.session_state[key]


def setting(key: str, default: Any, options: Sequence[Any] | None = None) -> str:
    """The key for a settings widget whose value survives visits to other pages.

    Use as ``st.number_input("Epochs", 1, 500, key=ui.setting("train-epochs", 30))`` and give
    the widget no default of its own. Streamlit forgets the state of widgets a run does not
    draw; the value is kept aside each run and put back before the widget is drawn again
    (Streamlit's documented remedy).
    """
    kept = st.session_state.setdefault("_kept_widgets", {})
    current = st.session_state.get(key, kept.get(key, default))
    if options is not None and current not in options:
        current = default
    if st.session_state.get(key, _MISSING) != current:
        st.session_state[key] = current
    kept[key] = current
    return key


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


def ensure_dataset() -> None:
    """Load the default example as this session's dataset if it has none yet."""
    if "dataset" not in st.session_state:
        from genodash.examples import DEFAULT_EXAMPLE, EXAMPLES

        params = tuple(sorted(EXAMPLES[DEFAULT_EXAMPLE].defaults().items()))
        set_dataset(cached_example(DEFAULT_EXAMPLE, params), origin="example")


def current_dataset() -> Dataset:
    return st.session_state["dataset"]


def set_dataset(dataset: Dataset, *, origin: str) -> None:
    """Make ``dataset`` the one every page uses; ``origin`` is 'example', 'upload' or
    'data folder'."""
    st.session_state["dataset"] = dataset
    st.session_state["dataset_origin"] = origin


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
    the link to come back to the same runs; other users never see them otherwise."""
    token = st.session_state.get("workspace")
    if token is None:
        given = st.query_params.get("ws", "")
        token = given if _WORKSPACE.fullmatch(given) else secrets.token_hex(6)
        st.session_state["workspace"] = token
    if st.query_params.get("ws") != token:
        st.query_params["ws"] = token
    return RUNS_ROOT / token


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
