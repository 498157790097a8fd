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
from ui.figures import show_figure
from ui.frame import SETTINGS_PANEL, stacking
from ui.results import headline_metrics
from ui.state import setting
from ui.widgets import download as download_button


@st.cache_data(show_spinner="Simulating…", max_entries=256)
def run(function: str, **params: Any) -> Any:
    """A library simulation by name; results are small, immutable and keyed by parameters."""
    return getattr(curse, function)(**params)


@contextmanager
def controls() -> Iterator[Any]:
    """Controls on the left, made inside the block, which gets the column for the plot.

    On a narrow page the controls go above the plot. The controls' box is a settings panel
    (see :data:`ui.frame.SETTINGS_PANEL`): presenter view hiding every setting hides it.
    """
    # beside the plot, the controls were too narrow to read at 1,024 pixels with the sidebar
    left, right = stacking("curse-demo", narrower_than=700).columns([1, 3], gap="large")
    with left.container(border=True, key=f"{SETTINGS_PANEL}-curse"):
        yield right


def slider(label: str, key: str, low: Any, high: Any, default: Any, step: Any = None) -> Any:
    """A slider that keeps its value while another demo is shown, and lives in the address."""
    return st.slider(label, low, high, step=step, key=setting(key, default, low=low, high=high))


def steps(label: str, key: str, options: list[Any], default: Any, **kwargs: Any) -> Any:
    """A slider over given values that keeps its value while another demo is shown."""
    return st.select_slider(label, options, key=setting(key, default, options), **kwargs)


def several(label: str, key: str, options: list[Any], default: list[Any]) -> tuple[Any, ...]:
    """Buttons for choosing several values, all in view and wrapped, in the options' order.

    A multiselect stacked its chips in the narrow controls column and hid their values.
    The choice is kept while another demo is shown.
    """
    chosen = st.pills(label, options, selection_mode="multi", key=setting(key, default, options))
    return tuple(option for option in options if option in chosen)


def choose(label: str, key: str, options: dict[str, str]) -> str:
    """Radio buttons showing each option's label, keeping the choice while another demo is shown."""
    choices = list(options)
    return st.radio(label, choices, format_func=options.get, key=setting(key, choices[0], choices))


def seed_input(demo: str) -> int:
    """The random seed of one demo, kept while another demo is shown."""
    hint = "Change it to draw another sample"
    key = setting(f"{demo}-seed", 0, low=0, high=1_000_000)
    seed = st.number_input("Random seed", 0, 1_000_000, key=key, help=hint)
    return int(seed)


def chart(figure: Any, key: str) -> None:
    """A plotly figure without the plotly logo, with its slide export."""
    show_figure(figure, key=f"chart-{key}", stem=f"curse-{key}")


def show(plot: Any, figure: Any, key: str, headlines: list[curse.Headline]) -> None:
    """The figure in the plot column, with its headline numbers under it, two to a row.

    Four to a row cut labels and values short ("0.0…") in the narrow column at 1,024 pixels.
    """
    with plot:
        chart(figure, key)
        for start in range(0, len(headlines), 2):
            headline_metrics(headlines[start : start + 2])


def short_metrics(
    plot: Any, headlines: list[curse.Headline], labels: list[tuple[str, str]]
) -> None:
    """Headline numbers two to a row under short labels, in the plot column.

    ``labels`` gives each headline a short label and a help text, so no label is cut off
    in a narrow column; the library's full label opens the help text.
    """
    with plot:
        for start in range(0, len(headlines), 2):
            row = zip(
                st.columns(2), headlines[start : start + 2], labels[start : start + 2], strict=False
            )
            for column, headline, (label, hint) in row:
                column.metric(
                    label,
                    headline.value,
                    headline.note,
                    help=f"{headline.label}: {hint}",
                    delta_color="off",
                    delta_arrow="off",
                )


def stacked(formula: str) -> str:
    """A LaTeX formula with one line per part (the parts joined by \\qquad), left-aligned.

    On one line the parts ran past the right edge of a narrow page.
    """
    parts = [part.strip().rstrip(",") for part in formula.split(r"\qquad")]
    if len(parts) == 1:
        return formula
    return r"\begin{aligned}" + r"\\[4pt]".join(f"&{part}" for part in parts) + r"\end{aligned}"


def explain(demo: str, result: curse.Result) -> None:
    """The formula with its conditions, then what it means, under the plot."""
    theory = curse.explanation(demo, result)
    with st.container(border=True):
        st.markdown("**The theory**")
        st.latex(stacked(theory.formula))
        st.caption(theory.note)
        st.markdown("**What it means**")
        st.markdown(theory.meaning)


def download(result: curse.Result, name: str) -> None:
    """The numbers behind the plot, as a JSON file."""
    label, file_name = "Download the numbers (JSON)", f"curse-{name}.json"
    download_button(
        st, label, result.as_json(), file_name, f"download-{name}", mime="application/json"
    )
