"""The two data sets genodash works on: labelled DNA sequences and expression matrices.

Both are immutable records of what was loaded plus the notes that say what the
loader kept, dropped, renamed or converted. Sequences are upper-case strings over
``ACGTN``; a matrix is an :class:`anndata.AnnData` with cells as rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import anndata

ValueType = Literal["counts", "non-negative", "signed"]
VALUE_NAMES: dict[str, str] = {
    "counts": "raw counts",
    "non-negative": "normalized",
    "signed": "scaled",
}
VALUE_DESCRIPTIONS: dict[str, str] = {
    "counts": "counts per cell",
    "non-negative": "log-normalized expression, log(1 + normalized count)",
    "signed": "scaled values (z-scores: 0 = the gene's average over all cells, 1 = one "
    "standard deviation above)",
}


@dataclass(frozen=True)
class SequenceSet:
    """DNA sequences with optional class labels.

    Attributes
    ----------
    ids
        One unique identifier per sequence (FASTA ID, or row number for tables).
    sequences
        Upper-case strings over ``A C G T N``, possibly of different lengths.
    labels
        One class label per sequence, or ``None`` for unlabelled data.
    name
        Display name of the source (file name or example title).
    format
        ``"fasta"``, ``"fastq"``, ``"table"``, ``"text"`` or ``"example"``.
    notes
        What the loader converted or skipped, in plain words.
    meta
        Extra facts, e.g. ``{"motif": "CGAC…", "motif_starts": (...)}`` for generated data.
    """

    ids: tuple[str, ...]
    sequences: tuple[str, ...]
    labels: tuple[str, ...] | None
    name: str
    format: str
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_obs(self) -> int:
        return len(self.sequences)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter(map(len, self.sequences), dtype=np.int64, count=self.n_obs)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels)) if self.labels is not None else []

    def subset(self, rows: Sequence[int] | np.ndarray) -> SequenceSet:
        """The sequences at ``rows``, in that order, with their IDs and labels."""
        rows = [int(row) for row in rows]
        return SequenceSet(
            ids=tuple(self.ids[row] for row in rows),
            sequences=tuple(self.sequences[row] for row in rows),
            labels=tuple(self.labels[row] for row in rows) if self.labels is not None else None,
            name=self.name,
            format=self.format,
        )

    def class_counts(self) -> dict[str, int]:
        if self.labels is None:
            return {}
        counts = Counter(self.labels)
        return {label: counts[label] for label in sorted(counts)}

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers describing the set (as printed by ``genodash validate``)."""
        lengths = self.lengths
        return {
            "kind": "sequences",
            "name": self.name,
            "format": self.format,
            "n": self.n_obs,
            "classes": self.class_counts(),
            "min_length": int(lengths.min()),
            "max_length": int(lengths.max()),
            "mean_length": round(float(lengths.mean()), 2),
            "median_length": float(np.median(lengths)),
            "n_ambiguous_bases": int(self.meta.get("n_ambiguous_bases", 0)),
            "n_rna_bases_converted": int(self.meta.get("n_rna_bases_converted", 0)),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class MatrixSet:
    """An expression matrix: cells as rows, genes as columns, metadata in ``adata.obs``.

    Attributes
    ----------
    adata
        The data; ``X`` is float32, sparse (CSR) when the source was sparse.
        Treat it as read-only: copy before changing it.
    name
        Display name of the source.
    format
        ``"table"``, ``"h5ad"``, ``"10x-mtx"``, ``"10x-h5"`` or ``"example"``.
    notes
        What the loader converted or renamed, in plain words.
    value_type
        ``"counts"`` (non-negative integers), ``"non-negative"`` (e.g. log-normalized)
        or ``"signed"`` (e.g. scaled); count-based steps run only on counts.
    label_column, batch_column
        Names of ``obs`` columns holding cell labels and batches, when known.
    """

    adata: anndata.AnnData
    name: str
    format: str
    notes: tuple[str, ...] = ()
    value_type: ValueType = "counts"
    label_column: str | None = None
    batch_column: str | None = None

    @property
    def n_obs(self) -> int:
        return int(self.adata.n_obs)

    @property
    def n_vars(self) -> int:
        return int(self.adata.n_vars)

    @property
    def sparsity(self) -> float:
        """Fraction of entries that are zero."""
        return 1.0 - count_nonzero(self.adata.X) / max(1, self.n_obs * self.n_vars)

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers describing the matrix (as printed by ``genodash validate``)."""
        obs = self.adata.obs
        return {
            "kind": "matrix",
            "name": self.name,
            "format": self.format,
            "n_obs": self.n_obs,
            "n_vars": self.n_vars,
            "sparsity": round(self.sparsity, 4),
            "stored_sparse": is_sparse(self.adata.X),
            "value_type": self.value_type,
            "metadata_columns": [str(column) for column in obs.columns],
            "label_column": self.label_column,
            "batch_column": self.batch_column,
            "notes": list(self.notes),
        }


def is_sparse(matrix: Any) -> bool:
    """Whether ``matrix`` is a SciPy sparse matrix (rather than a dense array).

    Parameters
    ----------
    matrix
        An expression matrix, e.g. ``adata.X``: a NumPy array or a SciPy sparse matrix.
    """
    import scipy.sparse

    return scipy.sparse.issparse(matrix)


def count_nonzero(matrix: Any) -> int:
    """How many entries of ``matrix`` are not zero.

    Parameters
    ----------
    matrix
        A dense NumPy array or a SciPy sparse matrix (stored zeros of a sparse matrix are not
        counted).
    """
    if is_sparse(matrix):
        return int(matrix.count_nonzero())
    return int(np.count_nonzero(matrix))


def value_type_of(matrix: Any) -> ValueType:
    """What a matrix holds: ``"signed"`` (some values negative: scaled), ``"non-negative"``
    (not all whole numbers: normalized) or ``"counts"`` (whole numbers).

    Parameters
    ----------
    matrix
        Expression values, cells as rows: a dense array or a SciPy sparse matrix (only its
        stored values are looked at). An empty matrix counts as ``"counts"``.
    """
    values = matrix.data if is_sparse(matrix) else np.asarray(matrix)
    if values.size and values.min() < 0:
        return "signed"
    if values.size and not np.array_equal(values, np.round(values)):
        return "non-negative"
    return "counts"


def dataset_nbytes(dataset: SequenceSet | MatrixSet) -> int:
    """About how many bytes of memory ``dataset`` holds (for caches with a byte budget).

    Parameters
    ----------
    dataset
        Sequences (their characters and IDs are counted) or a matrix (``X``, its layers,
        ``obsm`` and the cell metadata are counted).

    Returns
    -------
    An estimate in bytes, not an exact measurement.
    """
    if isinstance(dataset, SequenceSet):
        characters = sum(map(len, dataset.sequences)) + sum(map(len, dataset.ids))
        return characters + 120 * dataset.n_obs  # the string objects and their tuples
    adata = dataset.adata
    parts = [adata.X, *adata.layers.values(), *adata.obsm.values()]
    arrays = sum(_array_nbytes(part) for part in parts)
    return arrays + int(adata.obs.memory_usage(deep=True).sum())


def _array_nbytes(array: Any) -> int:
    if is_sparse(array):
        return int(array.data.nbytes + array.indices.nbytes + array.indptr.nbytes)
    if hasattr(array, "memory_usage"):  # a data frame (e.g. protein counts in obsm)
        return int(array.memory_usage(deep=True).sum())
    return int(getattr(array, "nbytes", 0))
