"""Widgets and rendering shared by the demos of the curse-of-dimensionality page.

Each demo's controls sit in a bordered column on the left and keep their values while
another demo is shown; its figure, headline numbers, theory and download go on the right
and below. Simulations run through :func:`run`, cached by their parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from genodash import curse
from ui.results import headline_metrics
from ui.widgets import download as download_button

KEEP = {"persist_state": "page"}  # a demo's settings survive switching to another demo


@st.cache_data(show_spinner="Simulating…", max_entries=256)
def run(function: str, **params: Any) -> Any:
    """A library simulation by name; results are small, immutable and keyed by parameters."""
    return getattr(curse, function)(**params)


@contextmanager
def controls() -> Iterator[Any]:
    """Controls on the left, made inside the block, which gets the column for the plot."""
    left, right = st.columns([1, 3], gap="large")
    with left.container(border=True):
        yield right


def slider(label: str, key: str, *bounds_default_step: Any) -> Any:
    """A slider that keeps its value while another demo is shown."""
    return st.slider(label, *bounds_default_step, key=key, **KEEP)


def steps(label: str, key: str, options: list[Any], default: Any, **kwargs: Any) -> Any:
    """A slider over given values that keeps its value while another demo is shown."""
    return st.select_slider(label, options, default, key=key, **KEEP, **kwargs)


def several(label: str, key: str, options: list[Any], default: list[Any]) -> tuple[Any, ...]:
    """A multiselect that keeps its choice while another demo is shown."""
    return tuple(st.multiselect(label, options, default, key=key, **KEEP))


def choose(label: str, key: str, options: dict[str, str]) -> str:
    """Radio buttons showing each option's label, keeping the choice while another demo is shown."""
    return st.radio(label, list(options), format_func=options.get, key=key, **KEEP)


def seed_input(demo: str) -> int:
    """The random seed of one demo, kept while another demo is shown."""
    hint = "Change it to draw another sample"
    seed = st.number_input("Random seed", 0, 1_000_000, 0, key=f"{demo}-seed", help=hint, **KEEP)
    return int(seed)


def chart(figure: Any, key: str) -> None:
    """A plotly figure without the plotly logo."""
    st.plotly_chart(figure, key=f"chart-{key}", config={"displaylogo": False})


def show(plot: Any, figure: Any, key: str, headlines: list[curse.Headline]) -> None:
    """The figure in the plot column, with its headline numbers under it."""
    with plot:
        chart(figure, key)
        headline_metrics(headlines)


def explain(demo: str, result: curse.Result) -> None:
    """The formula with its conditions, then what it means, under the plot."""
    theory = curse.explanation(demo, result)
    with st.container(border=True):
        st.markdown("**The theory**")
        st.latex(theory.formula)
        st.caption(theory.note)
        st.markdown("**What it means**")
        st.markdown(theory.meaning)


def download(result: curse.Result, name: str) -> None:
    """The numbers behind the plot, as a JSON file."""
    label, file_name = "Download the numbers (JSON)", f"curse-{name}.json"
    download_button(
        st, label, result.as_json(), file_name, f"download-{name}", mime="application/json"
    )
