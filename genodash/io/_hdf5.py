"""Opening HDF5 uploads (.h5ad, 10x .h5) safely.

An HDF5 file can point outside itself: external links to other files, datasets
whose raw data lives in external files, and virtual datasets mapping other files.
From a server, any of those could read files the user must not see. They are
refused before any data is read, and the sizes the file declares are checked
against a budget before anything is allocated.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from genodash.errors import FormatError, GenodashError, LimitError
from genodash.io._source import HDF5_MAGIC, RawFile
from genodash.limits import Limits, human_bytes

_USERBLOCK_OFFSETS = (0, 512, 1024, 2048, 4096)
CORRUPT_HDF5_ERRORS = (
    OSError,
    RuntimeError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OverflowError,
)


def is_hdf5(data: bytes) -> bool:
    return any(data[offset : offset + 8] == HDF5_MAGIC for offset in _USERBLOCK_OFFSETS)


@contextmanager
def open_hdf5(raw: RawFile, limits: Limits) -> Iterator[object]:
    """Open ``raw`` as a read-only in-memory HDF5 file after the safety checks."""
    import h5py

    if not is_hdf5(raw.data):
        raise FormatError(
            "is not an HDF5 file (.h5ad and 10x .h5 files are HDF5)",
            file=raw.display_name,
            hint="Check that the upload finished and the file is not another format renamed",
        )
    try:
        handle = h5py.File(io.BytesIO(raw.data), "r")
    except CORRUPT_HDF5_ERRORS as err:
        raise FormatError(
            "HDF5 file is truncated or corrupt; nothing was loaded",
            file=raw.display_name,
            hint="Download or copy the file again",
        ) from err
    with handle:
        try:
            check_hdf5_safety(handle, raw.display_name, limits)
            yield handle
        except GenodashError:
            raise
        except CORRUPT_HDF5_ERRORS as err:
            # h5py reports damaged internal structures with any of these, at any access
            raise FormatError(
                f"HDF5 content is corrupt ({short_message(err)})",
                file=raw.display_name,
                hint="Download or copy the file again",
            ) from err


def check_hdf5_safety(handle: object, name: str, limits: Limits) -> int:
    """Refuse links and storage outside the file; return the declared bytes of all datasets."""
    import h5py

    declared = 0
    for path, obj in _walk(handle, name):
        if isinstance(obj, h5py.Dataset):
            if obj.is_virtual:
                raise FormatError(
                    "has a virtual dataset mapping other files; refused",
                    file=name,
                    where=f"dataset '{path}'",
                )
            if obj.external:
                raise FormatError(
                    "has a dataset stored in an external file; refused",
                    file=name,
                    where=f"dataset '{path}'",
                )
            declared += (obj.size or 0) * obj.dtype.itemsize  # None: an empty (null) dataset
            if declared > limits.max_array_bytes:
                raise LimitError(
                    f"declares arrays of more than {human_bytes(limits.max_array_bytes)}",
                    file=name,
                    where=f"dataset '{path}'",
                    hint="Use a smaller file or raise GENODASH_MAX_ARRAY_BYTES",
                )
    return declared


def _walk(group: object, name: str, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Yield (path, object) for every object, checking each link before following it."""
    import h5py

    for key in group:
        path = f"{prefix}/{key}"
        link = group.get(key, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            raise FormatError(
                "has an external link to another file; refused", file=name, where=f"'{path}'"
            )
        if isinstance(link, h5py.SoftLink):
            raise FormatError(
                "has a soft link; genodash reads plain HDF5 trees only",
                file=name,
                where=f"'{path}'",
            )
        try:
            obj = group[key]
        except (KeyError, OSError, ValueError) as err:
            raise FormatError(
                f"cannot read object ({short_message(err)})", file=name, where=f"'{path}'"
            ) from err
        yield path, obj
        if isinstance(obj, h5py.Group):
            yield from _walk(obj, name, path)


def short_message(err: BaseException) -> str:
    """An exception's text, at most 160 characters (for messages naming a damaged part).

    Parameters
    ----------
    err
        The exception.
    """
    text = str(err).strip() or type(err).__name__
    return text if len(text) < 160 else text[:157] + "…"


def decode_strings(values: object) -> list[str]:
    """HDF5 string values (bytes or str) as Python strings.

    Parameters
    ----------
    values
        An array read from a string dataset.
    """
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def tenx_matrix_group(handle: Any, name: str) -> tuple[str, Any]:
    """The group of a 10x ``.h5`` file that holds its matrix (``matrix`` in Cell Ranger 3
    and later, the genome's name before), after checking that its parts are there.

    Parameters
    ----------
    handle
        The open file.
    name
        Its display name, for messages.

    Returns
    -------
    tuple
        The group's path and the group.

    Raises
    ------
    FormatError
        No such group, or one without data, indices, pointers, shape or barcodes.
    """
    if "matrix" in handle:
        key = "matrix"
    else:
        groups = [key for key in handle if "indptr" in handle[key]]
        if len(groups) != 1:
            raise FormatError(
                "is an HDF5 file but neither AnnData (.h5ad) nor a 10x matrix (.h5)", file=name
            )
        key = groups[0]
    group = handle[key]
    parts = ("data", "indices", "indptr", "shape", "barcodes")
    missing = [part for part in parts if part not in group]
    if missing:
        raise FormatError(
            f"is neither AnnData nor a 10x matrix (missing {', '.join(missing)})", file=name
        )
    return key, group
