"""Default embeddings of a low-depth count matrix: scanpy's defaults against genodash's.

Simulated counts (3,000 cells × 800 genes, 6 cell types with markers raised about 2×, one
batch, library sizes varying log-normally with sd 0.6: about 600 counts per cell), three
recipes measured side by side in this one run:

- scanpy's defaults: ``normalize_total()`` (the median total), ``log1p``,
  ``highly_variable_genes(n_top_genes=2000)`` (all 800 genes here), ``pca(50)``,
  ``neighbors()``, ``umap()``;
- genodash's defaults: ``preprocess()`` (the median total), PCA 50, UMAP on the PCs;
- the baseline genodash used before: the same with a fixed target of 10,000 per cell.

For each: leave-one-out 15-nearest-neighbour accuracy of the cell types on the 50 PCs and
on the 2-D UMAP, and the ratio of genodash's to scanpy's. Prints figures; asserts nothing.

Run: python bench/low_depth_counts.py [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

import numpy as np

from genodash.examples import CountModel, simulated_counts
from genodash.expression.embed import EmbeddingConfig, embed, pca_coordinates
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.scores import knn_accuracy


def scanpy_defaults(matrix) -> tuple[np.ndarray, np.ndarray]:
    import scanpy as sc

    adata = matrix.adata.copy()
    sc.pp.normalize_total(adata)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, n_top_genes=2000, subset=True)
    sc.pp.pca(adata, n_comps=50)
    sc.pp.neighbors(adata)
    sc.tl.umap(adata)
    return adata.obsm["X_pca"], adata.obsm["X_umap"]


def genodash_recipe(matrix, target_sum: float | None) -> tuple[np.ndarray, np.ndarray]:
    processed = preprocess(matrix, PreprocessConfig(target_sum=target_sum))
    pcs = pca_coordinates(processed.adata.X, 50)
    umap = embed(pcs, EmbeddingConfig(method="umap", pca_first=False)).coords
    return pcs, umap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="simulation seeds")
    args = parser.parse_args()
    recipes = {
        "scanpy defaults": scanpy_defaults,
        "genodash defaults (median)": lambda m: genodash_recipe(m, None),
        "genodash, fixed 10,000 (before)": lambda m: genodash_recipe(m, 1e4),
    }
    for seed in args.seeds:
        matrix = simulated_counts(
            n_cells=3000,
            n_genes=800,
            n_types=6,
            n_batches=1,
            model=CountModel(marker_fold=2.0, library_sd=0.6),
            seed=seed,
        )
        totals = np.asarray(matrix.adata.X.sum(axis=1)).ravel()
        labels = matrix.adata.obs["cell_type"].astype(str).to_numpy()
        print(
            f"seed {seed}: {matrix.n_obs:,} cells × {matrix.n_vars:,} genes, counts per cell "
            f"median {np.median(totals):,.0f} (range {totals.min():,.0f}–{totals.max():,.0f})"
        )
        scores = {}
        for name, recipe in recipes.items():
            pcs, umap = recipe(matrix)
            scores[name] = (knn_accuracy(pcs, labels), knn_accuracy(umap, labels))
            print(
                f"  {name:32s} kNN accuracy on 50 PCs {scores[name][0]:.3f}, "
                f"on UMAP {scores[name][1]:.3f}"
            )
        base = scores["scanpy defaults"]
        for name in list(recipes)[1:]:
            pcs_ratio, umap_ratio = (
                ours / theirs for ours, theirs in zip(scores[name], base, strict=True)
            )
            print(f"  ratio to scanpy, {name}: PCs {pcs_ratio:.3f}, UMAP {umap_ratio:.3f}")


if __name__ == "__main__":
    main()
