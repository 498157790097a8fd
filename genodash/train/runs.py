"""Saved runs: a folder per trained model, written atomically, verified on load.

A run folder holds ``config.json`` (everything needed to rebuild the model), ``metrics.json``,
``history.csv``, ``weights.safetensors`` (never pickle), ``data.json`` (data fingerprint,
sizes, seed), optional extra tables (e.g. ``latent.csv``), and ``manifest.json`` with the
SHA-256 of every other file. It is written to a temporary folder beside its destination
and renamed into place, so a runs folder only ever lists complete runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd
from torch import nn

from genodash.errors import RunError

RUN_FILES = ("config.json", "metrics.json", "history.csv", "weights.safetensors", "data.json")
FORMAT_VERSION = 1
TITLE_FILE = "title.txt"  # the run's name as people read it; not part of the model
MAX_TITLE_LENGTH = 80
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Encoding:
    """How a sequence run turned DNA into model input: the kept length and alignment."""

    length: int
    align: str
    augment_rc: bool = False


class _ConfigList:
    """A list attribute of :class:`Run`: the list stored in its ``config`` under the
    attribute's own name, a fresh copy on each read, empty when the run has none."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, run: None, owner: type) -> _ConfigList: ...

    @overload
    def __get__(self, run: Run, owner: type) -> list[str]: ...

    def __get__(self, run: Run | None, owner: type) -> _ConfigList | list[str]:
        return self if run is None else list(run.config.get(self.name) or [])


@dataclass
class Run:
    """A trained model with everything needed to describe, reload and reuse it.

    ``config``, ``metrics`` and ``data`` are the run folder's JSON files as written; the
    properties below are the fields every reader uses, so that no reader spells a key.
    """

    config: dict[str, Any]
    metrics: dict[str, Any]
    history: list[dict[str, float]]
    data: dict[str, Any]
    model: nn.Module
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    title: str = ""

    @property
    def model_name(self) -> str:
        return self.config["model"]

    @property
    def kind(self) -> str:
        return self.config["kind"]

    #: The classes of a sequence classifier, in output order (empty for other runs).
    classes = _ConfigList()

    @property
    def positive_class(self) -> str | None:
        """The class ROC and PR curves are drawn for (binary runs), if any."""
        return self.config.get("positive_class")

    @property
    def encoding(self) -> Encoding:
        """The encoding of a sequence run."""
        encoding = self.config["encoding"]
        return Encoding(
            int(encoding["length"]), encoding["align"], bool(encoding.get("augment_rc"))
        )

    @property
    def test(self) -> dict[str, Any]:
        """Scores on the held-out test set (per-class table, curves, confusion matrix)."""
        return self.metrics.get("test", {})

    @property
    def message(self) -> str:
        """How training ended, in words."""
        return str(self.metrics.get("message", ""))

    @property
    def created(self) -> str:
        return str(self.config.get("created", ""))

    @property
    def model_config(self) -> dict[str, Any]:
        """Every setting of the model, defaults included."""
        return dict(self.config.get("model_config", {}))

    #: The genes an expression model reads, in its input order.
    genes = _ConfigList()
    #: The batches an expression model was trained on (its batch covariate's values).
    batch_names = _ConfigList()

    @property
    def batch_column(self) -> str | None:
        return self.config.get("batch_column")

    #: The features of a two-modality model's second modality.
    second_names = _ConfigList()


def save_run(run: Run, directory: str | os.PathLike[str]) -> Path:
    """Write ``run`` to ``directory`` atomically (it must not exist yet).

    A run without a title gets :func:`default_title` (set on ``run`` too), numbered
    ``(2)``, ``(3)``… when a run beside it already has that title (two runs in one minute).

    Parameters
    ----------
    run
        A trained run (e.g. from ``train_sequence_model``); its weights are copied to the CPU.
    directory
        The new run folder, e.g. from :func:`new_run_dir`; missing parent folders are
        created.

    Returns
    -------
    The run folder's path.

    Raises
    ------
    RunError
        ``directory`` already exists.
    """
    from safetensors.torch import save_file

    target = Path(directory)
    run.title = run.title or _unused_title(default_title(run), target.parent)
    if target.exists():
        raise RunError("already exists; choose another folder", file=str(target.name))
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        _write_json(temp / "config.json", {**run.config, "format_version": FORMAT_VERSION})
        _write_json(temp / "metrics.json", run.metrics)
        _write_json(temp / "data.json", run.data)
        _write_history(temp / "history.csv", run.history)
        state = {k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}
        save_file(state, str(temp / "weights.safetensors"))
        for name, table in run.tables.items():
            table.to_csv(temp / f"{name}.csv", index=False)
        _write_json(temp / "manifest.json", _manifest(temp))
        (temp / TITLE_FILE).write_text(run.title, encoding="utf-8")
        os.replace(temp, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


def _unused_title(title: str, root: Path) -> str:
    """``title``, or ``title (n)`` with the lowest n that no run in ``root`` has yet."""
    taken = {read_title(folder) for folder in _plain_subfolders(root)}
    number = 1
    candidate = title
    while candidate in taken:
        number += 1
        candidate = clean_title(f"{title} ({number})")
    return candidate


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, default=_plain), encoding="utf-8")


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def _write_history(path: Path, history: list[dict[str, float]]) -> None:
    columns = sorted({key for row in history for key in row}, key=lambda k: (k != "epoch", k))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or ["epoch"])
        writer.writeheader()
        writer.writerows(history)


def _manifest(folder: Path) -> dict[str, str]:
    return {
        path.name: _sha256(path.read_bytes())
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name not in ("manifest.json", TITLE_FILE)
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_run(directory: str | os.PathLike[str]) -> Run:
    """Load and verify a run folder; rebuild its model with the saved weights.

    Parameters
    ----------
    directory
        A run folder written by :func:`save_run`.

    Returns
    -------
    The run with its model (on the CPU), settings, metrics, history, tables and title.

    Raises
    ------
    RunError
        Missing or altered files, an unknown architecture, or weights that do not fit.
    """
    folder = Path(directory)
    name = folder.name
    files = _verified_files(folder, name)
    config = _read_json(files["config.json"], name, "config.json")
    model = _rebuild_model(config, files["weights.safetensors"], name)
    tables = {
        path.stem: pd.read_csv(io.BytesIO(data))
        for path, data in ((folder / file, content) for file, content in files.items())
        if path.suffix == ".csv" and path.name != "history.csv"
    }
    return Run(
        config=config,
        metrics=_read_json(files["metrics.json"], name, "metrics.json"),
        history=_read_history(files["history.csv"]),
        data=_read_json(files["data.json"], name, "data.json"),
        model=model,
        tables=tables,
        title=read_title(folder),
    )


def _verified_files(folder: Path, name: str) -> dict[str, bytes]:
    if folder.is_symlink():
        raise RunError(_LINK, file=name)
    if not folder.is_dir():
        raise RunError("is not a run folder", file=name)
    _refuse_links(folder, name)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise RunError("has no manifest.json: not a complete genodash run", file=name)
    manifest = _read_json(_read_plain(manifest_path, name), name, "manifest.json")
    missing = [f for f in RUN_FILES if f not in manifest]
    if missing:
        raise RunError(f"manifest lacks {', '.join(missing)}", file=name)
    files = {}
    for file, digest in manifest.items():
        path = folder / file
        if not _RUN_NAME.match(file) or not (path.is_file() or path.is_symlink()):
            raise RunError(f"file {file!r} listed in the manifest is missing", file=name)
        data = _read_plain(path, name)
        if _sha256(data) != digest:
            raise RunError(
                f"{file} does not match its checksum: the run was altered or damaged", file=name
            )
        files[file] = data
    return files


_LINK = "is a link; a run folder holds plain files only"


def _refuse_links(folder: Path, name: str) -> None:
    """A link in a run folder could make loading (or zipping) read any file of the server."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_symlink():
                shown = entry.name if _RUN_NAME.match(entry.name) else repr(entry.name)
                raise RunError(f"{shown} {_LINK}", file=name)


def _read_plain(path: Path, name: str) -> bytes:
    """The bytes of a regular file, never through a link (even one swapped in after
    :func:`_refuse_links` looked), and never from a pipe or device."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if path.is_symlink():
            raise RunError(f"{path.name} {_LINK}", file=name) from None
        raise RunError(f"{path.name} cannot be read ({err.strerror})", file=name) from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise RunError(
                f"{path.name} is not a plain file; a run folder holds plain files only", file=name
            )
        return handle.read()


def _read_json(data: bytes, name: str, file: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RunError(f"{file} is not valid JSON ({err})", file=name) from err
    if not isinstance(value, dict):
        raise RunError(f"{file} must hold a JSON object", file=name)
    return value


def _read_history(data: bytes) -> list[dict[str, float]]:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return [{key: float(value) for key, value in row.items() if value != ""} for row in rows]


def _rebuild_model(config: dict[str, Any], weights: bytes, name: str) -> nn.Module:
    """The model of ``config.json`` with the weights, each checked before anything is built:
    the settings against their ranges, then the tensors' names and shapes (read from the
    safetensors header) against those of the architecture built on torch's ``meta`` device,
    which allocates no memory. Only then is the real model built and the weights loaded, so
    an altered run costs no more memory than its files."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    from genodash.models import MODELS

    model_name = config.get("model")
    if model_name not in MODELS:
        raise RunError(
            f"config.json names an unknown architecture {model_name!r}; known: {', '.join(MODELS)}",
            file=name,
        )
    n_outputs, settings = _model_settings(config, name)
    expected = _expected_shapes(model_name, n_outputs, settings, name)
    _check_shapes(_weight_shapes(weights, name), expected, name)
    model = _build(model_name, n_outputs, settings, name)
    try:
        state = load(weights)
    except (SafetensorError, ValueError, OSError) as err:
        raise RunError(f"weights.safetensors is not a safetensors file ({err})", file=name) from err
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[0][:200]
        raise RunError(
            f"weights do not fit the architecture in config.json ({first})", file=name
        ) from err
    model.eval()
    return model


def _model_settings(config: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    """``n_outputs`` and the model settings of ``config.json``, checked against their ranges."""
    from genodash.errors import ConfigError
    from genodash.models import MODELS

    n_outputs = config.get("n_outputs")
    if not isinstance(n_outputs, int) or isinstance(n_outputs, bool) or n_outputs < 1:
        raise RunError(
            f"config.json: n_outputs must be a whole number of at least 1, got {n_outputs!r}",
            file=name,
        )
    settings = config.get("model_config", {})
    if not isinstance(settings, dict):
        raise RunError("config.json: model_config must be a JSON object", file=name)
    try:
        MODELS[config["model"]].config(**settings)
    except ConfigError as err:
        raise RunError(f"config.json: {err}", file=name) from None
    return n_outputs, settings


def _build(model_name: str, n_outputs: int, settings: dict[str, Any], name: str) -> nn.Module:
    from genodash.models import build_model

    try:
        return build_model(model_name, n_outputs=n_outputs, **settings)
    except (ValueError, TypeError) as err:
        raise RunError(f"config.json cannot rebuild the model ({err})", file=name) from err


def _expected_shapes(
    model_name: str, n_outputs: int, settings: dict[str, Any], name: str
) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the model's tensors, from a copy built without memory."""
    import torch

    with torch.device("meta"):
        skeleton = _build(model_name, n_outputs, settings, name)
    return {key: tuple(value.shape) for key, value in skeleton.state_dict().items()}


_HEADER_LIMIT = 100 * 2**20  # safetensors itself refuses headers above 100 MB


def _weight_shapes(weights: bytes, name: str) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes from the safetensors header, without reading any tensor.

    The header is parsed from the bytes whose checksum was just verified (rather than by
    opening the file again), so what is checked is what is loaded. Layout: 8 bytes of
    header length (little-endian), then a JSON object ``{name: {"dtype", "shape",
    "data_offsets"}}`` and an optional ``"__metadata__"``.
    """

    def refuse(why: str) -> RunError:
        return RunError(f"weights.safetensors is not a safetensors file ({why})", file=name)

    if len(weights) < 8:
        raise refuse("too short")
    size = int.from_bytes(weights[:8], "little")
    if size > min(len(weights) - 8, _HEADER_LIMIT):
        raise refuse("its header length is larger than the file")
    try:
        header = json.loads(weights[8 : 8 + size])
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise refuse(f"its header is not JSON: {err}") from None
    if not isinstance(header, dict):
        raise refuse("its header is not a JSON object")
    shapes = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise refuse(f"tensor {key!r} has no valid shape")
        shapes[key] = tuple(shape)
    return shapes


def _check_shapes(
    found: dict[str, tuple[int, ...]], expected: dict[str, tuple[int, ...]], name: str
) -> None:
    def refuse(why: str) -> RunError:
        return RunError(f"weights do not fit the architecture in config.json ({why})", file=name)

    missing = [key for key in expected if key not in found]
    if missing:
        raise refuse(f"weights.safetensors lacks {_listed(missing)}")
    extra = [key for key in found if key not in expected]
    if extra:
        raise refuse(f"weights.safetensors has tensors the model does not: {_listed(extra)}")
    for key, shape in expected.items():
        if found[key] != shape:
            raise refuse(
                f"{key} is {_shape(found[key])} in weights.safetensors, but config.json "
                f"describes {_shape(shape)}"
            )


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:3])
    return shown + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(map(str, shape)) if shape else "a single number"


def default_title(run: Run) -> str:
    """A name people can tell apart: ``CNN on Planted motif · 6 Dec 14:05 UTC``.

    Parameters
    ----------
    run
        A run whose config names its model and creation time and whose data names its source.
    """
    from datetime import datetime

    from genodash.models import MODELS

    spec = MODELS.get(run.model_name)
    model = spec.short if spec else run.model_name
    created = run.created
    try:
        moment = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
        when = f" · {moment.day} {moment:%b %H:%M} UTC"
    except ValueError:
        when = ""
    return clean_title(f"{model} on {run.data.get('name', 'data')}{when}")


def clean_title(text: str) -> str:
    """``text`` as a run title: control characters removed, one line, at most 80 characters.

    Parameters
    ----------
    text
        The title as typed (anything; it is converted to text). Longer titles are cut and
        end in "…".
    """
    text = " ".join(_CONTROL.sub(" ", str(text)).split())
    return text if len(text) <= MAX_TITLE_LENGTH else text[: MAX_TITLE_LENGTH - 1] + "…"


def read_title(folder: str | os.PathLike[str]) -> str:
    """The run's title, or its folder name when it has none (runs saved before titles).

    Parameters
    ----------
    folder
        A run folder.
    """
    path = Path(folder) / TITLE_FILE
    try:
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                text = handle.read(4 * MAX_TITLE_LENGTH).decode("utf-8", errors="replace")
            return clean_title(text) or Path(folder).name
    except OSError:
        pass
    return Path(folder).name


def rename_run(directory: str | os.PathLike[str], title: str) -> str:
    """Give the run at ``directory`` a new title (written atomically); returns it.

    Parameters
    ----------
    directory
        A run folder.
    title
        The new title; it is cleaned as by :func:`clean_title`.

    Returns
    -------
    The title as stored.

    Raises
    ------
    RunError
        Not a run folder, or an empty title.
    """
    folder = Path(directory)
    if not (folder / "manifest.json").is_file():
        raise RunError("is not a run folder", file=folder.name)
    cleaned = clean_title(title)
    if not cleaned:
        raise RunError("a run's name cannot be empty", file=folder.name)
    fd, temp = tempfile.mkstemp(prefix=".title.", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(cleaned)
    os.replace(temp, folder / TITLE_FILE)
    return cleaned


def new_run_dir(root: str | os.PathLike[str], model_name: str) -> Path:
    """A free folder name under ``root`` such as ``cnn-20261124-181502`` (``-2`` if taken).

    Parameters
    ----------
    root, model_name
        The runs folder, and the registered model that starts the name (the time in UTC
        follows it).

    Returns
    -------
    A path that does not exist yet (nothing is created).
    """
    from datetime import UTC, datetime

    root = Path(root)
    stem = f"{model_name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    candidate, n = root / stem, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stem}-{n}"
    return candidate


@dataclass(frozen=True)
class RunListing:
    """One row of the runs table (read from JSON only; weights are not loaded)."""

    name: str
    path: Path
    model: str
    kind: str
    created: str
    data_name: str
    metrics: dict[str, Any]
    status: str
    title: str


def list_runs(root: str | os.PathLike[str]) -> list[RunListing]:
    """Complete runs under ``root``, newest first; damaged folders are skipped.

    Parameters
    ----------
    root
        The runs folder; a missing folder gives an empty list. Hidden folders (unfinished
        saves or deletions) and links are left out.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    listings = []
    for folder in root.iterdir():
        if folder.name.startswith(".") or folder.is_symlink():
            continue
        if not (folder / "manifest.json").is_file() or any(
            (folder / file).is_symlink() for file in RUN_FILES
        ):
            continue
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        listings.append(
            RunListing(
                name=folder.name,
                path=folder,
                model=str(config.get("model")),
                kind=str(config.get("kind")),
                created=str(config.get("created", "")),
                data_name=str(data.get("name", "")),
                metrics=metrics,
                status=str(config.get("status", "")),
                title=read_title(folder),
            )
        )
    return sorted(listings, key=lambda r: r.created, reverse=True)


def runs_table(listings: list[RunListing]) -> pd.DataFrame:
    """The runs as a table with readable columns; a column only when some run has it.

    Parameters
    ----------
    listings
        Runs from :func:`list_runs`.

    Returns
    -------
    pandas.DataFrame
        ``Name``, ``Model``, ``Data``, then the scores the runs have (``Test accuracy``,
        ``Test AUROC`` for classifiers; ``Test loss``, ``Latent dimensions`` for expression
        models; NaN where a run has none), ``How it ended`` and ``Created (UTC)``.
    """
    from genodash.models import MODELS
    from genodash.train.loop import STOP_REASON_TITLES

    scores = {
        "Test accuracy": "test_accuracy",
        "Test AUROC": "test_auroc",
        "Test loss": "test_loss",
        "Latent dimensions": "latent_dim",
    }
    rows = []
    for listing in listings:
        spec = MODELS.get(listing.model)
        row = {
            "Name": listing.title,
            "Model": spec.short if spec else listing.model,
            "Data": listing.data_name,
        }
        for column, key in scores.items():
            value = listing.metrics.get(key)
            row[column] = float(value) if isinstance(value, int | float) else float("nan")
        row["How it ended"] = STOP_REASON_TITLES.get(listing.status, listing.status)
        row["Created (UTC)"] = listing.created.replace("T", " ").removesuffix("Z")
        rows.append(row)
    table = pd.DataFrame(rows)
    empty = [column for column in scores if column in table and table[column].isna().all()]
    return table.drop(columns=empty)


_ENCODING_TITLES = {
    "length": "Encoded length (bp)",
    "align": "Alignment",
    "augment_rc": "Reverse complements added to training",
}
_SPLIT_TITLES = {
    "val_fraction": "Validation share",
    "test_fraction": "Test share",
    "seed": "Split seed",
}


def settings_table(run: Run) -> pd.DataFrame:
    """Every setting the run was trained with, in words: ``Part``, ``Setting``, ``Value``.

    Parameters
    ----------
    run
        A trained run.

    Returns
    -------
    pandas.DataFrame
        Model settings (labelled as on the training page), training settings, and for
        sequence models the encoding, the split and the classes.
    """
    from genodash.device import DEVICE_TITLES
    from genodash.models import MODELS
    from genodash.train.loop import TRAIN_SETTING_TITLES

    spec = MODELS[run.model_name]
    labels = {field.name: field.metadata.get("label", field.name) for field in spec.fields()}
    rows = [("Model", "Network", spec.title)]
    rows += [
        ("Model", labels.get(key, key.replace("_", " ")), _shown(value))
        for key, value in run.config.get("model_config", {}).items()
    ]
    device = run.metrics.get("device", "")
    for key, value in run.config.get("train_config", {}).items():
        shown = _shown(value)
        if key == "mixed_precision" and value and not str(device).startswith("cuda"):
            shown = f"not used (trained on {DEVICE_TITLES.get(device, device)})"
        rows.append(("Training", TRAIN_SETTING_TITLES.get(key, key.replace("_", " ")), shown))
    for part, key, titles in (
        ("Encoding", "encoding", _ENCODING_TITLES),
        ("Split", "split", _SPLIT_TITLES),
    ):
        rows += [
            (part, titles.get(name, name.replace("_", " ")), _shown(value))
            for name, value in run.config.get(key, {}).items()
        ]
    if run.config.get("classes"):
        rows.append(("Data", "Classes", ", ".join(map(str, run.config["classes"]))))
    return pd.DataFrame(rows, columns=["Part", "Setting", "Value"])


def _shown(value: Any) -> str:
    from genodash.settings import option_title

    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return option_title(value)


LEADERBOARD_COLUMNS = {
    "Model": "model",
    "Test accuracy": "test_accuracy",
    "Test AUROC": "test_auroc",
    "Test AUPRC": "test_auprc",
    "Parameters": "parameters",
    "Seconds per epoch": "seconds_per_epoch",
    "Device": "device",
    "Epochs": "epochs_run",
    "Best epoch": "best_epoch",
}
#: Fewer epochs than this and a ranking says more about training time than about the models.
MIN_RANKED_EPOCHS = 5


def leaderboard_table(runs: list[Run]) -> pd.DataFrame:
    """Classifiers trained on one split, best test accuracy first, with readable columns.

    Parameters
    ----------
    runs
        Sequence runs, e.g. those of one comparison.

    Returns
    -------
    pandas.DataFrame
        One row per run: the columns of :data:`LEADERBOARD_COLUMNS`, ``Training ended``
        (:func:`training_ending`) and ``Run`` (its title).
    """
    from genodash.models import MODELS

    rows = []
    for run in runs:
        row = {column: run.metrics.get(key) for column, key in LEADERBOARD_COLUMNS.items()}
        row["Model"] = MODELS[run.model_name].short
        row["Training ended"] = training_ending(run)
        row["Run"] = run.title
        rows.append(row)
    return pd.DataFrame(rows).sort_values("Test accuracy", ascending=False)


def still_improving(run: Run) -> bool:
    """Whether the epoch limit ended a run's training before early stopping judged it done.

    True when every allowed epoch ran and the lowest validation loss came within the last
    ``patience`` epochs (the last epoch itself when early stopping was off): more epochs
    would probably have lowered it further.

    Parameters
    ----------
    run
        A run trained by genodash's loop.
    """
    settings = run.config.get("train_config", {})
    recent = max(int(settings.get("patience", 0)), 1)
    epochs, best = run.metrics.get("epochs_run", 0), run.metrics.get("best_epoch", 0)
    return run.metrics.get("stop_reason") == "completed" and epochs - best < recent


def training_ending(run: Run) -> str:
    """How a run's training ended, in a few plain words (the leaderboard's column).

    Parameters
    ----------
    run
        A run trained by genodash's loop.
    """
    from genodash.train.loop import STOP_REASON_TITLES

    reason = run.metrics.get("stop_reason", "")
    if reason == "early_stopping":
        return "early stopping: no longer improving"
    if reason == "completed":
        return "epoch limit, still improving" if still_improving(run) else "epoch limit"
    return STOP_REASON_TITLES.get(reason, reason or "—")


def ranking_warning(runs: list[Run]) -> str | None:
    """Why a leaderboard's ranking may not hold, in plain words; ``None`` when it rests on
    enough training.

    A run counts as too short when it trained fewer than :data:`MIN_RANKED_EPOCHS` epochs,
    when the epoch limit ended it while it was still improving (:func:`still_improving`),
    or when it was stopped by hand, by a time limit or by a failing loss.

    Parameters
    ----------
    runs
        The runs of one comparison.

    Returns
    -------
    str or None
        One sentence per model that was cut short, and what to do about it.
    """
    reasons = [_cut_short(run) for run in runs]
    reasons = [reason for reason in reasons if reason]
    if not reasons:
        return None
    return (
        "This ranking rests on too little training. "
        + " ".join(reasons)
        + " A model that had more time might overtake another: raise *Epochs (at most)* "
        "and train again before deciding which architecture is better."
    )


def _cut_short(run: Run) -> str:
    from genodash.train.loop import STOP_REASON_TITLES

    epochs = int(run.metrics.get("epochs_run", 0))
    reason = run.metrics.get("stop_reason", "")
    counted = f"{epochs} epoch{'s' if epochs != 1 else ''}"
    if reason not in ("completed", "early_stopping"):
        return f"{_short(run)}: {STOP_REASON_TITLES.get(reason, reason)} after {counted}."
    if still_improving(run):
        return (
            f"{_short(run)} was still improving when the limit of {counted} ended its "
            f"training (lowest validation loss at epoch {run.metrics.get('best_epoch')})."
        )
    if epochs < MIN_RANKED_EPOCHS:
        return (
            f"{_short(run)} trained only {counted} before early stopping ended it; a model "
            "can look stuck for a few epochs and then learn (try a larger patience)."
        )
    return ""


def per_class_table(run: Run) -> pd.DataFrame:
    """A classifier's test scores, one row per class (the index, named ``class``):
    ``precision``, ``recall``, ``f1`` and ``support``.

    Parameters
    ----------
    run
        A sequence run.
    """
    table = pd.DataFrame(run.test["per_class"]).T
    table.index.name = "class"
    return table


_LATENT_TITLES = {
    "latent_first": "first modality",
    "latent_second": "second modality",
    "latent": "joint",
}


def latent_tables(run: Run) -> dict[str, tuple[str, pd.DataFrame]]:
    """The latent tables an expression run saved, by table name, each with what it embeds.

    Parameters
    ----------
    run
        An expression run.

    Returns
    -------
    dict
        Table name → (title, table with ``cell`` then one column per latent dimension).
        A model of one modality has ``latent`` with an empty title; one of two modalities
        has ``latent_first`` and ``latent_second`` (and ``latent``, titled ``joint``).
    """
    names = [name for name in _LATENT_TITLES if name in run.tables]
    return {
        name: ("" if names == ["latent"] else _LATENT_TITLES[name], run.tables[name])
        for name in names
    }


def delete_run(directory: str | os.PathLike[str]) -> None:
    """Remove a run folder (renamed first, so it vanishes from listings at once).

    Parameters
    ----------
    directory
        A run folder.

    Raises
    ------
    RunError
        A link, or not a run folder.
    """
    folder = Path(directory)
    if folder.is_symlink():
        raise RunError(_LINK, file=folder.name)
    if not (folder / "manifest.json").is_file():
        raise RunError("is not a run folder", file=folder.name)
    trash = folder.with_name(f".{folder.name}.deleting")
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def zip_run(directory: str | os.PathLike[str]) -> bytes:
    """The run folder as a .zip (for downloads).

    Parameters
    ----------
    directory
        A run folder; its files go in a folder of the same name inside the archive (links
        are left out).
    """
    folder = Path(directory)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.is_symlink():  # a link could point anywhere
                archive.write(path, arcname=f"{folder.name}/{path.name}")
    return buffer.getvalue()


STALE_AFTER_SECONDS = 60.0


def remove_stale_partials(root: str | os.PathLike[str], *, now: float | None = None) -> int:
    """Remove what interrupted saves and deletions left behind; returns how many folders.

    :func:`save_run` writes into a hidden ``.NAME.XXXX.partial`` folder and
    :func:`delete_run` renames a run to ``.NAME.deleting`` before removing it; a process
    killed in between leaves such a folder. They are looked for in ``root`` and in its
    workspace folders one level down, and removed only when nothing in them has changed
    for a minute, so a save in progress is never touched. Links are never followed.

    Parameters
    ----------
    root
        The runs folder (e.g. ``runs/``, whose subfolders are the workspaces).
    now
        The current time (seconds since the epoch); for tests.
    """
    root = Path(root)
    now = time.time() if now is None else now
    removed = 0
    for folder in (root, *_plain_subfolders(root)):
        for leftover in _plain_subfolders(folder, hidden=True):
            if not leftover.name.endswith((".partial", ".deleting")):
                continue
            try:
                if now - _last_change(leftover) < STALE_AFTER_SECONDS:
                    continue
            except OSError:  # removed meanwhile by another process
                continue
            shutil.rmtree(leftover, ignore_errors=True)
            removed += not leftover.exists()
    return removed


def _plain_subfolders(folder: Path, *, hidden: bool = False) -> list[Path]:
    """Subfolders (not links) whose names start with a dot if ``hidden``, else not."""
    try:
        with os.scandir(folder) as entries:
            return [
                Path(entry.path)
                for entry in entries
                if entry.is_dir(follow_symlinks=False) and entry.name.startswith(".") == hidden
            ]
    except OSError:
        return []


def _last_change(folder: Path) -> float:
    """The newest modification time of ``folder`` and the files in it (a file being
    written changes its own time, not the folder's)."""
    times = [folder.lstat().st_mtime]
    with os.scandir(folder) as entries:
        times += [entry.stat(follow_symlinks=False).st_mtime for entry in entries]
    return max(times)


# --- what the Compare and Runs pages show of runs ------------------------------------------


def _short(run: Run) -> str:
    from genodash.models import MODELS

    spec = MODELS.get(run.model_name)
    return spec.short if spec else run.model_name


def model_histories(runs: list[Run]) -> dict[str, list[dict[str, float]]]:
    """Each run's learning curve, by its model's short name (for one comparison figure).

    Parameters
    ----------
    runs
        Runs of different models, e.g. those of one comparison.
    """
    return {_short(run): run.history for run in runs}


def model_curves(runs: list[Run], curve: Literal["roc", "pr"]) -> dict[str, dict[str, list]]:
    """Each binary run's test ROC or precision–recall curve, by its model's short name.

    Parameters
    ----------
    runs
        Two-class sequence runs, e.g. those of one comparison.
    curve
        ``"roc"`` (``fpr``, ``tpr``) or ``"pr"`` (``recall``, ``precision``).

    Returns
    -------
    dict
        Model → the curve of the run's positive class; runs without one (the class was
        absent from the test set) are left out.
    """
    curves = {}
    for run in runs:
        by_class = run.test.get(curve) or {}
        if by_class:
            curves[_short(run)] = next(iter(by_class.values()))
    return curves


def run_description(run: Run) -> str:
    """What a run is and what it was trained on, in one sentence (plain text).

    Parameters
    ----------
    run
        A sequence or expression run.

    Returns
    -------
    str
        E.g. ``Convolutional network, trained on Planted motif: 600 training, 200
        validation, 200 test sequences.``
    """
    from genodash.models import MODELS

    spec = MODELS.get(run.model_name)
    title = spec.title if spec else run.model_name
    name = run.data.get("name", "")
    if run.kind == "sequence":
        return (
            f"{title}, trained on {name}: {run.data['n_train']:,} training, "
            f"{run.data['n_val']:,} validation, {run.data['n_test']:,} test sequences."
        )
    return (
        f"{title}, trained on {name}: "
        f"{run.metrics['n_cells']:,} cells × {run.metrics['n_genes']:,} genes."
    )


def listing_description(listing: RunListing) -> str:
    """A run's title with its test accuracy, for pickers of classifiers.

    Parameters
    ----------
    listing
        A run from :func:`list_runs`.
    """
    accuracy = listing.metrics.get("test_accuracy", float("nan"))
    return f"{listing.title} · test accuracy {accuracy:.1%}"


@dataclass(frozen=True)
class PredictionSummary:
    """Counts of predicted classes and agreement with the file's labels.

    Attributes
    ----------
    counts
        Predicted class → number of sequences, most frequent first.
    agreement
        Share of sequences whose prediction equals their label; ``None`` without labels.
    """

    counts: dict[str, int]
    agreement: float | None


def prediction_summary(table: pd.DataFrame) -> PredictionSummary:
    """Summarize a table of predictions (``predicted``, optionally ``label``).

    Parameters
    ----------
    table
        Predictions, e.g. from :func:`genodash.predict.predict_sequences`.
    """
    counts = {str(c): int(n) for c, n in table["predicted"].value_counts().items()}
    agreement = float((table["predicted"] == table["label"]).mean()) if "label" in table else None
    return PredictionSummary(counts, agreement)
