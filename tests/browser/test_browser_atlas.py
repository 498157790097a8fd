"""Real browser: an atlas result of 60,000 cells opened from the server data folder and
drawn on the Embeddings page (the image of every cell, the sample's hover and a lasso
selection counted by cluster)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from browser_support import Server, shot, wait_for_text, wait_idle
from genodash.atlas.result import write_atlas_result
from genodash.limits import DATA_DIR

pytestmark = pytest.mark.browser
N_CELLS = 60_000  # above the 50,000 drawn as WebGL points: the image path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A data folder holding one fake atlas result: six clusters as blobs."""
    root = tmp_path_factory.mktemp("atlas-data")
    rng = np.random.default_rng(0)
    clusters = rng.integers(0, 6, N_CELLS)
    umap = rng.normal(scale=6, size=(6, 2))[clusters] + rng.normal(size=(N_CELLS, 2))
    obs = pd.DataFrame(
        {
            "leiden": pd.Categorical(clusters.astype(str)),
            "source_row": np.arange(N_CELLS, dtype=np.int64),
            "total_counts": rng.gamma(4, 500, N_CELLS),
        },
        index=[f"cell{i}" for i in range(N_CELLS)],
    )
    var = pd.DataFrame({"source_column": np.arange(3, dtype=np.int64)}, index=["A", "B", "C"])
    info = {
        "source": str(root / "counts.h5ad"),
        "label_column": "",
        "batch_column": "",
        "target_sum": 1e4,
        "pca_variance_ratio": [0.4, 0.2],
        "steps": [{"step": "umap", "seconds": 12.5, "note": ""}],
        "version": 1,
    }
    write_atlas_result(root / "atlas.h5ad", obs=obs, var=var, pca=umap, umap=umap, info=info)
    return root


def test_an_atlas_result_from_the_data_folder_is_drawn_with_hover_and_selection(browser, folder):
    server = Server(env={DATA_DIR: str(folder)})
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{server.url}/Data")
        wait_for_text(page, "Summary:")
        wait_idle(page)
        page.get_by_role("tab", name="Server data folder").click()
        wait_for_text(page, "File to open")
        page.get_by_test_id("stBaseButton-primary").filter(has_text="Open").click()
        wait_for_text(page, "Opened the atlas result atlas.h5ad: 60,000 cells")
        wait_idle(page)
        page.get_by_role("link", name="Draw it on Embeddings").click()
        page.locator(".js-plotly-plot .imagelayer image").first.wait_for(state="attached")
        wait_for_text(page, "all 60,000 cells drawn; hover and selection on a random 20,000")
        wait_idle(page)
        shot(page, "atlas-embedding")
        plot = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()

        def at(fx: float, fy: float) -> tuple[float, float]:
            return plot["x"] + plot["width"] * fx, plot["y"] + plot["height"] * fy

        labels = page.locator(".hoverlayer .hovertext")
        for fx in np.linspace(0.2, 0.8, 7):
            for fy in np.linspace(0.2, 0.8, 7):
                page.mouse.move(*at(fx, fy))
                page.wait_for_timeout(100)
                if labels.count():
                    break
            if labels.count():
                break
        assert "Leiden cluster:" in labels.first.text_content()
        page.mouse.move(*at(0.05, 0.05))
        page.mouse.down()
        for corner in ((0.95, 0.05), (0.95, 0.95), (0.05, 0.95), (0.05, 0.06)):
            page.mouse.move(*at(*corner), steps=6)
        page.mouse.up()
        wait_for_text(page, "cells selected")
        wait_idle(page)
        selected = page.get_by_text("cells selected").first.text_content()
        assert int(selected.split(" cells")[0].replace(",", "")) > 1_000
        assert page.get_by_text("By Leiden cluster", exact=True).first.is_visible()
        shot(page, "atlas-selection")
    finally:
        page.close()
        server.stop()
