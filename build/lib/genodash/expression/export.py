"""Downloads of single-cell results: embedding tables, and the processed matrix with its
embeddings, clusters and latent space as AnnData (figures: :mod:`genodash.plotting.files`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.errors import ConfigError
from genodash.expression.preprocess import ProcessedMatrix

if TYPE_CHECKING:
    import anndata

_AXES = ("x", "y", "z")


def embedding_table(
    cell_ids: Sequence[Any],
    coords: np.ndarray,
    *,
    method: str,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """Coordinates as a table: ``cell``, ``x``, ``y`` (and ``z`` in 3-D), then ``extra``.

    Parameters
    ----------
    cell_ids
        One ID per cell.
    coords
        Cells × 2 or 3.
    method
        The embedding method, kept in ``table.attrs["method"]``.
    extra
        More columns (e.g. ``label``, ``batch``, ``cluster``), one value per cell.
    """
    coords = np.asarray(coords)
    n = len(cell_ids)
    if coords.ndim != 2 or coords.shape[0] != n or coords.shape[1] not in (2, 3):
        raise ConfigError(f"coordinates must be {n:,} cells × 2 or 3, got {coords.shape}")
    table = pd.DataFrame({"cell": [str(c) for c in cell_ids]})
    for i in range(coords.shape[1]):
        table[_AXES[i]] = coords[:, i]
    for name, values in (extra or {}).items():
        if len(values) != n:
            raise ConfigError(f"column {name!r} has {len(values):,} values for {n:,} cells")
        if name in table.columns:
            raise ConfigError(f"column {name!r} would replace a coordinate or cell column")
        table[name] = np.asarray(values)
    table.attrs["method"] = method
    return table


def processed_anndata(
    processed: ProcessedMatrix,
    *,
    embeddings: Mapping[str, np.ndarray] | None = None,
    latent: np.ndarray | None = None,
    clusters: Sequence[Any] | np.ndarray | None = None,
) -> anndata.AnnData:
    """The processed matrix with its embeddings, for an ``.h5ad`` download (write it with
    :func:`genodash.io.writers.h5ad_bytes`).

    Parameters
    ----------
    processed
        The processed matrix (``X``, ``obs``, ``var``, the counts layer); not changed.
    embeddings
        Name → cells × k coordinates, stored as ``obsm["X_<name>"]`` (e.g. ``X_umap``).
    latent
        A model's latent coordinates, stored as ``obsm["X_latent"]``.
    clusters
        Cluster labels, stored as ``obs["leiden"]``.

    Returns
    -------
    anndata.AnnData
        A new object; ``uns["genodash_preprocessing"]`` holds the preprocessing record as
        JSON.
    """
    import anndata

    source = processed.adata
    n = source.n_obs
    obsm = {}
    for name, coords in {
        **(embeddings or {}),
        **({"latent": latent} if latent is not None else {}),
    }.items():
        key = "X_" + re.sub(r"[^A-Za-z0-9_]+", "_", name.removeprefix("X_"))
        obsm[key] = _cells_matrix(coords, n, key)
    obs = source.obs.copy()
    if clusters is not None:
        if len(clusters) != n:
            raise ConfigError(f"clusters has {len(clusters):,} labels for {n:,} cells")
        obs["leiden"] = pd.Categorical([str(c) for c in clusters])
    return anndata.AnnData(
        X=source.X,
        obs=obs,
        var=source.var.copy(),
        layers=dict(source.layers),
        obsm=obsm,
        uns={"genodash_preprocessing": json.dumps(processed.summary(), default=str)},
    )


def _cells_matrix(values: np.ndarray, n: int, key: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] != n:
        raise ConfigError(f"{key} must have one row per cell ({n:,}), got shape {array.shape}")
    return array
