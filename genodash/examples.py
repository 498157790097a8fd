"""Built-in examples: generated teaching tasks and real data shipped inside installed packages.

Everything here works offline and loads in seconds. Each example has a paragraph on
what it teaches and the controls from which the app builds widgets; both are listed in
``examples.toml``, beside this module.
"""

from __future__ import annotations

import inspect
import itertools
import math
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import Field, dataclass, fields, make_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from genodash.data import MatrixSet, SequenceSet, dataset_nbytes
from genodash.encoding import reverse_complement
from genodash.errors import ConfigError
from genodash.io.sequences import IUPAC_AMBIGUOUS
from genodash.limits import Limits
from genodash.settings import param

MOTIF_CLASS = "motif"
BACKGROUND_CLASS = "background"

if TYPE_CHECKING:
    import anndata

BASES = "ACGT"
ZOU_MOTIF = "CGACCGAACTCC"
_IUPAC_CHOICES = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
    "N": "ACGT",
}


@dataclass(frozen=True)
class Example:
    """A built-in data set: how to make it and what it teaches.

    ``controls`` are the loader's parameters a user may set, as settings fields (label,
    bounds, step, help and choices in their ``metadata``, see
    :func:`genodash.settings.param`); ``size`` names the parameters (and numbers) whose
    product is the number of values the example holds.
    """

    key: str
    title: str
    kind: Literal["sequences", "matrix"]
    teaches: str
    loader: Callable[..., SequenceSet | MatrixSet]
    controls: tuple[Field[Any], ...] = ()
    size: tuple[str | int, ...] = ()

    def defaults(self) -> dict[str, Any]:
        return {control.name: control.default for control in self.controls}

    def values(self, params: dict[str, Any]) -> int:
        """How many values the example holds with ``params`` (0 when it is fixed).

        Parameters
        ----------
        params
            A value for every control.
        """
        if not self.size:
            return 0
        return math.prod(params[part] if isinstance(part, str) else part for part in self.size)


# --- small sequence helpers ---------------------------------------------------------------


def random_sequences(
    n: int, length: int, *, gc: float = 0.5, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """``n`` random sequences as a ``(n, length)`` array of base indices (A=0, C=1, G=2, T=3).

    Every base is drawn independently, so the sequences have no motifs or other structure
    beyond their GC content.

    Parameters
    ----------
    n
        Number of sequences (rows).
    length
        Length of every sequence in bases (columns).
    gc
        Expected share of G and C, from 0 to 1; A and T share the rest equally.
    seed
        A seed for a new random generator (same seed, same sequences), or a NumPy
        generator to draw from, which the draws then advance.

    Returns
    -------
    A ``uint8`` array of shape ``(n, length)``; turn it into text with
    :func:`codes_to_strings`.
    """
    rng = np.random.default_rng(seed)
    probs = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return rng.choice(4, size=(n, length), p=probs).astype(np.uint8)


def codes_to_strings(codes: np.ndarray) -> list[str]:
    """Rows of base indices to strings.

    Parameters
    ----------
    codes
        A 2-D integer array, one sequence per row, with values 0-3 for A, C, G, T (as
        :func:`random_sequences` returns); a 4 or more raises ``IndexError``.

    Returns
    -------
    One DNA string per row, each as long as a row.
    """
    letters = np.frombuffer(BASES.encode(), dtype=np.uint8)[codes]
    return [row.tobytes().decode("ascii") for row in letters]


def dinucleotide_shuffle(sequence: str, rng: np.random.Generator) -> str:
    """Shuffle a sequence while keeping its dinucleotide counts (Altschul & Erickson 1985).

    A random Eulerian path through the graph of adjacent-base transitions: choose a
    random last exit edge per base so that they form a tree towards the final base,
    then walk the remaining edges in shuffled order.

    Parameters
    ----------
    sequence
        A DNA string (any letters are kept as they are); one shorter than 3 bases is
        returned unchanged.
    rng
        NumPy random generator; the same seed gives the same shuffle.

    Returns
    -------
    A string of the same length, with the same first and last base and the same count of
    every pair of adjacent bases (hence the same base composition).
    """
    if len(sequence) < 3:
        return sequence
    edges: dict[str, list[str]] = {}
    for a, b in itertools.pairwise(sequence):
        edges.setdefault(a, []).append(b)
    last = sequence[-1]
    while True:
        last_edges = {v: edges[v][rng.integers(len(edges[v]))] for v in edges if v != last}
        if _reaches(last_edges, last):
            break
    order = {}
    for v, outs in edges.items():
        rest = list(outs)
        if v in last_edges:
            rest.remove(last_edges[v])
        rng.shuffle(rest)
        order[v] = [*rest, last_edges[v]] if v in last_edges else rest
    result, current = [sequence[0]], sequence[0]
    for _ in range(len(sequence) - 1):
        current = order[current].pop(0)
        result.append(current)
    return "".join(result)


def _reaches(last_edges: dict[str, str], target: str) -> bool:
    for start in last_edges:
        seen, node = set(), start
        while node != target:
            if node in seen or node not in last_edges:
                return False
            seen.add(node)
            node = last_edges[node]
    return True


@dataclass(frozen=True)
class _MotifSource:
    """A typed (IUPAC) motif or a JASPAR matrix, and how to draw one instance of it."""

    label: str
    width: int
    draw: Callable[[np.random.Generator], str]


def _motif_source(motif: str, length: int) -> _MotifSource:
    from genodash.motifs import JASPAR_ID, jaspar_motif, sample_motif

    motif = motif.strip()
    if JASPAR_ID.match(motif):
        known = jaspar_motif(motif)
        source = _MotifSource(
            f"{known.matrix_id} {known.name} (JASPAR)",
            len(known.probabilities),
            lambda rng: sample_motif(known, rng),
        )
    else:
        motif = motif.upper()
        if not motif or any(base not in _IUPAC_CHOICES for base in motif):
            raise ConfigError(
                f"motif {motif!r} must use A, C, G, T or IUPAC codes ({IUPAC_AMBIGUOUS}, N), "
                "or be a JASPAR ID such as MA0139"
            )
        source = _MotifSource(motif, len(motif), lambda rng: _sample_iupac(motif, rng))
    if source.width > length:
        raise ConfigError(f"motif of {source.width} bp does not fit in sequences of {length} bp")
    return source


def _sample_iupac(motif: str, rng: np.random.Generator) -> str:
    return "".join(_IUPAC_CHOICES[b][rng.integers(len(_IUPAC_CHOICES[b]))] for b in motif)


def _mutate(instance: str, rng: np.random.Generator, mutation_rate: float) -> str:
    bases = list(instance)
    for i in np.flatnonzero(rng.random(len(bases)) < mutation_rate):
        bases[i] = rng.choice([b for b in BASES if b != bases[i]])
    return "".join(bases)


# --- generated sequence tasks -------------------------------------------------------------


def planted_motif(
    *,
    n: int = 2000,
    length: int = 50,
    motif: str = ZOU_MOTIF,
    mutation_rate: float = 0.15,
    positive_fraction: float = 0.5,
    gc: float = 0.5,
    seed: int = 0,
) -> SequenceSet:
    """Random sequences with a motif planted at a random place in the positive class.

    The design of Zou et al., "A primer on deep learning in genomics" (Nat Genet 2018).
    Labels are ``"motif"`` (motif planted) and ``"background"``; ``meta["motif_starts"]``
    gives the 0-based start of each planted motif (−1 where none was planted).

    The defaults (2,000 sequences of 50 bp, half of them with the motif, each planted base
    changed with chance 0.15) make a task that shows learning: the default CNN's validation
    accuracy climbs over several epochs and ends near 94 %, the LSTM's near it, the k-mer
    baseline's and the Transformer's clearly lower (``bench/default_task.py``). Without
    mutation noise the CNN is at about 100 % after three epochs: nothing to watch.

    Parameters
    ----------
    n
        Number of sequences, at least 4.
    length
        Length of every sequence in bases; the motif must fit in it.
    motif
        The motif to plant: letters A, C, G, T or IUPAC ambiguity codes (R, Y, N, …; each
        instance picks one of the allowed bases at random), or a JASPAR matrix ID such as
        ``MA0139`` (each instance is sampled base by base from the matrix).
    mutation_rate
        Chance, from 0 to 1, that each base of a planted instance is changed to another
        base: noise that makes the motif harder to find.
    positive_fraction
        Share of sequences that carry the motif, strictly between 0 and 1.
    gc
        Expected share of G and C in the random background, from 0 to 1.
    seed
        Random seed; the same seed gives the same data set.

    Returns
    -------
    The labelled sequences, shuffled, with the motif, its width and the planted positions
    in ``meta``.

    Raises
    ------
    ConfigError
        A motif with other letters, an unknown JASPAR ID, a motif longer than ``length``,
        ``positive_fraction`` outside (0, 1) or ``n`` below 4.
    """
    source = _motif_source(motif, length)
    if not 0 < positive_fraction < 1:
        raise ConfigError(f"positive_fraction must lie between 0 and 1, got {positive_fraction}")
    if n < 4:
        raise ConfigError(f"n must be at least 4, got {n}")
    rng = np.random.default_rng(seed)
    sequences = codes_to_strings(random_sequences(n, length, gc=gc, seed=rng))
    n_positive = round(n * positive_fraction)
    starts = np.full(n, -1, dtype=np.int64)
    starts[:n_positive] = rng.integers(0, length - source.width + 1, size=n_positive)
    for i in range(n_positive):
        s = int(starts[i])
        instance = _mutate(source.draw(rng), rng, mutation_rate)
        sequences[i] = sequences[i][:s] + instance + sequences[i][s + source.width :]
    labels = [MOTIF_CLASS] * n_positive + [BACKGROUND_CLASS] * (n - n_positive)
    order = rng.permutation(n)
    params = {
        "n": n,
        "length": length,
        "motif": motif.strip(),
        "mutation_rate": mutation_rate,
        "positive_fraction": positive_fraction,
        "gc": gc,
        "seed": seed,
    }
    return SequenceSet(
        ids=tuple(f"seq{i + 1}" for i in range(n)),
        sequences=tuple(sequences[i] for i in order),
        labels=tuple(labels[i] for i in order),
        name="Planted motif",
        format="example",
        notes=(
            f"generated: motif {source.label} planted in {n_positive:,} of {n:,} sequences "
            f"(class '{MOTIF_CLASS}'), mutation rate {mutation_rate}",
        ),
        meta={
            "motif": source.label,
            "motif_width": source.width,
            "motif_starts": tuple(int(starts[i]) for i in order),
            "positive_class": MOTIF_CLASS,
            "params": params,
        },
    )


def metagenomic_reads(
    *, n: int = 3000, n_sources: int = 3, min_length: int = 60, max_length: int = 150, seed: int = 0
) -> SequenceSet:
    """Short reads of variable length from several synthetic genomes of different composition.

    Each genome is a first-order Markov chain with its own GC content and dinucleotide
    preferences; reads come from random positions on either strand.

    Parameters
    ----------
    n
        Number of reads; each comes from a genome chosen at random.
    n_sources
        Number of genomes (classes), 2 to 6; their target GC contents are 35, 50, 65, 42,
        58 and 46 %, in that order.
    min_length, max_length
        Shortest and longest read in bases; read lengths are uniform between them
        (need 10 ≤ ``min_length`` ≤ ``max_length``).
    seed
        Random seed; the same seed gives the same genomes and reads.

    Returns
    -------
    The reads, labelled ``genome_A``, ``genome_B``, …; the notes give each genome's
    measured GC content.

    Raises
    ------
    ConfigError
        ``n_sources`` or the read lengths out of range.
    """
    if not 2 <= n_sources <= len(_SOURCE_GC):
        raise ConfigError(f"n_sources must lie between 2 and {len(_SOURCE_GC)}, got {n_sources}")
    if not 10 <= min_length <= max_length:
        raise ConfigError(f"need 10 ≤ min_length ≤ max_length, got {min_length}, {max_length}")
    rng = np.random.default_rng(seed)
    names = [f"genome_{chr(65 + i)}" for i in range(n_sources)]
    genomes = [_markov_genome(gc, 50_000 + max_length, rng) for gc in _SOURCE_GC[:n_sources]]
    source = rng.integers(0, n_sources, size=n)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    reads = []
    for s, read_length in zip(source, lengths, strict=True):
        start = rng.integers(0, len(genomes[s]) - read_length)
        read = genomes[s][start : start + read_length]
        reads.append(reverse_complement(read) if rng.random() < 0.5 else read)
    # the Markov chains drift from their target GC: state what each genome really has
    measured = [(genome.count("G") + genome.count("C")) / len(genome) for genome in genomes]
    described = ", ".join(f"{name} (GC {gc:.0%})" for name, gc in zip(names, measured, strict=True))
    return SequenceSet(
        ids=tuple(f"read{i + 1}" for i in range(n)),
        sequences=tuple(reads),
        labels=tuple(names[s] for s in source),
        name="Metagenomic reads",
        format="example",
        notes=(f"generated: {n:,} reads of {min_length}–{max_length} bp from {described}",),
        meta={
            "params": {
                "n": n,
                "n_sources": n_sources,
                "min_length": min_length,
                "max_length": max_length,
                "seed": seed,
            }
        },
    )


_SOURCE_GC = (0.35, 0.50, 0.65, 0.42, 0.58, 0.46)
READ_FILE_FORMATS = ("tsv", "fasta", "fastq")


def write_read_file(
    path: str | Path,
    n_reads: int,
    *,
    fmt: Literal["tsv", "fasta", "fastq"] = "tsv",
    n_sources: int = 4,
    min_length: int = 60,
    max_length: int = 150,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a large labelled read file like the course's read table, block by block: the
    reads of :func:`metagenomic_reads` (genomes of different composition, both strands),
    without holding them in memory. For benchmarks and for trying big files offline.

    Parameters
    ----------
    path
        The file to write (replaced atomically when complete).
    n_reads
        Number of reads (at least 1).
    fmt
        ``"tsv"`` (columns ``SEQ`` and ``LAB``), ``"fasta"`` (``label=`` in the headers) or
        ``"fastq"`` (``label=`` in the headers, quality all ``I``).
    n_sources, min_length, max_length, seed
        As for :func:`metagenomic_reads`.
    progress
        Called with (reads written, ``n_reads``) after each block.

    Returns
    -------
    The path written.

    Raises
    ------
    ConfigError
        A setting out of range.
    """
    if n_reads < 1 or fmt not in READ_FILE_FORMATS:
        raise ConfigError(f"need n_reads ≥ 1 and fmt in {READ_FILE_FORMATS}, got {n_reads}, {fmt}")
    if not 2 <= n_sources <= len(_SOURCE_GC) or not 10 <= min_length <= max_length:
        raise ConfigError("n_sources or the read lengths are out of range (see metagenomic_reads)")
    rng = np.random.default_rng(seed)
    genomes = [
        np.frombuffer(_markov_genome(gc, 200_000, rng).encode(), dtype=np.uint8)
        for gc in _SOURCE_GC[:n_sources]
    ]
    names = [f"genome_{chr(65 + i)}" for i in range(n_sources)]
    target = Path(path)
    temp = target.with_name(f".{target.name}.part")
    with temp.open("wb") as out:
        if fmt == "tsv":
            out.write(b"SEQ\tLAB\n")
        for first in range(0, n_reads, 200_000):
            count = min(200_000, n_reads - first)
            out.write(_read_block(genomes, names, first, count, fmt, (min_length, max_length), rng))
            if progress:
                progress(first + count, n_reads)
    temp.replace(target)
    return target


_COMPLEMENT_CODES = np.frombuffer(bytes.maketrans(b"ACGT", b"TGCA"), dtype=np.uint8)


def _read_block(
    genomes: list[np.ndarray],
    names: list[str],
    first: int,
    count: int,
    fmt: str,
    length_range: tuple[int, int],
    rng: np.random.Generator,
) -> bytes:
    """``count`` reads (numbered from ``first`` + 1) as the bytes of a TSV, FASTA or FASTQ."""
    source = rng.integers(0, len(genomes), size=count)
    lengths = rng.integers(length_range[0], length_range[1] + 1, size=count)
    flip = rng.random(count) < 0.5
    genome_starts = np.cumsum([0] + [len(g) for g in genomes[:-1]])
    starts = genome_starts[source] + rng.integers(0, len(genomes[0]) - lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    backwards = np.repeat(flip, lengths)
    offset = np.where(backwards, np.repeat(lengths, lengths) - 1 - within, within)
    bases = np.concatenate(genomes)[np.repeat(starts, lengths) + offset]
    bases[backwards] = _COMPLEMENT_CODES[bases[backwards]]
    reads = bases.tobytes()
    ends = np.cumsum(lengths).tolist()
    labels = [name.encode() for name in names]
    lines = []
    for i, (end, length) in enumerate(zip(ends, lengths.tolist(), strict=True)):
        read, label = reads[end - length : end], labels[source[i]]
        if fmt == "tsv":
            lines.append(b"%s\t%s" % (read, label))
        elif fmt == "fasta":
            lines.append(b">read%d label=%s\n%s" % (first + i + 1, label, read))
        else:
            lines.append(
                b"@read%d label=%s\n%s\n+\n%s" % (first + i + 1, label, read, b"I" * length)
            )
    return b"\n".join(lines) + b"\n"


def _markov_genome(gc: float, length: int, rng: np.random.Generator) -> str:
    base = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    transitions = np.stack([rng.dirichlet(base * 30) for _ in range(4)])
    cumulative = np.cumsum(transitions, axis=1)
    draws = rng.random(length)
    codes = np.empty(length, dtype=np.uint8)
    codes[0] = rng.choice(4, p=base)
    for i in range(1, length):
        codes[i] = min(3, np.searchsorted(cumulative[codes[i - 1]], draws[i]))
    return codes_to_strings(codes[None, :])[0]


DAMAGE_SPAN = 10
"""Bases from each end of an ancient read that deamination damage reaches."""
DAMAGE_DECAY = 0.7
"""Share of the damage rate kept from one base to the next, inwards from each end."""


def damage_rates(damage: float) -> np.ndarray:
    """Chance that a C reads as T at each of the first :data:`DAMAGE_SPAN` bases from the
    5′ end of an ancient read (and a G as A, counted from the 3′ end).

    ``damage`` at the terminal base, falling geometrically by :data:`DAMAGE_DECAY` per
    base inwards (35 % → 25 % → 17 % … → 1.4 % at the tenth base); none beyond.

    Parameters
    ----------
    damage
        Chance, from 0 to 1, at the terminal base.

    Returns
    -------
    ``float64 (DAMAGE_SPAN,)``, position 0 at the end.
    """
    return damage * DAMAGE_DECAY ** np.arange(DAMAGE_SPAN)


def ancient_dna(
    *,
    n: int = 20000,
    length: int = 50,
    damage: float = 0.35,
    same_length: bool = True,
    seed: int = 0,
) -> SequenceSet:
    """Modern vs ancient reads, told apart by deamination damage at the read ends.

    Damage turns C into T near the 5′ end and G into A near the 3′ end (the pattern of a
    double-stranded library, the same on both strands), with chance ``damage`` at the
    terminal base falling over the first :data:`DAMAGE_SPAN` bases (see
    :func:`damage_rates`); modern reads are undamaged. Bases are otherwise drawn
    independently (GC 41 %), so a logistic regression on the damaged end positions is the
    best possible classifier of one read.

    Parameters
    ----------
    n
        Number of reads; each is ancient or modern with equal chance.
    length
        Read length in bases, at least ``2 × DAMAGE_SPAN`` (20). With ``same_length``
        every read has it; otherwise it is the typical ancient read length.
    damage
        Chance, from 0 to 1, that a C at the 5′ terminal base reads as T (and a G at the
        3′ terminal base as A).
    same_length
        ``True``: every read is ``length`` bp, so only the damage tells the classes apart.
        ``False``: ancient reads are short (around ``length``) and modern ones about
        twice as long, an easy clue a model learns instead of the damage.
    seed
        Random seed; the same seed gives the same reads.

    Returns
    -------
    The reads, labelled ``ancient`` or ``modern``; ``meta`` records the damage rates per
    position from each end.

    Raises
    ------
    ConfigError
        ``damage`` outside 0 to 1, or ``length`` below 20.
    """
    if not 0 <= damage <= 1:
        raise ConfigError(f"damage must lie between 0 and 1, got {damage}")
    if length < 2 * DAMAGE_SPAN:
        raise ConfigError(
            f"length must be at least {2 * DAMAGE_SPAN} bp (damage reaches {DAMAGE_SPAN} "
            f"bases from each end), got {length}"
        )
    rng = np.random.default_rng(seed)
    is_ancient = rng.random(n) < 0.5
    lengths = _read_lengths(is_ancient, length, same_length, rng)
    rates = damage_rates(damage)
    reads = []
    for ancient, read_length in zip(is_ancient, lengths, strict=True):
        codes = random_sequences(1, int(read_length), gc=0.41, seed=rng)[0]
        if ancient:
            codes = _deaminate(codes, rates, rng)
        reads.append(codes_to_strings(codes[None])[0])
    labels = ["ancient" if a else "modern" for a in is_ancient]
    lengths_note = (
        f"all {length} bp"
        if same_length
        else f"ancient about {length} bp, modern about {2 * length} bp"
    )
    return SequenceSet(
        ids=tuple(f"read{i + 1}" for i in range(n)),
        sequences=tuple(reads),
        labels=tuple(labels),
        name="Ancient vs modern DNA",
        format="example",
        notes=(
            f"generated: {int(is_ancient.sum()):,} ancient reads with terminal damage "
            f"{damage:.0%} (C→T at 5′, G→A at 3′, fading over {DAMAGE_SPAN} bases), "
            f"{int((~is_ancient).sum()):,} undamaged modern reads; {lengths_note}",
        ),
        meta={
            "positive_class": "ancient",
            "damage_rates": tuple(float(r) for r in rates),
            "params": {
                "n": n,
                "length": length,
                "damage": damage,
                "same_length": same_length,
                "seed": seed,
            },
        },
    )


def _read_lengths(
    is_ancient: np.ndarray, length: int, same_length: bool, rng: np.random.Generator
) -> np.ndarray:
    if same_length:
        return np.full(len(is_ancient), length)
    ancient = np.clip(rng.lognormal(np.log(length), 0.25, size=len(is_ancient)), 20, 3 * length)
    modern = np.clip(rng.normal(2.2 * length, 0.4 * length, size=len(is_ancient)), 20, 4 * length)
    return np.where(is_ancient, ancient, modern).astype(int)


def _deaminate(codes: np.ndarray, rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """C→T near the 5′ end, G→A near the 3′ end of one read of base codes (A0 C1 G2 T3)."""
    damaged = codes.copy()
    span = min(len(rates), len(codes))
    five, three = damaged[:span], damaged[::-1][:span]  # views: 5′ end, 3′ end inwards
    five[(five == 1) & (rng.random(span) < rates[:span])] = 3
    three[(three == 2) & (rng.random(span) < rates[:span])] = 0
    return damaged


# --- real sequences shipped in logomaker ------------------------------------------------------


def _logomaker_file(name: str) -> Path:
    import logomaker

    return Path(logomaker.__file__).parent / "examples" / "datafiles" / name


def splice_sites(
    *, n: int = 4000, negatives: Literal["decoy", "shuffled"] = "decoy", seed: int = 0
) -> SequenceSet:
    """Human 5′ splice sites (hg38/GENCODE 9-mers, from logomaker) against negatives.

    The file lists each distinct 9-mer once with how often it occurs in the genome;
    positives are drawn with probability proportional to that count (without repeats), so
    frequent, strong sites are as common as in the genome. ``decoy`` negatives are random
    9-mers that keep the invariant GT/GC at positions 4-5, so a model must learn the rest of
    the consensus; ``shuffled`` negatives are dinucleotide shuffles of real sites.

    Parameters
    ----------
    n
        Number of sequences in all: half real sites, half negatives (fewer when the file
        has fewer than ``n // 2`` distinct sites).
    negatives
        How negatives are made: ``"decoy"`` or ``"shuffled"``, as described above.
    seed
        Random seed; the same seed draws the same sites and negatives.

    Returns
    -------
    The 9-base sequences, shuffled, labelled ``splice_site`` or ``background``.

    Raises
    ------
    ConfigError
        ``negatives`` is neither ``"decoy"`` nor ``"shuffled"``.
    """
    import pandas as pd

    if negatives not in ("decoy", "shuffled"):
        raise ConfigError(f"negatives must be 'decoy' or 'shuffled', got {negatives!r}")
    table = pd.read_csv(_logomaker_file("ss_sequences.txt"), sep="\t", comment="#")
    sites = table["sequence"].str.upper().str.replace("U", "T").tolist()
    weights = table["count"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    n_positive = min(n // 2, len(sites))
    chosen = rng.choice(len(sites), size=n_positive, replace=False, p=weights / weights.sum())
    positives = [sites[i] for i in chosen]
    if negatives == "decoy":
        background = codes_to_strings(random_sequences(n_positive, 9, gc=0.45, seed=rng))
        negs = [b[:3] + p[3:5] + b[5:] for b, p in zip(background, positives, strict=True)]
    else:
        negs = [dinucleotide_shuffle(p, rng) for p in positives]
    return _two_class_set(
        positives,
        negs,
        ("splice_site", "background"),
        rng,
        name="Human 5′ splice sites",
        note=f"{n_positive:,} real 5′ splice sites (of {len(sites):,} distinct, drawn by genome "
        f"count; RNA read as DNA) and "
        f"{n_positive:,} {negatives} negatives",
        params={"n": n, "negatives": negatives, "seed": seed},
    )


def crp_sites(*, seed: int = 0) -> SequenceSet:
    """358 E. coli CRP binding sites (RegulonDB, from logomaker) against dinucleotide shuffles.

    Parameters
    ----------
    seed
        Random seed for the shuffled controls and the order of the sequences.

    Returns
    -------
    The 26-base sites and as many shuffled copies, labelled ``crp_site`` or ``shuffled``.
    """
    from genodash.io import read_sequences

    sites = read_sequences(_logomaker_file("crp_sites.fa"))
    rng = np.random.default_rng(seed)
    negs = [dinucleotide_shuffle(s, rng) for s in sites.sequences]
    return _two_class_set(
        list(sites.sequences),
        negs,
        ("crp_site", "shuffled"),
        rng,
        name="E. coli CRP sites",
        note=f"{sites.n_obs} real CRP sites (26 bp) and as many dinucleotide-shuffled controls",
        params={"seed": seed},
    )


def _two_class_set(
    positives: list[str],
    negatives: list[str],
    names: tuple[str, str],
    rng: np.random.Generator,
    *,
    name: str,
    note: str,
    params: dict[str, Any],
) -> SequenceSet:
    sequences = positives + negatives
    labels = [names[0]] * len(positives) + [names[1]] * len(negatives)
    order = rng.permutation(len(sequences))
    return SequenceSet(
        ids=tuple(f"seq{i + 1}" for i in range(len(sequences))),
        sequences=tuple(sequences[i] for i in order),
        labels=tuple(labels[i] for i in order),
        name=name,
        format="example",
        notes=(note,),
        meta={"positive_class": names[0], "params": params},
    )


# --- expression matrices ------------------------------------------------------------------


def pbmc68k() -> MatrixSet:
    """scanpy's ``pbmc68k_reduced``: 700 real PBMCs × 765 genes; its 10 cell types were
    assigned by correlation with FACS-sorted reference profiles (Zheng et al. 2017)."""
    import scanpy as sc

    adata = sc.datasets.pbmc68k_reduced()
    return MatrixSet(
        adata=adata,
        name="PBMC 68k (reduced)",
        format="example",
        notes=(
            "scanpy's pbmc68k_reduced: the values are already log-normalized and scaled "
            "(from −2 to 28), so the steps that need raw counts are skipped; scanpy's file "
            "also keeps the log-normalized values before scaling (its .raw)",
        ),
        value_type="signed",
        label_column="bulk_labels",
    )


@dataclass(frozen=True)
class CountModel:
    """The negative-binomial model of :func:`simulated_counts` that the app does not expose.

    ``dispersion`` is the negative-binomial θ (smaller values mean noisier counts);
    ``marker_fold`` how many times a cell type's marker genes exceed their base mean (the
    median over markers; each marker's fold varies log-normally around it, sd 0.3);
    ``library_sd`` the spread (sd of the log) of cell library sizes.
    """

    dispersion: float = 5.0
    marker_fold: float = 4.0
    library_sd: float = 0.3


def simulated_counts(
    *,
    n_cells: int = 2000,
    n_genes: int = 1000,
    n_types: int = 6,
    n_batches: int = 2,
    batch_strength: float = 0.5,
    model: CountModel = CountModel(),
    seed: int = 0,
) -> MatrixSet:
    """Negative-binomial counts with cell-type programs, library-size variation and batches.

    Each gene has a log-normal base mean; each cell type raises 40 marker genes by about
    ``model.marker_fold``×; library sizes vary log-normally (sd ``model.library_sd``); each
    batch after the first multiplies every gene by a log-normal factor (sd
    ``batch_strength``) and scales library sizes by 1.5; counts are NB with dispersion
    θ = ``model.dispersion`` (variance μ + μ²/θ). Thirteen ``MT-`` genes allow a
    mitochondrial-fraction QC.

    Parameters
    ----------
    n_cells
        Number of cells (rows).
    n_genes
        Number of genes (columns); at least ``40 * n_types + 13``, room for every type's
        markers and the ``MT-`` genes.
    n_types
        Number of cell types, 2 to 20; each cell's type is drawn at random.
    n_batches
        Number of batches, 1 to 6; each cell's batch is drawn at random.
    batch_strength
        Spread (sd of the log factor) of the per-gene batch effect; 0 gives batches that
        differ only in library size.
    model
        Dispersion, marker fold and library-size spread (see :class:`CountModel`).
    seed
        Random seed; the same seed gives the same matrix.

    Returns
    -------
    Raw counts (cells × genes, sparse) with ``cell_type`` and ``batch`` in ``obs`` and the
    parameters in ``uns["generator"]``.

    Raises
    ------
    ConfigError
        ``n_types`` or ``n_batches`` out of range, or too few genes for the markers.
    """
    import anndata
    import pandas as pd
    import scipy.sparse

    if not 2 <= n_types <= 20 or not 1 <= n_batches <= 6:
        raise ConfigError("need 2-20 cell types and 1-6 batches")
    if n_genes < n_types * 40 + 13:
        raise ConfigError(f"need at least {n_types * 40 + 13} genes for {n_types} types")
    rng = np.random.default_rng(seed)
    base = rng.lognormal(mean=-1.0, sigma=1.2, size=n_genes)
    programs = np.ones((n_types, n_genes))
    markers = rng.permutation(np.arange(13, n_genes))[: n_types * 40].reshape(n_types, 40)
    for t in range(n_types):
        programs[t, markers[t]] = rng.lognormal(np.log(model.marker_fold), 0.3, size=40)
    batch_genes = np.ones((n_batches, n_genes))
    batch_genes[1:] = rng.lognormal(0.0, batch_strength, size=(n_batches - 1, n_genes))
    cell_type = rng.integers(0, n_types, size=n_cells)
    batch = rng.integers(0, n_batches, size=n_cells)
    library = rng.lognormal(0.0, model.library_sd, size=n_cells) * np.where(batch > 0, 1.5, 1.0)
    mean = base[None, :] * programs[cell_type] * batch_genes[batch] * library[:, None]
    counts = rng.poisson(rng.gamma(model.dispersion, mean / model.dispersion)).astype(np.float32)
    genes = [f"MT-{i + 1}" for i in range(13)] + [f"gene_{i:04d}" for i in range(13, n_genes)]
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical([f"type_{t + 1}" for t in cell_type]),
            "batch": pd.Categorical([f"batch_{b + 1}" for b in batch]),
        },
        index=[f"cell_{i:05d}" for i in range(n_cells)],
    )
    params = {
        "n_cells": n_cells,
        "n_genes": n_genes,
        "n_types": n_types,
        "n_batches": n_batches,
        "batch_strength": batch_strength,
        "dispersion": model.dispersion,
        "seed": seed,
    }
    adata = anndata.AnnData(
        X=scipy.sparse.csr_matrix(counts),
        obs=obs,
        var=pd.DataFrame(index=genes),
        uns={"generator": params},
    )
    return MatrixSet(
        adata=adata,
        name="Simulated counts with batches",
        format="example",
        notes=(
            f"generated: negative-binomial counts (θ = {model.dispersion}), {n_types} cell types "
            f"× 40 marker genes raised ~4×, {n_batches} batches (gene shift sd "
            f"{batch_strength}, library ×1.5 after the first), library sd 0.3 (log)",
        ),
        value_type="counts",
        label_column="cell_type",
        batch_column="batch",
    )


# RNA program and surface proteins of each simulated cell type: CD4 and CD8 T cells share
# their RNA program (only protein tells them apart); naive and memory B cells share their
# proteins (only RNA tells them apart).
_CITE_TYPES = {
    "CD4 T": ("T", ("CD3", "CD4", "CD45RA", "CD127")),
    "CD8 T": ("T", ("CD3", "CD8", "CD45RA", "CD27")),
    "B naive": ("B naive", ("CD19", "CD20", "HLA-DR", "IgM")),
    "B memory": ("B memory", ("CD19", "CD20", "HLA-DR", "IgM")),
    "Monocyte": ("Monocyte", ("CD14", "CD11b", "HLA-DR", "CD11c")),
    "NK": ("NK", ("CD56", "CD16", "CD45RA", "CD11b")),
}
_CITE_PROGRAMS = ("T", "B naive", "B memory", "Monocyte", "NK")
CITE_PROTEINS = (
    "CD3", "CD4", "CD8", "CD19", "CD20", "CD14", "CD11b", "CD11c", "CD56", "CD16", "CD45RA",
    "CD45RO", "CD27", "CD127", "CD25", "HLA-DR", "IgM", "IgD", "CD38", "CD34", "CD123",
    "CD1c", "TCRgd", "IgG1-isotype",
)  # fmt: skip


def simulated_cite_seq(
    *, n_cells: int = 2000, n_genes: int = 1000, protein_signal: float = 8.0, seed: int = 0
) -> MatrixSet:
    """RNA counts plus 24 surface-protein counts (``adata.obsm["protein"]``) of six cell types.

    The RNA comes from :func:`simulated_counts` with five programs (one batch); the T-cell
    program is split at random into CD4 and CD8 T cells, which differ only in protein.
    Protein counts are negative binomial (θ = 10): every protein has a background level,
    a cell type's markers are raised ``protein_signal``-fold, and each cell has its own
    capture efficiency (log-normal, sd 0.3). Naive and memory B cells carry the same
    proteins, so only their RNA separates them.

    Parameters
    ----------
    n_cells
        Number of cells.
    n_genes
        Number of genes in the RNA matrix, at least 213 (five programs of 40 markers and
        13 ``MT-`` genes).
    protein_signal
        Fold change of a cell type's marker proteins over background, at least 1 (1: the
        proteins carry no information).
    seed
        Random seed; the same seed gives the same data.

    Returns
    -------
    RNA counts (cells × genes) with ``cell_type`` and ``rna_program`` in ``obs`` and the
    protein counts (cells × 24, a DataFrame) in ``obsm["protein"]``.

    Raises
    ------
    ConfigError
        ``protein_signal`` below 1, or too few genes.
    """
    import pandas as pd

    if protein_signal < 1:
        raise ConfigError(f"protein_signal must be at least 1, got {protein_signal}")
    rna = simulated_counts(
        n_cells=n_cells, n_genes=n_genes, n_types=len(_CITE_PROGRAMS), n_batches=1, seed=seed
    )
    rng = np.random.default_rng(seed + 1)
    program = rna.adata.obs["cell_type"].cat.codes.to_numpy()
    types = list(_CITE_TYPES)
    by_program = {p: [t for t in types if _CITE_TYPES[t][0] == p] for p in _CITE_PROGRAMS}
    cell_types = [
        by_program[_CITE_PROGRAMS[p]][rng.integers(len(by_program[_CITE_PROGRAMS[p]]))]
        for p in program
    ]
    background = rng.lognormal(np.log(5.0), 0.5, size=len(CITE_PROTEINS))
    profile = np.ones((len(types), len(CITE_PROTEINS)))
    for t, name in enumerate(types):
        for protein in _CITE_TYPES[name][1]:
            profile[t, CITE_PROTEINS.index(protein)] = protein_signal
    type_index = np.array([types.index(t) for t in cell_types])
    capture = rng.lognormal(0.0, 0.3, size=n_cells)
    mean = background[None, :] * profile[type_index] * capture[:, None]
    protein = rng.poisson(rng.gamma(10.0, mean / 10.0)).astype(np.float32)
    adata = rna.adata.copy()
    adata.obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical(cell_types, categories=types),
            "rna_program": pd.Categorical([_CITE_PROGRAMS[p] for p in program]),
        },
        index=adata.obs_names,
    )
    adata.obsm["protein"] = pd.DataFrame(protein, index=adata.obs_names, columns=CITE_PROTEINS)
    adata.uns["generator"] = {
        "n_cells": n_cells,
        "n_genes": n_genes,
        "protein_signal": protein_signal,
        "seed": seed,
    }
    return MatrixSet(
        adata=adata,
        name="Simulated RNA + protein",
        format="example",
        notes=(
            f"generated: negative-binomial RNA counts of {n_genes:,} genes with 5 programs "
            f"and {len(CITE_PROTEINS)} surface-protein counts (markers ×{protein_signal:g}) "
            "of the same cells, kept beside the RNA (in the .h5ad download: "
            "obsm['protein']); CD4 and CD8 T cells share their RNA, naive and memory B "
            "cells their proteins",
        ),
        value_type="counts",
        label_column="cell_type",
    )


def second_modality(matrix: MatrixSet) -> anndata.AnnData | None:
    """The protein counts kept in ``obsm["protein"]`` as their own matrix, or ``None``.

    Cells are the matrix's cells, in its order; feature names are the DataFrame's columns
    (``protein_1 …`` for a plain array).

    Parameters
    ----------
    matrix
        A data set, e.g. from :func:`simulated_cite_seq` or a CITE-seq ``.h5ad`` with
        protein counts in ``obsm["protein"]``.

    Returns
    -------
    An AnnData of the protein counts as float32 (cells × proteins), or ``None`` when the
    data set holds no ``obsm["protein"]``.
    """
    import anndata
    import pandas as pd

    protein = matrix.adata.obsm.get("protein")
    if protein is None:
        return None
    if isinstance(protein, pd.DataFrame):
        names, values = [str(c) for c in protein.columns], protein.to_numpy()
    else:
        values = np.asarray(protein)
        names = [f"protein_{i + 1}" for i in range(values.shape[1])]
    return anndata.AnnData(
        X=np.asarray(values, dtype=np.float32),
        obs=pd.DataFrame(index=matrix.adata.obs_names.copy()),
        var=pd.DataFrame(index=names),
    )


# --- the registry ---------------------------------------------------------------------------

_REGISTRY_FILE = Path(__file__).with_name("examples.toml")


def _control(name: str, default: Any, spec: dict[str, Any]) -> tuple[str, type, Any]:
    """One control as a settings field (see :func:`genodash.settings.param`)."""
    return (
        name,
        type(default),
        param(
            default,
            spec["label"],
            spec.get("min"),
            spec.get("max"),
            spec.get("help", ""),
            tuple(spec.get("options", ())),
            step=spec.get("step"),
        ),
    )


def _example(entry: dict[str, Any], seed: dict[str, Any]) -> Example:
    """An :class:`Example` from its ``[[example]]`` table of ``examples.toml``."""
    loader = globals()[entry["loader"]]
    defaults = {
        name: parameter.default for name, parameter in inspect.signature(loader).parameters.items()
    }
    specs = dict(entry.get("controls", {}))
    if "seed" in defaults:
        specs["seed"] = seed
    controls = [_control(name, defaults[name], spec) for name, spec in specs.items()]
    settings = make_dataclass(f"{loader.__name__}_settings", controls, frozen=True)
    return Example(
        entry["key"],
        entry["title"],
        entry["kind"],
        entry["teaches"],
        loader,
        fields(settings),
        tuple(entry.get("size", ())),
    )


def _load_registry() -> dict[str, Example]:
    registry = tomllib.loads(_REGISTRY_FILE.read_text(encoding="utf-8"))
    examples = (_example(entry, registry["seed"]) for entry in registry["example"])
    return {example.key: example for example in examples}


EXAMPLES: dict[str, Example] = _load_registry()
"""The built-in examples by key, in the order they are offered (from ``examples.toml``)."""

DEFAULT_EXAMPLE = "planted-motif"


def load_example(
    key: str, *, limits: Limits | None = None, **params: Any
) -> SequenceSet | MatrixSet:
    """Make or load the built-in example ``key`` with ``params`` overriding its defaults.

    Parameters
    ----------
    key
        The example's key in :data:`EXAMPLES`, e.g. ``"planted-motif"`` or
        ``"simulated-counts"``.
    limits
        Size limits; defaults from :meth:`Limits.from_env`.
    **params
        Values for the example's controls (see ``EXAMPLES[key].controls``), e.g.
        ``n=500``; any not given keep their defaults.

    Returns
    -------
    The sequences or matrix, made fresh (generated examples) or read from the package that
    ships them.

    Raises
    ------
    ConfigError
        Unknown example or parameter, or an example larger than
        :attr:`Limits.max_example_values` (a shared server's memory is for everybody).
    """
    if key not in EXAMPLES:
        raise ConfigError(f"unknown example {key!r}; choose one of {', '.join(EXAMPLES)}")
    example = EXAMPLES[key]
    unknown = set(params) - set(example.defaults())
    if unknown:
        raise ConfigError(
            f"example {key!r} has no parameter {', '.join(sorted(unknown))}; "
            f"it takes {', '.join(example.defaults()) or 'none'}"
        )
    chosen = {**example.defaults(), **params}
    most = (limits or Limits.from_env()).max_example_values
    if example.values(chosen) > most:
        unit = "cells × genes" if example.kind == "matrix" else "sequences × length"
        raise ConfigError(
            f"this example would hold {example.values(chosen):,} values ({unit}); this server "
            f"makes examples of at most {most:,}: choose fewer "
            f"{'cells or genes' if example.kind == 'matrix' else 'or shorter sequences'} "
            "(GENODASH_MAX_EXAMPLE_VALUES)"
        )
    return example.loader(**chosen)


class ExampleCache:
    """Built-in examples shared by every user, held within a byte budget: the least recently
    used are dropped when a new one would pass it (examples are immutable and keyed by
    their parameters, so sharing them is safe). Safe to use from several threads.

    Parameters
    ----------
    budget
        The most bytes (as :func:`genodash.data.dataset_nbytes` counts them) to hold; the
        newest example is kept even when it alone is larger.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[object, tuple[SequenceSet | MatrixSet, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: object, make: Callable[[], SequenceSet | MatrixSet]
    ) -> SequenceSet | MatrixSet:
        """The example held for ``key``, else the one ``make()`` returns, now held.

        Parameters
        ----------
        key
            What identifies the example, e.g. its name and parameters.
        make
            Makes the example; called outside the lock, so a slow example blocks no one.

        Returns
        -------
        The example.
        """
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        dataset = make()
        size = dataset_nbytes(dataset)
        with self._lock:
            self._entries[key] = (dataset, size)
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and self.held() > self.budget:
                self._entries.popitem(last=False)
        return dataset

    def held(self) -> int:
        """Bytes held now."""
        return sum(size for _, size in self._entries.values())
