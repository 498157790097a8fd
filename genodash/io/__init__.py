"""Readers for every input genodash accepts, with validation and typed errors.

- :func:`read_sequences`: FASTA, FASTQ, CSV/TSV with a sequence column, plain text.
- :func:`read_matrix`: CSV/TSV matrices, ``.h5ad``, 10x Matrix Market and 10x ``.h5``.
- :func:`read_dataset`: either of the two, chosen from the content.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import ConfigError, FormatError
from genodash.io._hdf5 import is_hdf5
from genodash.io._isolated import RUNNER
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
from genodash.io.sequences import (
    LABEL_COLUMN_ALIASES,
    LABEL_TOKEN,
    SEQUENCE_COLUMN_ALIASES,
    read_sequences,
    sniff_format,
)
from genodash.limits import Limits

__all__ = [
    "RawFile",
    "ReadOptions",
    "detect_kind",
    "display_name",
    "read_dataset",
    "read_matrix",
    "read_options_from_text",
    "read_sequences",
    "read_upload",
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


def read_options_from_text(
    *,
    kind: str = "auto",
    sequence_column: str = "",
    label_column: str = "",
    batch_column: str = "",
    metadata_columns: str = "",
    transpose: bool | None = None,
) -> ReadOptions:
    """The :class:`ReadOptions` a person typed into text boxes, blanks meaning the defaults.

    Parameters
    ----------
    kind
        ``"auto"``, ``"sequences"`` or ``"matrix"``.
    sequence_column
        The sequence column of a table; blank: ``SEQ``.
    label_column, batch_column
        Column names; blank: none given (the reader looks for the usual names).
    metadata_columns
        Extra metadata column names, comma-separated; blank entries are dropped.
    transpose
        True: genes are rows; False: cells are rows; None: detect.

    Returns
    -------
    The options, every name stripped of surrounding spaces.

    Raises
    ------
    ConfigError
        ``kind`` is not one of the three.
    """
    if kind not in ("auto", "sequences", "matrix"):
        raise ConfigError(f"kind must be 'auto', 'sequences' or 'matrix', not {kind!r}")
    return ReadOptions(
        kind=kind,
        sequence_column=sequence_column.strip() or "SEQ",
        label_column=label_column.strip() or None,
        batch_column=batch_column.strip() or None,
        metadata_columns=tuple(c.strip() for c in metadata_columns.split(",") if c.strip()),
        transpose=transpose,
    )


def read_dataset(
    sources: Source | Sequence[Source],
    options: ReadOptions | None = None,
    *,
    limits: Limits | None = None,
) -> SequenceSet | MatrixSet:
    """Read sequences or an expression matrix, deciding which from the content.

    Several sources are read as one-file-per-class sequences, or as the three
    files of a 10x sample.

    Parameters
    ----------
    sources
        A path (file or 10x folder) or :class:`RawFile`, or several of them: see
        :func:`read_sequences` and :func:`read_matrix` for the formats each accepts.
    options
        How to read them; ``options.kind`` ``"auto"`` (the default) decides from the
        content with :func:`detect_kind`, and any source that looks like a matrix (or
        files named like a 10x sample) makes the whole read a matrix.
    limits
        Size limits; defaults from :meth:`Limits.from_env`.

    Returns
    -------
    A :class:`SequenceSet` or a :class:`MatrixSet`.

    Raises
    ------
    FormatError
        A file is missing or malformed; the message names it.
    OrientationError
        A matrix table looks transposed and ``options.transpose`` was not given.
    LimitError
        A file is larger than allowed.
    """
    options = options or ReadOptions()
    limits = limits or Limits.from_env()
    many = isinstance(sources, Sequence) and not isinstance(sources, str | bytes)
    source_list = [_loaded(s, limits) for s in (sources if many else [sources])]
    kind = options.kind if options.kind != "auto" else _detect_many(source_list, options)
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


def read_upload(
    files: Sequence[RawFile],
    options: ReadOptions | None = None,
    *,
    limits: Limits | None = None,
) -> SequenceSet | MatrixSet:
    """Read files uploaded together, in the order they were added.

    They are one data set only when they are meant to be: one class per file (sequence
    files without labels of their own; each file's name is its class) or the three files
    of a 10x sample. Otherwise the newest file replaces the others, and its notes say so.

    Parameters
    ----------
    files
        The uploads, oldest first.
    options
        How to read them.
    limits
        Size limits; defaults from :meth:`Limits.from_env`.

    Returns
    -------
    The data set; its notes say how the files were combined or which one was read.

    Raises
    ------
    FormatError
        A file that is read cannot be read; the message names it.
    LimitError
        Reading needs more memory or time than one upload may use
        (:attr:`Limits.max_parse_memory_bytes`, :attr:`Limits.max_parse_seconds`): the
        files are read in the reader's own process, so the app's memory is untouched.
    """
    options = options or ReadOptions()
    limits = limits or Limits.from_env()
    return RUNNER.run(
        _read_upload_here,
        list(files),
        options,
        limits,
        file=", ".join(raw.display_name for raw in files),
        timeout=limits.max_parse_seconds,
        memory=limits.max_parse_memory_bytes,
    )


def _read_upload_here(
    files: list[RawFile], options: ReadOptions, limits: Limits
) -> SequenceSet | MatrixSet:
    if len(files) == 1 or _names_look_10x(list(files)) or _one_class_each(files, options, limits):
        return read_dataset(files if len(files) > 1 else files[0], options, limits=limits)
    newest, older = files[-1], files[:-1]
    dataset = read_dataset(newest, options, limits=limits)
    note = (
        f"read only {newest.display_name}, the newest of the {len(files)} uploaded files: "
        "files make one data set only when each holds one class (sequences without labels; "
        "the file name is the class) or when they are the three files of a 10x sample. Left "
        f"out: {', '.join(raw.display_name for raw in older)}"
    )
    return dataclasses.replace(dataset, notes=(note, *dataset.notes))


def _one_class_each(files: Sequence[RawFile], options: ReadOptions, limits: Limits) -> bool:
    """Whether every file looks like sequences of one class: no labels in its first lines."""
    if options.kind == "matrix":
        return False
    for raw in files:
        if detect_kind(raw, options.sequence_column) != "sequences":
            return False
        lines = split_lines(_head_text(raw))
        fmt = sniff_format(lines, raw.name, options.sequence_column)
        if fmt == "table" and _has_label_column(lines, options.label_column):
            return False
        if fmt in ("fasta", "fastq") and any(
            LABEL_TOKEN.search(line) for line in lines[:200] if line.startswith((">", "@"))
        ):
            return False
    return True


def _has_label_column(lines: list[str], label_column: str | None) -> bool:
    return bool(
        _header_fields(lines) & {*(label_column or "").lower().split(), *LABEL_COLUMN_ALIASES}
    )


def _loaded(source: Source, limits: Limits) -> Source:
    """Read files into memory once; folders (10x) stay paths."""
    if isinstance(source, RawFile) or Path(source).is_dir():
        return source
    return load(source, limits)


def _detect_many(sources: list[Source], options: ReadOptions) -> Kind:
    kinds = {detect_kind(source, options.sequence_column) for source in sources}
    if len(sources) > 1 and _names_look_10x(sources):
        return "matrix"
    return "matrix" if "matrix" in kinds else "sequences"


def _names_look_10x(sources: list[Source]) -> bool:
    names = [s.name if isinstance(s, RawFile) else Path(s).name for s in sources]
    return any(name.lower().removesuffix(".gz").endswith("matrix.mtx") for name in names)


def detect_kind(source: Source, sequence_column: str = "SEQ") -> Kind:
    """``"matrix"`` or ``"sequences"``, judged from the content (and for tables, the header).

    A folder, a ``.zip``, an HDF5 file, a Matrix Market file or a name ending in a matrix
    suffix (:func:`~genodash.io.expression.has_matrix_suffix`) is a matrix; FASTA, FASTQ
    and plain text are sequences; a table is sequences when its header has a sequence
    column and a matrix otherwise.

    Parameters
    ----------
    source
        A path (file or folder, of any size) or :class:`RawFile`; only its first lines are
        looked at.
    sequence_column
        The name of the sequence column a table of sequences would have; ``seq``,
        ``sequence``, ``sequences`` and ``dna`` are recognised too (in any case).

    Returns
    -------
    ``"matrix"`` or ``"sequences"``.

    Raises
    ------
    FormatError
        The file does not exist or cannot be read.
    """
    if not isinstance(source, RawFile) and Path(source).is_dir():
        return "matrix"
    raw = source if isinstance(source, RawFile) else _file_head(Path(source))
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


def _file_head(path: Path) -> RawFile:
    """The first MiB of a file, enough to judge what it holds (files of any size)."""
    name = display_name(path.name)
    try:
        with path.open("rb") as handle:
            return RawFile(path.name, handle.read(1 << 20))
    except FileNotFoundError as err:
        raise FormatError("file not found", file=name, hint="Check the path") from err
    except OSError as err:
        raise FormatError(f"cannot be read ({err.strerror})", file=name) from err


def _head_text(raw: RawFile) -> str:
    """The first lines of the content, decoded leniently: for sniffing only."""
    head = peek(raw)
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    return head.decode("utf-16" if utf16 else "utf-8-sig", errors="replace")


def _has_sequence_column(lines: list[str], sequence_column: str) -> bool:
    return bool(_header_fields(lines) & {sequence_column.lower(), *SEQUENCE_COLUMN_ALIASES})


def _header_fields(lines: list[str]) -> set[str]:
    """The lower-cased column names of a table's first data line."""
    header = next((line for line in lines if line.strip() and not line.startswith("#")), "")
    return {
        field.strip().strip('"').lower()
        for field in header.replace("\t", ",").replace(";", ",").split(",")
    }
