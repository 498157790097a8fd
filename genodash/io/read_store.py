"""Read files of any size, converted once into memory-mapped base codes.

A FASTA, FASTQ, CSV/TSV or plain-text read file (plain or gzip) is read in one pass over
large byte blocks with NumPy, and written to a folder of the read cache:

- ``codes.u8``: the base codes of every read, one after another (A=0, C=1, G=2, T=3, N=4, as
  in :mod:`genodash.encoding`), so that any length and alignment can be chosen later;
- ``offsets.i64``: where each read starts (one more value than reads);
- ``labels.i16``: each read's class, an index into the sorted class names (labelled files);
- ``meta.json``: the file's SHA-256, format, notes and the summary computed in the same pass.

The rules are those of :mod:`genodash.io.sequences`. A block that the fast path cannot
vouch for (a bad character, wrapped quality lines, quoted fields, odd whitespace) is read
by that module's own parsers, so an error names the same record, line and position as the
in-memory readers do. A FASTQ file over one block (8 MiB) is expected to hold four lines
per record, as sequencers write them.

The cache folder is named by the file's SHA-256: a changed file gets a new folder. A
conversion holds a lock and writes into a temporary folder that is renamed into place, so
two users converting the same file at once get one complete store.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from genodash.data import SequenceSet
from genodash.encoding import ALPHABET, Align, pack_codes
from genodash.errors import FormatError, InputError, LimitError
from genodash.io import ReadOptions, detect_kind
from genodash.io._source import (
    GZIP_MAGIC,
    decode_text,
    display_name,
    gzip_failure,
    split_lines,
)
from genodash.io.sequences import (
    IUPAC_AMBIGUOUS,
    SEQUENCE_COLUMN_ALIASES,
    _Cleaner,
    _find_column,
    _label_index,
    _parse_fasta,
    _parse_fastq,
    _parse_table,
    _parse_text,
    _Parsed,
    _sniff_delimiter,
    _table_rows,
    sniff_format,
)
from genodash.limits import MIB, Limits, cache_dir

STORE_VERSION = 2
BLOCK_BYTES = 8 * MIB
LARGE_READ_FILE_BYTES = 32 * MIB  # read files above this are converted once, then mapped
GC_BINS = 20
LENGTH_BINS = 50
Progress = Callable[[int, int], None]

# each byte's base code (low 3 bits) and what reading it means (high bits)
_LOWER, _RNA, _AMBIGUOUS, _NOT_A_BASE = 8, 16, 32, 128
_CODE_OF = np.full(256, _NOT_A_BASE, dtype=np.uint8)
for _code, _bases in enumerate(("A", "C", "G", "TU", "N" + IUPAC_AMBIGUOUS)):
    for _base in _bases:
        _flags = (_RNA if _base == "U" else 0) | (_AMBIGUOUS if _base in IUPAC_AMBIGUOUS else 0)
        _CODE_OF[ord(_base)] = _code | _flags
        _CODE_OF[ord(_base.lower())] = _code | _flags | _LOWER
_FIELD_BITS = 16  # per-read counts of A, C, G and T packed into one int64 (reads < 65,536 bp)
_PACKED = np.array([1 << (_FIELD_BITS * code) for code in range(4)] + [0], dtype=np.int64)
_NUMBERED = re.compile(r"\b(line|record|row|sequence|offset) (\d+)")
_LABEL_IN_HEADER = re.compile(rb"[\s|;>]label=([^\s|;]+)")
NEWLINE, TAB, SPACE = 10, 9, 32


# --- the store ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadStore:
    """A converted read file: memory-mapped codes, offsets and labels, and what was read.

    Attributes
    ----------
    folder
        The store's folder in the read cache.
    meta
        The contents of ``meta.json``: ``name``, ``format``, ``sha256``, ``n_reads``,
        ``classes``, ``notes``, ``summary`` (see :func:`convert_reads`), ``seconds`` and
        ``source_bytes``.
    """

    folder: Path
    meta: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.meta["name"])

    @property
    def n_reads(self) -> int:
        return int(self.meta["n_reads"])

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def sha256(self) -> str:
        return str(self.meta["sha256"])

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.meta["notes"])

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.meta["summary"])

    @cached_property
    def codes(self) -> np.ndarray:
        """Every read's codes, one after another (read-only memory map)."""
        return np.memmap(self.folder / "codes.u8", dtype=np.uint8, mode="r")

    @cached_property
    def offsets(self) -> np.ndarray:
        """Where each read starts in :attr:`codes`, and the end (``n_reads + 1`` values)."""
        return np.memmap(self.folder / "offsets.i64", dtype=np.int64, mode="r")

    @cached_property
    def labels(self) -> np.ndarray | None:
        """Each read's class index into :attr:`classes` (memory map), or None."""
        path = self.folder / "labels.i16"
        return np.memmap(path, dtype=np.int16, mode="r") if path.exists() else None

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """Lengths of the reads at ``rows``.

        Parameters
        ----------
        rows
            Read indices (0-based).
        """
        rows = np.asarray(rows, dtype=np.int64)
        return np.asarray(self.offsets[rows + 1] - self.offsets[rows])

    def encode(self, rows: np.ndarray, length: int, align: Align = "left") -> np.ndarray:
        """Codes ``uint8 (len(rows), length)`` of the reads at ``rows``, padded or trimmed
        as :func:`genodash.encoding.encode_codes` does.

        Parameters
        ----------
        rows
            Read indices (0-based), in the order wanted.
        length
            Width of each row in bases.
        align
            ``"left"``, ``"right"`` or ``"center"``: which part of a long read to keep.
        """
        rows = np.asarray(rows, dtype=np.int64)
        return pack_codes(self.codes, self.offsets[rows], self.lengths(rows), length, align=align)

    def sequences(self, rows: np.ndarray) -> list[str]:
        """The reads at ``rows`` as strings over ``ACGTN`` (for a few reads: interpretation).

        Parameters
        ----------
        rows
            Read indices (0-based).
        """
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        return [
            letters[self.codes[start:end]].tobytes().decode("ascii")
            for start, end in zip(
                self.offsets[rows], self.offsets[np.asarray(rows) + 1], strict=True
            )
        ]

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # the folder and meta only: never the mapped arrays (a worker maps them itself)
        return (ReadStore, (self.folder, self.meta))

    def sample(self, n: int, *, seed: int = 0) -> SequenceSet:
        """A random sample of ``n`` reads in file order, as an in-memory data set that
        remembers its store (``meta["read_store"]``), for what looks at reads one by one.

        Parameters
        ----------
        n
            Reads to take (all of them when the file has fewer).
        seed
            Seed of the sample.
        """
        rng = np.random.default_rng(seed)
        size = min(n, self.n_reads)
        rows = np.sort(rng.choice(self.n_reads, size=size, replace=False))
        labels = self.labels
        described = (
            f"a random sample of {size:,} of the file's {self.n_reads:,} reads; the summary "
            "of the whole file and training on all reads use every read"
        )
        return SequenceSet(
            ids=tuple(f"read{row + 1}" for row in rows),
            sequences=tuple(self.sequences(rows)),
            labels=tuple(self.classes[i] for i in labels[rows]) if labels is not None else None,
            name=self.name,
            format=str(self.meta["format"]),
            notes=(*self.notes, described) if size < self.n_reads else self.notes,
            meta={
                "read_store": str(self.folder),
                "n_reads_in_file": self.n_reads,
                "read_rows": rows,
            },
        )

    def view(self, rows: np.ndarray | None, length: int, align: Align = "left") -> EncodedReads:
        """The reads at ``rows`` as a lazy array of codes, encoded slice by slice.

        Parameters
        ----------
        rows
            Read indices (0-based); None for every read.
        length, align
            As for :meth:`encode`.
        """
        return EncodedReads(
            self, None if rows is None else np.asarray(rows, dtype=np.int64), length, align
        )


@dataclass(frozen=True)
class EncodedReads:
    """Reads of a :class:`ReadStore` that look like a ``uint8 (N, L)`` array of codes but are
    encoded only when sliced (as prediction does, batch by batch); ``rows`` None is every
    read of the file (no index array to hold or to send to a training process)."""

    store: ReadStore
    rows: np.ndarray | None
    length: int
    align: Align

    def __len__(self) -> int:
        return self.store.n_reads if self.rows is None else len(self.rows)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.length)

    def __getitem__(self, index: slice | np.ndarray) -> np.ndarray | EncodedReads:
        """A slice is encoded now; an array of row numbers gives a lazy subset."""
        if isinstance(index, slice):
            rows = np.arange(*index.indices(len(self))) if self.rows is None else self.rows[index]
            return self.store.encode(rows, self.length, self.align)
        rows = np.asarray(index) if self.rows is None else self.rows[np.asarray(index)]
        return EncodedReads(self.store, rows, self.length, self.align)


def is_large_read_file(path: Path, options: ReadOptions) -> bool:
    """Whether ``path`` is a read file too large to read into memory, to be converted once
    instead (files over :data:`LARGE_READ_FILE_BYTES` that hold sequences).

    Parameters
    ----------
    path
        A file.
    options
        The reading options (a matrix, or text with a separate labels file, is never one).
    """
    if not path.is_file() or options.labels_file is not None:
        return False
    if _content_bytes(path) <= LARGE_READ_FILE_BYTES:
        return False
    if options.kind != "auto":
        return options.kind == "sequences"
    return detect_kind(path, options.sequence_column) == "sequences"


def _content_bytes(path: Path) -> int:
    """A file's size, or for gzip the larger of its size and the size its trailer gives
    for the content (which counts modulo 4 GiB)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if handle.read(2) != GZIP_MAGIC or size < 18:
            return size
        handle.seek(-4, os.SEEK_END)
        return max(size, int.from_bytes(handle.read(4), "little"))


def read_cache_folder() -> Path:
    """The read cache: ``GENODASH_CACHE_DIR``, else ``~/.cache/genodash/reads``."""
    return cache_dir(Path.home() / ".cache" / "genodash" / "reads")


def read_cache_key(sha256: str, sequence_column: str, label_column: str | None) -> str:
    """The name of a store's folder: the file's hash and the reading choices that change it.

    Parameters
    ----------
    sha256
        The file's SHA-256 (hexadecimal).
    sequence_column, label_column
        The table columns read (they change what a table's store holds).
    """
    choices = f"{STORE_VERSION}\t{sequence_column}\t{label_column or ''}".encode()
    return f"{sha256[:40]}-{hashlib.sha256(choices).hexdigest()[:8]}"


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """SHA-256 of a file's bytes as stored, read in blocks.

    Parameters
    ----------
    path
        The file.
    progress
        Called with (bytes hashed, file size) after each block.
    """
    digest = hashlib.sha256()
    size, done = path.stat().st_size, 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, size)
    return digest.hexdigest()


def open_read_store(
    path: str | os.PathLike[str],
    cache_folder: str | os.PathLike[str],
    *,
    sequence_column: str = "SEQ",
    label_column: str | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> ReadStore:
    """The store of a read file: from the cache when this exact content was converted
    before, else converted now (see :func:`convert_reads`).

    Parameters
    ----------
    path
        FASTA, FASTQ, CSV/TSV or one-read-per-line text, plain or gzip; any size.
    cache_folder
        The read cache (created when missing).
    sequence_column, label_column
        Table columns, as for :func:`genodash.io.read_sequences`.
    progress
        Called with (bytes done, bytes in all) while hashing and converting.
    limits
        Size limits: only the longest read is checked (files of any size are accepted).

    Raises
    ------
    FormatError
        The file is malformed: the message names the record, line and position.
    LimitError
        A read is longer than allowed.
    """
    source = Path(path)
    name = display_name(source.name)
    if not source.is_file():
        raise FormatError("file not found" if not source.exists() else "is not a file", file=name)
    cache = Path(cache_folder)
    cache.mkdir(parents=True, exist_ok=True)
    sha = file_sha256(source, _scaled(progress, 0.0, 0.1))
    folder = cache / read_cache_key(sha, sequence_column, label_column)
    with _locked(cache / f"{folder.name}.lock"):
        if not (folder / "meta.json").exists():
            convert_reads(
                source,
                folder,
                sha256=sha,
                sequence_column=sequence_column,
                label_column=label_column,
                progress=_scaled(progress, 0.1, 1.0),
                limits=limits,
            )
    return load_read_store(folder)


def load_read_store(folder: str | os.PathLike[str]) -> ReadStore:
    """Open a converted store.

    Parameters
    ----------
    folder
        A store's folder (written by :func:`convert_reads`).

    Raises
    ------
    InputError
        The folder is not a complete store of this version.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"{folder.name} is not a converted read file ({err})") from err
    if meta.get("version") != STORE_VERSION:
        raise InputError(f"{folder.name} was converted by another version; convert it again")
    return ReadStore(folder, meta)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _scaled(progress: Progress | None, low: float, high: float) -> Progress | None:
    """``progress`` for one stage, mapped onto the share ``low``–``high`` of the whole."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        share = low + (high - low) * (done / total if total else 1.0)
        progress(int(share * 1_000_000), 1_000_000)

    return report


# --- conversion --------------------------------------------------------------------------


def convert_reads(
    path: Path,
    folder: Path,
    *,
    sha256: str,
    sequence_column: str = "SEQ",
    label_column: str | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> ReadStore:
    """Convert a read file into a store at ``folder`` (written atomically).

    The summary in ``meta.json`` has ``n_reads``, ``n_bases``, ``min_length``,
    ``max_length``, ``mean_length``, ``classes`` (reads per class), ``length_histogram``
    and ``gc_histogram`` (``{"edges", "counts"}``), ``gc_histogram_by_class``,
    ``base_counts`` and ``base_counts_by_class`` (A, C, G, T, N) and ``gc_fraction``.

    Parameters
    ----------
    path
        The read file.
    folder
        Where the store goes; must not exist yet.
    sha256
        The file's SHA-256 (from :func:`file_sha256`).
    sequence_column, label_column
        Table columns, as for :func:`genodash.io.read_sequences`.
    progress
        Called with (bytes read, file size) after each block.
    limits
        Only ``max_sequence_length`` is used.

    Raises
    ------
    FormatError, LimitError
        As :func:`open_read_store`.
    """
    limits = limits or Limits.from_env()
    started = time.perf_counter()
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        reader = _Converter(path, temp, sequence_column, label_column, limits)
        meta = reader.run(progress)
        meta.update(sha256=sha256, seconds=time.perf_counter() - started)
        (temp / "meta.json").write_text(json.dumps(meta))
        os.replace(temp, folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return load_read_store(folder)


@dataclass
class _Block:
    """The reads of one block: codes one after another, lengths, labels as texts."""

    codes: np.ndarray
    lengths: np.ndarray
    label_texts: list[str] | None = None
    label_index: np.ndarray | None = None  # into label_texts, one per read
    n_lower_records: int = 0
    n_rna: int = 0
    n_ambiguous: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Place:
    """How far the conversion has come: lines, records and bytes before the current block."""

    line: int = 0
    record: int = 0
    offset: int = 0


class _Converter:
    def __init__(
        self,
        path: Path,
        folder: Path,
        sequence_column: str,
        label_column: str | None,
        limits: Limits,
    ) -> None:
        self.path, self.folder = path, folder
        self.name = display_name(path.name)
        self.sequence_column, self.label_column = sequence_column, label_column
        self.limits = limits
        self.place = _Place()
        self.summary = _Summary()
        self.label_ids: dict[str, int] = {}
        self.notes: list[str] = []
        self.counts = {"lower": 0, "rna": 0, "ambiguous": 0, "comments": 0}
        self.format = ""
        self.table: _TableLayout | None = None
        self.total = 0
        self.first_block = True
        self.background = ThreadPoolExecutor(max_workers=1)
        self.summarising: Future[None] | None = None
        self.leading_lines = 0  # blank and comment lines before a FASTQ file's first record

    def run(self, progress: Progress | None) -> dict[str, Any]:
        size = self.path.stat().st_size
        with (
            self.path.open("rb") as raw,
            (self.folder / "codes.u8").open("wb") as codes,
            (self.folder / "offsets.i64").open("wb") as offsets,
            (self.folder / "labels.i16").open("wb") as labels,
        ):
            offsets.write(np.zeros(1, dtype=np.int64).tobytes())
            try:
                for block in self._blocks(raw):
                    parsed = self._parse(block)
                    self._write(parsed, codes, offsets, labels)
                    if progress:
                        progress(raw.tell(), size)
                if self.summarising is not None:
                    self.summarising.result()
            finally:
                self.background.shutdown(cancel_futures=True)
        if self.place.record == 0:
            raise FormatError("contains no sequences", file=self.name)
        classes = self._finish_labels()
        return {
            "version": STORE_VERSION,
            "name": self.name,
            "format": self.format,
            "n_reads": self.place.record,
            "classes": classes,
            "notes": self._notes(),
            "summary": self.summary.as_dict(classes, self._class_order()),
            "source_bytes": size,
        }

    # reading blocks of whole records --------------------------------------------------

    def _blocks(self, raw: BinaryIO) -> Iterator[bytes]:
        stream = self._decompressed(raw)
        carry = b""
        first = True
        while True:
            try:
                chunk = stream.read(BLOCK_BYTES)
            except (EOFError, OSError, zlib.error) as err:
                raise gzip_failure(err, self.name) from err
            data = carry + chunk
            if first and data:
                data = self._start(data)
                first = False
            if len(chunk) < BLOCK_BYTES:  # the end of the file: the rest is one block
                if data:
                    yield data if data.endswith(b"\n") else data + b"\n"
                return
            cut = self._cut(data)
            if cut:
                yield data[:cut]
            carry = data[cut:]

    def _decompressed(self, raw: BinaryIO) -> BinaryIO:
        head = raw.read(2)
        raw.seek(0)
        if head == GZIP_MAGIC:
            return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        if self.path.name.lower().endswith(".gz"):
            raise FormatError(
                "name ends in .gz but the content is not gzip-compressed",
                file=self.name,
                hint="Rename the file without .gz, or compress it with gzip",
            )
        return raw

    def _start(self, data: bytes) -> bytes:
        """Read the first block's encoding, format and (for tables) header."""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise FormatError(
                "is UTF-16 text; large files must be UTF-8 (or plain ASCII)",
                file=self.name,
                hint="Save the file as UTF-8 text",
            )
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
            self.notes.append("removed a UTF-8 byte-order mark")
            self.place.offset = 3
        if b"\n" not in data[:BLOCK_BYTES] and b"\r" in data:
            raise FormatError(
                "uses old Mac line endings (\\r) only; large files need \\n line breaks",
                file=self.name,
            )
        head = split_lines(data[: 1 << 16].decode("utf-8", errors="replace"))
        self.format = sniff_format(head, self.path.name, self.sequence_column)
        if self.format == "fastq":
            self.leading_lines = next(
                (i for i, line in enumerate(head) if line.strip() and line[0] != "#"), 0
            )
        if self.format == "table":
            self.table = _TableLayout.read(
                data, self.name, self.sequence_column, self.label_column, self.notes
            )
        return data

    def _cut(self, data: bytes) -> int:
        """Where the last whole record of ``data`` ends (0: none yet)."""
        if self.format == "fasta":
            cut = data.rfind(b"\n>")
            return cut + 1 if cut >= 0 else 0
        end = data.rfind(b"\n") + 1
        if self.format != "fastq" or end == 0:
            return end
        lines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8, count=end) == NEWLINE)
        skip = self.leading_lines
        whole = len(lines) - (len(lines) - skip) % 4
        if whole <= skip:
            return 0
        self.leading_lines = 0
        return int(lines[whole - 1]) + 1

    # parsing one block ------------------------------------------------------------------

    def _parse(self, block: bytes) -> _Block:
        if b"\r" in block:
            if b"\r\n" in block and not any("\\r\\n" in n for n in self.notes):
                self.notes.append("Windows line endings (\\r\\n) read as line breaks")
            block = block.replace(b"\r\n", b"\n")
        fast = {
            "fasta": self._fast_fasta,
            "fastq": self._fast_fastq,
            "table": self._fast_table,
            "text": self._fast_text,
        }[self.format]
        parsed = None
        if block.isascii() and b"\x00" not in block:  # else the slow path checks the text
            arr = np.frombuffer(block, dtype=np.uint8)
            ends = np.flatnonzero(arr == NEWLINE)
            parsed = fast(arr, np.concatenate([[0], ends[:-1] + 1]), ends)
        if parsed is None or not self._fits(parsed):
            parsed = self._slow(block)
        self.place.line += block.count(b"\n")
        self.place.offset += len(block)
        self.first_block = False
        return parsed

    def _fits(self, parsed: _Block) -> bool:
        """Whether the fast result passes the checks that need the slow path's messages."""
        lengths = parsed.lengths
        if lengths.size == 0:
            return True
        return bool(lengths.min() > 0 and lengths.max() <= self.limits.max_sequence_length)

    def _bases(
        self,
        arr: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        record_of_line: np.ndarray,
        n: int,
    ) -> _Block | None:
        """Codes and lengths of ``n`` records made of the byte ranges ``starts``–``ends``
        (each range belongs to record ``record_of_line``); None when a byte is not a base."""
        spans = ends - starts
        codes = _CODE_OF[arr[_inside(len(arr), starts, ends)]]
        lengths = np.bincount(record_of_line, weights=spans, minlength=n).astype(np.int64)
        if codes.size == 0 or codes.max() <= 4:
            return _Block(codes=codes, lengths=lengths)
        if codes.max() >= _NOT_A_BASE:
            return None
        return _flagged(codes, lengths)

    def _fast_fasta(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> _Block | None:
        first = arr[np.minimum(starts, len(arr) - 1)]
        first = np.where(ends > starts, first, NEWLINE)
        if ((first == SPACE) | (first == TAB)).any():
            return None
        header = first == ord(">")
        comment = (first == ord("#")) | (first == ord(";"))
        sequence = ~(header | comment | (first == NEWLINE))
        record_of_line = np.cumsum(header) - 1
        if (record_of_line[sequence] < 0).any():
            return None  # sequence before the first header: the slow path says where
        n = int(header.sum())
        self.counts["comments"] += int(comment.sum())
        parsed = self._bases(arr, starts[sequence], ends[sequence], record_of_line[sequence], n)
        if parsed is None:
            return None
        labels = self._header_labels(arr, starts[header], ends[header])
        if labels is not None:
            parsed.label_texts, parsed.label_index = labels
        return parsed

    def _header_labels(
        self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[list[str], np.ndarray] | None:
        """The ``label=X`` of each header, as in :data:`genodash.io.sequences.LABEL_TOKEN`."""
        data = arr.tobytes()
        if b"label=" not in data:
            return None
        found = np.full(len(starts), -1, dtype=np.int64)
        texts: dict[str, int] = {}
        for match in _LABEL_IN_HEADER.finditer(data):
            line = int(np.searchsorted(starts, match.start(), side="right")) - 1
            if line < 0 or match.start() >= ends[line] or found[line] >= 0:
                continue
            text = match.group(1).decode("utf-8", errors="replace")
            found[line] = texts.setdefault(text, len(texts))
        return (list(texts), found) if texts else None

    def _fast_fastq(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> _Block | None:
        if self.first_block:
            starts, ends = self._skip_leading_comments(arr, starts, ends)
        if len(starts) % 4:
            return None
        head, seq, plus, qual = (slice(k, None, 4) for k in range(4))
        if (arr[np.minimum(starts[head], len(arr) - 1)] != ord("@")).any():
            return None
        if (arr[np.minimum(starts[plus], len(arr) - 1)] != ord("+")).any():
            return None
        if ((ends[plus] - starts[plus]) != 1).any():
            return None  # '+' lines that repeat the header: the slow path checks them
        if ((ends[seq] - starts[seq]) != (ends[qual] - starts[qual])).any():
            return None
        if _bad_quality(arr, starts[qual], ends[qual]):
            return None
        n = len(starts) // 4
        return self._bases(arr, starts[seq], ends[seq], np.arange(n), n)

    @staticmethod
    def _skip_leading_comments(
        arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        first = np.where(ends > starts, arr[np.minimum(starts, len(arr) - 1)], NEWLINE)
        skip = (first == NEWLINE) | (first == ord("#"))
        keep = int(np.argmin(skip)) if not skip.all() else len(skip)
        return starts[keep:], ends[keep:]

    def _fast_text(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> _Block | None:
        first = np.where(ends > starts, arr[np.minimum(starts, len(arr) - 1)], NEWLINE)
        if ((first == SPACE) | (first == TAB)).any():
            return None
        skip = (first == NEWLINE) | (first == ord("#"))
        self.counts["comments"] += int(skip.sum())
        keep = ~skip
        n = int(keep.sum())
        return self._bases(arr, starts[keep], ends[keep], np.arange(n), n)

    def _fast_table(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> _Block | None:
        layout = self.table
        assert layout is not None
        if self.first_block:
            starts, ends = starts[layout.header_line :], ends[layout.header_line :]
        if b'"' in arr.base:  # quoted fields: the csv module reads them
            return None
        first = np.where(ends > starts, arr[np.minimum(starts, len(arr) - 1)], NEWLINE)
        skip = (first == NEWLINE) | (first == ord("#"))
        self.counts["comments"] += int((first == ord("#")).sum())
        starts, ends = starts[~skip], ends[~skip]
        fields = _field_bounds(arr, starts, ends, layout.delimiter, layout.n_columns)
        if fields is None:
            return None
        seq_start, seq_end = _stripped(arr, *fields[layout.sequence])
        n = len(starts)
        parsed = self._bases(arr, seq_start, seq_end, np.arange(n), n)
        if parsed is None or layout.label is None:
            return parsed
        label_start, label_end = _stripped(arr, *fields[layout.label])
        if (label_end <= label_start).any():
            return None
        parsed.label_texts, parsed.label_index = _texts(arr, label_start, label_end)
        return parsed

    def _slow(self, block: bytes) -> _Block:
        """Parse ``block`` with the in-memory readers; their errors, renumbered for the file."""
        limits = Limits(max_records=2**62, max_sequence_length=self.limits.max_sequence_length)
        cleaner = _Cleaner(self.name, limits)
        shift = _Place(self.place.line, self.place.record, self.place.offset)
        try:
            text, _ = decode_text(block, self.name)
            lines = split_lines(text)
            if self.format == "table":
                assert self.table is not None
                if self.first_block:
                    lines = lines[self.table.header_line :]
                    shift.line += self.table.header_line
                lines = [self.table.header_text, *lines]
                shift.line -= 1
            parsed = self._slow_parse(lines, cleaner)
        except InputError as err:
            raise _renumbered(err, shift) from err
        return _from_parsed(parsed, cleaner, [_renumber_text(n, shift) for n in parsed.notes])

    def _slow_parse(self, lines: list[str], cleaner: _Cleaner) -> _Parsed:
        if self.format == "fasta":
            return _parse_fasta(lines, cleaner)
        if self.format == "fastq":
            return _parse_fastq(lines, cleaner)
        if self.format == "table":
            return _parse_table(lines, cleaner, self.sequence_column, self.label_column)
        return _parse_text(lines, cleaner)

    # writing ----------------------------------------------------------------------------

    def _write(self, parsed: _Block, codes: BinaryIO, offsets: BinaryIO, labels: BinaryIO) -> None:
        n = len(parsed.lengths)
        ids = self._label_ids(parsed, n)
        codes.write(parsed.codes.tobytes())
        offsets.write((self.total + np.cumsum(parsed.lengths)).astype(np.int64).tobytes())
        if ids is not None:
            labels.write(ids.tobytes())
        self.total += int(parsed.lengths.sum())
        self._summarise(parsed.codes, parsed.lengths, ids)
        self.place.record += n
        self.counts["lower"] += parsed.n_lower_records
        self.counts["rna"] += parsed.n_rna
        self.counts["ambiguous"] += parsed.n_ambiguous
        for note in parsed.notes:
            if note not in self.notes and len(self.notes) < 30:
                self.notes.append(note)

    def _summarise(self, codes: np.ndarray, lengths: np.ndarray, ids: np.ndarray | None) -> None:
        """Add a block to the summary in the background while the next block is parsed
        (NumPy lets go of the interpreter lock); one block at a time."""
        if self.summarising is not None:
            self.summarising.result()
        self.summarising = self.background.submit(self.summary.add, codes, lengths, ids)

    def _label_ids(self, parsed: _Block, n: int) -> np.ndarray | None:
        """The reads' class ids in order of first appearance (renumbered when done)."""
        labelled = parsed.label_texts is not None
        if n and self.place.record and labelled != bool(self.label_ids):
            where = self.place.record + (1 if labelled else 0)
            raise FormatError(
                "has no label while other records do",
                file=self.name,
                where=f"record {where}",
                hint="Give every record a label (label=X in the header, or a label column)",
            )
        if not labelled:
            return None
        assert parsed.label_index is not None and parsed.label_texts is not None
        missing = np.flatnonzero(parsed.label_index < 0)
        if missing.size:
            raise FormatError(
                "has no label while other records do",
                file=self.name,
                where=f"record {self.place.record + int(missing[0]) + 1}",
                hint="Give every record a label (label=X in the header, or a label column)",
            )
        mapping = np.array(
            [self.label_ids.setdefault(t, len(self.label_ids)) for t in parsed.label_texts]
        )
        if len(self.label_ids) > np.iinfo(np.int16).max:
            raise LimitError(f"has more than {np.iinfo(np.int16).max:,} classes", file=self.name)
        return mapping[parsed.label_index].astype(np.int16)

    def _class_order(self) -> np.ndarray:
        """Sorted position of each class id (classes are numbered in sorted order)."""
        names = list(self.label_ids)
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.empty(len(names), dtype=np.int16)
        rank[order] = np.arange(len(names), dtype=np.int16)
        return rank

    def _finish_labels(self) -> list[str]:
        path = self.folder / "labels.i16"
        if not self.label_ids:
            path.unlink()
            return []
        rank = self._class_order()
        labels = np.memmap(path, dtype=np.int16, mode="r+")
        for start in range(0, len(labels), BLOCK_BYTES):
            labels[start : start + BLOCK_BYTES] = rank[labels[start : start + BLOCK_BYTES]]
        labels.flush()
        del labels
        return sorted(self.label_ids)

    def _notes(self) -> list[str]:
        notes = list(self.notes)
        if self.counts["comments"]:
            notes.append(f"skipped {self.counts['comments']:,} blank or comment lines")
        if self.counts["lower"]:
            notes.append(f"upper-cased {self.counts['lower']:,} records with lower-case bases")
        if self.counts["rna"]:
            notes.append(f"read as RNA: {self.counts['rna']:,} U bases converted to T")
        if self.counts["ambiguous"]:
            notes.append(
                f"{self.counts['ambiguous']:,} IUPAC ambiguity codes (R, Y, S, …) mapped to N"
            )
        lengths = np.flatnonzero(self.summary.length_counts)
        if len(lengths) > 1:
            notes.append(
                f"variable lengths: {lengths[0]}–{lengths[-1]} bases ({len(lengths)} distinct)"
            )
        notes.append("read IDs are not kept in the read cache: reads are numbered from 1")
        return notes


# --- helpers of the fast path ------------------------------------------------------------


@dataclass(frozen=True)
class _TableLayout:
    """The header of a table: where its columns are."""

    delimiter: int
    n_columns: int
    sequence: int
    label: int | None
    header_line: int  # lines before the first data line (comments, blanks, the header)
    header_text: str

    @classmethod
    def read(
        cls,
        data: bytes,
        name: str,
        sequence_column: str,
        label_column: str | None,
        notes: list[str],
    ) -> _TableLayout:
        head = data[: 1 << 20].decode("utf-8", errors="replace")
        lines = split_lines(head)
        number = next(
            (
                i
                for i, line in enumerate(lines)
                if line.strip() and not line.lstrip().startswith("#")
            ),
            None,
        )
        if number is None:
            raise FormatError("contains no data (only blank or comment lines)", file=name)
        rows, _ = _table_rows([lines[number]], name)
        columns = [column.strip() for column in rows[0][1]]
        sequence = _find_column(columns, sequence_column, SEQUENCE_COLUMN_ALIASES, name)
        label = _label_index(columns, label_column, name)
        if columns[sequence] != sequence_column:
            notes.append(f"sequences taken from column '{columns[sequence]}'")
        if label is not None and label_column is None:
            notes.append(f"labels taken from column '{columns[label]}'")
        return cls(
            delimiter=ord(_sniff_delimiter(lines[number])),
            n_columns=len(columns),
            sequence=sequence,
            label=label,
            header_line=number + 1,
            header_text=lines[number],
        )


def _field_bounds(
    arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, delimiter: int, n_columns: int
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Start and end of every field of every line; None when a line has too few or too many."""
    positions = np.flatnonzero(arr == delimiter)
    first = np.searchsorted(positions, starts)
    last = np.searchsorted(positions, ends)
    if ((last - first) != n_columns - 1).any():
        return None
    bounds = []
    for column in range(n_columns):
        begin = starts if column == 0 else positions[first + column - 1] + 1
        end = ends if column == n_columns - 1 else positions[first + column]
        bounds.append((begin, end))
    return bounds


def _stripped(
    arr: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Field bounds without surrounding spaces and tabs (as ``str.strip`` would)."""
    starts, ends = starts.copy(), ends.copy()
    while True:
        blank = (starts < ends) & np.isin(arr[np.minimum(starts, len(arr) - 1)], (SPACE, TAB))
        if not blank.any():
            break
        starts += blank
    while True:
        blank = (starts < ends) & np.isin(arr[np.maximum(ends - 1, 0)], (SPACE, TAB))
        if not blank.any():
            break
        ends -= blank
    return starts, ends


def _texts(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct byte strings ``arr[start:end]`` as text, and each range's index into them."""
    width = int((ends - starts).max())
    grid = np.zeros((len(starts), width), dtype=np.uint8)
    spans = ends - starts
    row = np.repeat(np.arange(len(starts)), spans)
    within = np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
    grid[row, within] = arr[np.repeat(starts, spans) + within]
    unique, index = np.unique(grid.view(f"S{width}").ravel(), return_inverse=True)
    return [value.decode("utf-8", errors="replace") for value in unique], index.astype(np.int64)


def _bad_quality(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether a quality line holds a character outside ``!``–``~``."""
    quality = arr[_inside(len(arr), starts, ends)]
    return bool(quality.size and (quality.min() < ord("!") or quality.max() > ord("~")))


def _inside(size: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A mask of the positions inside the (non-overlapping) ranges ``starts``–``ends``."""
    marks = np.zeros(size + 1, dtype=np.int8)
    marks[starts] += 1
    marks[ends] -= 1
    return np.cumsum(marks[:-1], dtype=np.int8).view(bool)


def _flagged(codes: np.ndarray, lengths: np.ndarray) -> _Block:
    """A block whose bytes include lower case, U or ambiguity codes: counted, then made codes."""
    lower = (codes & _LOWER).astype(bool)
    n_lower = 0
    if lower.any():
        starts = (np.cumsum(lengths) - lengths)[lengths > 0]
        n_lower = int((np.add.reduceat(lower, starts, dtype=np.int64) > 0).sum())
    return _Block(
        codes=codes & 7,
        lengths=lengths,
        n_lower_records=n_lower,
        n_rna=int(np.count_nonzero(codes & _RNA)),
        n_ambiguous=int(np.count_nonzero(codes & _AMBIGUOUS)),
    )


def _bases_per_read(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """How many A, C, G and T each read has: ``int64 (reads, 4)``."""
    starts = np.cumsum(lengths) - lengths
    nonempty = lengths > 0
    counts = np.zeros((len(lengths), 4), dtype=np.int64)
    if lengths.max() < 1 << _FIELD_BITS:
        packed = np.add.reduceat(_PACKED[codes], starts[nonempty])
        for code in range(4):
            counts[nonempty, code] = (packed >> (_FIELD_BITS * code)) & ((1 << _FIELD_BITS) - 1)
        return counts
    for code in range(4):
        counts[nonempty, code] = np.add.reduceat(codes == code, starts[nonempty], dtype=np.int64)
    return counts


def _from_parsed(parsed: _Parsed, cleaner: _Cleaner, notes: list[str]) -> _Block:
    """A block read by the slow path, in the form the fast path gives."""
    lengths = np.fromiter(map(len, parsed.sequences), dtype=np.int64, count=len(parsed.sequences))
    joined = np.frombuffer("".join(parsed.sequences).encode("ascii"), dtype=np.uint8)
    block = _Block(
        codes=_CODE_OF[joined] & 7,
        lengths=lengths,
        n_lower_records=cleaner.n_lowercase_records,
        n_rna=cleaner.n_rna,
        n_ambiguous=cleaner.n_ambiguous,
        notes=[
            note
            for note in notes
            if not note.startswith(("skipped", "labels taken", "sequences taken"))
        ],
    )
    if any(label is not None for label in parsed.labels):
        texts = sorted({label for label in parsed.labels if label is not None})
        position = {text: i for i, text in enumerate(texts)}
        block.label_texts = texts
        block.label_index = np.array(
            [position.get(label, -1) for label in parsed.labels], dtype=np.int64
        )
    return block


def _renumber_text(text: str, place: _Place) -> str:
    """Line, record and byte numbers of a block, made numbers of the whole file."""

    def shift(match: re.Match[str]) -> str:
        word, number = match.group(1), int(match.group(2))
        if word == "line":
            number += place.line
        elif word == "offset":
            number += place.offset
        else:
            number += place.record
        return f"{word} {number}"

    return _NUMBERED.sub(shift, text)


def _renumbered(err: InputError, place: _Place) -> InputError:
    return type(err)(
        _renumber_text(err.problem, place),
        file=err.file,
        where=_renumber_text(err.where, place) if err.where else None,
        hint=err.hint,
    )


class _Summary:
    """Class counts, lengths, GC content and base composition, added block by block."""

    def __init__(self) -> None:
        self.length_counts = np.zeros(1, dtype=np.int64)
        self.gc_counts: dict[int, np.ndarray] = {}
        self.base_counts: dict[int, np.ndarray] = {}
        self.class_counts: dict[int, int] = {}

    def add(self, codes: np.ndarray, lengths: np.ndarray, ids: np.ndarray | None) -> None:
        if not len(lengths):
            return
        by_length = np.bincount(lengths)
        if len(by_length) > len(self.length_counts):
            by_length[: len(self.length_counts)] += self.length_counts
            self.length_counts = by_length
        else:
            self.length_counts[: len(by_length)] += by_length
        bases = _bases_per_read(codes, lengths)  # (reads, 4): A, C, G, T
        acgt = bases.sum(axis=1)
        gc = bases[:, 1] + bases[:, 2]
        bins = np.minimum(gc * GC_BINS // np.maximum(acgt, 1), GC_BINS - 1)  # exact at edges
        classes = ids.astype(np.int64) if ids is not None else np.zeros(len(lengths), np.int64)
        k = int(classes.max()) + 1
        gc_by_class = np.bincount(classes * GC_BINS + bins, minlength=k * GC_BINS)
        per_class = [np.bincount(classes, weights=bases[:, b], minlength=k) for b in range(4)]
        per_class.append(np.bincount(classes, weights=lengths - acgt, minlength=k))
        counts = np.bincount(classes, minlength=k)
        for label in np.flatnonzero(counts):
            key = int(label)
            gc_counts = gc_by_class[key * GC_BINS : (key + 1) * GC_BINS]
            self.gc_counts[key] = self.gc_counts.get(key, 0) + gc_counts
            column = np.array([int(part[key]) for part in per_class], dtype=np.int64)
            self.base_counts[key] = self.base_counts.get(key, 0) + column
            self.class_counts[key] = self.class_counts.get(key, 0) + int(counts[key])

    def as_dict(self, classes: list[str], rank: np.ndarray) -> dict[str, Any]:
        lengths = self.length_counts
        n_reads = int(lengths.sum())
        present = np.flatnonzero(lengths)
        low, high = int(present[0]), int(present[-1])
        step = max(1, -(-(high + 1 - low) // LENGTH_BINS))  # bins of one width, in whole bp
        edges = np.arange(low, high + 1 + step, step)
        padded = np.zeros(edges[-1], dtype=np.int64)
        padded[: len(lengths)] = lengths
        counts = np.add.reduceat(padded, edges[:-1])
        bases = sum(self.base_counts.values())
        named = dict(zip(ALPHABET + "N", (int(b) for b in bases), strict=True))
        acgt = sum(named[b] for b in ALPHABET)
        by_name = {classes[rank[k]]: k for k in self.class_counts} if classes else {}
        return {
            "n_reads": n_reads,
            "n_bases": int(np.dot(np.arange(len(lengths)), lengths)),
            "min_length": int(present[0]),
            "max_length": int(present[-1]),
            "mean_length": float(np.dot(np.arange(len(lengths)), lengths) / max(n_reads, 1)),
            "classes": {name: self.class_counts[k] for name, k in sorted(by_name.items())},
            "length_histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
            "gc_histogram": {
                "edges": np.linspace(0, 1, GC_BINS + 1).round(4).tolist(),
                "counts": sum(self.gc_counts.values()).tolist(),
            },
            "gc_histogram_by_class": {
                name: self.gc_counts[k].tolist() for name, k in sorted(by_name.items())
            },
            "base_counts": named,
            "base_counts_by_class": {
                name: dict(zip(ALPHABET + "N", map(int, self.base_counts[k]), strict=True))
                for name, k in sorted(by_name.items())
            },
            "gc_fraction": (named["C"] + named["G"]) / acgt if acgt else 0.0,
        }
