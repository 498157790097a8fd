"""The result file of the atlas pipeline: an ``.h5ad`` that anndata and scanpy read, with
the cells' table, the kept genes, the PCs and the UMAP, and no matrix.

The counts stay in the source matrix: ``uns["atlas"]["source"]`` is its absolute path,
``obs["source_row"]`` each kept cell's row there and ``var["source_column"]`` each kept
gene's column, so one gene's values are read from the source when asked for
(:func:`gene_expression`) and a result of 1.3 million cells opens in seconds.

Layout (``n`` kept cells, ``k`` PCs)::

    obs          cell names; leiden (categorical), source_row (int64), total_counts,
                 n_genes, maybe pct_mito and normalization_factor (the factor the
                 pipeline multiplied the cell's counts by), the source's label and batch
                 columns
    var          kept genes; source_column (int64), highly_variable, means,
                 dispersions_norm
    obsm/X_pca   float32 n × k
    obsm/X_umap  float32 n × 2
    uns/atlas    the run's record (:data:`REQUIRED_INFO` and more); a list of records such
                 as ``steps`` is stored as a table and read back as a list
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genodash.errors import FormatError, InputError
from genodash.io._hdf5 import CORRUPT_HDF5_ERRORS, check_hdf5_safety, is_hdf5, short_message
from genodash.io.backed import open_backed
from genodash.limits import Limits

VERSION = 1
REQUIRED_INFO = ("source", "label_column", "batch_column", "target_sum", "steps", "version")
REQUIRED_OBS = ("leiden", "source_row", "total_counts")
REQUIRED_VAR = ("source_column",)
_ENTRIES = ("obs", "var", "obsm/X_pca", "obsm/X_umap", "uns/atlas")
_MAKE_ONE = "Make one with: python -m genodash atlas MATRIX.h5ad --out RESULT.h5ad"


@dataclass(frozen=True, eq=False)
class AtlasResult:
    """An opened atlas result: everything but the counts, in memory.

    Attributes
    ----------
    name
        The file's name (for messages; never a server path).
    path
        The file.
    obs
        The kept cells' table (see the module's layout).
    var
        The kept genes' table.
    pca
        The PCs, float32 cells × k.
    umap
        The UMAP, float32 cells × 2.
    info
        ``uns["atlas"]``: source, label and batch columns, target sum, explained variance,
        step timings, version and whatever else the pipeline recorded.
    """

    name: str
    path: Path
    obs: pd.DataFrame
    var: pd.DataFrame
    pca: np.ndarray
    umap: np.ndarray
    info: dict[str, Any]

    @property
    def n_cells(self) -> int:
        """Kept cells."""
        return len(self.obs)

    @property
    def label_column(self) -> str | None:
        """The ``obs`` column of the source's cell labels, or ``None``."""
        return self._column("label_column")

    @property
    def batch_column(self) -> str | None:
        """The ``obs`` column of the source's batches, or ``None``."""
        return self._column("batch_column")

    @property
    def source(self) -> Path:
        """The source matrix the counts are read from."""
        return Path(self.info["source"])

    def _column(self, key: str) -> str | None:
        name = self.info.get(key) or ""
        return name if name in self.obs.columns else None


def write_atlas_result(
    path: Path,
    *,
    obs: pd.DataFrame,
    var: pd.DataFrame,
    pca: np.ndarray,
    umap: np.ndarray,
    info: dict[str, Any],
) -> Path:
    """Write an atlas result, whole or not at all: into a hidden file beside ``path``,
    renamed to ``path`` once complete.

    Parameters
    ----------
    path
        Where the result goes (``.h5ad``); an existing file is replaced.
    obs
        The kept cells (index: their names) with at least :data:`REQUIRED_OBS`;
        ``leiden`` categorical. String columns are stored as categories.
    var
        The kept genes (index: their names) with at least :data:`REQUIRED_VAR`.
    pca
        Cells × k PCs (stored as float32).
    umap
        Cells × 2 (stored as float32).
    info
        The run's record (JSON-able) with at least :data:`REQUIRED_INFO`; stored as
        ``uns["atlas"]``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        A missing column or record entry, shapes that disagree, or a record that
        ``uns`` cannot hold exactly (a list of mixed types, a value that is not JSON).
    """
    import anndata

    path = Path(path)
    pca, umap = _checked_arrays(obs, var, pca, umap)
    uns = _checked_info(info)
    adata = anndata.AnnData(
        obs=_with_text_index(obs),
        var=_with_text_index(var),
        obsm={"X_pca": pca, "X_umap": umap},
        uns={"atlas": uns},
    )
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        adata.write_h5ad(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def is_atlas_result(path: Path) -> bool:
    """Whether ``path`` is an atlas result (it has ``uns/atlas`` and ``obsm/X_umap``),
    looked up without reading any data; False for any other or unreadable file.

    Parameters
    ----------
    path
        Any file.
    """
    import h5py

    try:
        with Path(path).open("rb") as stream:
            if not is_hdf5(stream.read(4096 + 8)):
                return False
        with h5py.File(path, "r") as handle:
            return "uns/atlas" in handle and "obsm/X_umap" in handle
    except CORRUPT_HDF5_ERRORS:
        return False


def open_atlas_result(path: Path, *, limits: Limits | None = None) -> AtlasResult:
    """Open an atlas result: its tables, PCs, UMAP and record, without the counts.

    Parameters
    ----------
    path
        The result file.
    limits
        Limits of the HDF5 safety checks (no links or storage outside the file); the
        size limit of arrays does not apply.

    Returns
    -------
    AtlasResult
        The opened result.

    Raises
    ------
    FormatError
        Not HDF5, truncated or damaged, with links outside the file, not an atlas result,
        or parts that disagree; the message names the file.
    """
    import h5py

    path = Path(path)
    name = path.name
    with path.open("rb") as stream:
        if not is_hdf5(stream.read(4096 + 8)):
            raise FormatError(
                "is not an HDF5 file, so not an atlas result (.h5ad)", file=name, hint=_MAKE_ONE
            )
    unlimited = replace(limits or Limits.from_env(), max_array_bytes=np.iinfo(np.int64).max)
    try:
        handle = h5py.File(path, "r")
    except CORRUPT_HDF5_ERRORS as err:
        raise FormatError(
            "HDF5 file is truncated or corrupt; nothing was loaded",
            file=name,
            hint="Copy the file again, or run the atlas command again",
        ) from err
    with handle:
        check_hdf5_safety(handle, name, unlimited)
        missing = [entry for entry in _ENTRIES if entry not in handle]
        if missing:
            raise FormatError(
                f"is not an atlas result of genodash (it has no {', '.join(missing)})",
                file=name,
                hint=_MAKE_ONE,
            )
        parts = {entry: _read(handle, entry, name) for entry in _ENTRIES}
    result = AtlasResult(
        name=name,
        path=path,
        obs=parts["obs"],
        var=parts["var"],
        pca=np.asarray(parts["obsm/X_pca"], dtype=np.float32),
        umap=np.asarray(parts["obsm/X_umap"], dtype=np.float32),
        info=_from_uns(parts["uns/atlas"]),
    )
    _check_opened(result)
    return result


def gene_expression(
    result: AtlasResult,
    gene: str,
    progress: Callable[[int, int], None] | None = None,
    *,
    source: Path | None = None,
) -> np.ndarray:
    """One gene's normalized, log-transformed value in each cell of the result, as the
    pipeline normalized it: ``log1p(count × normalization_factor)``, or without that
    column ``log1p(count × target_sum / total_counts)``; the counts are read from the
    source matrix block by block.

    Parameters
    ----------
    result
        The opened result.
    gene
        A kept gene (a name of ``result.var``).
    progress
        Called with (cells read, cells in the source) after each block.
    source
        The source matrix, when it is not at the path the result records (e.g. a copy);
        it is checked against the result all the same.

    Returns
    -------
    numpy.ndarray
        float32, one value per cell of the result, in its order.

    Raises
    ------
    InputError
        The gene is not in the result, or the source matrix is not at its path.
    FormatError
        The source matrix cannot be read, or no longer matches the result.
    """
    if gene not in result.var.index:
        raise InputError(
            f"gene {gene!r} is not among the {len(result.var):,} genes kept in this result",
            file=result.name,
            hint="Choose one of the listed genes",
        )
    source = Path(source) if source is not None else result.source
    if not source.is_file():
        raise InputError(
            f"colouring by a gene needs the source matrix at {source}, and it is not there",
            file=result.name,
            hint="Put the matrix back at that path (the result holds no counts of its own)",
        )
    matrix = open_backed(source)
    column = int(result.var.loc[gene, "source_column"])
    rows = result.obs["source_row"].to_numpy(dtype=np.int64)
    _check_source(matrix, result, gene, column, rows)
    counts = matrix.column(column, progress)[rows]
    return np.log1p(counts * _factors(result)).astype(np.float32)


def _factors(result: AtlasResult) -> np.ndarray:
    """What each cell's counts were multiplied by to reach the target sum."""
    if "normalization_factor" in result.obs:
        return result.obs["normalization_factor"].to_numpy(dtype=np.float32)
    totals = result.obs["total_counts"].to_numpy(dtype=np.float64)
    target_sum = float(result.info["target_sum"])
    factors = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    return factors.astype(np.float32)


# --- writing ---------------------------------------------------------------------------------


def _checked_arrays(
    obs: pd.DataFrame, var: pd.DataFrame, pca: np.ndarray, umap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The PCs and UMAP as float32, after checking the tables' columns and every shape."""
    missing = [c for c in REQUIRED_OBS if c not in obs.columns]
    missing += [c for c in REQUIRED_VAR if c not in var.columns]
    if missing:
        raise ValueError(f"an atlas result needs the columns {', '.join(missing)}")
    if not isinstance(obs["leiden"].dtype, pd.CategoricalDtype):
        raise ValueError("obs['leiden'] must be categorical")
    pca = np.asarray(pca, dtype=np.float32)
    umap = np.asarray(umap, dtype=np.float32)
    if pca.ndim != 2 or pca.shape[0] != len(obs):
        raise ValueError(f"pca must be {len(obs):,} cells × k, got {pca.shape}")
    if umap.shape != (len(obs), 2):
        raise ValueError(f"umap must be {len(obs):,} cells × 2, got {umap.shape}")
    return pca, umap


def _with_text_index(frame: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy whose index is text (anndata's rule); writing then converts string
    columns to categories in the copy, not in the caller's table."""
    copy = frame.copy(deep=False)
    copy.index = copy.index.astype(str)
    return copy


def _checked_info(info: Mapping[str, Any]) -> dict[str, Any]:
    """``info`` as ``uns`` holds it, after checking that it is complete and comes back the
    same when read."""
    missing = [key for key in REQUIRED_INFO if key not in info]
    if missing:
        raise ValueError(f"the atlas record needs {', '.join(missing)}")
    plain = json.loads(json.dumps(info))  # raises TypeError for what JSON cannot hold
    if _holds_none(plain):
        # anndata stores None as an empty dataset, which older readers take for damage
        raise ValueError("the atlas record holds None; leave the entry out or use ''")
    stored = _to_uns(plain)
    if _from_uns(stored) != plain:
        raise ValueError(
            "the atlas record holds a value uns cannot keep exactly (a list of mixed types?)"
        )
    return stored


def _holds_none(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_none(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_none(item) for item in value)
    return value is None


def _to_uns(value: Any) -> Any:
    """A JSON value as anndata writes it: a list of records as a table, other lists as
    arrays."""
    if isinstance(value, dict):
        return {key: _to_uns(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return pd.DataFrame(value)
        return np.asarray(value)
    return value


def _from_uns(value: Any) -> Any:
    """What :func:`_to_uns` made (and anndata read back), as plain JSON values."""
    if isinstance(value, Mapping):
        return {str(key): _from_uns(item) for key, item in value.items()}
    if isinstance(value, pd.DataFrame):
        return [
            {str(key): _from_uns(item) for key, item in row.items()}
            for row in value.to_dict("records")
        ]
    if isinstance(value, np.ndarray):
        return [_from_uns(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- reading ---------------------------------------------------------------------------------


def _read(handle: Any, entry: str, name: str) -> Any:
    """One element of the file, read by anndata; a damaged one becomes a FormatError."""
    import anndata

    try:
        return anndata.io.read_elem(handle[entry])
    except Exception as err:  # anndata and h5py raise many types on damaged files
        raise FormatError(
            f"is damaged or not an atlas result ({entry}: {short_message(err)})",
            file=name,
            hint="Copy the file again, or run the atlas command again",
        ) from err


def _check_opened(result: AtlasResult) -> None:
    """Refuse a result whose parts disagree or lack what the app reads."""
    problems = [f"obs has no '{c}'" for c in REQUIRED_OBS if c not in result.obs.columns]
    problems += [f"var has no '{c}'" for c in REQUIRED_VAR if c not in result.var.columns]
    problems += [f"the record has no '{k}'" for k in REQUIRED_INFO if k not in result.info]
    n = result.n_cells
    if result.pca.ndim != 2 or result.pca.shape[0] != n:
        problems.append(f"X_pca has shape {result.pca.shape} for {n:,} cells")
    if result.umap.shape != (n, 2):
        problems.append(f"X_umap has shape {result.umap.shape} for {n:,} cells")
    if not problems and result.info["version"] != VERSION:
        problems.append(f"it is of version {result.info['version']}; this genodash reads {VERSION}")
    if problems:
        raise FormatError(
            f"is not a usable atlas result ({'; '.join(problems)})",
            file=result.name,
            hint=_MAKE_ONE,
        )


def _check_source(
    matrix: Any, result: AtlasResult, gene: str, column: int, rows: np.ndarray
) -> None:
    """Refuse a source matrix that is not the one the result was made from."""
    fits = column < matrix.n_genes and (rows.size == 0 or int(rows.max()) < matrix.n_cells)
    if fits and matrix.var_names()[column] == gene:
        return
    raise FormatError(
        f"the source matrix at {result.source} is not the one this result was made from "
        f"(gene {gene!r} is not at column {column + 1:,} of its {matrix.n_genes:,} genes, "
        "or it has fewer cells)",
        file=result.name,
        hint="Run the atlas command again on the matrix at that path",
    )
