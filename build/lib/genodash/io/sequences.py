"""Sequence readers: FASTA, FASTQ, CSV/TSV tables and plain one-per-line text.

The parsers are written here rather than taken from Biopython because every
rejected record must be named with its line and position, nothing may be dropped
silently, and ``#`` comment lines (as in logomaker's example files) must be read.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from genodash.data import SequenceSet
from genodash.errors import FormatError, LimitError
from genodash.io._source import (
    RawFile,
    Source,
    load,
    read_text,
    split_lines,
    strip_compression_suffix,
)
from genodash.limits import Limits

IUPAC_AMBIGUOUS = "RYSWKMBDHV"
_NOT_ACGTN = re.compile(r"[^ACGTN]")
_INVALID = re.compile(f"[^ACGTNU{IUPAC_AMBIGUOUS}]")
_TO_DNA = str.maketrans({"U": "T", **dict.fromkeys(IUPAC_AMBIGUOUS, "N")})
LABEL_TOKEN = re.compile(r"(?:^|[\s|;])label=([^\s|;]+)")
_DELIMITERS = (",", "\t", ";")
_Locator = Callable[[int], str]
SEQUENCE_COLUMN_ALIASES = ("seq", "sequence", "sequences", "dna")
LABEL_COLUMN_ALIASES = ("lab", "label", "labels", "class", "target", "y")
ID_COLUMN_ALIASES = ("id", "seq_id", "name", "read", "read_id")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fas", ".ffn")
FASTQ_SUFFIXES = (".fq", ".fastq")
SEQUENCE_SUFFIXES = (*FASTA_SUFFIXES, *FASTQ_SUFFIXES, ".txt", ".seq")
_QUALITY_CHARACTERS = re.compile(r"[!-~]*")


@dataclass
class _Cleaner:
    """Validates and normalises sequences, counting what it converts."""

    file: str
    limits: Limits
    n_ambiguous: int = 0
    n_rna: int = 0
    n_lowercase_records: int = 0
    seen: int = 0

    def clean(self, sequence: str, where: str, locate: _Locator | None = None) -> str:
        self.seen += 1
        if self.seen > self.limits.max_records:
            raise LimitError(
                f"more than {self.limits.max_records:,} records",
                file=self.file,
                where=where,
                hint="Use a smaller file or raise GENODASH_MAX_RECORDS",
            )
        if len(sequence) > self.limits.max_sequence_length:
            raise LimitError(
                f"sequence of {len(sequence):,} bases, above the limit of "
                f"{self.limits.max_sequence_length:,}",
                file=self.file,
                where=where,
                hint="Cut long sequences into reads or raise GENODASH_MAX_SEQUENCE_LENGTH",
            )
        upper = sequence.upper()
        if upper != sequence:
            self.n_lowercase_records += 1
        if not _NOT_ACGTN.search(upper):
            return upper
        bad = _INVALID.search(upper)
        if bad:
            position = bad.start()
            place = locate(position) if locate else ""
            raise FormatError(
                f"invalid character {_describe(sequence[position])} at position {position + 1}"
                f"{place}",
                file=self.file,
                where=where,
                hint="Sequences may hold A, C, G, T, U, N and IUPAC ambiguity codes only",
            )
        self.n_rna += upper.count("U")
        self.n_ambiguous += sum(upper.count(code) for code in IUPAC_AMBIGUOUS)
        return upper.translate(_TO_DNA)

    def notes(self) -> list[str]:
        notes = []
        if self.n_lowercase_records:
            notes.append(f"upper-cased {self.n_lowercase_records:,} records with lower-case bases")
        if self.n_rna:
            notes.append(f"read as RNA: {self.n_rna:,} U bases converted to T")
        if self.n_ambiguous:
            notes.append(f"{self.n_ambiguous:,} IUPAC ambiguity codes (R, Y, S, …) mapped to N")
        return notes


def _describe(char: str) -> str:
    if char.isdigit():
        return f"'{char}' (a digit)"
    if char in " \t":
        return "' ' (a space)" if char == " " else "a tab"
    if char.isalpha():
        return f"'{char}' (not a nucleotide; protein sequences are not supported)"
    if char.isprintable():
        return f"'{char}'"
    return f"{char!r} (a control character)"


_CONTROL_NAMES = {
    "\t": "a tab",
    " ": "a space",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x1b": "an escape (ESC)",
    "\x1f": "a unit separator",
    "\x7f": "a delete (DEL)",
}


def _describe_quality(char: str) -> str:
    name = _CONTROL_NAMES.get(char)
    if name is None:
        name = repr(char) if char.isprintable() else "a control character"
    return f"{name}, code {ord(char):#04x},"


@dataclass
class _Parsed:
    ids: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    n_ambiguous: int = 0
    n_rna: int = 0


def read_sequences(
    sources: Source | Sequence[Source],
    *,
    sequence_column: str = "SEQ",
    label_column: str | None = None,
    labels_file: Source | None = None,
    limits: Limits | None = None,
) -> SequenceSet:
    """Read one sequence file, or several files with one class per file.

    FASTA, FASTQ, CSV/TSV with a sequence column, or plain text with one sequence per line;
    any of them gzipped. With several files that carry no labels, each file's name is its
    class.

    Parameters
    ----------
    sources
        A path or :class:`RawFile`, or several of them.
    sequence_column
        Column holding the sequences in a CSV/TSV file.
    label_column
        Column holding the labels in a CSV/TSV file; by default ``LAB`` when present.
    labels_file
        For plain text: a file with one label per line, as many lines as sequences.
    limits
        Size limits; defaults from :meth:`Limits.from_env`.

    Returns
    -------
    The sequences, their labels and the notes on what was converted.

    Raises
    ------
    FormatError
        A record is malformed; the message names the file, record, line and position.
    LimitError
        A file or sequence is larger than allowed.
    """
    limits = limits or Limits.from_env()
    many = isinstance(sources, Sequence) and not isinstance(sources, str | bytes)
    source_list = list(sources) if many else [sources]
    raws = [load(source, limits) for source in source_list]
    if len(raws) == 1:
        parsed, fmt = _parse_one(raws[0], sequence_column, label_column, labels_file, limits)
        return _build(parsed, raws[0].display_name, fmt)
    if labels_file is not None:
        raise FormatError("a labels file can only be given with a single sequence file")
    return _read_per_class(raws, sequence_column, label_column, limits)


def _parse_one(
    raw: RawFile,
    sequence_column: str,
    label_column: str | None,
    labels_file: Source | None,
    limits: Limits,
) -> tuple[_Parsed, str]:
    text, notes = read_text(raw, limits)
    lines = split_lines(text)
    fmt = sniff_format(lines, raw.name, sequence_column)
    cleaner = _Cleaner(raw.display_name, limits)
    if fmt == "fasta":
        parsed = _parse_fasta(lines, cleaner)
    elif fmt == "fastq":
        parsed = _parse_fastq(lines, cleaner)
    elif fmt == "table":
        parsed = _parse_table(lines, cleaner, sequence_column, label_column)
    else:
        parsed = _parse_text(lines, cleaner)
    if labels_file is not None:
        if fmt != "text":
            raise FormatError(
                f"a separate labels file works with plain one-per-line text, not {fmt}",
                file=raw.display_name,
            )
        parsed.labels = _read_labels_file(labels_file, len(parsed.sequences), raw, limits)
    if not parsed.sequences:
        raise FormatError("contains no sequences", file=raw.display_name)
    parsed.notes = notes + parsed.notes + cleaner.notes()
    parsed.n_ambiguous, parsed.n_rna = cleaner.n_ambiguous, cleaner.n_rna
    return parsed, fmt


def sniff_format(lines: list[str], name: str, sequence_column: str = "SEQ") -> str:
    """Guess ``"fasta"``, ``"fastq"``, ``"table"`` or ``"text"``.

    The first data line decides: ``>`` is FASTA and ``@`` is FASTQ, whatever later lines
    hold (in FASTQ, ``>`` and ``@`` are common quality characters). The file's extension
    decides only when that line does not.

    Parameters
    ----------
    lines
        The file's lines (the first 200 are looked at); blank lines and lines starting
        with ``#`` are skipped.
    name
        The file name, for its extension (``.fa``, ``.fastq``, ``.csv``, …; a trailing
        ``.gz`` is ignored).
    sequence_column
        The name of a table's sequence column: a first line that is just this name (or
        ``seq``, ``sequence``, ``sequences``, ``dna``) is a one-column table's header.

    Returns
    -------
    ``"fasta"``, ``"fastq"``, ``"table"`` (comma-, tab- or semicolon-separated) or
    ``"text"`` (one sequence per line).
    """
    data_lines = [line.strip() for line in lines[:200] if line.strip() and line[0] != "#"]
    first = data_lines[0] if data_lines else ""
    lower_name = strip_compression_suffix(name.lower())
    if first.startswith(">"):
        return "fasta"
    if first.startswith("@"):
        return "fastq"
    if lower_name.endswith(FASTA_SUFFIXES):
        return "fasta"
    if lower_name.endswith(FASTQ_SUFFIXES):
        return "fastq"
    if any(line.startswith(">") for line in data_lines[:50]):
        return "fasta"
    if any(delimiter in first for delimiter in _DELIMITERS):
        return "table"
    if lower_name.endswith((".csv", ".tsv", ".tab")):
        return "table"
    header_like = first.lower() in {sequence_column.lower(), *SEQUENCE_COLUMN_ALIASES}
    return "table" if header_like else "text"


def _parse_fasta(lines: list[str], cleaner: _Cleaner) -> _Parsed:
    parsed = _Parsed()
    comments = 0
    header: tuple[str, int] | None = None
    parts: list[tuple[int, str]] = []
    for line_no, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] in "#;":
            comments += 1
        elif stripped[0] == ">":
            if header:
                _add_fasta_record(parsed, header, parts, cleaner)
            header, parts = (stripped[1:].strip(), line_no), []
        elif header is None:
            raise FormatError(
                "sequence data before the first '>' header",
                file=cleaner.file,
                where=f"line {line_no}",
                hint="A FASTA file starts each record with a '>' header line",
            )
        else:
            parts.append((line_no, stripped))
    if header:
        _add_fasta_record(parsed, header, parts, cleaner)
    if comments:
        parsed.notes.append(f"skipped {comments:,} comment lines starting with '#' or ';'")
    return parsed


def _add_fasta_record(
    parsed: _Parsed, header: tuple[str, int], parts: list[tuple[int, str]], cleaner: _Cleaner
) -> None:
    text, line_no = header
    index = len(parsed.sequences) + 1
    record_id = text.split()[0] if text else f"record{index}"
    where = f"record {index} '{record_id}' (line {line_no})"
    if not parts:
        raise FormatError(
            "has a header but no sequence",
            file=cleaner.file,
            where=where,
            hint="Remove the empty record or add its sequence",
        )
    sequence = "".join(part for _, part in parts)
    parsed.ids.append(record_id)
    parsed.sequences.append(cleaner.clean(sequence, where, _line_locator(parts)))
    match = LABEL_TOKEN.search(text)
    parsed.labels.append(match.group(1) if match else None)


def _line_locator(parts: list[tuple[int, str]]) -> _Locator:
    def locate(position: int) -> str:
        offset = 0
        for line_no, part in parts:
            if position < offset + len(part):
                return f" (line {line_no}, column {position - offset + 1})"
            offset += len(part)
        return ""

    return locate


def _parse_fastq(lines: list[str], cleaner: _Cleaner) -> _Parsed:
    parsed = _Parsed()
    empty: list[int] = []
    i, n_lines, record = _skip_leading_comments(lines), len(lines), 0
    while i < n_lines:
        if not lines[i].strip():
            i += 1
            continue
        record += 1
        i = _read_fastq_record(lines, i, record, parsed, cleaner, empty)
    if empty and not parsed.sequences:
        raise FormatError(
            f"all {len(empty):,} reads are empty (no bases), so there is nothing to learn from",
            file=cleaner.file,
        )
    if empty:
        shown = ", ".join(map(str, empty[:5])) + (", …" if len(empty) > 5 else "")
        reads = "empty read" if len(empty) == 1 else "empty reads"
        records = "record" if len(empty) == 1 else "records"
        parsed.notes.append(
            f"dropped {len(empty):,} {reads} ({records} {shown}): a read without bases "
            "gives a model nothing to learn from"
        )
    return parsed


def _skip_leading_comments(lines: list[str]) -> int:
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith("#")):
        i += 1
    return i


def _read_fastq_record(
    lines: list[str], i: int, record: int, parsed: _Parsed, cleaner: _Cleaner, empty: list[int]
) -> int:
    """Parse record number ``record``, whose header is ``lines[i]``; return the index after it.

    Sequence and quality may be wrapped over several lines, as the format allows; quality
    lines may begin with ``@`` or ``+``.
    """
    header_line = lines[i].rstrip()
    if not header_line.startswith("@"):
        raise FormatError(
            f"expected a '@' header line, found {header_line[:30]!r}",
            file=cleaner.file,
            where=f"record {record} (line {i + 1})",
            hint="Each FASTQ record is '@id', sequence, '+', quality",
        )
    title = header_line[1:].strip()
    record_id = title.split()[0] if title else f"record{record}"
    where = f"record {record} '{record_id}' (line {i + 1})"
    parts, plus = _read_fastq_sequence(lines, i + 1, cleaner, where)
    sequence = "".join(part for _, part in parts)
    quality_lines, j = _read_quality(lines, plus + 1, len(sequence))
    if not quality_lines:
        raise FormatError(
            "truncated: the file ends before the quality line", file=cleaner.file, where=where
        )
    _check_plus_line(
        lines[plus][1:].strip(), title, record_id, cleaner, f"{where}, line {plus + 1}"
    )
    _check_quality(quality_lines, len(sequence), cleaner, where)
    if not sequence:
        empty.append(record)
        return j
    parsed.ids.append(record_id)
    parsed.sequences.append(cleaner.clean(sequence, where, _line_locator(parts)))
    match = LABEL_TOKEN.search(title)
    parsed.labels.append(match.group(1) if match else None)
    return j


def _read_fastq_sequence(
    lines: list[str], j: int, cleaner: _Cleaner, where: str
) -> tuple[list[tuple[int, str]], int]:
    """The sequence lines from ``lines[j]`` up to the ``+`` line, and that line's index."""
    parts: list[tuple[int, str]] = []
    while j < len(lines) and not lines[j].startswith("+"):
        if lines[j].startswith("@") and parts:
            raise FormatError(
                f"no '+' line before the next record at line {j + 1}",
                file=cleaner.file,
                where=where,
                hint="Each FASTQ record is '@id', sequence, '+', quality",
            )
        if lines[j].strip():
            parts.append((j + 1, lines[j].strip()))
        j += 1
    if j >= len(lines):
        raise FormatError(
            "truncated: the file ends before the '+' line and quality",
            file=cleaner.file,
            where=where,
        )
    return parts, j


def _check_plus_line(
    plus_title: str, title: str, record_id: str, cleaner: _Cleaner, where: str
) -> None:
    """A ``+`` line may repeat the header; when it names a read, it must be this one."""
    if plus_title and plus_title != title and plus_title.split()[0] != record_id:
        raise FormatError(
            f"the '+' line names another read ({plus_title[:40]!r}, not {record_id!r}); "
            "records from different reads may have been spliced together",
            file=cleaner.file,
            where=where,
            hint="The file may be corrupt: write it again from the source",
        )


def _read_quality(lines: list[str], j: int, target: int) -> tuple[list[tuple[int, str]], int]:
    """Quality lines from ``lines[j]`` on, as (line number, text), and the index after them.

    Lines are taken until they hold ``target`` characters, whatever they begin with: a
    quality line may start with ``@`` or ``+``. An empty read has one empty quality line.
    """
    quality: list[tuple[int, str]] = []
    length = 0
    while j < len(lines) and not (quality and length >= target):
        quality.append((j + 1, lines[j]))
        length += len(lines[j])
        j += 1
    return quality, j


def _check_quality(
    quality_lines: list[tuple[int, str]], target: int, cleaner: _Cleaner, where: str
) -> None:
    length = sum(len(line) for _, line in quality_lines)
    if length != target:
        raise FormatError(
            f"quality length ({length}) differs from sequence length ({target}); "
            "a line may be missing or cut short",
            file=cleaner.file,
            where=where,
            hint="The file may be truncated or corrupt",
        )
    for line_no, line in quality_lines:
        match = _QUALITY_CHARACTERS.match(line)
        if match.end() < len(line):
            raise FormatError(
                f"invalid quality character ({_describe_quality(line[match.end()])} at line "
                f"{line_no}, column {match.end() + 1})",
                file=cleaner.file,
                where=where,
                hint="Quality lines hold only the characters ! to ~; the file may be corrupt",
            )


def _parse_text(lines: list[str], cleaner: _Cleaner) -> _Parsed:
    parsed = _Parsed()
    skipped = 0
    for line_no, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            skipped += 1
            continue
        row = len(parsed.sequences) + 1
        parsed.ids.append(str(row))
        parsed.sequences.append(cleaner.clean(stripped, f"sequence {row} (line {line_no})"))
        parsed.labels.append(None)
    if skipped:
        parsed.notes.append(f"skipped {skipped:,} blank or '#' comment lines")
    return parsed


def _read_labels_file(source: Source, n: int, seq_raw: RawFile, limits: Limits) -> list[str | None]:
    raw = load(source, limits)
    text, _ = read_text(raw, limits)
    labels = [line.strip() for line in split_lines(text) if line.strip()]
    if len(labels) != n:
        raise FormatError(
            f"has {len(labels):,} labels but {seq_raw.display_name} has {n:,} sequences",
            file=raw.display_name,
            hint="Give exactly one label per line, in the order of the sequences",
        )
    return list(labels)


def _parse_table(
    lines: list[str], cleaner: _Cleaner, sequence_column: str, label_column: str | None
) -> _Parsed:
    parsed = _Parsed()
    rows, comment_count = _table_rows(lines, cleaner.file)
    _, header = rows[0]
    columns = [name.strip() for name in header]
    seq_index = _find_column(columns, sequence_column, SEQUENCE_COLUMN_ALIASES, cleaner.file)
    label_index = _label_index(columns, label_column, cleaner.file)
    id_index = _optional_column(columns, ID_COLUMN_ALIASES)
    if columns[seq_index] != sequence_column:
        parsed.notes.append(f"sequences taken from column '{columns[seq_index]}'")
    if label_index is not None and label_column is None:
        parsed.notes.append(f"labels taken from column '{columns[label_index]}'")
    for row_no, (line_no, fields) in enumerate(rows[1:], start=1):
        where = f"row {row_no} (line {line_no})"
        if len(fields) != len(columns):
            raise FormatError(
                f"has {len(fields)} fields but the header has {len(columns)}",
                file=cleaner.file,
                where=where,
                hint="Check for a missing or extra delimiter on that line",
            )
        sequence = fields[seq_index].strip()
        if not sequence:
            raise FormatError(
                f"the sequence column '{columns[seq_index]}' is empty",
                file=cleaner.file,
                where=where,
            )
        parsed.ids.append(fields[id_index].strip() if id_index is not None else str(row_no))
        parsed.sequences.append(cleaner.clean(sequence, where))
        parsed.labels.append(_table_label(fields, label_index, columns, cleaner.file, where))
    if comment_count:
        parsed.notes.append(f"skipped {comment_count:,} comment lines starting with '#'")
    if len(rows) == 1:
        raise FormatError("has a header but no data rows", file=cleaner.file)
    return parsed


def _table_label(
    fields: list[str], label_index: int | None, columns: list[str], file: str, where: str
) -> str | None:
    if label_index is None:
        return None
    label = fields[label_index].strip()
    if not label:
        raise FormatError(
            f"the label column '{columns[label_index]}' is empty",
            file=file,
            where=where,
            hint="Give every row a label, or remove the rows without one",
        )
    return label


def _table_rows(lines: list[str], file: str) -> tuple[list[tuple[int, list[str]]], int]:
    """Split a delimited file into (line number, fields), skipping blank and '#' lines."""
    comment_count = 0
    numbered = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            comment_count += 1
            continue
        numbered.append((line_no, line))
    if not numbered:
        raise FormatError("contains no data (only blank or comment lines)", file=file)
    delimiter = _sniff_delimiter(numbered[0][1])
    reader = csv.reader(io.StringIO("\n".join(line for _, line in numbered)), delimiter=delimiter)
    try:
        rows = [(line_no, fields) for (line_no, _), fields in zip(numbered, reader, strict=True)]
    except (csv.Error, ValueError) as err:
        raise FormatError(
            f"cannot be read as a table ({err})",
            file=file,
            hint="Quoted fields must not span lines",
        ) from err
    return rows, comment_count


def _sniff_delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _find_column(columns: list[str], wanted: str, aliases: tuple[str, ...], file: str) -> int:
    if wanted in columns:
        return columns.index(wanted)
    lowered = [column.lower() for column in columns]
    for alias in (wanted.lower(), *aliases):
        if alias in lowered:
            return lowered.index(alias)
    raise _missing_column(
        "sequence",
        wanted,
        columns,
        file,
        hint="Name the sequence column (CLI: --sequence-column); files must be comma- or "
        "tab-separated",
    )


def _label_index(columns: list[str], label_column: str | None, file: str) -> int | None:
    if label_column is None:
        return _optional_column(columns, LABEL_COLUMN_ALIASES)
    if label_column in columns:
        return columns.index(label_column)
    raise _missing_column("label", label_column, columns, file)


def _missing_column(
    role: str, wanted: str, columns: list[str], file: str, *, hint: str | None = None
) -> FormatError:
    """The error for a header without the ``role`` column named ``wanted``."""
    found = ", ".join(map(repr, columns))
    return FormatError(
        f"no {role} column '{wanted}'; columns found: {found}",
        file=file,
        where="line 1 (header)",
        hint=hint,
    )


def _optional_column(columns: list[str], aliases: tuple[str, ...]) -> int | None:
    lowered = [column.lower() for column in columns]
    return next((lowered.index(alias) for alias in aliases if alias in lowered), None)


def _read_per_class(
    raws: list[RawFile], sequence_column: str, label_column: str | None, limits: Limits
) -> SequenceSet:
    parsed_files = [
        (raw, _parse_one(raw, sequence_column, label_column, None, limits)[0]) for raw in raws
    ]
    labelled = [raw.display_name for raw, parsed in parsed_files if any(parsed.labels)]
    if labelled:
        raise FormatError(
            f"files read together must each hold one class, but {', '.join(labelled)} "
            "carries labels of its own",
            hint="Read a labelled file on its own, or merge the files into one before reading",
        )
    classes = [_class_from_name(raw.name) for raw, _ in parsed_files]
    if len(set(classes)) < len(classes):
        named = ", ".join(
            f"{raw.display_name} → {c}" for (raw, _), c in zip(parsed_files, classes, strict=True)
        )
        raise FormatError(
            f"two files give the same class name ({named})",
            hint="Name each file after its class, e.g. bound.fa and unbound.fa",
        )
    combined = _Parsed()
    combined.notes.append(
        "one class per file: "
        + ", ".join(
            f"{c} ← {raw.display_name}" for (raw, _), c in zip(parsed_files, classes, strict=True)
        )
    )
    for (_, parsed), name in zip(parsed_files, classes, strict=True):
        parsed.labels = [name] * len(parsed.sequences)
    for raw, parsed in parsed_files:
        combined.ids += [f"{raw.display_name}:{record_id}" for record_id in parsed.ids]
        combined.sequences += parsed.sequences
        combined.labels += parsed.labels
        combined.notes += [f"{raw.display_name}: {note}" for note in parsed.notes]
        combined.n_ambiguous += parsed.n_ambiguous
        combined.n_rna += parsed.n_rna
    name = " + ".join(raw.display_name for raw in raws)
    return _build(combined, name, "multiple")


def _class_from_name(name: str) -> str:
    base = strip_compression_suffix(name.rsplit("/", 1)[-1])
    for suffix in (*SEQUENCE_SUFFIXES, ".csv", ".tsv"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def _build(parsed: _Parsed, name: str, fmt: str) -> SequenceSet:
    labels = _resolve_labels(parsed, name)
    ids, renamed = make_unique(parsed.ids)
    notes = list(parsed.notes)
    if renamed:
        notes.append(f"{renamed:,} duplicate IDs made unique by adding -1, -2, …")
    lengths = Counter(map(len, parsed.sequences))
    if len(lengths) > 1:
        notes.append(
            f"variable lengths: {min(lengths)}–{max(lengths)} bases ({len(lengths)} distinct)"
        )
    notes += _label_notes(labels)
    return SequenceSet(
        ids=tuple(ids),
        sequences=tuple(parsed.sequences),
        labels=labels,
        name=name,
        format=fmt,
        notes=tuple(notes),
        meta={"n_ambiguous_bases": parsed.n_ambiguous, "n_rna_bases_converted": parsed.n_rna},
    )


def _label_notes(labels: tuple[str, ...] | None) -> list[str]:
    """Warn about labels a classifier cannot learn from, or learns badly from."""
    if labels is None:
        return []
    counts = Counter(labels)
    if len(counts) == 1:
        return [f"only one class ({next(iter(counts))!r}): a classifier needs at least two"]
    smallest, largest = min(counts.values()), max(counts.values())
    if smallest * 20 < largest:
        rare = min(counts, key=counts.__getitem__)
        return [
            f"extreme class imbalance: {rare!r} has {smallest:,} sequences against "
            f"{largest:,}; accuracy alone will be misleading (look at AUPRC)"
        ]
    return []


def _resolve_labels(parsed: _Parsed, name: str) -> tuple[str, ...] | None:
    present = [label is not None for label in parsed.labels]
    if not any(present):
        return None
    if not all(present):
        missing = present.index(False)
        raise FormatError(
            "has no label while other records do",
            file=name,
            where=f"record {missing + 1} '{parsed.ids[missing]}'",
            hint="Give every record a label (label=X in the header, or a label column)",
        )
    return tuple(parsed.labels)  # type: ignore[arg-type]


def make_unique(names: list[str]) -> tuple[list[str], int]:
    """Append ``-1``, ``-2``, … to repeated names; return the names and how many changed.

    The first occurrence of a name keeps it; later ones get the next suffix that no other
    name has, so ``["a", "a", "a-1"]`` becomes ``["a", "a-2", "a-1"]``.

    Parameters
    ----------
    names
        Names in their order, e.g. sequence IDs or gene names; not changed.

    Returns
    -------
    The unique names in the same order, and how many were renamed.
    """
    seen: Counter[str] = Counter()
    taken = set(names)
    result = []
    renamed = 0
    for name in names:
        if seen[name]:
            candidate = f"{name}-{seen[name]}"
            while candidate in taken:
                seen[name] += 1
                candidate = f"{name}-{seen[name]}"
            taken.add(candidate)
            result.append(candidate)
            renamed += 1
        else:
            result.append(name)
        seen[name] += 1
    return result, renamed
