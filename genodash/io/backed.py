"""Expression matrices read from disk in blocks of cells, never whole.

A :class:`BackedMatrix` is an ``.h5ad`` file (``X`` stored as CSR or dense) or a 10x
``.h5`` file opened by path. Opening reads only the shape, the pointers of the rows and the
names; :func:`read_rows` then reads one block of cells at a time. Blocks are planned by
stored values (:meth:`BackedMatrix.row_blocks`), so a block's memory does not depend on
how many cells the file holds.

The functions that read blocks take the path and plain numbers, not an open file, so that
dask can send them to workers of a cluster that see the same file system.

Opening runs the safety checks of uploaded HDF5 files (no links or storage outside the
file) and the structure checks of the in-memory reader, with the same messages; each block
is checked as it is read (column indices in range, finite values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genodash.errors import FormatError, GenodashError
from genodash.io._hdf5 import (
    CORRUPT_HDF5_ERRORS,
    check_hdf5_safety,
    decode_strings,
    is_hdf5,
    short_message,
    tenx_matrix_group,
)
from genodash.limits import Limits

BLOCK_VALUES = 8_000_000  # stored values per block: about 64 MB of data and indices
IN_MEMORY_COPIES = 3  # copies of X the in-memory preprocessing holds at its peak
_TRUNCATED = "HDF5 file is truncated or corrupt; nothing was loaded"
_AGAIN = "Download or copy the file again"


@dataclass(frozen=True)
class RowSource:
    """Where a matrix's rows are read from, in a few plain values: what a dask task needs
    to read a block on any worker that sees the file.

    Attributes
    ----------
    path, name
        The file and its display name.
    group, layout
        The matrix's HDF5 path and ``"csr"`` or ``"dense"``.
    n_genes
        The number of columns.
    """

    path: Path
    name: str
    group: str
    layout: str
    n_genes: int

    def read(self, start: int, stop: int) -> Any:
        """Rows ``start:stop`` as float32 CSR (see :func:`read_rows`).

        Parameters
        ----------
        start, stop
            The row range.
        """
        return read_rows(self.path, self.name, self.group, self.layout, start, stop, self.n_genes)


@dataclass(frozen=True, eq=False)
class BackedMatrix:
    """A cells × genes matrix in an HDF5 file, read in blocks of rows.

    Attributes
    ----------
    path
        The file.
    name
        Its display name (the file name, never a server path).
    format
        ``"h5ad"`` or ``"10x-h5"``.
    group
        The HDF5 path of the matrix: ``"X"`` (h5ad) or the 10x matrix group.
    layout
        ``"csr"`` (sparse, cells as rows) or ``"dense"``.
    n_cells, n_genes
        The shape.
    indptr
        Row pointers of a sparse matrix (int64, ``n_cells + 1``); for a dense one, the
        row index times the number of genes.
    """

    path: Path
    name: str
    format: str
    group: str
    layout: str
    n_cells: int
    n_genes: int
    indptr: np.ndarray = field(repr=False)

    @property
    def nnz(self) -> int:
        """Stored values (all values of a dense matrix)."""
        return int(self.indptr[-1])

    @property
    def in_memory_bytes(self) -> int:
        """Bytes the matrix takes when read whole as float32 CSR (data, indices, pointers)."""
        return self.nnz * 8 + (self.n_cells + 1) * 8

    def needs_out_of_core(self, budget_bytes: int) -> bool:
        """Whether the in-memory preprocessing (:data:`IN_MEMORY_COPIES` copies of X) would
        exceed ``budget_bytes``.

        Parameters
        ----------
        budget_bytes
            The memory budget (:func:`~genodash.limits.memory_budget_bytes`).
        """
        return self.in_memory_bytes * IN_MEMORY_COPIES > budget_bytes

    def row_blocks(self, max_values: int = BLOCK_VALUES) -> list[tuple[int, int]]:
        """Row ranges ``(start, stop)`` covering every cell, each with at most
        ``max_values`` stored values (or a single row, when one row holds more).

        Parameters
        ----------
        max_values
            Stored values per block.
        """
        blocks, start = [], 0
        while start < self.n_cells:
            limit = self.indptr[start] + max_values
            stop = int(np.searchsorted(self.indptr, limit, side="right")) - 1
            stop = min(max(stop, start + 1), self.n_cells)
            blocks.append((start, stop))
            start = stop
        return blocks

    @property
    def source(self) -> RowSource:
        """The few values a task needs to read rows of this matrix."""
        return RowSource(self.path, self.name, self.group, self.layout, self.n_genes)

    def read_rows(self, start: int, stop: int) -> Any:
        """Rows ``start:stop`` as a float32 CSR matrix (see :func:`read_rows`).

        Parameters
        ----------
        start, stop
            The row range.
        """
        return self.source.read(start, stop)

    def blocks(self, max_values: int = BLOCK_VALUES) -> Iterator[tuple[int, int, Any]]:
        """``(start, stop, rows)`` for every block of :meth:`row_blocks`, read in order.

        Parameters
        ----------
        max_values
            Stored values per block.
        """
        for start, stop in self.row_blocks(max_values):
            yield start, stop, self.read_rows(start, stop)

    def column(self, index: int, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """One gene's values in every cell (float32), read block by block.

        Parameters
        ----------
        index
            The gene's column.
        progress
            Called with (cells read, cells in all) after each block.
        """
        if self.layout == "dense":
            return self._dense_column(index, progress)
        values = np.zeros(self.n_cells, dtype=np.float32)
        with _open(self.path, self.name) as handle:
            node = handle[self.group]
            for start, stop in self.row_blocks():
                lo, hi = int(self.indptr[start]), int(self.indptr[stop])
                hits = np.flatnonzero(node["indices"][lo:hi] == index)
                if hits.size:
                    rows = np.searchsorted(self.indptr, lo + hits, side="right") - 1
                    values[rows] = node["data"][lo:hi][hits]
                if progress is not None:
                    progress(stop, self.n_cells)
        return values

    def _dense_column(self, index: int, progress: Callable[[int, int], None] | None) -> np.ndarray:
        values = np.zeros(self.n_cells, dtype=np.float32)
        for start, stop, rows in self.blocks():
            values[start:stop] = rows[:, index].toarray().ravel()
            if progress is not None:
                progress(stop, self.n_cells)
        return values

    def obs(self) -> pd.DataFrame:
        """The cells' table: their names as the index and, for ``.h5ad``, the ``obs``
        columns."""
        with _open(self.path, self.name) as handle:
            if self.format == "h5ad":
                return _read_frame(handle["obs"], self.name, "obs")
            barcodes = decode_strings(handle[self.group]["barcodes"][()])
            return pd.DataFrame(index=pd.Index(barcodes, dtype=str))

    def var_names(self) -> pd.Index:
        """The genes' names."""
        with _open(self.path, self.name) as handle:
            if self.format == "h5ad":
                return _read_frame(handle["var"], self.name, "var").index.astype(str)
            group = handle[self.group]
            features = group["features"]["name"] if "features" in group else group["gene_names"]
            return pd.Index(decode_strings(features[()]), dtype=str)


def open_backed(path: Path, *, limits: Limits | None = None) -> BackedMatrix:
    """Open an ``.h5ad`` or 10x ``.h5`` file for reading in blocks, after the safety checks.

    Parameters
    ----------
    path
        The file.
    limits
        Limits of the safety checks; the size limit of arrays does not apply, since the
        matrix is never read whole.

    Returns
    -------
    BackedMatrix
        The opened matrix (shape, row pointers, where X lies).

    Raises
    ------
    FormatError
        Not HDF5, truncated, with links or storage outside the file, not a matrix, or X
        stored by gene (CSC) or with inconsistent pointers.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise FormatError("file not found", file=name, hint="Check the path")
    with path.open("rb") as stream:
        if not is_hdf5(stream.read(4096 + 8)):
            raise FormatError(
                "is not an HDF5 file (.h5ad and 10x .h5 files are HDF5)",
                file=name,
                hint="Check that the copy finished and the file is not another format renamed",
            )
    unlimited = replace(limits or Limits.from_env(), max_array_bytes=np.iinfo(np.int64).max)
    with _open(path, name) as handle:
        check_hdf5_safety(handle, name, unlimited)
        if "obs" in handle or handle.attrs.get("encoding-type") == "anndata":
            return _h5ad_matrix(handle, path, name)
        return _tenx_matrix(handle, path, name)


def read_rows(
    path: Path, name: str, group: str, layout: str, start: int, stop: int, n_genes: int
) -> Any:
    """Rows ``start:stop`` of the matrix at ``group`` in ``path``, as float32 CSR.

    A plain function of plain values, so that a dask worker can run it.

    Parameters
    ----------
    path, name
        The file and its display name (for messages).
    group
        The matrix's HDF5 path.
    layout
        ``"csr"`` or ``"dense"``.
    start, stop
        The row range.
    n_genes
        The number of columns.

    Raises
    ------
    FormatError
        A column index out of range, a value that is not finite, or unreadable data.
    """
    import scipy.sparse

    with _open(path, name) as handle:
        node = handle[group]
        if layout == "dense":
            block = scipy.sparse.csr_matrix(np.asarray(node[start:stop], dtype=np.float32))
        else:
            pointers = node["indptr"][start : stop + 1].astype(np.int64)
            lo, hi = int(pointers[0]), int(pointers[-1])
            data = node["data"][lo:hi].astype(np.float32, copy=False)
            indices = node["indices"][lo:hi]
            _check_columns(indices, pointers, start, n_genes, name)
            block = scipy.sparse.csr_matrix(
                (data, indices, pointers - lo), shape=(stop - start, n_genes)
            )
    _check_values(block, start, name)
    return block


def pointer_problem(indptr: np.ndarray, n_indices: int, n_data: int) -> str | None:
    """What is wrong with the row pointers of a CSR matrix, or ``None``.

    The pointers must start at 0, never fall and end at the number of stored values (of
    indices and of data alike). scipy's own check skips a matrix whose count comes out
    negative, and its C++ routines then crash or ask for terabytes.

    Parameters
    ----------
    indptr
        The pointers.
    n_indices, n_data
        The lengths of the indices and the data arrays.
    """
    if len(indptr) == 0 or indptr[0] != 0 or indptr[-1] != n_indices or n_data != n_indices:
        ends = f"{indptr[0]:,} to {indptr[-1]:,}" if len(indptr) else "nowhere"
        return (
            f"its pointers must run from 0 up to the number of stored values; they run from {ends}"
        )
    if (np.diff(indptr) < 0).any():
        return "its pointers decrease"
    return None


# --- opening --------------------------------------------------------------------------------


class _open:
    """``h5py.File(path, "r")`` whose failures become the in-memory reader's messages."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name = path, name

    def __enter__(self) -> Any:
        import h5py

        try:
            self.handle = h5py.File(self.path, "r")
        except CORRUPT_HDF5_ERRORS as err:
            raise FormatError(_TRUNCATED, file=self.name, hint=_AGAIN) from err
        return self.handle

    def __exit__(self, kind: type | None, err: BaseException | None, _tb: object) -> bool:
        self.handle.close()
        if isinstance(err, CORRUPT_HDF5_ERRORS) and not isinstance(err, GenodashError):
            raise FormatError(
                f"HDF5 content is corrupt ({short_message(err)})",
                file=self.name,
                hint=_AGAIN,
            ) from err
        return False


def _h5ad_matrix(handle: Any, path: Path, name: str) -> BackedMatrix:
    import h5py

    for key in ("X", "obs", "var"):
        if key not in handle:
            raise FormatError(f"has no '{key}' entry; it is not a complete AnnData file", file=name)
    node = handle["X"]
    if isinstance(node, h5py.Dataset):
        n_cells, n_genes = (int(n) for n in node.shape)
        indptr = np.arange(n_cells + 1, dtype=np.int64) * n_genes
        return BackedMatrix(path, name, "h5ad", "X", "dense", n_cells, n_genes, indptr)
    encoding = node.attrs.get("encoding-type", "")
    if encoding == "csc_matrix":
        raise FormatError(
            "stores X by gene (CSC); reading it in blocks of cells needs X stored by cell (CSR)",
            file=name,
            hint="Convert it once in Python: adata.X = adata.X.tocsr(); adata.write_h5ad(...)",
        )
    if encoding != "csr_matrix":
        raise FormatError(f"holds X of an unknown kind ({encoding or 'no encoding'})", file=name)
    n_cells, n_genes = (int(n) for n in node.attrs["shape"])
    return _sparse(node, path, name, "h5ad", "X", (n_cells, n_genes))


def _tenx_matrix(handle: Any, path: Path, name: str) -> BackedMatrix:
    key, group = tenx_matrix_group(handle, name)
    n_genes, n_cells = (int(v) for v in group["shape"][()])
    if len(group["barcodes"]) != n_cells:
        raise FormatError(
            f"declares {n_genes} genes × {n_cells} cells but lists "
            f"{len(group['barcodes'])} barcodes",
            file=name,
        )
    return _sparse(group, path, name, "10x-h5", key, (n_cells, n_genes))


def _sparse(
    node: Any, path: Path, name: str, fmt: str, group: str, shape: tuple[int, int]
) -> BackedMatrix:
    indptr = node["indptr"][()].astype(np.int64)
    problem = pointer_problem(indptr, len(node["indices"]), len(node["data"]))
    if problem is None and len(indptr) != shape[0] + 1:
        problem = f"it declares {shape[0]:,} cells but has {len(indptr) - 1:,} row pointers"
    if problem is not None:
        raise FormatError(f"sparse matrix X is inconsistent ({problem})", file=name)
    return BackedMatrix(path, name, fmt, group, "csr", shape[0], shape[1], indptr)


def _read_frame(node: Any, name: str, key: str) -> pd.DataFrame:
    import anndata

    try:
        return anndata.io.read_elem(node)
    except Exception as err:  # anndata raises many types on malformed files
        raise FormatError(
            f"is not a readable AnnData file ({key}: {type(err).__name__}: {str(err)[:160]})",
            file=name,
        ) from err


# --- checks of each block -------------------------------------------------------------------


def _check_columns(
    indices: np.ndarray, pointers: np.ndarray, start: int, n_genes: int, name: str
) -> None:
    bad = np.flatnonzero((indices < 0) | (indices >= n_genes))
    if bad.size == 0:
        return
    row = start + int(np.searchsorted(pointers - pointers[0], bad[0], side="right")) - 1
    raise FormatError(
        f"sparse matrix X is inconsistent (column index {int(indices[bad[0]]):,} out of range "
        f"for {n_genes:,} genes)",
        file=name,
        where=f"cell {row + 1:,}",
    )


def _check_values(block: Any, start: int, name: str) -> None:
    finite = np.isfinite(block.data)
    if finite.all():
        return
    bad = int(np.flatnonzero(~finite)[0])
    row = start + int(np.searchsorted(block.indptr, bad, side="right")) - 1
    raise FormatError(
        "NaN or infinite value",
        file=name,
        where=f"cell {row + 1:,}, gene {int(block.indices[bad]) + 1:,}",
        hint="Matrices must hold finite numbers",
    )
