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
TAXA = ("vertebrates", "plants", "insects", "nematodes", "fungi", "urochordates", "all")
DEFAULT_TAXON = "vertebrates"
SIGNIFICANCE_LEVEL = 0.05


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
        if not motifs:
            raise ConfigError("a motif bank needs at least one motif")
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

    def _scores(self, queries: np.ndarray, min_overlap: int) -> tuple[np.ndarray, np.ndarray]:
        """Best score and offset of every query against every motif and strand, each
        ``(Q, 2M)``; ``queries`` are centred columns ``(Q, width, 4)`` of one width."""
        n_queries, width = queries.shape[:2]
        flat = queries.reshape(n_queries, width * 4).T  # (width·4, Q)
        best = np.full((n_queries, len(self.columns)), -np.inf)
        best_offset = np.zeros(best.shape, dtype=int)
        for start in range(self.columns.shape[1] - width + 1):
            window = self.columns[:, start : start + width].reshape(len(self.columns), -1)
            overlap = self.present[:, start : start + width].sum(axis=1)
            score = (window @ flat).T / np.maximum(overlap, 1)  # (Q, 2M)
            score[:, overlap < min(min_overlap, width)] = -np.inf
            better = score > best
            best[better], best_offset[better] = score[better], start - self.pad
        return best, best_offset

    def _queries(self, probabilities: np.ndarray) -> np.ndarray:
        matrices = np.asarray(probabilities, dtype=np.float64)[..., : self.pad + 1, :]
        return _centred(matrices.reshape(-1, 4)).reshape(matrices.shape)

    def best_matches(
        self, probabilities: np.ndarray, *, top: int = 3, min_overlap: int = 5
    ) -> list[MotifMatch]:
        """Known motifs most similar to ``probabilities`` ``(width, 4)``.

        Similarity is the mean Pearson correlation of aligned columns, over every offset
        with at least ``min_overlap`` overlapping columns and both strands (TOMTOM's
        Pearson column score; :meth:`significance` gives a p-value for the best one).

        Parameters
        ----------
        probabilities
            The learned motif's base probabilities, one row per position (A, C, G, T).
        top
            How many matches to return, best first.
        min_overlap
            Fewest aligned columns an offset needs (or the motif's width, if shorter).
        """
        best, offsets = self._scores(self._queries(probabilities)[None], min_overlap)
        best, offsets = best[0], offsets[0]
        order = np.argsort(best)[::-1][:top]
        return [
            MotifMatch(
                self.motifs[r // 2].matrix_id,
                self.motifs[r // 2].name,
                float(best[r]),
                int(offsets[r]),
                "+-"[r % 2],
            )
            for r in order
            if np.isfinite(best[r])
        ]

    def significance(
        self,
        filters: np.ndarray,
        *,
        shuffles: int = 20,
        seed: int = 0,
        min_overlap: int = 5,
    ) -> np.ndarray:
        """An empirical p-value for each filter's best match in the bank.

        The null is the best score of shuffled filters: each filter's columns permuted
        ``shuffles`` times (same information, no motif), pooled over all filters. Since
        the best of every motif is taken for the real and the shuffled filters alike, the
        p-value already accounts for searching the whole bank.

        Parameters
        ----------
        filters
            Base probabilities of the learned filters, ``(F, width, 4)``.
        shuffles
            Column permutations per filter (the null has ``F × shuffles`` scores).
        seed
            Seed of the permutations; the same seed gives the same p-values.
        min_overlap
            As in :meth:`best_matches`.

        Returns
        -------
        ``(F,)``: (1 + null scores at least as high) / (1 + null scores).
        """
        queries = self._queries(filters)
        rng = np.random.default_rng(seed)
        shuffled = np.stack(
            [query[rng.permutation(len(query))] for query in queries for _ in range(shuffles)]
        )
        observed = self._scores(queries, min_overlap)[0].max(axis=1)
        null = np.sort(self._scores(shuffled, min_overlap)[0].max(axis=1))
        at_least = len(null) - np.searchsorted(null, observed, side="left")
        return (1 + at_least) / (1 + len(null))


@functools.cache
def jaspar_bank(taxon: str = DEFAULT_TAXON) -> MotifBank:
    """The JASPAR CORE motifs of one taxon (or ``"all"``), packed for matching; built once
    per process and taxon.

    Parameters
    ----------
    taxon
        One of :data:`TAXA`: JASPAR's taxonomic group (vertebrates by default, so that a
        human or mouse filter is not named after a plant gene), or ``"all"``.

    Raises
    ------
    ConfigError
        A taxon that is not one of :data:`TAXA`.
    """
    if taxon not in TAXA:
        raise ConfigError(f"unknown taxon {taxon!r}; choose one of {', '.join(TAXA)}")
    return MotifBank(tuple(m for m in jaspar_core() if taxon in ("all", m.tax_group)))


@dataclass(frozen=True)
class FilterMatch:
    """A learned filter's closest known motif, with the p-value of that closeness and the
    q-value (the p-value adjusted for testing every filter, Benjamini–Hochberg)."""

    match: MotifMatch
    p_value: float
    q_value: float

    @property
    def significant(self) -> bool:
        return self.q_value < SIGNIFICANCE_LEVEL


def match_filters(
    bank: MotifBank, frequencies: list[np.ndarray], *, shuffles: int = 20, seed: int = 0
) -> list[FilterMatch]:
    """Each filter's closest motif in ``bank``, its p-value (:meth:`MotifBank.significance`)
    and its q-value: the p-values adjusted for testing all ``frequencies`` at once
    (Benjamini–Hochberg), so that among a dozen filters one lucky match is not called a find.

    Parameters
    ----------
    bank
        The known motifs to search, e.g. :func:`jaspar_bank` of one taxon.
    frequencies
        Base probabilities of the filters, each ``(width, 4)``, all of one width.
    shuffles
        Column permutations per filter for the null.
    seed
        Seed of the permutations.
    """
    if not frequencies:
        return []
    from scipy.stats import false_discovery_control

    p_values = bank.significance(np.stack(frequencies), shuffles=shuffles, seed=seed)
    q_values = false_discovery_control(p_values, method="bh")
    return [
        FilterMatch(bank.best_matches(f, top=1)[0], float(p), float(q))
        for f, p, q in zip(frequencies, p_values, q_values, strict=True)
    ]


def planted_motif_is_synthetic(meta: dict) -> bool:
    """Whether a data set's planted motif was made up rather than drawn from JASPAR, so a
    "closest known motif" of its filters is a coincidence of letters, not biology.

    Parameters
    ----------
    meta
        The data set's ``meta`` (see :func:`genodash.examples.planted_motif`); data without
        a planted motif is not synthetic in this sense.
    """
    motif = meta.get("params", {}).get("motif") if "motif_starts" in meta else None
    return motif is not None and not JASPAR_ID.match(str(motif))


def _centred(matrix: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit norm, so a dot product is a Pearson correlation."""
    centred = matrix - matrix.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 0)
