from __future__ import annotations

import io
import json

import anndata
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from genodash.errors import ConfigError
from genodash.examples import simulated_counts
from genodash.expression.embed import pca_coordinates
from genodash.expression.export import embedding_table, processed_anndata
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.io.writers import h5ad_bytes
from genodash.plotting.expression import embedding_figure, embedding_grid
from genodash.plotting.files import figure_bytes


@pytest.fixture(scope="module")
def processed():
    matrix = simulated_counts(n_cells=200, n_genes=300, n_types=3, seed=0)
    return preprocess(matrix, PreprocessConfig(n_top_genes=100))


@pytest.fixture(scope="module")
def pcs(processed):
    return pca_coordinates(processed.adata.X, 3)


def test_embedding_table_round_trips_through_csv(processed, pcs) -> None:
    cells = processed.adata.obs_names
    labels = processed.adata.obs["cell_type"].astype(str).to_numpy()
    table = embedding_table(cells, pcs[:, :2], method="pca", extra={"label": labels})
    assert list(table.columns) == ["cell", "x", "y", "label"]
    assert table.attrs["method"] == "pca"
    back = pd.read_csv(io.StringIO(table.to_csv(index=False)))
    assert list(back["cell"]) == list(cells)
    np.testing.assert_allclose(back[["x", "y"]].to_numpy(), pcs[:, :2], rtol=1e-6)
    assert list(back["label"]) == list(labels)
    three_d = embedding_table(cells, pcs, method="pca")
    assert list(three_d.columns) == ["cell", "x", "y", "z"]


def test_embedding_table_rejects_bad_shapes(processed, pcs) -> None:
    cells = processed.adata.obs_names
    with pytest.raises(ConfigError, match="coordinates"):
        embedding_table(cells[:10], pcs, method="pca")
    with pytest.raises(ConfigError, match="'label' has 3 values"):
        embedding_table(cells, pcs, method="pca", extra={"label": ["a", "b", "c"]})
    with pytest.raises(ConfigError, match="would replace"):
        embedding_table(cells, pcs, method="pca", extra={"x": np.zeros(len(cells))})


def test_h5ad_round_trip(processed, pcs) -> None:
    clusters = np.where(pcs[:, 0] > 0, "1", "0")
    latent = np.arange(400, dtype=np.float32).reshape(200, 2)
    data = h5ad_bytes(
        processed_anndata(
            processed,
            embeddings={"pca": pcs, "X_umap": pcs[:, :2]},
            latent=latent,
            clusters=clusters,
        )
    )
    back = anndata.read_h5ad(io.BytesIO(data))
    assert back.shape == processed.adata.shape
    np.testing.assert_allclose(back.X.toarray(), processed.adata.X.toarray())
    np.testing.assert_array_equal(
        back.layers["counts"].toarray(), processed.adata.layers["counts"].toarray()
    )
    assert set(back.obsm) == {"X_pca", "X_umap", "X_latent"}
    np.testing.assert_allclose(back.obsm["X_pca"], pcs)
    np.testing.assert_array_equal(back.obsm["X_latent"], latent)
    assert list(back.obs["leiden"]) == list(clusters)
    assert list(back.obs["cell_type"]) == list(processed.adata.obs["cell_type"])
    record = json.loads(back.uns["genodash_preprocessing"])
    assert [s["step"] for s in record["steps"]][-1] == "scale"
    assert "leiden" not in processed.adata.obs  # the processed matrix is not changed


def test_h5ad_rejects_misaligned_embeddings(processed, pcs) -> None:
    with pytest.raises(ConfigError, match="X_pca must have one row per cell"):
        processed_anndata(processed, embeddings={"pca": pcs[:10]})
    with pytest.raises(ConfigError, match="clusters"):
        processed_anndata(processed, clusters=["0"] * 5)


def _grid(processed, pcs) -> go.Figure:
    labels = processed.adata.obs["cell_type"].to_numpy()
    panels = [("PCA", pcs[:, :2], {"knn_accuracy": 0.9}), ("PCA 3-D", pcs, {})]
    return embedding_grid(
        panels, color=labels, color_name="cell type", cell_ids=processed.adata.obs_names
    )


def test_html_figure_works_offline(processed, pcs) -> None:
    page = figure_bytes(_grid(processed, pcs), "html").decode()
    assert "<html>" in page[:100] and "Plotly.newPlot" in page
    assert 'src="https://cdn.plot.ly' not in page and len(page) > 1_000_000  # plotly.js inside


def test_static_figures_are_png_and_svg(processed, pcs) -> None:
    grid = _grid(processed, pcs)
    assert figure_bytes(grid, "png").startswith(b"\x89PNG\r\n\x1a\n")
    svg = figure_bytes(grid, "svg")
    assert b"<svg" in svg and b"kNN acc. 0.90" in svg and b"type_1" in svg
    expression = np.asarray(processed.adata.X[:, 0].toarray()).ravel()
    single = embedding_figure(
        pcs[:, :2],
        color=expression,
        color_name=str(processed.adata.var_names[0]),
        cell_ids=processed.adata.obs_names,
        continuous=True,
        title="PCA",
    )
    assert figure_bytes(single, "png").startswith(b"\x89PNG")


def test_static_figures_show_user_text_as_written(pcs) -> None:
    labels = ["R&D <b>" if i % 2 else "T cells" for i in range(len(pcs))]
    figure = embedding_figure(
        pcs[:, :2],
        color=labels,
        color_name="group & type",
        cell_ids=[str(i) for i in range(len(pcs))],
        title="PCA of R&D",
    )
    svg = figure_bytes(figure, "svg").decode()
    assert "R&amp;D &lt;b&gt;" in svg and "group &amp; type" in svg  # once, as SVG needs
    assert "&amp;amp;" not in svg and "&amp;lt;" not in svg  # not plotly's escaping too


def test_static_export_refuses_bad_formats_and_sizes() -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        figure_bytes(go.Figure(go.Bar(x=[1], y=[2])), "png", size=(0, 900))
    with pytest.raises(ConfigError, match="unknown figure format"):
        figure_bytes(go.Figure(), "pdf")
