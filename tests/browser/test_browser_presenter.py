"""Real browser: presenter view (no sidebar, listed settings hidden but still in force, larger
text) and projector sizes (1,024 × 768 and 1,280 × 800): nothing wider than the window, no
panel titles on top of each other, embedding panels that are not strips."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, shot, wait_for_text

pytestmark = pytest.mark.browser

PROJECTORS = [(1024, 768), (1280, 800)]
CHART = '[data-testid="stPlotlyChart"]'
CURSE = "Curse_of_dimensionality"
# four PCA panels of the PBMC example: a 2 × 2 course-style grid without t-SNE's wait
GRID = (
    "Embeddings?data=pbmc68k&emb-view=Compare+side+by+side"
    "&cmp-input-2=pca&cmp-input-3=pca&cmp-method-1=pca&cmp-method-2=pca&cmp-method-3=pca"
)

# every element of the page whose right edge is past the window (tables scroll inside
# themselves, so their cells are left out)
OVERFLOWING = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter(e => !e.closest('[data-testid="stDataFrame"]'))
    .map(e => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width > 0 && r.right > window.innerWidth + 1)
    .map(([e, r]) => `${e.tagName}.${e.getAttribute('class')} right ${Math.round(r.right)}`)"""
# the boxes of a chart's titles (its own, its panels' and other annotations), its axis
# labels, its panels and its legend
BOXES = """(chart) => {
    const boxes = (selector) => [...chart.querySelectorAll(selector)]
        .map(e => e.getBoundingClientRect()).filter(r => r.width > 0)
        .map(r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom}));
    return {titles: boxes('.infolayer .annotation-text, .gtitle'),
            ticks: boxes('.xtick text, .xtick2 text'),
            panels: boxes('.nsewdrag'), legend: boxes('.legend .bg')};
}"""


def _open(browser, server, path: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(240_000)  # a fresh server imports the heavy libraries first
    page.goto(f"{server.url}/{path}")
    _settled(page)
    return context, page


def _settled(page) -> None:
    """The script has finished (its last element, the device badge, is in the page — hidden
    in presenter view) and plotly has drawn."""
    page.get_by_text("Compute device").first.wait_for(state="attached")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=240_000
    )
    if page.locator(CHART).count():
        page.locator(f"{CHART} .main-svg").first.wait_for(state="visible")
    page.wait_for_timeout(800)  # plotly's second layout pass (automargin)


def _overlaps(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"] - 1
        and b["left"] < a["right"] - 1
        and (a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1)
    )


def _clashes(boxes: list[dict], others: list[dict] | None = None) -> list[tuple[int, int]]:
    if others is None:
        return [
            (i, j)
            for i, a in enumerate(boxes)
            for j, b in enumerate(boxes)
            if i < j and _overlaps(a, b)
        ]
    return [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(others) if _overlaps(a, b)]


def _chart_boxes(page, index: int) -> dict:
    return page.locator(CHART).nth(index).evaluate(BOXES)


def _demo(page, label: str, heading: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button', has_text=label).first.click()
    wait_for_text(page, heading)
    _settled(page)


def _fits_the_window(page) -> None:
    assert page.evaluate(OVERFLOWING) == []
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('[data-testid=\"stMain\"]').scrollWidth,"
        " document.querySelector('[data-testid=\"stMain\"]').clientWidth]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths  # no sideways scrolling


def _widened_chart(page, width: float) -> dict:
    """The first chart's box once plotly has redrawn it at least ``width`` wide (it follows
    its column's new width a moment after the page settles), or as it is after 15 s."""
    for _ in range(60):
        chart = page.locator(CHART).first.bounding_box()
        if chart["width"] > width:
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(800)  # plotly's second layout pass (automargin)
    return chart


def _visible(page, key: str) -> bool:
    return page.locator(f".st-key-{key}").first.is_visible()


# --- presenter view ------------------------------------------------------------------------


def test_presenter_view_hides_the_sidebar_and_the_listed_settings(browser, server):
    link = f"{CURSE}?sparsity-top=3&presenter=1&hide=sparsity-top,sparsity-n"
    context, page = _open(browser, server, link, (1280, 800))
    try:
        wait_for_text(page, "1. Sparsity")
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert not page.locator('[data-testid="stExpandSidebarButton"]').is_visible()
        assert not _visible(page, "sparsity-top") and not _visible(page, "sparsity-n")
        assert _visible(page, "sparsity-radius")  # not listed: still there
        dims = page.locator(CHART).nth(1).locator(".xtick text").all_text_contents()
        assert dims[-1] == "3"  # the hidden slider, set by the link, still says p ≤ 3
        text = page.locator('[data-testid="stMain"] p').first
        presenter_size = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        shot(page, "presenter-listed-1280")

        page.locator(".st-key-presenter-switch").get_by_text("Presenter view").click()
        page.locator('[data-testid="stSidebar"]').wait_for(state="visible")
        _settled(page)
        assert "presenter" not in page.url and "hide=" in page.url  # the address says it
        assert _visible(page, "sparsity-top")
        normal_size = float(text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert presenter_size >= 1.15 * normal_size
    finally:
        context.close()


def test_presenter_view_without_a_list_hides_every_setting_and_widens_the_plot(browser, server):
    context, page = _open(browser, server, f"{CURSE}?presenter=1", (1024, 768))
    try:
        wait_for_text(page, "1. Sparsity")
        for key in ("sparsity-top", "sparsity-radius", "sparsity-seed"):
            page.locator(f".st-key-{key}").first.wait_for(state="hidden", timeout=10_000)
            assert not _visible(page, key), key
        main = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()
        chart = _widened_chart(page, 0.9 * main["width"] - 100)
        assert chart["width"] > 0.9 * main["width"] - 100  # the controls' column went too
        _fits_the_window(page)
        assert _clashes(_chart_boxes(page, 0)["titles"]) == []
        page.screenshot(path=str(ARTIFACTS / "presenter-all-1024.png"))
    finally:
        context.close()


def test_presenter_view_stays_on_when_a_link_opens_another_page(browser, server):
    context, page = _open(browser, server, "Preprocess?presenter=1&hide=all", (1280, 800))
    try:
        wait_for_text(page, "This page works on an expression matrix")
        page.get_by_role("link", name="Go to Data").click()
        wait_for_text(page, "Summary: Planted motif")
        _settled(page)
        assert "presenter=1" in page.url and "hide=all" in page.url
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        form = page.locator('[data-testid="stForm"]').first  # its fields are hidden: no frame
        assert form.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"

        page.locator(".st-key-presenter-switch").get_by_text("Presenter view").click()
        page.locator('[data-testid="stSidebar"]').wait_for(state="visible")
        _settled(page)
        assert "presenter" not in page.url  # off on the same page: it stays off
    finally:
        context.close()


# --- projector sizes -----------------------------------------------------------------------


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_curse_demos_read_at_projector_sizes(browser, server, size):
    context, page = _open(browser, server, CURSE, size)
    try:
        wait_for_text(page, "1. Sparsity")
        _fits_the_window(page)
        sample = _chart_boxes(page, 0)
        assert len(sample["titles"]) == 4  # the figure's title and its three panels'
        assert _clashes(sample["titles"]) == [], sample["titles"]
        shot(page, f"projector-sparsity-{size[0]}")

        _demo(page, "False positives", "7. False positives")
        _fits_the_window(page)
        pills = page.locator('[data-testid="stButtonGroup"]', has_text="500").locator("button")
        texts = [t.strip() for t in pills.all_inner_texts()]
        assert texts == ["100", "250", "500", "1000"]  # no empty pills
        assert all(pills.nth(i).bounding_box()["width"] > 20 for i in range(4))
        boxes = _chart_boxes(page, 0)
        assert _clashes(boxes["titles"]) == [] and _clashes(boxes["ticks"]) == []
        assert _clashes(boxes["titles"], boxes["ticks"]) == []
        formula = page.locator(".katex-display").first
        formula.scroll_into_view_if_needed()
        assert formula.evaluate("e => e.scrollWidth <= e.clientWidth + 4")  # "Bonferroni" whole
        assert "Bonferroni" in formula.inner_text()
        shot(page, f"projector-false-positives-{size[0]}")
    finally:
        context.close()


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_embedding_grid_is_two_by_two_squares_at_projector_sizes(browser, server, size):
    context, page = _open(browser, server, GRID, size)
    try:
        wait_for_text(page, "Embeddings coloured by")
        _settled(page)
        _fits_the_window(page)
        chart = page.locator(CHART).first
        chart.scroll_into_view_if_needed()
        boxes = _chart_boxes(page, 0)
        panels = boxes["panels"]
        assert len(panels) == 4
        width = chart.bounding_box()["width"]
        for panel in panels:
            wide, tall = panel["right"] - panel["left"], panel["bottom"] - panel["top"]
            assert 0.8 < tall / wide < 1.25, panel  # a square, not a strip
            assert wide > 0.3 * width  # two to a row, the legend under them
        assert _clashes(boxes["titles"]) == []
        legend = boxes["legend"][0]
        assert legend["top"] >= max(p["bottom"] for p in panels) - 1
        shot(page, f"projector-embedding-grid-{size[0]}")
    finally:
        context.close()


def test_a_figure_downloads_as_a_slide_sized_png(browser, server):
    context, page = _open(browser, server, CURSE, (1280, 800))
    try:
        wait_for_text(page, "1. Sparsity")
        page.get_by_role("button", name="Slide (PNG/SVG)").first.click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Slide (PNG)").first.click()
        data = Path(download.value.path()).read_bytes()
        assert download.value.suggested_filename == "curse-sparsity-sample.png"
        assert data.startswith(b"\x89PNG") and struct.unpack(">II", data[16:24]) == (1920, 1080)
    finally:
        context.close()
