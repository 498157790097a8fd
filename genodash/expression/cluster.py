"""Clusters of cells (Leiden) and the genes that mark a selection of cells."""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.data import is_sparse
from genodash.errors import ConfigError
from genodash.expression.preprocess import gene_means

if TYPE_CHECKING:
    import anndata

_CLUSTER_MAX_FEATURES = 50


def leiden_clusters(
    X: Any, *, resolution: float = 1.0, n_neighbors: int = 15, seed: int = 0
) -> np.ndarray:
    """Leiden communities of the k-nearest-neighbour graph of the cells.

    Each cell is joined to its ``n_neighbors`` nearest cells (Euclidean; exact up to 4,096
    cells, approximate above, as in scanpy; the graph made undirected), and igraph's
    Leiden algorithm maximizes modularity on it with ``n_iterations=2``, as scanpy's
    ``flavor="igraph"`` does. scanpy weights the edges by UMAP's fuzzy membership; here
    every edge weighs 1, which gives very similar clusters without UMAP's compilation
    cost (the approximate neighbours compile once per process, which
    :func:`~genodash.expression.embed.warm_umap` covers). Inputs with more than 50
    features are first reduced to 50 principal components.

    Parameters
    ----------
    X
        Cells × features: PCA coordinates, a latent space or expression values.
    resolution
        Higher values give more, smaller clusters.
    n_neighbors
        Neighbours per cell in the graph.
    seed
        Seed of Leiden's random choices.

    Returns
    -------
    numpy.ndarray
        One string label per cell, ``"0"`` for the largest cluster, ``"1"`` for the next…

    Raises
    ------
    ConfigError
        Resolution not positive, or too few cells for ``n_neighbors``.
    """
    import igraph

    n_cells = X.shape[0]
    if resolution <= 0:
        raise ConfigError(f"resolution must be positive, got {resolution:g}")
    if not 1 <= n_neighbors < n_cells:
        raise ConfigError(
            f"n_neighbors must lie between 1 and the number of cells - 1 ({n_cells - 1:,}), "
            f"got {n_neighbors}"
        )
    graph = igraph.Graph(n=n_cells, edges=_knn_edges(X, n_neighbors, seed), directed=False)
    graph.simplify()  # a pair that are each other's neighbours gives one edge, not two
    previous = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity", resolution=resolution, n_iterations=2
        )
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)
    return _by_size(np.asarray(partition.membership))


def _knn_edges(X: Any, k: int, seed: int) -> np.ndarray:
    from genodash.expression.embed import nearest_neighbors, pca_coordinates

    if X.shape[1] > _CLUSTER_MAX_FEATURES:
        X = pca_coordinates(X, min(_CLUSTER_MAX_FEATURES, X.shape[0] - 1), seed=seed)
    data = X.toarray() if is_sparse(X) else np.asarray(X, dtype=np.float32)
    indices = nearest_neighbors(data, k, seed)
    sources = np.repeat(np.arange(data.shape[0]), k)
    return np.column_stack([sources, indices.ravel()])


def _by_size(membership: np.ndarray) -> np.ndarray:
    """Relabel clusters ``"0"``, ``"1"``, … from the largest to the smallest."""
    ids, counts = np.unique(membership, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    rank = np.empty(ids.max() + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[membership].astype(str)


def adjusted_rand(
    labels: Sequence[Any] | np.ndarray, clusters: Sequence[Any] | np.ndarray
) -> float:
    """Adjusted Rand index between known labels and clusters (1 = same partition, ~0 = chance)."""
    from sklearn.metrics import adjusted_rand_score

    labels = np.asarray([str(v) for v in labels])
    clusters = np.asarray([str(v) for v in clusters])
    if len(labels) != len(clusters):
        raise ConfigError(f"{len(labels):,} labels but {len(clusters):,} cluster labels")
    return float(adjusted_rand_score(labels, clusters))


def top_genes(adata: anndata.AnnData, selected: np.ndarray, n: int = 20) -> pd.DataFrame:
    """The genes most raised in a selection of cells compared with all other cells.

    Genes are ranked by scanpy's Wilcoxon rank-sum test (``rank_genes_groups``, selected
    against the rest, on ``adata.X`` as given, never ``.raw``).

    Parameters
    ----------
    adata
        Cells × genes; best log-normalized values.
    selected
        Boolean mask over cells, or integer indices of the selected cells.
    n
        Number of genes to return.

    Returns
    -------
    pandas.DataFrame
        One row per gene, best first: ``gene``, ``mean_selected`` and ``mean_rest`` (means of
        the values as given), ``log2_fold_change``, ``score`` (Wilcoxon z-score) and
        ``pvals_adj`` (Benjamini-Hochberg). The fold change assumes log1p values, like
        scanpy's: log2 of the ratio of the means of ``exp(x) - 1``; for whole numbers
        (counts) it is the log2 ratio of the means themselves, and for data with negative
        values (scaled) it is NaN, since a ratio means nothing there.

    Raises
    ------
    ConfigError
        The selection is empty, holds every cell, or leaves a group of fewer than 2 cells.
    """
    mask = _selection_mask(selected, adata.n_obs)
    n_selected = int(mask.sum())
    if n_selected == 0:
        raise ConfigError("the selection is empty: select some cells first")
    if n_selected == adata.n_obs:
        raise ConfigError("every cell is selected: there is nothing to compare with")
    if min(n_selected, adata.n_obs - n_selected) < 2:
        raise ConfigError("both the selection and the other cells need at least 2 cells")
    ranking = _wilcoxon(adata, mask)
    means = pd.DataFrame(
        {
            "mean_selected": _column_means(adata.X, mask),
            "mean_rest": _column_means(adata.X, ~mask),
        },
        index=adata.var_names.astype(str),
    )
    means["log2_fold_change"] = _log2_fold_change(adata.X, mask)
    table = ranking.join(means, on="gene")
    columns = ["gene", "mean_selected", "mean_rest", "log2_fold_change", "score", "pvals_adj"]
    return table[columns].head(n).reset_index(drop=True)


def _selection_mask(selected: np.ndarray, n_cells: int) -> np.ndarray:
    selected = np.asarray(selected)
    if selected.dtype == bool:
        if selected.shape != (n_cells,):
            raise ConfigError(f"selection mask has {selected.size:,} entries for {n_cells:,} cells")
        return selected
    if selected.size and (selected.min() < 0 or selected.max() >= n_cells):
        raise ConfigError(f"selected cell indices must lie between 0 and {n_cells - 1:,}")
    mask = np.zeros(n_cells, dtype=bool)
    mask[selected.astype(np.int64)] = True
    return mask


def _wilcoxon(adata: anndata.AnnData, mask: np.ndarray) -> pd.DataFrame:
    import anndata as ad
    import scanpy as sc

    groups = pd.Categorical(np.where(mask, "selected", "rest"), categories=["selected", "rest"])
    temp = ad.AnnData(
        X=adata.X,
        obs=pd.DataFrame({"group": groups}, index=adata.obs_names),
        var=pd.DataFrame(index=adata.var_names.astype(str)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "data not logarithmized" etc.: our caller decides
        sc.tl.rank_genes_groups(
            temp,
            "group",
            groups=["selected"],
            reference="rest",
            method="wilcoxon",
            use_raw=False,
            tie_correct=False,
        )
    result = temp.uns["rank_genes_groups"]
    return pd.DataFrame(
        {
            "gene": [str(g) for g in result["names"]["selected"]],
            "score": np.asarray(result["scores"]["selected"], dtype=np.float64),
            "pvals_adj": np.asarray(result["pvals_adj"]["selected"], dtype=np.float64),
        }
    )


def _column_means(X: Any, rows: np.ndarray, *, expm1: bool = False) -> np.ndarray:
    return gene_means(X[np.flatnonzero(rows)], exponentiate=expm1)


def _log2_fold_change(X: Any, mask: np.ndarray) -> np.ndarray:
    values = X.data if is_sparse(X) else np.asarray(X)
    if values.size and values.min() < 0:
        return np.full(X.shape[1], np.nan)
    linear = bool(values.size) and np.array_equal(values, np.round(values))
    selected = _column_means(X, mask, expm1=not linear)
    rest = _column_means(X, ~mask, expm1=not linear)
    return np.log2((selected + 1e-9) / (rest + 1e-9))
