"""genodash's expression defaults beside scanpy's own, and why they differ where they do.

Each row names the scanpy function and parameter it describes, so a test can hold the
"scanpy" column to scanpy's signatures and the "genodash" column to genodash's settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DefaultRow:
    """One setting: scanpy's function default, genodash's, and why they differ (or "same")."""

    step: str
    setting: str
    scanpy_function: str
    scanpy_parameter: str
    scanpy_default: object
    scanpy_says: str
    genodash_says: str
    why: str


SAME = "same as scanpy"

DEFAULTS = (
    DefaultRow(
        "Normalize",
        "total per cell",
        "pp.normalize_total",
        "target_sum",
        None,
        "the median of the cells' totals",
        "the median of the cells' totals (10,000 or any number on request)",
        SAME,
    ),
    DefaultRow(
        "Highly variable genes",
        "ranking",
        "pp.highly_variable_genes",
        "flavor",
        "seurat",
        "seurat (normalized dispersion in bins of mean)",
        "seurat",
        SAME,
    ),
    DefaultRow(
        "Highly variable genes",
        "how many",
        "pp.highly_variable_genes",
        "n_top_genes",
        None,
        "all genes past cut-offs (mean 0.0125–3, normalized dispersion ≥ 0.5)",
        "the 2,000 most variable",
        "a number you choose and can predict, as scanpy's tutorials and Seurat use",
    ),
    DefaultRow(
        "Scale",
        "clip at",
        "pp.scale",
        "max_value",
        None,
        "no clipping",
        "±10 (scaling itself is off by default)",
        "the tutorials' choice: a few extreme cells cannot dominate PCA",
    ),
    DefaultRow(
        "PCA",
        "components",
        "pp.pca",
        "n_comps",
        None,
        "50 (fewer for tiny data)",
        "50",
        SAME,
    ),
    DefaultRow(
        "PCA",
        "solver",
        "pp.pca",
        "svd_solver",
        None,
        "ARPACK (iterative)",
        "eigenvectors of the gene covariance, when there are at most 3,000 genes",
        "the same components, exactly, several times faster",
    ),
    DefaultRow(
        "Neighbours",
        "neighbours per cell",
        "pp.neighbors",
        "n_neighbors",
        15,
        "15",
        "15",
        SAME,
    ),
    DefaultRow(
        "UMAP",
        "minimum distance",
        "tl.umap",
        "min_dist",
        0.5,
        "0.5",
        "0.5",
        SAME,
    ),
    DefaultRow(
        "UMAP",
        "start layout",
        "tl.umap",
        "init_pos",
        "spectral",
        "spectral",
        "PCA",
        "faster, and keeps the global arrangement of cell types (Kobak & Linderman 2021)",
    ),
    DefaultRow(
        "UMAP",
        "epochs",
        "tl.umap",
        "maxiter",
        None,
        "500 below 10,000 cells, else 200",
        "500 up to 2,000 cells, 200 up to 10,000, 100 up to 50,000, 60 above",
        "on 20,000 and 100,000 cells fewer epochs gave the same scores in a fraction of the time",
    ),
    DefaultRow(
        "t-SNE",
        "perplexity",
        "tl.tsne",
        "perplexity",
        30,
        "30",
        "30",
        SAME,
    ),
    DefaultRow(
        "t-SNE",
        "learning rate",
        "tl.tsne",
        "learning_rate",
        1000,
        "1,000",
        "the number of cells ÷ the exaggeration (openTSNE's 'auto')",
        "openTSNE's rule (Belkina et al. 2019): large data converge where a fixed rate stalls",
    ),
    DefaultRow(
        "Leiden",
        "resolution",
        "tl.leiden",
        "resolution",
        1,
        "1",
        "1",
        SAME,
    ),
    DefaultRow(
        "Leiden",
        "iterations",
        "tl.leiden",
        "n_iterations",
        -1,
        "until no improvement (leidenalg)",
        "2 (as scanpy's igraph flavour, its announced future default), unweighted edges",
        "much faster; the clusters barely change",
    ),
)


def defaults_table() -> pd.DataFrame:
    """The rows of :data:`DEFAULTS` with readable columns, for showing in the app."""
    return pd.DataFrame(
        {
            "Step": [row.step for row in DEFAULTS],
            "Setting": [row.setting for row in DEFAULTS],
            "scanpy's default": [row.scanpy_says for row in DEFAULTS],
            "genodash's default": [row.genodash_says for row in DEFAULTS],
            "Why": [row.why for row in DEFAULTS],
        }
    )
