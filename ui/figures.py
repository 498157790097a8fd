"""Every plotly figure of the pages, drawn one way: without the plotly logo, larger in
presenter view, and with a slide export (PNG and SVG at 16:9) made only when clicked.

Pages and ui modules call :func:`show_figure` instead of ``st.plotly_chart``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from genodash.plotting import enlarged
from genodash.plotting.files import slide_bytes, static_export_ready
from ui import state
from ui.lessons import remember_figure
from ui.widgets import download

PRESENTER_FACTOR = 1.35  # text and height of a figure in presenter view
SLIDE_LABEL = "Slide (PNG/SVG)"
_CONFIG = {"displaylogo": False}


def show_figure(
    figure: Any,
    *,
    key: str,
    stem: str | None = None,
    where: Any = None,
    slides: bool = True,
    **chart: Any,
) -> Any:
    """Draw a plotly figure, with a "Slide (PNG/SVG)" button under it.

    Parameters
    ----------
    figure
        The plotly figure (not changed: presenter view draws an enlarged copy).
    key
        The chart's widget key; the slide buttons' keys start with it.
    stem
        File name of the slide files without extension (default: ``key``).
    where
        ``st`` (default) or a column or container to draw in.
    slides
        False leaves the slide button out (a live chart redrawn every second, whose open
        menu would close at each redraw).
    **chart
        Passed to ``st.plotly_chart`` (``on_select``, ``selection_mode``, ``config``…).

    Returns
    -------
    What ``st.plotly_chart`` returns (the selection event when ``on_select`` is given).
    """
    where = st if where is None else where
    shown = enlarged(figure, factor=PRESENTER_FACTOR) if state.presenter() else figure
    config = {**_CONFIG, **chart.pop("config", {})}
    event = where.plotly_chart(shown, key=key, config=config, **chart)
    if slides:  # a page's own figures, not a live chart redrawn every second
        remember_figure(figure, key)
    if slides:
        slide_downloads(where, figure, stem or key, key=key)
    return event


def slide_downloads(where: Any, figure: Any, stem: str, *, key: str) -> None:
    """A small menu with the figure as a 16:9 PNG (1920 × 1080 pixels) and SVG, each file
    made when its button is clicked (drawing one takes a few seconds).

    Parameters
    ----------
    where
        ``st`` or a column or container.
    figure
        The plotly figure.
    stem
        File name without extension.
    key
        Start of the buttons' keys.
    """
    with where.popover(SLIDE_LABEL, icon=":material/slideshow:", type="tertiary"):
        if not static_export_ready(figure):
            st.caption(
                "Images of this figure need the kaleido package and Chrome or Chromium on "
                "the server. Use the camera icon above the figure for a PNG as shown."
            )
            return
        st.caption("16:9 for a slide: PNG of 1920 × 1080 pixels, or SVG to scale freely.")
        for fmt in ("png", "svg"):
            made_on_click = lambda fmt=fmt: slide_bytes(figure, fmt)  # noqa: E731
            name, button_key = f"{stem}.{fmt}", f"{key}-slide-{fmt}"
            download(st, f"Slide ({fmt.upper()})", made_on_click, name, button_key)
