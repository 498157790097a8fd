"""Real-browser tests of the data flows: direct links, home, uploads, examples."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from browser_support import Server, shot, upload, wait_for_text, wait_idle
from conftest import DATA

pytestmark = pytest.mark.browser


def test_direct_link_is_the_first_request_of_a_fresh_server(browser, page):
    fresh = Server()
    try:
        page.goto(f"{fresh.url}/Data")
        wait_for_text(page, "Summary: Planted motif")
        wait_idle(page)
        assert page.title() == "Data · genodash"
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("Home", exact=True).is_visible()
        assert sidebar.get_by_text("Compute device").is_visible()
        assert sidebar.get_by_text("1_Data").count() == 0
        shot(page, "data-direct-link")
    finally:
        fresh.stop()


def test_nothing_is_fetched_from_outside_the_server(server, page):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((server.url, "data:", "blob:"))
            else None
        ),
    )
    for path in ("", "Data", "Train", "Preprocess", "Embeddings"):
        page.goto(f"{server.url}/{path}")
        wait_idle(page)
    assert outside == []  # page icons included: they used to come from a font host


def test_home_links_to_the_data_page(server, page):
    started = time.monotonic()
    page.goto(server.url)
    wait_for_text(page, "Course map")
    print(f"home visible after {time.monotonic() - started:.2f} s")
    wait_idle(page)
    shot(page, "home")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("link", name="Data", exact=True).click()
    wait_for_text(page, "Summary: Planted motif")
    assert urllib.parse.urlparse(page.url).path == "/Data"


def open_upload_tab(page, server: Server) -> None:
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()


def test_upload_shows_the_summary(server, page):
    open_upload_tab(page, server)
    limit = page.locator('[data-testid="stFileUploaderDropzoneInstructions"] span').first
    # the limit as set (Streamlit's own text rounds 512 MB up to "1GB"), as the tab says it
    said = limit.evaluate("span => getComputedStyle(span, '::after').content")
    assert said == '"512 MB per file"' and page.get_by_text("512 MB").first.is_visible()
    upload(page, DATA / "labelled.fa.gz")
    wait_for_text(page, "Summary: labelled.fa.gz")
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[:3] == ["4", "2", "14–18 bp"]
    assert page.get_by_text("decompressed gzip").is_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("labelled.fa.gz").is_visible()
    shot(page, "data-upload-fasta")


def test_bad_upload_shows_a_message_and_keeps_the_data(server, page):
    open_upload_tab(page, server)
    upload(page, DATA / "protein.fa")
    wait_for_text(page, "previous data is still in use")
    wait_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert "protein.fa: record 1 'p1' (line 1): invalid character 'I'" in error
    assert page.get_by_text("Summary: Planted motif").is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "data-bad-upload")


def test_matrix_example_through_the_ui(server, page):
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="PBMC 68k reduced").click()
    wait_for_text(page, "700 real human blood cells")  # the example's form is redrawn first
    wait_idle(page)
    page.get_by_role("button", name="Load this example").click()
    wait_for_text(page, "Summary: PBMC 68k (reduced)")
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[:2] == ["700", "765"]
    shot(page, "data-pbmc")
