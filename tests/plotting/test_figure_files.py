"""Figures as slide-sized files: PNG and SVG of any plotly figure (kaleido), of embeddings
(matplotlib) at a given size, and a clear message where kaleido cannot draw."""

from __future__ import annotations

import struct

import numpy as np
import plotly.graph_objects as go
import pytest

from genodash.errors import ConfigError
from genodash.plotting import files
from genodash.plotting.expression import embedding_figure
from genodash.plotting.files import SLIDE_SCALE, SLIDE_SIZE, figure_bytes


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def _bar() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[2, 3]), layout={"height": 990, "title": "Bars"})


def _embedding() -> go.Figure:
    coords = np.random.default_rng(0).normal(size=(30, 2))
    return embedding_figure(
        coords, color=["x", "y"] * 15, color_name="type", cell_ids=list(range(30)), title="PCA"
    )


def test_an_embedding_png_has_the_slide_size():
    png = figure_bytes(_embedding(), "png", size=SLIDE_SIZE, scale=SLIDE_SCALE)
    assert _png_size(png) == (1920, 1080)


def _kaleido_works() -> bool:
    import shutil

    has_chrome = any(shutil.which(name) for name in ("chromium", "chrome", "google-chrome"))
    return files.static_export_ready(_bar()) and has_chrome


@pytest.mark.skipif(not _kaleido_works(), reason="kaleido or Chrome missing")
def test_any_plotly_figure_is_a_slide_sized_png_and_an_svg():
    png = figure_bytes(_bar(), "png", size=SLIDE_SIZE, scale=SLIDE_SCALE)
    assert _png_size(png) == (1920, 1080)  # the size given, not the figure's own height
    svg = figure_bytes(_bar(), "svg", size=SLIDE_SIZE).decode()
    assert svg.startswith("<svg") and 'width="1280"' in svg and 'height="720"' in svg
    assert "Bars" in svg
    # a tall figure keeps its height on the slide: 16:9 by a wider layout, not a squeeze
    assert _png_size(files.slide_bytes(_bar(), "png")) == (1920, 1080)
    svg = files.slide_bytes(_bar(), "svg").decode()
    assert 'width="1760"' in svg and 'height="990"' in svg


@pytest.mark.skipif(not _kaleido_works(), reason="kaleido or Chrome missing")
def test_a_slides_title_keeps_clear_of_its_left_edge():
    import re

    from genodash.plotting._style import style

    figure = style(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])), title="Bars")
    title = re.compile(r'<text class="gtitle" x="([0-9.]+)"')
    on_screen = figure_bytes(figure, "svg", size=SLIDE_SIZE).decode()
    assert float(title.search(on_screen).group(1)) == 0  # left-aligned, as genodash draws it
    slide = files.slide_bytes(figure, "svg").decode()
    assert float(title.search(slide).group(1)) == files.SLIDE_TITLE_INSET
    assert figure.layout.title.pad.l is None  # the figure on the page is left as it was


def test_without_kaleido_the_message_says_what_to_install(monkeypatch):
    def no_kaleido(*args, **kwargs):
        raise RuntimeError("Kaleido requires Google Chrome to be installed.\nmore")

    monkeypatch.setattr(go.Figure, "to_image", no_kaleido)
    with pytest.raises(ConfigError, match="pip install kaleido.*Chrome"):
        figure_bytes(_bar(), "png", size=SLIDE_SIZE)
    assert files._is_embedding(_embedding()) and not files._is_embedding(_bar())


@pytest.mark.parametrize(("size", "scale"), [((0, 900), 1.0), ((1600, 900), 0.0)])
def test_sizes_and_scales_must_be_positive(size, scale):
    with pytest.raises(ConfigError, match="must be positive"):
        figure_bytes(_bar(), "png", size=size, scale=scale)


def test_embeddings_export_without_kaleido(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert files.static_export_ready(_embedding())
    assert not files.static_export_ready(_bar())


def test_enlarged_is_a_larger_copy_and_leaves_the_figure_alone():
    from plotly.subplots import make_subplots

    from genodash.plotting import enlarged, style

    fig = make_subplots(rows=1, cols=2, subplot_titles=["left", "right"])
    fig = style(fig, title="Two panels", height=400)
    big = enlarged(fig, factor=1.5)
    assert big.layout.height == 600 and big.layout.font.size == round(13 * 1.5)
    assert [a.font.size for a in big.layout.annotations] == [24, 24]  # plotly's 16, × 1.5
    assert big.layout.margin.t == 90 and big.layout.margin.l == 90  # style's 60, × 1.5
    assert big.layout.xaxis2.tickfont.size == 18 and big.layout.legend.font.size == 20
    assert fig.layout.height == 400 and fig.layout.annotations[0].font.size == 16
    assert enlarged(style(go.Figure(), title="tall", height=800), factor=1.5).layout.height == 900
    assert (
        enlarged(style(go.Figure(), title="taller", height=1100), factor=1.5).layout.height == 1100
    )
