"""Sequence logos (genodash.plotting.logos): matplotlib figures drawn by logomaker."""

from __future__ import annotations

import numpy as np
import pytest

from genodash.plotting import BASE_COLORS
from genodash.plotting.files import figure_bytes
from genodash.plotting.logos import logo_figure

pytest.importorskip("logomaker")

# two informative positions (A, then C) and one uniform position, which has no letters
PROBABILITIES = np.array(
    [[0.97, 0.01, 0.01, 0.01], [0.01, 0.97, 0.01, 0.01], [0.25, 0.25, 0.25, 0.25]]
)
WEIGHTS = np.array([[0.5, -0.2, 0.0, 0.0], [0.0, 0.0, 0.3, -0.4]])


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _glyph_colors(axes) -> set[str]:
    from matplotlib.colors import to_hex

    return {to_hex(patch.get_facecolor()).upper() for patch in axes.patches}


def _center(patch) -> float:
    extents = patch.get_path().get_extents()
    return (extents.x0 + extents.x1) / 2


def _tallest_base(axes, position: int) -> str:
    """The base whose letter is tallest at ``position`` (0-based), known by its colour."""
    from matplotlib.colors import to_hex

    at = [p for p in axes.patches if round(_center(p)) == position]
    tallest = max(at, key=lambda p: p.get_path().get_extents().height)
    colors = {c.upper(): base for base, c in BASE_COLORS.items()}
    return colors[to_hex(tallest.get_facecolor()).upper()]


def test_information_logo_is_in_bits_with_a_letter_per_base_and_position(close_figures):
    figure = logo_figure(PROBABILITIES, title="Motif 1 (CNN filter 3)")
    (axes,) = figure.axes
    assert axes.get_title(loc="left") == "Motif 1 (CNN filter 3)"
    assert axes.get_ylabel() == "bits"
    assert axes.get_ylim() == (0.0, 2.0)  # the most a DNA position can hold
    assert axes.get_xlim() == pytest.approx((-0.475, 2.475))  # one slot per position
    # each informative position has all four letters; the tall one in the base's colour
    assert len(axes.patches) == 2 * 4
    assert _glyph_colors(axes) == {c.upper() for c in BASE_COLORS.values()}
    assert _tallest_base(axes, 0) == "A" and _tallest_base(axes, 1) == "C"
    assert not axes.spines["top"].get_visible() and not axes.spines["right"].get_visible()


def test_weight_logo_draws_signed_scores_as_they_are(close_figures):
    figure = logo_figure(WEIGHTS, kind="weight", title="importance", width=3.0, height=1.0)
    (axes,) = figure.axes
    assert axes.get_ylabel() == "score"
    assert axes.get_title(loc="left") == "importance"
    low, high = axes.get_ylim()
    assert low <= -0.4 and high >= 0.5  # below zero too, not clipped to bits
    assert len(axes.patches) == np.count_nonzero(WEIGHTS)
    assert tuple(figure.get_size_inches()) == (3.0, 1.0)


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml")])
def test_figure_bytes_renders_and_closes_the_figure(fmt, magic):
    import matplotlib.pyplot as plt

    figure = logo_figure(PROBABILITIES)
    number = figure.number
    data = figure_bytes(figure, fmt)
    assert data.startswith(magic) and len(data) > 500
    assert not plt.fignum_exists(number)  # no figures pile up across reruns
