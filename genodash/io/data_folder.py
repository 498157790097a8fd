"""The server data folder (``GENODASH_DATA_DIR``): its files listed, and names from the
browser turned into paths that are certainly inside it.

A teacher puts large files in one folder on the server; the app lists them and opens the
chosen one from disk, so nothing is uploaded. A name that comes back from the browser is
never trusted: :func:`resolve_in_data_folder` refuses absolute paths, ``..``, hidden files,
symbolic links that lead out of the folder, folders and missing files.

An ``.h5ad`` or 10x ``.h5`` matrix too large for the memory budget is not read: the
folder tab shows :func:`out_of_core_matrix`'s summary of it and the command that runs the
out-of-core pipeline on it.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError, InputError
from genodash.io import ReadOptions, read_dataset
from genodash.io._isolated import RUNNER
from genodash.io._source import display_name, strip_compression_suffix
from genodash.io.backed import IN_MEMORY_COPIES, open_backed
from genodash.io.expression import has_matrix_suffix
from genodash.io.read_store import Progress, open_read_store, read_cache_folder
from genodash.io.sequences import SEQUENCE_SUFFIXES
from genodash.limits import DATA_DIR, Limits, data_dir, human_bytes

FileKind = Literal["sequences", "matrix", "table", "other"]
MOST_LISTED = 500
SAMPLE_READS = 100_000  # reads of a converted file held in memory for the pages
_TABLE_SUFFIXES = (".csv", ".tsv")
_BACKED_SUFFIXES = (".h5ad", ".h5")
_PICK_FROM_LIST = "Choose a file from the list on the Data page"


@dataclass(frozen=True)
class DataFile:
    """One file of the data folder.

    Attributes
    ----------
    name
        Its path relative to the folder, with ``/`` between sub-folders (``reads/a.fq.gz``).
    size
        Its size on disk in bytes (compressed, as stored).
    kind
        What its name says it holds: ``"sequences"`` (FASTA, FASTQ, plain text),
        ``"matrix"`` (``.h5ad``, ``.h5``, ``.mtx``, ``.zip``), ``"table"`` (CSV/TSV: a
        table of sequences or a matrix, decided when it is read) or ``"other"``.
    """

    name: str
    size: int
    kind: FileKind

    @property
    def size_text(self) -> str:
        """The size for people: ``"1.5 GiB"``."""
        return human_bytes(self.size)


@dataclass(frozen=True)
class FolderListing:
    """The files of the data folder, at most ``most`` of them: those at its top first,
    then each sub-folder's, each in name order.

    Attributes
    ----------
    files
        The files listed.
    complete
        False when the folder holds more files than were listed.
    note
        What to tell the user about the listing (more files than shown, nothing to show),
        or ``None``.
    """

    files: tuple[DataFile, ...]
    complete: bool
    note: str | None


def file_kind(name: str) -> FileKind:
    """What a file holds, guessed from its name only (``.gz`` ignored).

    Parameters
    ----------
    name
        A file name or relative path; case does not matter.

    Returns
    -------
    ``"sequences"``, ``"matrix"``, ``"table"`` (CSV/TSV) or ``"other"``.
    """
    base = strip_compression_suffix(name.lower())
    if has_matrix_suffix(base):
        return "matrix"
    if base.endswith(SEQUENCE_SUFFIXES):
        return "sequences"
    if base.endswith(_TABLE_SUFFIXES):
        return "table"
    return "other"


def list_data_folder(folder: Path | None = None, *, most: int = MOST_LISTED) -> FolderListing:
    """The files of the data folder and its sub-folders, at most ``most`` of them: those
    at its top first, then each sub-folder's, each in name order.

    Hidden files and folders (names starting with ``.``) are left out, and so are
    symbolic links that lead out of the folder (they could not be opened); links to
    folders are not followed.

    Parameters
    ----------
    folder
        The data folder; ``None``: ``GENODASH_DATA_DIR``.
    most
        The largest number of files listed; the note says when there are more.

    Returns
    -------
    The listing, with a note when it is cut short or empty.

    Raises
    ------
    InputError
        No data folder is set, or it is not a readable folder.
    """
    root = _root(folder)
    files = []
    for name in _walk(root):
        if len(files) == most:
            note = (
                f"Only the first {most:,} files are listed; put fewer files in the data "
                "folder or move them into fewer sub-folders"
            )
            return FolderListing(tuple(files), complete=False, note=note)
        files.append(DataFile(name, (root / name).stat().st_size, file_kind(name)))
    note = None if files else "The data folder holds no files yet"
    return FolderListing(tuple(files), complete=True, note=note)


def _walk(root: Path) -> Iterator[str]:
    """Relative names of the visible files under ``root`` that stay inside it, folder by
    folder, in name order."""
    for here, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(here) / name
            if _inside(path, root) and path.is_file():
                yield path.relative_to(root).as_posix()


def resolve_in_data_folder(name: str, folder: Path | None = None) -> Path:
    """The path of the data folder's file ``name``, after checking that it is one.

    ``name`` comes from the browser and is never trusted.

    Parameters
    ----------
    name
        The file's path relative to the folder, as :func:`list_data_folder` gives it.
    folder
        The data folder; ``None``: ``GENODASH_DATA_DIR``.

    Returns
    -------
    The file's path with every symbolic link resolved; it lies inside the folder.

    Raises
    ------
    InputError
        No data folder is set; or ``name`` is empty, absolute, has a ``..`` or hidden part,
        leads out of the folder through a symbolic link, is a folder or does not exist.
        The message names ``name``, never the folder's place on the server.
    """
    root = _root(folder)
    shown = _shown(name)
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name or "\x00" in name or not parts:
        raise InputError("is not a file name", file=shown, hint=_PICK_FROM_LIST)
    if parts[0] == "/" or PureWindowsPath(name).drive:
        raise InputError(
            "is an absolute path; only files inside the server data folder can be opened",
            file=shown,
            hint=_PICK_FROM_LIST,
        )
    if ".." in parts or any(part.startswith(".") for part in parts):
        raise InputError(
            "goes out of the server data folder or to a hidden file",
            file=shown,
            hint=_PICK_FROM_LIST,
        )
    path = root / Path(*parts)
    if not _inside(path, root):
        raise InputError(
            "is a link to a place outside the server data folder",
            file=shown,
            hint="Ask the teacher to copy the file into the folder instead of linking it",
        )
    if not path.exists():
        raise InputError(
            "is not in the server data folder", file=shown, hint="Refresh the list of files"
        )
    if not path.is_file():
        raise InputError("is a folder, not a file", file=shown, hint=_PICK_FROM_LIST)
    return path.resolve()


def read_folder_file(
    path: Path, options: ReadOptions | None = None, *, limits: Limits | None = None
) -> SequenceSet | MatrixSet:
    """Read a file of the data folder as an upload is read: with
    :func:`genodash.io.read_dataset`, in the reader's own process, capped in memory
    (:attr:`Limits.max_parse_memory_bytes`) and time (:attr:`Limits.max_parse_seconds`),
    so that a file too large for them fails alone and the app's memory is untouched.

    Parameters
    ----------
    path
        The file, as :func:`resolve_in_data_folder` returns it.
    options
        How to read it (column names, kind, orientation, labels file).
    limits
        Size limits; defaults from :meth:`Limits.from_env`.

    Returns
    -------
    The data set, named after the file.

    Raises
    ------
    InputError
        The file cannot be read, or is over a limit; the message names the file.
    """
    limits = limits or Limits.from_env()
    return RUNNER.run(
        functools.partial(read_dataset, limits=limits),
        path,
        options,
        file=display_name(path.name),
        timeout=limits.max_parse_seconds,
        memory=limits.max_parse_memory_bytes,
    )


def open_large_reads(
    path: Path, options: ReadOptions, *, progress: Progress | None = None
) -> SequenceSet:
    """Convert a large read file once (or find it converted) and return a random sample of
    :data:`SAMPLE_READS` reads that remembers the whole file (``meta["read_store"]``).

    Parameters
    ----------
    path
        The file, as :func:`resolve_in_data_folder` returns it.
    options
        The sequence and label columns of a table.
    progress
        Called with (work done, work in all) while the file is hashed and converted.

    Raises
    ------
    InputError
        A malformed record: the message names its record and line.
    """
    store = open_read_store(
        path,
        read_cache_folder(),
        sequence_column=options.sequence_column,
        label_column=options.label_column,
        progress=progress,
    )
    return store.sample(SAMPLE_READS)


@dataclass(frozen=True)
class OutOfCoreMatrix:
    """A matrix of the data folder too large to read into memory here, as its file
    says without loading it.

    Attributes
    ----------
    name
        Its path relative to the folder.
    n_cells, n_genes
        The shape.
    stored_values
        Values stored (the non-zero ones of a sparse matrix).
    in_memory_bytes
        One copy in memory (float32, sparse).
    needed_bytes
        What the in-memory preprocessing holds at its peak (several copies).
    budget_bytes
        The memory budget (``GENODASH_MEMORY_BUDGET``).
    """

    name: str
    n_cells: int
    n_genes: int
    stored_values: int
    in_memory_bytes: int
    needed_bytes: int
    budget_bytes: int

    @property
    def result_name(self) -> str:
        """The name the command gives the atlas result, beside the matrix."""
        stem = self.name
        for suffix in _BACKED_SUFFIXES:
            stem = stem.removesuffix(suffix)
        return f"{stem}.atlas.h5ad"

    @property
    def command(self) -> str:
        """The command that runs the out-of-core pipeline on it, on the server (where
        ``GENODASH_DATA_DIR`` is set), writing the result into the folder."""
        folder = f'"${DATA_DIR}"/'
        source, result = (folder + shlex.quote(n) for n in (self.name, self.result_name))
        return f"python -m genodash atlas {source} --out {result}"


def out_of_core_matrix(name: str, path: Path, budget_bytes: int) -> OutOfCoreMatrix | None:
    """The summary of an ``.h5ad`` or 10x ``.h5`` matrix of the data folder that needs the
    out-of-core way (its in-memory preprocessing would pass ``budget_bytes``), read
    without loading it; ``None`` for a matrix that fits, another kind of file, or one the
    block reader cannot open (the in-memory reader then reads it, or says what is wrong).

    Parameters
    ----------
    name
        The file's path relative to the folder (as listed).
    path
        The file, as :func:`resolve_in_data_folder` returns it.
    budget_bytes
        The memory budget (:func:`genodash.limits.memory_budget_bytes`).
    """
    if not name.lower().endswith(_BACKED_SUFFIXES):
        return None
    try:
        matrix = open_backed(path)
    except GenodashError:
        return None
    if not matrix.needs_out_of_core(budget_bytes):
        return None
    return OutOfCoreMatrix(
        name=name,
        n_cells=matrix.n_cells,
        n_genes=matrix.n_genes,
        stored_values=matrix.nnz,
        in_memory_bytes=matrix.in_memory_bytes,
        needed_bytes=matrix.in_memory_bytes * IN_MEMORY_COPIES,
        budget_bytes=budget_bytes,
    )


def is_in_data_folder(path: Path, folder: Path | None = None) -> bool:
    """Whether ``path``, every link followed, lies inside the data folder (False when no
    folder is set).

    Parameters
    ----------
    path
        Any path, e.g. the source matrix an atlas result names.
    folder
        The data folder; ``None``: ``GENODASH_DATA_DIR``.
    """
    try:
        root = _root(folder)
    except InputError:
        return False
    return _inside(Path(path), root)


def matrix_in_folder(recorded: Path, beside: Path, folder: Path | None = None) -> Path | None:
    """The matrix a result was made from, as the data folder holds it: at the recorded path
    when that lies inside the folder, else a file of the same name beside the result (a
    copy or link placed there); ``None`` when neither.

    Parameters
    ----------
    recorded
        The matrix's path as the result records it (where the pipeline read it).
    beside
        The result file, inside the folder.
    folder
        The data folder; ``None``: ``GENODASH_DATA_DIR``.
    """
    for candidate in (Path(recorded), Path(beside).parent / Path(recorded).name):
        if candidate.is_file() and is_in_data_folder(candidate, folder):
            return candidate
    return None


def _root(folder: Path | None) -> Path:
    """The data folder, resolved, after checking that it is set and is a folder."""
    folder = folder if folder is not None else data_dir()
    if folder is None:
        raise InputError(
            "no server data folder is set",
            hint="A teacher sets GENODASH_DATA_DIR to a folder before starting the app",
        )
    root = Path(folder).resolve()
    if not root.is_dir():
        raise InputError(
            "the server data folder (GENODASH_DATA_DIR) is not a folder that can be read",
            hint="Check the path the app was started with",
        )
    return root


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, every link in it followed, lies inside ``root`` (resolved); a
    link that loops lies nowhere."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _shown(name: str) -> str:
    """``name`` safe to print: control characters replaced, each part at most 80 characters."""
    return "/".join(display_name(part) if part else part for part in name.split("/"))[:240]
