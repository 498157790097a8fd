"""Shared Streamlit helpers: page setup, navigation, the current dataset, safe messages.

Every page starts with ``with ui.page(...):`` so that it works the same when opened by a
direct link as the first request to a fresh server. Nothing here computes results: it
holds widgets and session state and calls into ``genodash``.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import streamlit as st

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError

Dataset = SequenceSet | MatrixSet


@dataclass(frozen=True)
class PageInfo:
    path: str
    label: str
    icon: str
    teaches: str


PAGES = (
    PageInfo("app.py", "Home", ":material/home:", "What genodash is and the map of the course."),
    PageInfo(
        "pages/1_Data.py",
        "Data",
        ":material/folder_open:",
        "Load DNA sequences or an expression matrix — your own file or a built-in "
        "example — and check what was read: classes, lengths, composition, QC.",
    ),
    PageInfo(
        "pages/2_Curse_of_dimensionality.py",
        "Curse of dimensionality",
        ":material/scatter_plot:",
        "Why P ≫ N breaks statistics: eight interactive simulations with their theory.",
    ),
)

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape_markdown(text: str) -> str:
    """Make user-provided text (file names, FASTA headers, gene names) display literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


@contextlib.contextmanager
def page(title: str, icon: str, about: str) -> Iterator[None]:
    """Set up a page: config, session defaults, sidebar; fill the device badge at the end."""
    st.set_page_config(
        page_title=f"{title} · genodash",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="expanded",
    )
    _start_warmup()
    _ensure_dataset()
    badge = _sidebar()
    st.title(f"{icon} {title}")
    with st.expander("What this page teaches and how to read it", icon=":material/lightbulb:"):
        st.markdown(about)
    yield
    _device_badge(badge)


def _sidebar() -> Any:
    with st.sidebar:
        st.markdown("## :material/genetics: genodash")
        st.caption("Deep learning for genomics — from CNNs and LSTMs to Transformers")
        for info in PAGES:
            st.page_link(info.path, label=info.label, icon=info.icon)
        st.divider()
        dataset_badge(current_dataset())
        return st.empty()


def dataset_badge(dataset: Dataset) -> None:
    """A short description of the loaded dataset, for the sidebar."""
    st.markdown("**Current data**")
    st.markdown(escape_markdown(dataset.name))
    dataset_caption(dataset)


def dataset_caption(dataset: Dataset) -> None:
    """One grey line: how many sequences and classes, or cells and genes."""
    if isinstance(dataset, SequenceSet):
        classes = len(dataset.classes)
        st.caption(
            f"{dataset.n:,} sequences · {classes} classes"
            if classes
            else f"{dataset.n:,} sequences · unlabelled"
        )
    else:
        st.caption(f"{dataset.n_obs:,} cells × {dataset.n_vars:,} genes")


def _device_badge(placeholder: Any) -> None:
    info = device_info()
    with placeholder.container():
        st.markdown("**Compute device**")
        st.caption(info.describe())


@st.cache_resource(show_spinner=False)
def device_info() -> Any:
    from genodash.device import device_info as detect

    return detect()


@st.cache_resource(show_spinner=False)
def _start_warmup() -> threading.Thread:
    """Import the heavy libraries in the background once per server, so first clicks are fast."""

    def warm() -> None:
        import scanpy  # noqa: F401
        import torch  # noqa: F401

    thread = threading.Thread(target=warm, name="genodash-warmup", daemon=True)
    thread.start()
    return thread


# --- the current dataset ------------------------------------------------------------------


@st.cache_resource(show_spinner="Preparing the example…", max_entries=32)
def cached_example(key: str, params: tuple[tuple[str, Any], ...]) -> Dataset:
    """A built-in example, shared by all users: immutable, keyed by its parameters."""
    from genodash.datasets import load_example

    return load_example(key, **dict(params))


def _ensure_dataset() -> None:
    if "dataset" not in st.session_state:
        from genodash.datasets import DEFAULT_EXAMPLE, EXAMPLES

        params = tuple(sorted(EXAMPLES[DEFAULT_EXAMPLE].defaults().items()))
        set_dataset(cached_example(DEFAULT_EXAMPLE, params), origin="example")


def current_dataset() -> Dataset:
    return st.session_state["dataset"]


def set_dataset(dataset: Dataset, *, origin: str) -> None:
    """Make ``dataset`` the one every page uses; ``origin`` is 'example' or 'upload'."""
    st.session_state["dataset"] = dataset
    st.session_state["dataset_origin"] = origin


def show_error(error: GenodashError, *, context: str | None = None) -> None:
    """Show a genodash error as a message (never a traceback), user text escaped."""
    text = escape_markdown(str(error))
    st.error(f"**{context}**\n\n{text}" if context else text, icon=":material/error:")


def notes_markdown(notes: tuple[str, ...] | list[str]) -> str:
    """Loader notes as a markdown list, each escaped."""
    return "\n".join(f"- {escape_markdown(note)}" for note in notes)


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def control_widget(control: Any, *, key: str) -> Any:
    """A widget for a :class:`genodash.datasets.Control`: number, slider, checkbox, choice, text."""
    default = control.default
    if control.options:
        return st.selectbox(
            control.label,
            control.options,
            index=control.options.index(default),
            key=key,
            help=control.help or None,
        )
    if isinstance(default, bool):
        return st.checkbox(control.label, value=default, key=key, help=control.help or None)
    if isinstance(default, int):
        return int(
            st.number_input(
                control.label,
                min_value=int(control.minimum),
                max_value=int(control.maximum),
                value=default,
                step=int(control.step or 1),
                key=key,
                help=control.help or None,
            )
        )
    if isinstance(default, float):
        return float(
            st.slider(
                control.label,
                min_value=float(control.minimum),
                max_value=float(control.maximum),
                value=default,
                step=float(control.step or 0.01),
                key=key,
                help=control.help or None,
            )
        )
    return st.text_input(control.label, value=str(default), key=key, help=control.help or None)


def session_cached(name: str, owner: object, compute: Any) -> Any:
    """Compute once per session for ``owner`` (e.g. the current dataset), then reuse."""
    slot = f"_cache_{name}"
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] is owner:
        return cached[1]
    value = compute()
    st.session_state[slot] = (owner, value)
    return value
