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
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from torch import nn

from genodash.errors import RunError

RUN_FILES = ("config.json", "metrics.json", "history.csv", "weights.safetensors", "data.json")
FORMAT_VERSION = 1
_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


@dataclass
class Run:
    """A trained model with everything needed to describe, reload and reuse it."""

    config: dict[str, Any]
    metrics: dict[str, Any]
    history: list[dict[str, float]]
    data: dict[str, Any]
    model: nn.Module
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return self.config["model"]

    @property
    def kind(self) -> str:
        return self.config["kind"]


def save_run(run: Run, directory: str | os.PathLike[str]) -> Path:
    """Write ``run`` to ``directory`` atomically (it must not exist yet)."""
    from safetensors.torch import save_file

    target = Path(directory)
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
        os.replace(temp, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


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
        if path.is_file() and path.name != "manifest.json"
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_run(directory: str | os.PathLike[str]) -> Run:
    """Load and verify a run folder; rebuild its model with the saved weights.

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
    )


def _verified_files(folder: Path, name: str) -> dict[str, bytes]:
    if not folder.is_dir():
        raise RunError("is not a run folder", file=name)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise RunError("has no manifest.json: not a complete genodash run", file=name)
    manifest = _read_json(manifest_path.read_bytes(), name, "manifest.json")
    missing = [f for f in RUN_FILES if f not in manifest]
    if missing:
        raise RunError(f"manifest lacks {', '.join(missing)}", file=name)
    files = {}
    for file, digest in manifest.items():
        path = folder / file
        if not _RUN_NAME.match(file) or not path.is_file():
            raise RunError(f"file {file!r} listed in the manifest is missing", file=name)
        data = path.read_bytes()
        if _sha256(data) != digest:
            raise RunError(
                f"{file} does not match its checksum: the run was altered or damaged", file=name
            )
        files[file] = data
    return files


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
    from safetensors import SafetensorError
    from safetensors.torch import load

    from genodash.models import MODELS, build_model

    model_name = config.get("model")
    if model_name not in MODELS:
        raise RunError(
            f"config names an unknown architecture {model_name!r}; known: {', '.join(MODELS)}",
            file=name,
        )
    try:
        model = build_model(
            model_name, n_outputs=int(config["n_outputs"]), **config.get("model_config", {})
        )
    except (KeyError, ValueError, TypeError) as err:
        raise RunError(f"config.json cannot rebuild the model ({err})", file=name) from err
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


def new_run_dir(root: str | os.PathLike[str], model_name: str) -> Path:
    """A free folder name under ``root`` such as ``cnn-20261124-181502`` (``-2`` if taken)."""
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


def list_runs(root: str | os.PathLike[str]) -> list[RunListing]:
    """Complete runs under ``root``, newest first; damaged folders are skipped."""
    root = Path(root)
    if not root.is_dir():
        return []
    listings = []
    for folder in root.iterdir():
        if folder.name.startswith(".") or not (folder / "manifest.json").is_file():
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
            )
        )
    return sorted(listings, key=lambda r: r.created, reverse=True)


def delete_run(directory: str | os.PathLike[str]) -> None:
    """Remove a run folder (renamed first, so it vanishes from listings at once)."""
    folder = Path(directory)
    if not (folder / "manifest.json").is_file():
        raise RunError("is not a run folder", file=folder.name)
    trash = folder.with_name(f".{folder.name}.deleting")
    os.replace(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)


def zip_run(directory: str | os.PathLike[str]) -> bytes:
    """The run folder as a .zip (for downloads)."""
    folder = Path(directory)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, arcname=f"{folder.name}/{path.name}")
    return buffer.getvalue()
