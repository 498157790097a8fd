"""Real browser: the course's new flows (issue 17) — gene selection on PBMC, the ancient-DNA
read ends beside their ceiling, and the synthetic-motif note on the filter gallery."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_support import shot, wait_for_text, wait_idle

pytestmark = pytest.mark.browser


def sidebar_link(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True)


def go_to(page, link: str, text: str) -> None:
    """Follow a sidebar link and wait for the page to show ``text`` and finish."""
    sidebar_link(page, link).click()
    wait_for_text(page, text)
    wait_idle(page)


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def load_example(page, server, title: str, summary: str, numbers: dict[str, int]) -> None:
    """Open the Data page by direct link, choose an example, set its numbers, load it."""
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=title).click()
    wait_idle(page)
    for label, value in numbers.items():
        box = page.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    for _ in range(3):  # a click that lands while the page redraws for the new example is lost
        page.get_by_role("button", name="Load this example").click()
        try:
            wait_for_text(page, f"Summary: {summary}", timeout=30_000)
            break
        except PlaywrightTimeout:
            wait_idle(page)
    wait_for_text(page, f"Summary: {summary}")
    wait_idle(page)


def train_cnn(page, epochs: int) -> None:
    go_to(page, "Train a model", "3 · Training")
    set_number(page, "Epochs (at most)", epochs)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Test accuracy").first.wait_for(timeout=120_000)
    wait_idle(page)


def segment(page, label: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button', has_text=label).first.click()
    wait_idle(page)


def no_exception(page) -> bool:
    return page.locator('[data-testid="stException"]').count() == 0


def test_gene_selection_ranks_pbmc_genes_with_an_accuracy_curve(server, page):
    load_example(page, server, "PBMC 68k reduced (real single cells)", "PBMC 68k", {})
    go_to(page, "Gene selection", "Cell label column")
    page.get_by_role("button", name="Rank genes").click()
    heading = page.get_by_role("heading", name="Accuracy against the number of genes kept")
    heading.wait_for(timeout=120_000)
    wait_idle(page)
    curve = page.locator('[data-testid="stPlotlyChart"]').filter(
        has_text="Test accuracy of a classifier on the top genes"
    )
    legend = curve.inner_text()
    for ranking in ("highly variable genes", "gradient importance", "perturbation importance"):
        assert ranking in legend
    assert page.get_by_text("Where known blood-cell markers rank").is_visible()
    assert page.get_by_role("button", name="Rankings (CSV)").is_visible()
    assert no_exception(page)
    shot(page, "course-gene-selection")


def test_read_ends_show_the_ceiling_beside_the_model(server, page):
    load_example(
        page, server, "Ancient vs modern DNA", "Ancient vs modern DNA", {"Number of reads": 600}
    )
    train_cnn(page, epochs=2)
    go_to(page, "Interpret a model", "Model (run)")
    wait_for_text(page, "Ceiling: end-base baseline")  # Read ends is the first view here
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    assert [label.strip() for label in labels[:2]] == [
        "This model, one read at a time",
        "Ceiling: end-base baseline",
    ]
    assert page.get_by_text("This model, one read at a time").is_visible()
    assert page.get_by_text("Base composition at the read ends, by class").is_visible()
    assert page.get_by_text("Samples of 1,000 reads: share called ancient").is_visible()
    assert no_exception(page)
    shot(page, "course-read-ends")


def test_filters_as_motifs_say_the_planted_motif_is_synthetic(server, page):
    load_example(
        page,
        server,
        "Planted motif (Zou et al. 2018)",
        "Planted motif",
        {"Number of sequences": 400},
    )
    train_cnn(page, epochs=2)
    go_to(page, "Interpret a model", "Model (run)")
    segment(page, "Filters as motifs")
    wait_for_text(page, "The motif planted in these sequences was made up")
    taxon = page.get_by_role("combobox", name="Known motifs of")
    assert taxon.input_value() == "vertebrates"
    assert no_exception(page)
    shot(page, "course-filters-synthetic")
