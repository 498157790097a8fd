"""Numbers behind the data page's plots: sequence profiles and matrix QC.

Computed here, drawn by :mod:`genodash.plotting`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genodash.data import MatrixSet, SequenceSet
from genodash.encoding import N_CODE, encode_codes
from genodash.expression.preprocess import cell_totals, detected_per_cell


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
    """Profile ``sequences``, on a random subsample of ``max_sequences`` when larger."""
    index = np.arange(sequences.n)
    if sequences.n > max_sequences:
        index = np.sort(np.random.default_rng(seed).choice(sequences.n, max_sequences, False))
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
        n_total=sequences.n,
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
    """Per-cell totals, detected genes (as :func:`~genodash.expression.preprocess.qc_metrics`
    counts them) and the ``top`` genes by share of all values."""
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
