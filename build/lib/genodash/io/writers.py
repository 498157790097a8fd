"""Writers for data sets and results; every write is atomic (temporary file, then rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from genodash.data import MatrixSet, SequenceSet

if TYPE_CHECKING:
    import anndata


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    Readers never see a half-written file: either the old file or the complete new one.

    Parameters
    ----------
    target
        The file to write; its folder is created when missing. If the ``with`` block
        raises, ``target`` is left as it was and the temporary file is removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``target`` as UTF-8, atomically (see :func:`atomic_path`).

    Parameters
    ----------
    target
        The file to write; an existing file is replaced, a missing folder is created.
    text
        The whole content of the file.
    """
    with atomic_path(target) as temp:
        temp.write_text(text, encoding="utf-8")


def fasta_text(sequences: SequenceSet, *, width: int = 80) -> str:
    """FASTA with ``label=X`` in each header when the set is labelled.

    Parameters
    ----------
    sequences
        The sequences to write, with their IDs and (optional) labels.
    width
        Bases per sequence line; longer sequences are wrapped.
    """
    lines = []
    labels = sequences.labels or [None] * sequences.n_obs
    for record_id, sequence, label in zip(sequences.ids, sequences.sequences, labels, strict=True):
        lines.append(f">{record_id}" + (f" label={label}" if label is not None else ""))
        lines.extend(sequence[i : i + width] for i in range(0, len(sequence), width))
    return "\n".join(lines) + "\n"


def sequences_csv_text(sequences: SequenceSet) -> str:
    """CSV with columns ``ID,SEQ,LAB`` (``LAB`` only when labelled).

    Parameters
    ----------
    sequences
        The sequences to write, with their IDs and (optional) labels.
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    labelled = sequences.labels is not None
    writer.writerow(["ID", "SEQ", "LAB"] if labelled else ["ID", "SEQ"])
    labels = sequences.labels or [None] * sequences.n_obs
    for row in zip(sequences.ids, sequences.sequences, labels, strict=True):
        writer.writerow(row if labelled else row[:2])
    return buffer.getvalue()


def h5ad_bytes(adata: anndata.AnnData) -> bytes:
    """An AnnData object as the bytes of an ``.h5ad`` file (for downloads).

    Parameters
    ----------
    adata
        The matrix (e.g. ``MatrixSet.adata``, or
        :func:`genodash.expression.export.processed_anndata`).
    """
    with tempfile.TemporaryDirectory(prefix="genodash-h5ad-") as folder:
        path = Path(folder) / "data.h5ad"
        adata.write_h5ad(path)
        return path.read_bytes()


def write_dataset(dataset: SequenceSet | MatrixSet, target: str | os.PathLike[str]) -> None:
    """Write sequences as FASTA (``.fa``) or CSV (``.csv``), a matrix as ``.h5ad``.

    Parameters
    ----------
    dataset
        Sequences or an expression matrix.
    target
        The output file. For sequences its suffix picks the format (``.fa``, ``.fasta`` or
        ``.csv``); a matrix is always written in the ``.h5ad`` format. The write is atomic.

    Raises
    ------
    ConfigError
        Sequences with a suffix other than ``.fa``, ``.fasta`` or ``.csv``.
    """
    target = Path(target)
    writers: dict[str, Callable[[], None]] = {
        ".fa": lambda: write_text_atomic(target, fasta_text(dataset)),
        ".fasta": lambda: write_text_atomic(target, fasta_text(dataset)),
        ".csv": lambda: write_text_atomic(target, sequences_csv_text(dataset)),
    }
    if isinstance(dataset, MatrixSet):
        with atomic_path(target) as temp:
            dataset.adata.write_h5ad(temp.with_suffix(".h5ad"))
            os.replace(temp.with_suffix(".h5ad"), temp)
        return
    writer = writers.get(target.suffix.lower())
    if writer is None:
        from genodash.errors import ConfigError

        raise ConfigError(f"write sequences to .fa, .fasta or .csv, not {target.suffix!r}")
    writer()


def dataset_downloads(
    dataset: SequenceSet | MatrixSet,
) -> list[tuple[str, Callable[[], str | bytes], str]]:
    """The files a data set can be downloaded as, each made only when asked for.

    Parameters
    ----------
    dataset
        Sequences (FASTA and CSV) or an expression matrix (``.h5ad``).

    Returns
    -------
    ``(format, make, file name)`` per file; ``make()`` returns the file's content (a copy
    of a large data set made in advance would cost what the data set costs).
    """
    if isinstance(dataset, MatrixSet):
        return [("AnnData (.h5ad)", lambda: h5ad_bytes(dataset.adata), "matrix.h5ad")]
    return [
        ("FASTA", lambda: fasta_text(dataset), "sequences.fa"),
        ("CSV", lambda: sequences_csv_text(dataset), "sequences.csv"),
    ]
