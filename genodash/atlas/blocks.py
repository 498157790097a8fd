"""The work of the atlas pipeline on one block of cells.

Each function reads its block from a :class:`~genodash.io.backed.RowSource` and returns
small results (per-cell values of the block, or per-gene sums) that the pipeline adds up
over blocks. They are plain functions of plain values so that dask can run them on any
worker. The arithmetic is the in-memory preprocessing's own (the same functions of
:mod:`genodash.expression.qc` and :mod:`genodash.expression.preprocess`, the same float32
steps), so a block boundary changes nothing but the order in which float64 sums are added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genodash.data import ValueType, value_type_of
from genodash.expression.preprocess import column_sums, detected_per_gene, scale_rows
from genodash.expression.qc import cell_totals, qc_table
from genodash.io.backed import RowSource

DENSE_VALUES = 4_000_000  # values per dense piece of a block (16 MB of float32)


@dataclass(frozen=True)
class CellFilters:
    """The per-cell thresholds of the QC filters (0, 0 and 100 turn them off)."""

    min_genes: int = 0
    min_counts: int = 0
    max_mito_percent: float = 100.0


@dataclass(frozen=True)
class Selection:
    """Which cells of a block and which genes a step reads, and the cells' normalization
    factors (float32), when known."""

    cells: np.ndarray  # mask over the block's rows
    genes: np.ndarray  # column indices, ascending
    factors: np.ndarray | None = None


def qc_block(
    source: RowSource, start: int, stop: int, gene_names: pd.Index, filters: CellFilters
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, ValueType]:
    """QC metrics of rows ``start:stop``, the cells the filters keep, and the genes'
    detection counts among the kept cells.

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    gene_names
        All genes (for the mitochondrial share).
    filters
        The per-cell thresholds.

    Returns
    -------
    tuple
        The QC table (``total_counts``, ``n_genes``, maybe ``pct_mito``), the kept-cell
        mask, the genes' detection counts among kept cells, and the block's value type.
    """
    rows = source.read(start, stop)
    table = qc_table(rows, gene_names)
    keep = (table["n_genes"].to_numpy() >= filters.min_genes) & (
        table["total_counts"].to_numpy() >= filters.min_counts
    )
    if "pct_mito" in table and filters.max_mito_percent < 100:
        keep &= table["pct_mito"].to_numpy() <= filters.max_mito_percent
    detected = detected_per_gene(rows[np.flatnonzero(keep)])
    return table, keep, detected, value_type_of(rows)


def kept_rows(source: RowSource, start: int, stop: int, selection: Selection) -> Any:
    """The kept cells of rows ``start:stop`` on the kept genes, float32 CSR, normalized
    with the selection's factors when it has them (as :func:`scale_rows` does in memory).

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The cells of the block and the genes to keep, and maybe the cells' factors.
    """
    rows = source.read(start, stop)[np.flatnonzero(selection.cells)][:, selection.genes]
    if selection.factors is not None:
        scale_rows(rows, selection.factors)
    return rows


def totals_block(source: RowSource, start: int, stop: int, selection: Selection) -> np.ndarray:
    """Each kept cell's total over the kept genes (what normalization divides by).

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The kept cells and genes (no factors).
    """
    return cell_totals(kept_rows(source, start, stop, selection))


def moments_block(
    source: RowSource, start: int, stop: int, selection: Selection
) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene sums and sums of squares of the normalized counts of the kept cells (what
    the seurat flavour of highly variable genes ranks).

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The kept cells and genes, and the cells' normalization factors.
    """
    rows = kept_rows(source, start, stop, Selection(selection.cells, selection.genes))
    sums, squares = column_sums(rows, selection.factors, False, squares=True)
    return sums, squares


def log_values(source: RowSource, start: int, stop: int, selection: Selection) -> Any:
    """log(1 + normalized counts) of the kept cells on the selection's genes, float32 CSR:
    the values the principal components are computed from.

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The kept cells, the genes (e.g. the highly variable ones) and the factors.
    """
    rows = kept_rows(source, start, stop, selection)
    np.log1p(rows.data, out=rows.data)
    return rows


def covariance_block(
    source: RowSource, start: int, stop: int, selection: Selection
) -> tuple[int, np.ndarray, np.ndarray]:
    """The count of kept cells, the per-gene sums and the gene × gene sums of products of
    the log values (float64), from which the covariance follows.

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The kept cells, the genes of the PCA and the factors.
    """
    rows = log_values(source, start, stop, selection)
    n_genes = rows.shape[1]
    sums = np.bincount(rows.indices, rows.data.astype(np.float64), minlength=n_genes)
    products = np.zeros((n_genes, n_genes), dtype=np.float64)
    step = max(1, DENSE_VALUES // max(n_genes, 1))
    for first in range(0, rows.shape[0], step):
        dense = rows[first : first + step].toarray()
        products += dense.T @ dense
    return rows.shape[0], sums, products


def project_block(
    source: RowSource, start: int, stop: int, selection: Selection, mean: np.ndarray, basis: Any
) -> np.ndarray:
    """The kept cells' coordinates on the principal axes, as the in-memory PCA computes
    them (the sparse log values times the axes, minus the mean's projection).

    Parameters
    ----------
    source
        Where the rows are read.
    start, stop
        The block.
    selection
        The kept cells, the genes of the PCA and the factors.
    mean
        The genes' mean log values, float32.
    basis
        The axes, genes × components, float32.
    """
    rows = log_values(source, start, stop, selection)
    coords = np.asarray(rows @ basis, dtype=np.float32) - mean @ basis
    return coords.astype(np.float32, copy=False)
