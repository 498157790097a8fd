"""Figures of single-cell expression (genodash.plotting.expression): what
tests/plotting/test_plotting_expression.py does not assert yet: trace names and order, panel
layout, figure and axis titles, legend and colour-bar titles, and the QC and HVG labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from genodash.plotting import CLASS_COLORS
from genodash.plotting.expression import (
    EMBEDDING_META,
    MISSING_COLOR,
    embedding_figure,
    embedding_grid,
    hvg_figure,
    qc_figure,
)
from support import annotation_texts, as_list, axis_titles, title, traces

N = 8
COORDS = np.arange(N * 3, dtype=np.float64).reshape(N, 3)
CELLS = [f"cell{i}" for i in range(N)]
LABELS = np.array(["NK", "B", "T", "B", "NK", "T", "B", ""])  # one without a label


def test_embedding_has_one_named_trace_per_category_in_display_order():
    fig = embedding_figure(
        COORDS[:, :2], color=LABELS, color_name="cell type", cell_ids=CELLS, title="UMAP"
    )
    # names alphabetically, the missing one last and grey
    assert traces(fig) == [("scattergl", name) for name in ("B", "NK", "T", "")]
    assert as_list(fig.data[0].customdata) == [1, 3, 6]
    assert fig.data[-1].marker.color == MISSING_COLOR
    assert title(fig) == "UMAP"
    assert fig.layout.legend.title.text == "cell type"
    assert fig.layout.dragmode == "lasso"  # selections pick cells
    assert fig.layout.height == 560
    assert not fig.layout.annotations  # a single panel has no panel title
    # coordinates mean nothing: no tick labels on the axes
    assert fig.layout.xaxis.showticklabels is False and fig.layout.yaxis.showticklabels is False
    meta = fig.layout.meta
    assert meta["kind"] == EMBEDDING_META and meta["color_name"] == "cell type"
    assert meta["panels"] == ["UMAP"]


def test_embedding_of_one_panel_writes_its_scores_under_the_title():
    fig = embedding_grid(
        [("PCA", COORDS[:, :2], {"knn_accuracy": 0.5, "ari": 0.25})],
        color=LABELS,
        color_name="cell type",
        cell_ids=CELLS,
        title="PCA of 8 cells",
    )
    assert title(fig).startswith("PCA of 8 cells<br>")
    assert "kNN acc. 0.50 · ARI 0.25" in title(fig)


def test_3d_embedding_draws_in_a_scene_with_blank_axis_titles():
    fig = embedding_figure(COORDS, color=None, color_name="", cell_ids=CELLS, unit="sequences")
    assert traces(fig) == [("scatter3d", "sequences")]
    np.testing.assert_allclose(fig.data[0].z, COORDS[:, 2])
    scene = fig.layout.scene
    assert [scene[a].title.text for a in ("xaxis", "yaxis", "zaxis")] == ["", "", ""]
    assert fig.layout.legend.title.text == ""


def test_grid_of_four_is_two_by_two_with_a_titled_panel_each():
    panels = [(name, COORDS[:, :2], {}) for name in ("PCA", "UMAP", "t-SNE", "VAE")]
    fig = embedding_grid(panels, color=LABELS[:N], color_name="type", cell_ids=CELLS)
    assert len(fig.data) == 4 * 4
    assert {t.type for t in fig.data} == {"scattergl"}
    assert [t.xaxis for t in fig.data[::4]] == ["x", "x2", "x3", "x4"]
    domains = [tuple(a.domain) for a in fig.select_xaxes()]
    assert domains[0] == domains[2] and domains[1] == domains[3]  # two columns
    assert annotation_texts(fig) == ["<b>PCA</b>", "<b>UMAP</b>", "<b>t-SNE</b>", "<b>VAE</b>"]
    assert fig.layout.meta["panels"] == annotation_texts(fig)
    assert title(fig) == "Embeddings coloured by type"
    assert fig.layout.height == 440 * 2 + 110


def test_grid_can_mix_flat_and_3d_panels_in_one_row():
    fig = embedding_grid(
        [("flat", COORDS[:, :2], {}), ("deep", COORDS, {}), ("flat too", COORDS[:, 1:], {})],
        color=None,
        color_name="",
        cell_ids=CELLS,
    )
    assert traces(fig) == [("scattergl", "cells"), ("scatter3d", "cells"), ("scattergl", "cells")]
    assert title(fig) == "Embeddings"  # nothing to colour by
    assert fig.data[0].marker.color == CLASS_COLORS[0]
    assert fig.layout.height == 440 + 110


def test_continuous_colour_names_its_trace_and_colour_bar():
    fig = embedding_figure(
        COORDS[:, :2],
        color=np.linspace(0, 1, N),
        color_name="CD3E",
        cell_ids=CELLS,
        continuous=True,  # 8 values would otherwise be 8 categories
    )
    assert traces(fig) == [("scattergl", "CD3E")]
    assert fig.data[0].showlegend is False  # the colour bar says it
    assert fig.layout.coloraxis.colorscale[0][1] == "#440154"  # Viridis


def _qc(kept: list[bool]) -> pd.DataFrame:
    n = len(kept)
    return pd.DataFrame(
        {
            "total_counts": np.arange(100.0, 100.0 + n),
            "n_genes": np.arange(10.0, 10.0 + n),
            "pct_mito": np.linspace(0, 9, n),
            "kept": kept,
        }
    )


def test_qc_histograms_split_kept_and_removed_cells_with_one_legend():
    fig = qc_figure(_qc([True, True, False, True]), thresholds={"total_counts": 101.5})
    names = ["kept", "removed by filters"]
    assert traces(fig) == [("histogram", name) for name in names * 3]
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2", "x3", "x3"]
    assert [t.showlegend for t in fig.data] == [True, True] + [False] * 4
    assert [t.marker.color for t in fig.data[:2]] == [CLASS_COLORS[0], CLASS_COLORS[5]]
    np.testing.assert_allclose(fig.data[1].x, [102.0])  # the removed cell's total
    assert fig.layout.barmode == "stack"
    (line,) = fig.layout.shapes
    assert (line.x0, line.xref) == (101.5, "x")
    assert title(fig) == "Quality control per cell"
    assert axis_titles(fig, "y") == ["cells", None, None]


def test_qc_of_all_kept_cells_has_no_legend_and_other_values_say_so():
    fig = qc_figure(_qc([True] * 4).drop(columns=["kept", "pct_mito"]))
    assert traces(fig) == [("histogram", "kept")] * 2
    assert not any(t.showlegend for t in fig.data)
    assert not fig.layout.shapes
    scaled = _qc([True] * 4)
    scaled.attrs["value_type"] = "signed"
    fig = qc_figure(scaled)
    assert title(fig) == "Quality control per cell (the values are scaled, not counts)"
    assert annotation_texts(fig) == [
        "Sum of the values per cell",
        "Genes with a non-zero value",
        "Mitochondrial share (%)",
    ]


def test_hvg_draws_other_genes_then_the_chosen_ones_named_by_gene():
    stats = pd.DataFrame(
        {
            "means": [0.1, 0.2, 0.3, 0.4],
            "dispersions_norm": [1.0, -0.5, 2.0, 0.0],
            "highly_variable": [False, True, True, False],
        },
        index=["ACTB", "CD3E", "MS4A1", "GAPDH"],
    )
    fig = hvg_figure(stats)
    assert traces(fig) == [("scattergl", "other genes"), ("scattergl", "highly variable")]
    other, chosen = fig.data
    assert as_list(chosen.text) == ["CD3E", "MS4A1"]
    np.testing.assert_allclose(chosen.x, [0.2, 0.3])
    np.testing.assert_allclose(chosen.y, [-0.5, 2.0])
    assert other.marker.color == MISSING_COLOR and chosen.marker.color == CLASS_COLORS[5]
    assert title(fig) == "Highly variable genes: 2 of 4 kept"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "mean expression (log)",
        "normalized dispersion",
    )
