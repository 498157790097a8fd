"""Clusters of cells (Leiden) and the genes that mark a selection of cells."""

from __future__ import annotations

import random
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.data import VALUE_DESCRIPTIONS, ValueType, is_sparse, value_type_of
from genodash.errors import ConfigError
from genodash.expression.display import UNDEFINED, DisplayColumn, DisplayTable
from genodash.expression.preprocess import gene_means

if TYPE_CHECKING:
    import anndata

_CLUSTER_MAX_FEATURES = 50
_EDGE_LINES = 1_000_000  # edges formatted at once when writing the edge list for igraph


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
    n_cells = X.shape[0]
    if resolution <= 0:
        raise ConfigError(f"resolution must be positive, got {resolution:g}")
    if not 1 <= n_neighbors < n_cells:
        raise ConfigError(
            f"n_neighbors must lie between 1 and the number of cells - 1 ({n_cells - 1:,}), "
            f"got {n_neighbors}"
        )
    return leiden_from_edges(n_cells, _knn_edges(X, n_neighbors, seed), resolution, seed)


def leiden_from_edges(
    n_cells: int,
    edges: np.ndarray,
    resolution: float = 1.0,
    seed: int = 0,
    *,
    folder: Path | None = None,
) -> np.ndarray:
    """:func:`leiden_clusters` on a neighbour graph given as edges (one row per cell and
    neighbour, unweighted).

    Parameters
    ----------
    n_cells
        Cells (vertices).
    edges
        Pairs of cell indices, shape (edges, 2); each pair may appear in both directions.
    resolution
        Higher values give more, smaller clusters.
    seed
        Seed of Leiden's random choices.
    folder
        Where the graph's edge list is written for igraph to read (see
        :func:`simple_graph`); ``None``: the system's temporary folder.
    """
    import igraph

    graph = simple_graph(n_cells, edges, folder=folder)
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


def simple_edges(n_cells: int, edges: np.ndarray) -> np.ndarray:
    """The undirected graph of ``edges`` without loops or repeated pairs, in the order
    igraph's ``simplify()`` leaves it: each pair as (smaller, larger), sorted.

    A pair of cells that are each other's neighbours gives one edge, not two. Building the
    graph from this list gives the graph that ``simplify()`` makes of the raw one, edge
    order included, hence the same Leiden clusters for a seed, without holding the raw
    graph in igraph beside the simplified one.

    Parameters
    ----------
    n_cells
        Cells (vertices); every index in ``edges`` is below it.
    edges
        Pairs of cell indices, shape (edges, 2), in any order and direction.

    Returns
    -------
    numpy.ndarray
        Pairs of cell indices, shape (simple edges, 2), int64.
    """
    first, second = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    keys = np.minimum(first, second)
    keys *= n_cells
    keys += np.maximum(first, second)
    keys = keys[first != second]
    del first, second
    keys.sort()
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if len(keys) else keys
    simple = np.empty((len(keys), 2), dtype=np.int64)
    np.floor_divide(keys, n_cells, out=simple[:, 0])
    np.remainder(keys, n_cells, out=simple[:, 1])
    return simple


def simple_graph(n_cells: int, edges: np.ndarray, *, folder: Path | None = None) -> Any:
    """The igraph graph of :func:`simple_edges`, read by igraph from a text edge list.

    Why a file: python-igraph turns an array of edges into Python objects before building
    the graph, about 180 bytes per edge; at 1.26 million cells × 15 neighbours (17 million
    simple edges) building the graph that way peaked at 3.39 GB and took 70 s, where writing
    the list and reading it with ``Graph.Read_Edgelist`` peaked at 1.57 GB and took 26 s
    (the graph itself holds 0.58 GB). The graph is the same, edge order included.

    Parameters
    ----------
    n_cells
        Cells (vertices); every index in ``edges`` is below it.
    edges
        Pairs of cell indices, shape (edges, 2), in any order and direction.
    folder
        Where the edge list is written (and removed after); ``None``: the system's
        temporary folder.

    Returns
    -------
    igraph.Graph
        Undirected, ``n_cells`` vertices, no loops or repeated edges.
    """
    import igraph

    with tempfile.TemporaryDirectory(prefix="edges-", dir=folder) as scratch:
        path = Path(scratch) / "edges.txt"
        _write_edge_list(simple_edges(n_cells, edges), n_cells, path)
        graph = igraph.Graph.Read_Edgelist(str(path), directed=False)
    if graph.vcount() < n_cells:  # the cells after the last one with an edge
        graph.add_vertices(n_cells - graph.vcount())
    return graph


def _write_edge_list(edges: np.ndarray, n_cells: int, path: Path) -> None:
    """One line per edge, its two cells as right-aligned decimal numbers, formatted with
    array arithmetic a million edges at a time (``numpy.savetxt`` formats row by row)."""
    width = len(str(max(n_cells - 1, 0)))
    with path.open("wb") as out:
        for start in range(0, len(edges), _EDGE_LINES):
            chunk = edges[start : start + _EDGE_LINES]
            text = np.full((len(chunk), 2 * width + 2), ord(" "), dtype=np.uint8)
            for column, last in ((0, width - 1), (1, 2 * width)):
                values = chunk[:, column]
                for place in range(width):
                    power = 10**place
                    shown = (values >= power) | (place == 0)
                    text[shown, last - place] = ord("0") + (values[shown] // power) % 10
            text[:, -1] = ord("\n")
            out.write(text.tobytes())


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
    """Adjusted Rand index between known labels and clusters (1 = same partition, ~0 = chance).

    Parameters
    ----------
    labels
        Known labels, one per cell (e.g. annotated cell types); compared as text, so
        missing values form a group of their own.
    clusters
        Cluster names of the same cells, in the same order.

    Returns
    -------
    float
        The adjusted Rand index: 1 for identical partitions, about 0 for a random one,
        below 0 for worse than chance.

    Raises
    ------
    ConfigError
        ``labels`` and ``clusters`` have different lengths.
    """
    from sklearn.metrics import adjusted_rand_score

    labels = np.asarray([str(v) for v in labels])
    clusters = np.asarray([str(v) for v in clusters])
    if len(labels) != len(clusters):
        raise ConfigError(f"{len(labels):,} labels but {len(clusters):,} cluster labels")
    return float(adjusted_rand_score(labels, clusters))


def cluster_summary(
    clusters: Sequence[Any] | np.ndarray,
    resolution: float,
    *,
    labels: Sequence[Any] | np.ndarray | None = None,
    label_name: str = "",
) -> str:
    """One line about Leiden clusters: how many, and their agreement with known labels.

    Parameters
    ----------
    clusters
        One cluster name per cell.
    resolution
        The resolution they were found at.
    labels
        Known labels of the same cells; ``None`` leaves the agreement out.
    label_name
        The labels' name as it should appear in the line (escaped for display already).

    Returns
    -------
    str
        For example ``"8 clusters at resolution 1; agreement with 'cell type' (adjusted
        Rand index): 0.712"``.
    """
    text = f"{len(set(clusters))} clusters at resolution {resolution:g}"
    if labels is None:
        return text
    ari = adjusted_rand(labels, clusters)
    return f"{text}; agreement with '{label_name}' (adjusted Rand index): {ari:.3f}"


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
        values (scaled) it is NaN, since a ratio means nothing there. ``attrs["values"]``
        records which of these the values were (see :func:`~genodash.data.value_type_of`);
        :func:`top_genes_display` turns the table into one for people.

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
    kind = value_type_of(adata.X)
    means = pd.DataFrame(
        {
            "mean_selected": _column_means(adata.X, mask),
            "mean_rest": _column_means(adata.X, ~mask),
        },
        index=adata.var_names.astype(str),
    )
    means["log2_fold_change"] = _log2_fold_change(adata.X, mask, kind)
    table = ranking.join(means, on="gene")
    columns = ["gene", "mean_selected", "mean_rest", "log2_fold_change", "score", "pvals_adj"]
    table = table[columns].head(n).reset_index(drop=True)
    table.attrs["values"] = kind
    return table


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


def _log2_fold_change(X: Any, mask: np.ndarray, kind: ValueType) -> np.ndarray:
    if kind == "signed":
        return np.full(X.shape[1], np.nan)
    selected = _column_means(X, mask, expm1=kind != "counts")
    rest = _column_means(X, ~mask, expm1=kind != "counts")
    return np.log2((selected + 1e-9) / (rest + 1e-9))


# --- the top-genes table for people -----------------------------------------------------------


def top_genes_display(table: pd.DataFrame) -> DisplayTable:
    """The table of :func:`top_genes` for people: labels with units and help, p-values in
    scientific notation, an undefined fold change shown as "—" with the reason once.

    Parameters
    ----------
    table
        What :func:`top_genes` returned (its ``attrs["values"]`` names the kind of values;
        log-normalized when missing).

    Returns
    -------
    DisplayTable
        The same rows and column names. Where no fold change is defined (scaled values),
        its column holds "—" and ``note`` says why; otherwise ``note`` is ``None``.
    """
    kind = table.attrs.get("values", "non-negative")
    unit = VALUE_DESCRIPTIONS.get(kind, "the values as given")
    frame = table.copy()
    fold = frame["log2_fold_change"].to_numpy(dtype=np.float64)
    note = None
    fold_format: str | None = "%+.2f"
    if not np.isfinite(fold).all():
        fold_format = None
        frame["log2_fold_change"] = [UNDEFINED if not np.isfinite(v) else f"{v:+.2f}" for v in fold]
        if kind == "signed":
            note = (
                f"Fold change ({UNDEFINED}) needs non-negative counts or log-normalized "
                "values; these values are scaled (z-scores, some negative), so no ratio of "
                "means exists. Rank genes by the Wilcoxon z-score instead."
            )
        else:
            note = f"Fold change ({UNDEFINED}) is undefined where a mean is not finite."
    fold_help = (
        "log2 of the ratio of the mean in the selected cells to the mean in the other "
        "cells (of exp(x) − 1 for log-normalized values, as scanpy does): +1 = twice as "
        "high, −1 = half"
    )
    columns = {
        "gene": DisplayColumn("Gene", "Gene name, as in the data"),
        "mean_selected": DisplayColumn(
            "Mean in selection", f"Mean over the selected cells ({unit})", "%.2f"
        ),
        "mean_rest": DisplayColumn(
            "Mean in other cells", f"Mean over all cells not selected ({unit})", "%.2f"
        ),
        "log2_fold_change": DisplayColumn("log₂ fold change", fold_help, fold_format),
        "score": DisplayColumn(
            "Wilcoxon z-score",
            "Rank-sum test statistic, selection against the other cells: how consistently "
            "the gene is higher in the selection (no unit; the table is sorted by it)",
            "%.1f",
        ),
        "pvals_adj": DisplayColumn(
            "Adjusted p-value",
            "Wilcoxon rank-sum p-value, Benjamini-Hochberg corrected for testing every "
            "gene; tiny values are usual with hundreds of cells (0 = below ~1e-308)",
            "%.1e",
        ),
    }
    return DisplayTable(frame=frame[list(columns)], columns=columns, note=note)
