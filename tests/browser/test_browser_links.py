"""Real browser: a link with non-default settings opens the same view — the same settings and
the same numbers — in a new session; a refresh keeps an upload; a share link is read-only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_support import shot, upload, wait_for_text, wait_idle

pytestmark = pytest.mark.browser

CURSE = "/Curse_of_dimensionality?demo=distances&distances-n=300&distances-top=100&distances-seed=7"
EMBEDDINGS = (
    "/Embeddings?data=simulated-counts&data.n_cells=400&emb-method=umap&emb-neighbours=10"
    "&emb-seed=3"
)


def metric_texts(page) -> list[str]:
    return [
        m.inner_text().replace("\n", " ") for m in page.locator('[data-testid="stMetric"]').all()
    ]


def opened_twice(browser, url: str, ready: str) -> tuple[list[str], list[str], object]:
    """The metrics of ``url`` opened in two fresh browser sessions (kept: the second page)."""
    seen = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_for_text(page, ready)
        wait_idle(page)
        page.locator('[data-testid="stMetric"]').first.wait_for()
        seen.append(metric_texts(page))
        if len(seen) == 1:
            context.close()
    return seen[0], seen[1], page


def slider_value(page, label: str) -> str:
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first
    return slider.locator('[data-testid="stSliderThumbValue"]').inner_text()


def test_a_curse_link_restores_its_settings_and_numbers(server, browser, page):
    first, second, linked = opened_twice(browser, server.url + CURSE, "2. Distances")
    assert first == second and len(first) >= 2
    assert slider_value(linked, "Points n") == "300"
    assert linked.get_by_label("Random seed", exact=True).last.input_value() == "7"
    shot(linked, "link-curse")
    page.goto(f"{server.url}/Curse_of_dimensionality?demo=distances")
    wait_for_text(page, "2. Distances")
    wait_idle(page)
    assert metric_texts(page) != first  # the defaults give other numbers


def test_a_data_link_loads_its_example_with_its_parameters(server, browser):
    url = f"{server.url}/Data?data=planted-motif&data.n=777&data.length=120"
    first, second, linked = opened_twice(browser, url, "777 sequences")
    assert first == second
    sidebar = linked.locator('[data-testid="stSidebar"]').inner_text()
    assert "777 sequences" in sidebar
    assert "data.n=777" in linked.url and "data.length=120" in linked.url
    shot(linked, "link-data")


def test_an_embeddings_link_gives_the_same_scores(server, browser):
    first, second, linked = opened_twice(browser, server.url + EMBEDDINGS, "UMAP of PCA")
    assert first == second and any(text.startswith("kNN accuracy") for text in first)
    assert linked.locator('input[aria-label="Seed"]').first.input_value() == "3"
    shot(linked, "link-embeddings")


def test_a_bad_link_opens_the_page_with_a_note(server, page):
    page.goto(f"{server.url}/Train?train-epochs=9999&train-model=resnet&nonsense=1")
    wait_for_text(page, "This link could not be restored in full.")
    wait_idle(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "largest allowed value, 500, is used" in main
    assert "is not one of cnn" in main and "nonsense" in main
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "link-bad")


def test_a_refresh_keeps_the_upload_and_the_view(server, page, tmp_path: Path):
    reads = tmp_path / "my_reads.fa"
    reads.write_text("".join(f">r{i}\n{'ACGT' * 10}\n" for i in range(25)))
    page.goto(f"{server.url}/Data")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()
    upload(page, reads)
    wait_for_text(page, "25 sequences")
    wait_idle(page)
    assert "data=upload%3Amy_reads.fa" in page.url or "data=upload:my_reads.fa" in page.url
    page.reload()
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "25 sequences" in sidebar and "my_reads" in sidebar


def test_the_share_link_opens_the_results_read_only(server, page, tmp_path: Path):
    reads = tmp_path / "shared.fa"
    reads.write_text("".join(f">r{i}\n{'ACGT' * 10}\n" for i in range(7)))
    page.goto(f"{server.url}/Data")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()
    upload(page, reads)  # the workspace now holds something to show
    wait_for_text(page, "7 sequences")
    page.get_by_role("link", name="Runs").first.click()
    wait_for_text(page, "No runs yet")
    wait_idle(page)
    page.get_by_text("Copy link to this view").click()
    page.get_by_text("Your results, read-only").wait_for()
    link = page.get_by_text(re.compile(r"[?&]view=[0-9a-f]{12}$")).first  # in a code block
    shared = link.inner_text().strip()
    assert "ws=" not in shared
    page.goto(shared)
    wait_idle(page)
    assert "view=" in page.url and "ws=" not in page.url
    wait_for_text(page, "read-only link")
    assert "7 sequences" in page.locator('[data-testid="stSidebar"]').inner_text()
    shot(page, "link-read-only")
