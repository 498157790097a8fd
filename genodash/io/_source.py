"""Bytes in: files from disk or uploads, size limits, gzip, text decoding, line splitting."""

from __future__ import annotations

import gzip
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from genodash.errors import FormatError, LimitError
from genodash.limits import Limits, human_bytes

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CHUNK = 1 << 20
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class RawFile:
    """A file's bytes with the name it was given.

    ``name`` is for messages and labels only: it is never used as a path.
    """

    name: str
    data: bytes

    @property
    def display_name(self) -> str:
        return display_name(self.name)


Source = str | os.PathLike[str] | RawFile


def display_name(name: str) -> str:
    """A file name safe to print: no directories, no control characters, at most 80 characters."""
    base = re.split(r"[\\/]", name)[-1] or name
    base = _CONTROL_CHARS.sub("?", base)
    return base if len(base) <= 80 else f"{base[:38]}…{base[-38:]}"


def load(source: Source, limits: Limits) -> RawFile:
    """Read a source into memory after checking its size against ``limits``."""
    if isinstance(source, RawFile):
        _check_size(len(source.data), source.display_name, limits)
        return source
    path = Path(source)
    name = display_name(path.name)
    if not path.exists():
        raise FormatError("file not found", file=name, hint="Check the path")
    if path.is_dir():
        raise FormatError("is a folder, not a file", file=name)
    try:
        _check_size(path.stat().st_size, name, limits)
        return RawFile(name=path.name, data=path.read_bytes())
    except OSError as err:
        raise FormatError(f"cannot be read ({err.strerror})", file=name) from err


def _check_size(size: int, name: str, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise LimitError(
            f"file is {human_bytes(size)}, above the limit of {human_bytes(limits.max_file_bytes)}",
            file=name,
            hint="Use a smaller file or raise GENODASH_MAX_FILE_BYTES",
        )


def strip_compression_suffix(name: str) -> str:
    """``reads.fa.gz`` → ``reads.fa``."""
    return name[:-3] if name.lower().endswith(".gz") else name


def decompress(
    raw: RawFile, limits: Limits, *, max_lines: int | None = None
) -> tuple[bytes, list[str]]:
    """Return the content of ``raw``, gunzipped when it is gzip, with notes on what was done.

    A truncated or corrupt gzip stream is an error, never a partial result. With
    ``max_lines``, content with more lines is refused as soon as they are counted, while
    it is still being decompressed.
    """
    if not raw.data.startswith(GZIP_MAGIC):
        if raw.name.lower().endswith(".gz"):
            raise FormatError(
                "name ends in .gz but the content is not gzip-compressed",
                file=raw.display_name,
                hint="Rename the file without .gz, or compress it with gzip",
            )
        _check_lines(raw.data.count(b"\n"), max_lines, raw.display_name, limits)
        return raw.data, []
    content = _gunzip(raw, limits, max_lines)
    note = f"decompressed gzip: {human_bytes(len(raw.data))} → {human_bytes(len(content))}"
    return content, [note]


def peek(raw: RawFile, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the content (gunzipped when gzip), for sniffing only."""
    if not raw.data.startswith(GZIP_MAGIC):
        return raw.data[:size]
    try:
        with gzip.GzipFile(fileobj=_BytesReader(raw.data)) as stream:
            return stream.read(size)
    except (EOFError, OSError, zlib.error):
        return b""


def _check_lines(lines: int, max_lines: int | None, name: str, limits: Limits) -> None:
    if max_lines is not None and lines > max_lines:
        raise LimitError(
            f"has more than {max_lines:,} lines, more than {limits.max_records:,} records or "
            "rows can fill",
            file=name,
            hint="Use a smaller file or raise GENODASH_MAX_RECORDS",
        )


def _gunzip(raw: RawFile, limits: Limits, max_lines: int | None = None) -> bytes:
    cap = limits.max_decompressed_bytes
    parts: list[bytes] = []
    total = lines = 0
    try:
        with gzip.GzipFile(fileobj=_BytesReader(raw.data)) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise LimitError(
                        f"decompresses to more than {human_bytes(cap)}",
                        file=raw.display_name,
                        hint="Use a smaller file or raise GENODASH_MAX_DECOMPRESSED_BYTES",
                    )
                lines += chunk.count(b"\n")
                _check_lines(lines, max_lines, raw.display_name, limits)
                parts.append(chunk)
    except (EOFError, OSError, zlib.error) as err:
        raise gzip_failure(err, raw.display_name) from err
    return b"".join(parts)


def gzip_failure(error: Exception, name: str) -> FormatError:
    """The error for a gzip stream that cannot be read to its end: truncated or corrupt.

    Parameters
    ----------
    error
        What decompression raised: ``EOFError`` (the stream ends early), or ``OSError`` /
        ``zlib.error`` (bad data).
    name
        The file's display name.
    """
    if isinstance(error, EOFError):
        problem = "gzip stream is truncated (the file ends early); nothing was loaded"
    else:
        problem = f"gzip data is corrupt ({error}); nothing was loaded"
    return FormatError(problem, file=name, hint="Download or copy the file again")


class _BytesReader:
    """Minimal file object over bytes (``io.BytesIO`` would copy the buffer)."""

    def __init__(self, data: bytes) -> None:
        self._view = memoryview(data)
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        chunk = self._view[self._pos : end].tobytes()
        self._pos += len(chunk)
        return chunk


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode bytes as text: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Binary content (NUL bytes, invalid UTF-8) is an error naming the byte offset and line.
    """
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("removed a UTF-8 byte-order mark")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise FormatError(
                f"has a UTF-16 byte-order mark but is not valid UTF-16 ({err.reason})",
                file=name,
            ) from err
        _reject_nul(text.encode("utf-8"), name)
        return text, ["decoded from UTF-16"]
    _reject_nul(data, name)
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise FormatError(
            f"is not UTF-8 text: byte 0x{data[err.start]:02x} at offset {err.start} (line {line})",
            file=name,
            hint="Save the file as UTF-8 text",
        ) from err


def _reject_nul(data: bytes, name: str) -> None:
    offset = data.find(b"\x00")
    if offset >= 0:
        line = data.count(b"\n", 0, offset) + 1
        raise FormatError(
            f"looks binary, not text: NUL byte at offset {offset} (line {line})",
            file=name,
            hint="Give a text file (FASTA, FASTQ, CSV or TSV), optionally gzip-compressed",
        )


def split_lines(text: str) -> list[str]:
    """Split on ``\\n``, ``\\r\\n`` and lone ``\\r`` (old Mac) alike; no trailing empty line."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_ending_note(text: str) -> list[str]:
    """A note when line endings are not plain ``\\n``."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    lone_lf = text.count("\n") - crlf
    if sum(bool(kind) for kind in (crlf, lone_cr, lone_lf)) > 1:
        return ["mixed line endings (\\n, \\r\\n, \\r) read alike"]
    if lone_cr:
        return ["old Mac line endings (\\r) read as line breaks"]
    if crlf:
        return ["Windows line endings (\\r\\n) read as line breaks"]
    return []


def read_text(raw: RawFile, limits: Limits) -> tuple[str, list[str]]:
    """Decompress when needed and decode to text, with notes.

    Text with more lines than :attr:`Limits.max_lines` is refused while it is decompressed,
    before any line is split off (split lines cost far more memory than the text).
    """
    data, notes = decompress(raw, limits, max_lines=limits.max_lines)
    text, decode_notes = decode_text(data, raw.display_name)
    return text, notes + decode_notes + line_ending_note(text)
