"""Real browser: expression matrices from example or upload, through preprocessing,
autoencoders and embeddings (with the course figure and a box selection)."""

from __future__ import annotations

import pytest

from browser_support import Server, shot, upload, wait_for_text, wait_idle
from genodash.datasets import load_example

pytestmark = pytest.mark.browser


def sidebar_link(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True)


def metric_values(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return dict(zip((label.strip() for label in labels), values, strict=False))


def load_example_in_ui(page, server, title: str, summary: str) -> None:
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=title).click()
    wait_idle(page)
    page.get_by_role("button", name="Load this example").click()
    wait_for_text(page, f"Summary: {summary}")
    wait_idle(page)


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def segment(page, label: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button', has_text=label).first.click()
    wait_idle(page)


def test_embeddings_by_direct_link_on_a_fresh_server(browser, page):
    fresh = Server()
    try:
        page.goto(f"{fresh.url}/Embeddings")
        wait_for_text(page, "No sequence model yet")
        wait_idle(page)
        assert page.title() == "Embeddings · genodash"
        shot(page, "embeddings-direct-link")
    finally:
        fresh.stop()


def test_pbmc_course_figure(server, page):
    load_example_in_ui(page, server, "PBMC 68k reduced", "PBMC 68k (reduced)")
    sidebar_link(page, "Preprocess a matrix").click()
    wait_for_text(page, "1 · Quality control")
    wait_idle(page)
    assert page.get_by_text("Not run yet").is_visible()
    page.get_by_role("button", name="Preprocess", exact=True).click()
    page.get_by_text("Not run yet").wait_for(state="detached")
    wait_idle(page)
    assert page.get_by_text("skipped: values are already scaled").first.is_visible()
    shot(page, "preprocess-pbmc")

    sidebar_link(page, "Autoencoders").click()
    wait_for_text(page, "2 · Model")
    wait_idle(page)
    set_number(page, "Epochs (at most)", 15)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_text(page, "Results", timeout=240_000)
    wait_idle(page)
    assert "Test loss" in metric_values(page)
    shot(page, "autoencoder-pbmc")

    sidebar_link(page, "Embeddings").click()
    wait_for_text(page, "Colour cells by")
    wait_idle(page)
    segment(page, "Compare side by side")
    page.get_by_role("button", name="Course figure").click()
    wait_for_text(page, "tSNE of the autoencoder latent", timeout=240_000)
    wait_idle(page)
    grid = page.locator('[data-testid="stPlotlyChart"]').first.inner_text()
    assert "kNN" in grid
    rows = page.locator('[data-testid="stDataFrame"]').first
    assert rows.is_visible()
    shot(page, "embeddings-course-figure")


def test_box_selection_lists_top_genes(server, page):
    load_example_in_ui(page, server, "PBMC 68k reduced", "PBMC 68k (reduced)")
    sidebar_link(page, "Embeddings").click()
    wait_for_text(page, "Colour cells by")
    wait_idle(page)
    segment(page, "PCA")
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.hover()
    chart.locator('[data-title="Box Select"]').click()
    box = chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.05)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.95, steps=8)
    page.mouse.up()
    wait_for_text(page, "cells selected")
    wait_idle(page)
    assert page.get_by_role("button", name="Download these genes (CSV)").is_visible()
    shot(page, "embeddings-selection")


@pytest.fixture(scope="module")
def counts_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrices")
    matrix = load_example("simulated-counts", n_cells=400, n_genes=400, n_types=4, seed=3)
    adata = matrix.adata
    table = adata.to_df().astype(int)
    table.insert(0, "cell", adata.obs_names)
    table["cell_type"] = adata.obs["cell_type"].to_numpy()
    table["batch"] = adata.obs["batch"].to_numpy()
    csv = folder / "counts.csv"
    table.to_csv(csv, index=False)
    h5ad = folder / "counts.h5ad"
    adata.write_h5ad(h5ad)
    return {"csv": csv, "h5ad": h5ad}


@pytest.mark.parametrize("kind", ["csv", "h5ad"])
def test_uploaded_matrix_gets_scored_embeddings(server, page, counts_files, kind):
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()
    upload(page, counts_files[kind])
    wait_for_text(page, f"Summary: counts.{kind}")
    wait_idle(page)
    sidebar_link(page, "Embeddings").click()
    wait_for_text(page, "Colour cells by")
    wait_idle(page)
    segment(page, "PCA")
    choose(page, "Label column (for kNN accuracy and silhouette)", "cell_type")
    choose(page, "Batch column (for batch mixing)", "batch")
    metrics = metric_values(page)
    assert float(metrics["kNN accuracy"]) > 0.5
    assert 0 <= float(metrics["Batch mixing"]) <= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, f"embeddings-upload-{kind}")
