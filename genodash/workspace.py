"""A workspace's own files beside its runs: the data set it keeps for a refresh, and the token
of its read-only share link.

A workspace is a folder of the runs folder named by a random token that sits in the
browser's address (``?ws=…``); whoever has that address can train and delete there. Its
share token is derived from it with a key kept in the runs folder, and cannot be turned
back into it: an address with ``?view=TOKEN`` shows the workspace's results without those
powers.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from genodash.io import RawFile, ReadOptions

KEPT_DATA = ".kept-data"
SHARE_KEY = ".share-key"
MANIFEST = "kept.json"
TOKEN = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class KeptData:
    """The data set a workspace keeps: an upload's files, or a server data folder file's
    name, with the options it was read with."""

    origin: Literal["upload", "data folder"]
    files: tuple[RawFile, ...]
    name: str
    options: ReadOptions


def share_token(root: str | os.PathLike[str], workspace: str) -> str:
    """The read-only share token of ``workspace``: a keyed hash of its name, so that it
    gives the workspace's token away no more than a random one would, and nothing is
    written per workspace. The key is made once per runs folder.

    Parameters
    ----------
    root
        The runs folder, whose subfolders are the workspaces.
    workspace
        The workspace's token (its folder's name).
    """
    return _keyed_token(_share_key(Path(root)), workspace)


def _keyed_token(key: bytes, workspace: str) -> str:
    return hmac.new(key, workspace.encode(), hashlib.sha256).hexdigest()[:12]


def workspace_of_share(
    root: str | os.PathLike[str], token: str, also: Iterable[str] = ()
) -> Path | None:
    """The workspace folder whose share token is ``token``, or None.

    Parameters
    ----------
    root
        The runs folder, whose subfolders are the workspaces.
    token
        The token of a ``?view=`` address (anything else finds nothing).
    also
        Workspaces that may have no folder yet (e.g. one whose first job is training).
    """
    root = Path(root)
    if not TOKEN.fullmatch(token) or not root.is_dir():
        return None
    key = _share_key(root)
    folders = [f.name for f in root.iterdir() if f.is_dir() and not f.is_symlink()]
    for name in dict.fromkeys([*folders, *also]):
        if TOKEN.fullmatch(name) and hmac.compare_digest(_keyed_token(key, name), token):
            return root / name
    return None


def _share_key(root: Path) -> bytes:
    path = root / SHARE_KEY
    if not path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f"{SHARE_KEY}.", dir=root)  # readable by us only
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):  # the first key written wins
            os.link(temp, path)
        os.unlink(temp)
    return path.read_text().strip().encode()


def keep_data(folder: str | os.PathLike[str], kept: KeptData, max_bytes: int) -> bool:
    """Keep ``kept`` as the workspace's data set, replacing the one kept before; False (and
    nothing kept) when its files together exceed ``max_bytes``.

    Parameters
    ----------
    folder
        The workspace folder.
    kept
        The files (or data folder name) and read options.
    max_bytes
        The most bytes of files a workspace may keep.
    """
    labels = kept.options.labels_file
    files = [*kept.files, *([labels] if isinstance(labels, RawFile) else [])]
    target = Path(folder) / KEPT_DATA
    if sum(len(file.data) for file in files) > max_bytes:
        forget_data(folder)
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{KEPT_DATA}.", suffix=".partial", dir=target.parent))
    for index, file in enumerate(files):
        (staging / f"file-{index}").write_bytes(file.data)
    manifest = {
        "origin": kept.origin,
        "name": kept.name,
        "files": [file.name for file in kept.files],
        "labels_file": labels.name if isinstance(labels, RawFile) else None,
        "options": _options_record(kept.options),
    }
    (staging / MANIFEST).write_text(json.dumps(manifest))
    _swap_in(staging, target)
    return True


def kept_data(folder: str | os.PathLike[str]) -> KeptData | None:
    """The data set the workspace keeps, or None (none kept, or the files are unreadable).

    Parameters
    ----------
    folder
        The workspace folder.
    """
    source = Path(folder) / KEPT_DATA
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        names = list(manifest["files"])
        files = tuple(
            RawFile(name, (source / f"file-{index}").read_bytes())
            for index, name in enumerate(names)
        )
        options = ReadOptions(**_options_fields(manifest["options"]))
        if manifest.get("labels_file"):
            labels = (source / f"file-{len(names)}").read_bytes()
            options = replace(options, labels_file=RawFile(manifest["labels_file"], labels))
        return KeptData(manifest["origin"], files, str(manifest["name"]), options)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget_data(folder: str | os.PathLike[str]) -> None:
    """Remove the workspace's kept data set, if any.

    Parameters
    ----------
    folder
        The workspace folder.
    """
    shutil.rmtree(Path(folder) / KEPT_DATA, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` in ``target``'s place: a reader sees the old set or the new one."""
    old = target.with_name(f"{KEPT_DATA}.{secrets.token_hex(4)}.deleting")
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _options_record(options: ReadOptions) -> dict[str, Any]:
    return {
        "kind": options.kind,
        "sequence_column": options.sequence_column,
        "label_column": options.label_column,
        "batch_column": options.batch_column,
        "metadata_columns": list(options.metadata_columns),
        "transpose": options.transpose,
    }


def _options_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "metadata_columns": tuple(record.get("metadata_columns") or ())}
