"""Known transcription-factor motifs from JASPAR (via pyjaspar), and matching against them.

Used to plant real motifs into generated sequences and to name what a CNN filter learned.
pyjaspar ships the JASPAR database offline; when it is not installed the functions that
need it raise :class:`ConfigError` and :func:`jaspar_available` says so.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from genodash.errors import ConfigError

JASPAR_ID = re.compile(r"^MA\d{4}(\.\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class KnownMotif:
    """A JASPAR matrix as base probabilities ``(width, 4)`` in the order A, C, G, T."""

    matrix_id: str
    name: str
    probabilities: np.ndarray
    tax_group: str

    @property
    def consensus(self) -> str:
        return "".join("ACGT"[i] for i in self.probabilities.argmax(axis=1))


@dataclass(frozen=True)
class MotifMatch:
    """How well a learned motif agrees with a known one (mean column correlation)."""

    matrix_id: str
    name: str
    score: float
    offset: int
    strand: str


def jaspar_available() -> bool:
    """Whether the JASPAR database can be used here (the pyjaspar package is installed)."""
    try:
        import pyjaspar  # noqa: F401
    except ImportError:
        return False
    return True


def _database() -> object:
    if not jaspar_available():
        raise ConfigError("JASPAR motifs need the pyjaspar package (pip install pyjaspar)")
    from pyjaspar import jaspardb

    return jaspardb()


def _probabilities(motif: object) -> np.ndarray:
    counts = np.array([motif.counts[base] for base in "ACGT"], dtype=np.float64).T
    counts += 0.01  # keep every base possible, as JASPAR's own pseudocounts do
    return counts / counts.sum(axis=1, keepdims=True)


@functools.cache
def jaspar_motif(matrix_id: str) -> KnownMotif:
    """One JASPAR motif by ID, e.g. ``MA0139`` (CTCF; latest version) or ``MA0139.2``.

    Parameters
    ----------
    matrix_id
        A JASPAR matrix ID, ``MA`` and four digits, optionally ``.version`` (either case).

    Returns
    -------
    The motif's base probabilities ``(width, 4)`` (A, C, G, T), name and taxonomic group.

    Raises
    ------
    ConfigError
        Malformed or unknown ID, or pyjaspar missing.
    """
    if not JASPAR_ID.match(matrix_id):
        raise ConfigError(f"{matrix_id!r} is not a JASPAR ID such as MA0139 or MA0139.2")
    motif = _database().fetch_motif_by_id(matrix_id.upper())
    if motif is None:
        raise ConfigError(f"JASPAR has no motif {matrix_id!r}")
    return KnownMotif(motif.matrix_id, motif.name, _probabilities(motif), _tax(motif))


@functools.cache
def jaspar_core() -> tuple[KnownMotif, ...]:
    """Every JASPAR CORE motif (latest versions, all taxa); loaded once per process."""
    motifs = _database().fetch_motifs(collection="CORE", all_versions=False)
    return tuple(KnownMotif(m.matrix_id, m.name, _probabilities(m), _tax(m)) for m in motifs)


def _tax(motif: object) -> str:
    group = motif.tax_group
    return group[0] if isinstance(group, list) and group else str(group or "")


def sample_motif(motif: KnownMotif, rng: np.random.Generator) -> str:
    """One instance drawn base by base from the motif's probabilities.

    Parameters
    ----------
    motif
        The known motif to draw from (e.g. from :func:`jaspar_motif`).
    rng
        NumPy random generator; the same seed gives the same instance.

    Returns
    -------
    A DNA string as long as the motif, over ``ACGT``.
    """
    cumulative = np.cumsum(motif.probabilities, axis=1)
    draws = rng.random(len(cumulative))
    return "".join(
        "ACGT"[min(3, int(np.searchsorted(row, d)))]
        for row, d in zip(cumulative, draws, strict=True)
    )


class MotifBank:
    """Known motifs (both strands) packed into one zero-padded array for fast matching."""

    def __init__(self, motifs: tuple[KnownMotif, ...], max_query: int = 32) -> None:
        self.motifs = motifs
        self.pad = max_query - 1
        widest = max(len(m.probabilities) for m in motifs)
        self.columns = np.zeros((2 * len(motifs), widest + 2 * self.pad, 4))
        self.present = np.zeros((2 * len(motifs), widest + 2 * self.pad))
        for i, motif in enumerate(motifs):
            for j, matrix in enumerate((motif.probabilities, motif.probabilities[::-1, ::-1])):
                row = 2 * i + j
                self.columns[row, self.pad : self.pad + len(matrix)] = _centred(matrix)
                self.present[row, self.pad : self.pad + len(matrix)] = 1

    def best_matches(
        self, probabilities: np.ndarray, *, top: int = 3, min_overlap: int = 5
    ) -> list[MotifMatch]:
        """Known motifs most similar to ``probabilities`` ``(width, 4)``.

        Similarity is the mean Pearson correlation of aligned columns, over every offset
        with at least ``min_overlap`` overlapping columns and both strands (TOMTOM's
        Pearson column score, without its p-values).
        """
        query = _centred(np.asarray(probabilities, dtype=np.float64)[: self.pad + 1])
        width = len(query)
        best = np.full(len(self.columns), -np.inf)
        best_offset = np.zeros(len(self.columns), dtype=int)
        for start in range(self.columns.shape[1] - width + 1):
            window = self.columns[:, start : start + width]  # (2M, width, 4)
            overlap = self.present[:, start : start + width].sum(axis=1)
            sums = np.einsum("mwc,wc->m", window, query)
            score = np.where(
                overlap >= min(min_overlap, width), sums / np.maximum(overlap, 1), -np.inf
            )
            better = score > best
            best[better], best_offset[better] = score[better], start - self.pad
        order = np.argsort(best)[::-1][:top]
        return [
            MotifMatch(
                self.motifs[r // 2].matrix_id,
                self.motifs[r // 2].name,
                float(best[r]),
                int(best_offset[r]),
                "+-"[r % 2],
            )
            for r in order
            if np.isfinite(best[r])
        ]


@functools.cache
def jaspar_bank() -> MotifBank:
    """All JASPAR CORE motifs, packed for matching (built once per process)."""
    return MotifBank(jaspar_core())


def _centred(matrix: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit norm, so a dot product is a Pearson correlation."""
    centred = matrix - matrix.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 0)
