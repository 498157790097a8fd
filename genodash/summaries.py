"""What the data page shows of a data set: headline numbers, sequence profiles (lengths,
GC, base composition), previews and metadata summaries.

Computed here, drawn by :mod:`genodash.plotting` and the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from genodash.data import VALUE_DESCRIPTIONS, VALUE_NAMES, MatrixSet, SequenceSet
from genodash.encoding import N_CODE, encode_codes


@dataclass(frozen=True)
class SequenceProfile:
    """Per-sequence lengths and GC content, and base composition along the sequence by class.

    Attributes
    ----------
    lengths, gc
        One value per profiled sequence; GC is the share of G and C among A, C, G, T.
    labels
        Class of each profiled sequence (``"all"`` when unlabelled).
    composition
        Per class, an array (positions × 4) with the share of A, C, G, T at each position
        from the 5′ end, among sequences that reach that position.
    n_profiled
        How many sequences were used (a random subsample for large sets).
    """

    lengths: np.ndarray
    gc: np.ndarray
    labels: np.ndarray
    composition: dict[str, np.ndarray]
    n_profiled: int
    n_total: int


def sequence_profile(
    sequences: SequenceSet, *, max_sequences: int = 20_000, max_positions: int = 300, seed: int = 0
) -> SequenceProfile:
    """Profile ``sequences``, on a random subsample of ``max_sequences`` when larger.

    Parameters
    ----------
    sequences
        The data set; unlabelled sequences are profiled as one class, ``"all"``.
    max_sequences
        The most sequences to profile; a larger set is subsampled at random (keeping
        the file order).
    max_positions
        The most positions (bases from the 5′ end) of the base-composition profile;
        lengths and GC content always use whole sequences.
    seed
        Random seed of the subsample; the same seed picks the same sequences.

    Returns
    -------
    Lengths and GC content per profiled sequence, and base composition along the
    sequence per class.
    """
    index = np.arange(sequences.n_obs)
    if sequences.n_obs > max_sequences:
        index = np.sort(np.random.default_rng(seed).choice(sequences.n_obs, max_sequences, False))
    chosen = [sequences.sequences[i] for i in index]
    labels = np.array(
        [sequences.labels[i] for i in index] if sequences.labels else ["all"] * len(index)
    )
    codes = encode_codes(chosen, min(max_positions, max(map(len, chosen))))
    lengths = np.fromiter(map(len, chosen), dtype=np.int64, count=len(chosen))
    return SequenceProfile(
        lengths=lengths,
        gc=_gc_content(chosen),
        labels=labels,
        composition={label: _composition(codes[labels == label]) for label in np.unique(labels)},
        n_profiled=len(index),
        n_total=sequences.n_obs,
    )


def _gc_content(sequences: list[str]) -> np.ndarray:
    gc = np.array([s.count("G") + s.count("C") for s in sequences], dtype=np.float64)
    called = np.array([len(s) - s.count("N") for s in sequences], dtype=np.float64)
    return np.divide(gc, called, out=np.full_like(gc, np.nan), where=called > 0)


def _composition(codes: np.ndarray) -> np.ndarray:
    counts = np.stack([(codes == base).sum(axis=0) for base in range(4)], axis=1).astype(float)
    called = (codes < N_CODE).sum(axis=0)[:, None]
    return np.divide(counts, called, out=np.full_like(counts, np.nan), where=called > 0)


@dataclass(frozen=True)
class PlantedMotif:
    """The motif generated data were planted with, and where.

    Attributes
    ----------
    motif
        The motif's consensus.
    positive_class
        The class whose sequences carry it.
    starts
        Per sequence, the 0-based start of the motif (−1: none).
    width
        The motif's width (bp).
    max_length
        The longest sequence's length (bp), the extent of a positions plot.
    """

    motif: str
    positive_class: str
    starts: tuple[int, ...]
    width: int
    max_length: int

    @property
    def caption(self) -> str:
        """Markdown naming the motif and its class, to go above a plot of its positions."""
        return (
            f"Motif **{self.motif}**, planted in the class `{self.positive_class}` sequences "
            "at these positions:"
        )


def planted_motif(sequences: SequenceSet) -> PlantedMotif | None:
    """The planted motif of generated sequences; ``None`` for other data.

    Parameters
    ----------
    sequences
        The sequences; generated ones record ``motif``, ``positive_class``,
        ``motif_starts`` and ``motif_width`` in ``meta``.
    """
    meta = sequences.meta
    if "motif_starts" not in meta:
        return None
    return PlantedMotif(
        motif=str(meta["motif"]),
        positive_class=str(meta["positive_class"]),
        starts=tuple(int(start) for start in meta["motif_starts"]),
        width=int(meta["motif_width"]),
        max_length=int(sequences.lengths.max()),
    )


@dataclass(frozen=True)
class QcLabels:
    """How the per-cell QC figures of a matrix are titled, by the kind of its values.

    Attributes
    ----------
    totals_title, totals_axis
        Title and axis of the per-cell totals (library sizes for counts).
    log_totals
        Whether the totals are drawn on a log axis (counts only).
    detected_title
        Title of the genes-per-cell figure.
    note
        A caution shown under the totals (normalized values), or ``None``.
    """

    totals_title: str
    totals_axis: str
    log_totals: bool
    detected_title: str
    note: str | None


def qc_labels(matrix: MatrixSet) -> QcLabels:
    """Titles of the QC figures of ``matrix``: read counts, or sums of normalized values.

    Parameters
    ----------
    matrix
        The expression matrix (its ``value_type``).
    """
    if matrix.value_type == "counts":
        return QcLabels("Counts per cell", "counts per cell", True, "Genes detected per cell", None)
    return QcLabels(
        "Sum of values per cell",
        "sum of values",
        False,
        "Non-zero genes per cell",
        "The values are normalized, so these sums are not read counts.",
    )


# --- headline numbers, previews and metadata -------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One headline number, formatted for display.

    Attributes
    ----------
    label, value
        What is counted and its formatted value, e.g. ``"Sequences"`` and ``"1,200"``.
    help
        A longer explanation, or ``None``.
    """

    label: str
    value: str
    help: str | None = None


def headline_metrics(
    dataset: SequenceSet | MatrixSet, *, summary: dict[str, Any] | None = None
) -> list[Metric]:
    """The five numbers the data page shows first.

    Parameters
    ----------
    dataset
        Sequences (count, classes, lengths, ambiguous bases) or a matrix (cells, genes,
        zeros, kind of values, storage).
    summary
        ``dataset.summary()``, when already computed.
    """
    summary = dataset.summary() if summary is None else summary
    if isinstance(dataset, SequenceSet):
        return _sequence_metrics(dataset, summary)
    return _matrix_metrics(dataset, summary)


def _sequence_metrics(sequences: SequenceSet, summary: dict[str, Any]) -> list[Metric]:
    shortest, longest = summary["min_length"], summary["max_length"]
    length = (
        Metric("Length", f"{shortest:,} bp", "Every sequence has this length")
        if shortest == longest
        else Metric("Length range", f"{shortest:,}–{longest:,} bp")
    )
    in_file = sequences.meta.get("n_reads_in_file")
    count = (
        Metric(
            "Reads in the file",
            f"{in_file:,}",
            f"{sequences.n_obs:,} of them, drawn at random, are held in memory for the pages",
        )
        if in_file is not None
        else Metric("Sequences", f"{sequences.n_obs:,}")
    )
    return [
        count,
        Metric("Classes", str(len(sequences.classes) or "unlabelled")),
        length,
        Metric("Mean length", f"{summary['mean_length']:.1f} bp"),
        Metric("Ambiguous bases → N", f"{summary['n_ambiguous_bases']:,}"),
    ]


def _matrix_metrics(matrix: MatrixSet, summary: dict[str, Any]) -> list[Metric]:
    return [
        Metric("Cells", f"{matrix.n_obs:,}"),
        Metric("Genes", f"{matrix.n_vars:,}"),
        Metric("Zeros", f"{summary['sparsity']:.1%}"),
        Metric("Values", VALUE_NAMES[matrix.value_type], VALUE_DESCRIPTIONS[matrix.value_type]),
        Metric("Stored as", "sparse" if summary["stored_sparse"] else "dense"),
    ]


@dataclass(frozen=True)
class Preview:
    """The first rows of a data set, and a caption saying how many of how many.

    Attributes
    ----------
    table
        The rows shown.
    caption
        E.g. ``"The first 200 of 1,000 sequences."``.
    """

    table: pd.DataFrame
    caption: str


def sequence_preview(sequences: SequenceSet, *, rows: int = 200) -> Preview:
    """The first ``rows`` sequences: ``ID``, ``sequence`` and ``label`` when labelled.

    Parameters
    ----------
    sequences
        The sequences.
    rows
        How many to show at most.
    """
    table = {"ID": sequences.ids[:rows], "sequence": sequences.sequences[:rows]}
    if sequences.labels is not None:
        table["label"] = sequences.labels[:rows]
    caption = (
        f"All {sequences.n_obs:,} sequences."
        if sequences.n_obs <= rows
        else f"The first {rows} of {sequences.n_obs:,} sequences."
    )
    return Preview(pd.DataFrame(table), caption)


def matrix_preview(matrix: MatrixSet, *, size: int = 20) -> Preview:
    """The values of the first ``size`` cells × ``size`` genes, dense.

    Parameters
    ----------
    matrix
        The expression matrix.
    size
        How many cells and genes to show at most.
    """
    adata = matrix.adata
    block = adata[:size, :size].X
    dense = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    table = pd.DataFrame(dense, index=adata.obs_names[:size], columns=adata.var_names[:size])
    return Preview(table, f"The first {size} cells × {size} genes.")


def metadata_columns(matrix: MatrixSet) -> tuple[list[str], int]:
    """The matrix's cell metadata columns, and which to show first (the labels, if known).

    Parameters
    ----------
    matrix
        The expression matrix.

    Returns
    -------
    tuple
        Column names (empty when there is no metadata) and the index of the default one.
    """
    columns = [str(c) for c in matrix.adata.obs.columns]
    default = columns.index(matrix.label_column) if matrix.label_column in columns else 0
    return columns, default


@dataclass(frozen=True)
class ColumnSummary:
    """How one metadata column is drawn: a distribution of numbers or counts per category.

    Attributes
    ----------
    kind
        ``"distribution"`` for numeric columns with more than 30 values, else ``"counts"``.
    values
        The numbers (``"distribution"``), else ``None``.
    counts
        Category → number of cells, sorted by category (``"counts"``), else ``None``.
    """

    kind: Literal["distribution", "counts"]
    values: np.ndarray | None = None
    counts: dict[str, int] | None = None


def metadata_summary(matrix: MatrixSet, column: str, *, max_categories: int = 30) -> ColumnSummary:
    """Summarize one cell metadata column for a figure.

    Parameters
    ----------
    matrix
        The expression matrix.
    column
        A column of ``matrix.adata.obs``.
    max_categories
        Numeric columns with more distinct values than this are drawn as a distribution.
    """
    values = matrix.adata.obs[column]
    if values.dtype.kind in "fi" and values.nunique() > max_categories:
        return ColumnSummary("distribution", values=values.to_numpy(dtype=float))
    counts = values.astype(str).value_counts().sort_index()
    return ColumnSummary("counts", counts={str(k): int(n) for k, n in counts.items()})


def column_roles(matrix: MatrixSet) -> list[tuple[str, str]]:
    """The metadata columns genodash uses, as ``(role, column)``: labels, then batches.

    Parameters
    ----------
    matrix
        The expression matrix.
    """
    roles = [("labels", matrix.label_column), ("batches", matrix.batch_column)]
    return [(role, column) for role, column in roles if column]


def column_roles_caption(matrix: MatrixSet) -> str | None:
    """Markdown listing the metadata columns genodash uses (see :func:`column_roles`), e.g.
    "Columns in use — labels: `cell_type`"; ``None`` when it uses none.

    Parameters
    ----------
    matrix
        The expression matrix.
    """
    roles = column_roles(matrix)
    if not roles:
        return None
    return "Columns in use — " + ", ".join(f"{role}: `{name}`" for role, name in roles)


def cell_labels(dataset: SequenceSet | MatrixSet) -> pd.Series | None:
    """The labels of a matrix's cells as text, indexed by cell name (to colour an
    expression run's cells where names match).

    Parameters
    ----------
    dataset
        The loaded data set.

    Returns
    -------
    pandas.Series or None
        ``None`` for sequences or a matrix without a label column.
    """
    if not isinstance(dataset, MatrixSet) or dataset.label_column is None:
        return None
    labels = dataset.adata.obs[dataset.label_column].astype(str)
    labels.index = dataset.adata.obs_names.astype(str)
    return labels
