"""Real browser: expression matrices from example or upload, through preprocessing,
autoencoders and embeddings (with the course figure and a box selection)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from browser_support import Server, shot, upload, wait_for_text, wait_idle
from genodash.examples import load_example

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
    for _ in range(3):  # a click that lands while the page redraws for the new example is lost
        page.get_by_role("button", name="Load this example").click()
        try:
            wait_for_text(page, f"Summary: {summary}", timeout=30_000)
            break
        except PlaywrightTimeout:
            wait_idle(page)
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


def go_to(page, link: str, text: str) -> None:
    """Follow a sidebar link and wait for the page to show ``text`` and finish."""
    sidebar_link(page, link).click()
    wait_for_text(page, text)
    wait_idle(page)


def train_and_wait(page, epochs: int, screenshot: str) -> None:
    """On the Autoencoders page: set the epochs, train, wait for the results."""
    set_number(page, "Epochs (at most)", epochs)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for_text(page, "Results", timeout=300_000)
    wait_idle(page)
    assert "Test loss" in metric_values(page)
    shot(page, screenshot)


def segment(page, label: str) -> None:
    page.locator('[data-testid="stButtonGroup"] button', has_text=label).first.click()
    wait_idle(page)


def test_expression_pages_by_direct_link_on_a_fresh_server(browser):
    fresh = Server()
    expected = {
        "Preprocess": ("Preprocess a matrix", "This page works on an expression matrix"),
        "Autoencoders": ("Autoencoders", "This page works on an expression matrix"),
        "Embeddings": ("Embeddings", "No sequence model yet"),
    }
    try:
        for path, (title, text) in expected.items():  # the first is the server's first request
            context = browser.new_context(viewport={"width": 1300, "height": 1400})
            page = context.new_page()
            page.goto(f"{fresh.url}/{path}")
            wait_for_text(page, text)
            wait_idle(page)
            assert page.title() == f"{title} · genodash"
            assert page.locator('[data-testid="stException"]').count() == 0
            shot(page, f"direct-link-{path.lower()}")
            context.close()
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

    go_to(page, "Autoencoders", "2 · Model")
    train_and_wait(page, 15, "autoencoder-pbmc")

    go_to(page, "Embeddings", "Colour cells by")
    segment(page, "Compare side by side")
    page.get_by_role("button", name="Course figure").click()
    wait_for_text(page, "t-SNE of the autoencoder latent", timeout=240_000)
    wait_idle(page)
    grid = page.locator('[data-testid="stPlotlyChart"]').first.inner_text()
    assert "kNN" in grid
    rows = page.locator('[data-testid="stDataFrame"]').first
    assert rows.is_visible()
    shot(page, "embeddings-course-figure")


def test_preprocessing_counts_selects_variable_genes(server, page):
    load_example_in_ui(page, server, "Simulated counts with batches", "Simulated counts")
    go_to(page, "Preprocess a matrix", "1 · Quality control")
    set_number(page, "Number of variable genes", 300)
    page.get_by_role("button", name="Preprocess", exact=True).click()
    page.get_by_text("Not run yet").wait_for(state="detached")
    wait_idle(page)
    assert page.get_by_text("kept the 300 most variable of 1,000 genes").first.is_visible()
    assert metric_values(page)["Genes kept"].strip() == "300"
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 2  # QC and gene ranking
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "preprocess-simulated-counts")


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


def test_count_vae_with_batch_mixes_the_batches(server, page):
    load_example_in_ui(page, server, "Simulated counts with batches", "Simulated counts")
    go_to(page, "Autoencoders", "2 · Model")
    choose(page, "Model", "Variational autoencoder (scVI-like)")
    wait_for_text(page, "small cloud, pulled towards a standard normal")
    page.get_by_label("Epochs (at most)", exact=True).wait_for()  # the old model's are gone
    wait_idle(page)
    batch_box = page.get_by_label("Batch column (the VAE can correct for it)", exact=True)
    assert batch_box.input_value() == "batch"
    train_and_wait(page, 20, "vae-simulated-counts")

    go_to(page, "Embeddings", "Colour cells by")
    segment(page, "PCA")
    choose(page, "Batch column (for batch mixing)", "batch")
    pca = metric_values(page)
    pca_mixing = float(pca["Batch mixing"])
    page.get_by_label("Computed on").click()
    page.get_by_role("option", name="Latent of vae run", exact=False).first.click()
    wait_for_text(page, "PCA of the vae latent")
    wait_idle(page)
    latent = metric_values(page)
    shot(page, "vae-latent-embedding")
    assert float(latent["Batch mixing"]) > pca_mixing + 0.2, (pca_mixing, latent)
    assert float(latent["kNN accuracy"]) > 0.7, (pca, latent)  # 2-D: some types overlap


@pytest.fixture(scope="module")
def second_matrices(tmp_path_factory, counts_files):
    import pandas as pd

    folder = tmp_path_factory.mktemp("second")
    cells = pd.read_csv(counts_files["csv"], usecols=["cell"])["cell"]
    proteins = pd.DataFrame({"cell": cells, "CD3": 5, "CD19": 7})
    proteins["CD3"] += cells.index % 4
    good = folder / "proteins.csv"
    proteins.to_csv(good, index=False)
    bad = folder / "garbage.csv"
    bad.write_bytes(b"\x00\xff\xfe binary \x00 garbage" * 20)
    return {"good": good, "bad": bad}


def test_bad_second_matrix_is_refused_and_a_good_one_pairs(
    server, page, counts_files, second_matrices
):
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()
    upload(page, counts_files["csv"])
    wait_for_text(page, "Summary: counts.csv")
    wait_idle(page)
    sidebar_link(page, "Autoencoders").click()
    wait_for_text(page, "2 · Model")
    wait_idle(page)
    upload(page, second_matrices["bad"])
    wait_for_text(page, "The second matrix cannot be used")
    wait_idle(page)
    alert = page.locator('[data-testid="stAlert"]', has_text="second matrix").first.inner_text()
    assert "garbage.csv" in alert
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("3 · Training").is_visible()
    shot(page, "autoencoders-bad-second-matrix")

    page.locator('[data-testid="stFileChip"] button').first.click()  # remove the bad file
    wait_idle(page)
    upload(page, second_matrices["good"])
    wait_for_text(page, "Second modality: 2 features of proteins.csv measured in 400 of the")
    wait_idle(page)
    choose(page, "Model", "Two-modality autoencoder (RNA + protein)")
    assert page.get_by_text("needs a second matrix").count() == 0
    assert page.get_by_role("button", name="Train", exact=True).is_enabled()
    shot(page, "autoencoders-second-matrix-paired")

    sidebar_link(page, "Data").click()
    wait_for_text(page, "Summary: counts.csv")
