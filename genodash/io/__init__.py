"""Readers for every input genodash accepts, with validation and typed errors.

- :func:`read_sequences`: FASTA, FASTQ, CSV/TSV with a sequence column, plain text.
- :func:`read_matrix`: CSV/TSV matrices, ``.h5ad``, 10x Matrix Market and 10x ``.h5``.
- :func:`read_dataset`: either of the two, chosen from the content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from genodash.data import MatrixSet, SequenceSet
from genodash.io._hdf5 import is_hdf5
from genodash.io._source import (
    ZIP_MAGIC,
    RawFile,
    Source,
    display_name,
    load,
    peek,
    split_lines,
)
from genodash.io.expression import has_matrix_suffix, read_matrix
from genodash.io.sequences import read_sequences, sniff_format
from genodash.limits import Limits

__all__ = [
    "RawFile",
    "ReadOptions",
    "detect_kind",
    "display_name",
    "read_dataset",
    "read_matrix",
    "read_sequences",
]

Kind = Literal["sequences", "matrix"]


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user can make about how a file is read (all optional)."""

    kind: Kind | Literal["auto"] = "auto"
    sequence_column: str = "SEQ"
    label_column: str | None = None
    batch_column: str | None = None
    metadata_columns: tuple[str, ...] = ()
    transpose: bool | None = None
    labels_file: Source | None = None


def read_dataset(
    sources: Source | Sequence[Source],
    options: ReadOptions | None = None,
    *,
    limits: Limits | None = None,
) -> SequenceSet | MatrixSet:
    """Read sequences or an expression matrix, deciding which from the content.

    Several sources are read as one-file-per-class sequences, or as the three
    files of a 10x sample.
    """
    options = options or ReadOptions()
    limits = limits or Limits.from_env()
    many = isinstance(sources, Sequence) and not isinstance(sources, str | bytes)
    source_list = [_loaded(s, limits) for s in (sources if many else [sources])]
    kind = options.kind if options.kind != "auto" else _detect_many(source_list, options, limits)
    if kind == "matrix":
        return read_matrix(
            source_list if len(source_list) > 1 else source_list[0],
            transpose=options.transpose,
            metadata_columns=options.metadata_columns,
            label_column=options.label_column,
            batch_column=options.batch_column,
            limits=limits,
        )
    return read_sequences(
        source_list if len(source_list) > 1 else source_list[0],
        sequence_column=options.sequence_column,
        label_column=options.label_column,
        labels_file=options.labels_file,
        limits=limits,
    )


def _loaded(source: Source, limits: Limits) -> Source:
    """Read files into memory once; folders (10x) stay paths."""
    if isinstance(source, RawFile) or Path(source).is_dir():
        return source
    return load(source, limits)


def _detect_many(sources: list[Source], options: ReadOptions, limits: Limits) -> Kind:
    kinds = {detect_kind(source, options.sequence_column, limits) for source in sources}
    if len(sources) > 1 and _names_look_10x(sources):
        return "matrix"
    return "matrix" if "matrix" in kinds else "sequences"


def _names_look_10x(sources: list[Source]) -> bool:
    names = [s.name if isinstance(s, RawFile) else Path(s).name for s in sources]
    return any(name.lower().removesuffix(".gz").endswith("matrix.mtx") for name in names)


def detect_kind(source: Source, sequence_column: str = "SEQ", limits: Limits | None = None) -> Kind:
    """``"matrix"`` or ``"sequences"``, judged from the content (and for tables, the header)."""
    limits = limits or Limits.from_env()
    if not isinstance(source, RawFile) and Path(source).is_dir():
        return "matrix"
    raw = load(source, limits)
    if raw.data.startswith(ZIP_MAGIC) or is_hdf5(raw.data) or has_matrix_suffix(raw.name):
        return "matrix"
    head = _head_text(raw)
    if head.lstrip().startswith("%%MatrixMarket"):
        return "matrix"
    lines = split_lines(head)
    fmt = sniff_format(lines, raw.name, sequence_column)
    if fmt != "table":
        return "sequences"
    return "sequences" if _has_sequence_column(lines, sequence_column) else "matrix"


def _head_text(raw: RawFile) -> str:
    """The first lines of the content, decoded leniently: for sniffing only."""
    head = peek(raw)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    return head.decode("utf-16" if utf16 else "utf-8-sig", errors="replace")


def _has_sequence_column(lines: list[str], sequence_column: str) -> bool:
    from genodash.io.sequences import SEQUENCE_COLUMN_ALIASES

    header = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    fields = {
        field.strip().strip('"').lower()
        for field in header.replace("\t", ",").replace(";", ",").split(",")
    }
    return bool(fields & {sequence_column.lower(), *SEQUENCE_COLUMN_ALIASES})
