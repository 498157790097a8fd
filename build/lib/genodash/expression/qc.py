"""Quality control of an expression matrix, the one home: totals, detected genes and the
mitochondrial share of each cell, and the genes that take the largest share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genodash.data import MatrixSet, is_sparse

MITO_PREFIXES = ("MT-", "mt-", "Mt-")


def mito_mask(gene_names: pd.Index) -> np.ndarray:
    """Boolean mask of mitochondrial genes (names starting ``MT-``, ``mt-`` or ``Mt-``).

    Parameters
    ----------
    gene_names
        The matrix's gene names.
    """
    return np.asarray([str(name).startswith(MITO_PREFIXES) for name in gene_names], dtype=bool)


def qc_metrics(matrix: MatrixSet) -> pd.DataFrame:
    """Per-cell quality-control metrics.

    Parameters
    ----------
    matrix
        The expression matrix (not changed).

    Returns
    -------
    pandas.DataFrame
        Index: cell IDs. Columns ``total_counts`` (sum of the cell's values), ``n_genes``
        (genes with a non-zero value) and, when ``MT-``/``mt-`` genes exist,
        ``pct_mito`` (percentage of the total from them). The values are counts only when
        ``matrix.value_type == "counts"``; ``attrs["value_type"]`` repeats it.
    """
    table = qc_table(matrix.adata.X, matrix.adata.var_names)
    table.index = matrix.adata.obs_names.copy()
    table.attrs["value_type"] = matrix.value_type
    return table


def qc_table(X: Any, gene_names: pd.Index) -> pd.DataFrame:
    """:func:`qc_metrics` of a bare matrix: ``total_counts``, ``n_genes`` and (with
    mitochondrial genes) ``pct_mito`` per row, without an index.

    Parameters
    ----------
    X
        Cells × genes, dense or sparse.
    gene_names
        The genes (columns) of ``X``.
    """
    totals = cell_totals(X)
    columns: dict[str, np.ndarray] = {
        "total_counts": totals,
        "n_genes": detected_per_cell(X),
    }
    mito = mito_mask(gene_names)
    if mito.any():
        mito_totals = np.asarray(X @ mito.astype(np.float32), dtype=np.float64).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(totals > 0, 100.0 * mito_totals / totals, 0.0)
        columns["pct_mito"] = share
    return pd.DataFrame(columns)


def detected_per_cell(X: Any) -> np.ndarray:
    """Genes detected in each cell: its non-zero values (a stored zero is not detected).

    Parameters
    ----------
    X
        Cells × genes, dense or sparse.
    """
    X = X.tocsr() if is_sparse(X) and X.format != "csr" else X
    if not is_sparse(X):
        return np.count_nonzero(X, axis=1).astype(np.int64)
    stored = np.diff(X.indptr).astype(np.int64)
    if np.count_nonzero(X.data) == X.nnz:  # no stored zeros: skip the search for them
        return stored
    explicit_zeros = np.flatnonzero(X.data == 0)
    if explicit_zeros.size:
        rows = np.searchsorted(X.indptr, explicit_zeros, side="right") - 1
        stored -= np.bincount(rows, minlength=X.shape[0])
    return stored


def cell_totals(X: Any) -> np.ndarray:
    """The sum of each row (cell) of ``X``, float64.

    Parameters
    ----------
    X
        Cells × genes, dense or sparse.
    """
    return np.asarray(X.sum(axis=1), dtype=np.float64).ravel()


@dataclass(frozen=True)
class MatrixQC:
    """Per-cell totals and detected genes, and the genes with the largest share of the total.

    For counts these are library sizes and detected genes; for normalized data they are
    sums of normalized values and non-zero entries (``value_type`` says which).
    """

    totals: np.ndarray
    detected: np.ndarray
    top_genes: list[str]
    top_shares: np.ndarray
    value_type: str


def matrix_qc(matrix: MatrixSet, *, top: int = 20) -> MatrixQC:
    """Per-cell totals, detected genes (as :func:`qc_metrics` counts them) and the ``top``
    genes by share of all values, for the Data page's plots.

    Parameters
    ----------
    matrix
        The expression matrix (not changed).
    top
        How many genes to list.
    """
    x = matrix.adata.X
    totals = cell_totals(x)
    detected = detected_per_cell(x)
    gene_totals = np.asarray(np.abs(x).sum(axis=0)).ravel()
    order = np.argsort(gene_totals)[::-1][:top]
    shares = gene_totals[order] / max(gene_totals.sum(), 1e-12)
    return MatrixQC(
        totals=totals.astype(np.float64),
        detected=np.asarray(detected, dtype=np.int64),
        top_genes=[str(matrix.adata.var_names[i]) for i in order],
        top_shares=shares,
        value_type=matrix.value_type,
    )
