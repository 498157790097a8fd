"""The arrays an expression model reads from a matrix: dense ``float32`` values, raw counts,
a second modality after a centred log-ratio, the run's genes found by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.errors import InputError

if TYPE_CHECKING:
    import anndata


def dense_float32(matrix: Any) -> np.ndarray:
    """A dense, C-ordered ``float32`` copy of a (possibly sparse) matrix.

    Parameters
    ----------
    matrix
        A numpy array or a scipy sparse matrix.
    """
    import scipy.sparse

    if scipy.sparse.issparse(matrix):
        matrix = matrix.toarray()
    return np.ascontiguousarray(np.asarray(matrix), dtype=np.float32)


def is_counts(matrix: np.ndarray) -> bool:
    """Whether every value is a non-negative whole number (raw counts).

    Parameters
    ----------
    matrix
        A dense array.
    """
    return bool((matrix >= 0).all() and (matrix == np.round(matrix)).all())


def raw_counts(adata: anndata.AnnData, values: np.ndarray, layer: str) -> np.ndarray | None:
    """The raw counts of ``adata``: ``layers[layer]`` when present, else ``values`` (its
    ``X``) when they are counts; ``None`` when there are none.

    Parameters
    ----------
    adata
        The matrix.
    values
        ``adata.X`` as a dense array.
    layer
        Name of the layer that keeps raw counts.
    """
    if layer in adata.layers:
        counts = dense_float32(adata.layers[layer])
        return counts if is_counts(counts) else None
    return values if is_counts(values) else None


def centred_log_ratio(matrix: np.ndarray) -> np.ndarray:
    """CLR per cell: ``log1p(x)`` minus the cell's mean ``log1p`` over features.

    Parameters
    ----------
    matrix
        Cells × features, non-negative (e.g. antibody counts).
    """
    logged = np.log1p(matrix)
    return (logged - logged.mean(axis=1, keepdims=True)).astype(np.float32)


def second_modality(
    second: anndata.AnnData | None,
    adata: anndata.AnnData,
    source_name: str,
    notes: list[str],
) -> tuple[np.ndarray | None, list[str], str]:
    """A second measurement of ``adata``'s cells, in ``adata``'s cell order.

    Parameters
    ----------
    second
        The second modality (e.g. protein counts), or ``None``.
    adata
        The first modality; its cells must all be in ``second``.
    source_name
        The file named in errors.
    notes
        Notes on what was ignored are appended here.

    Returns
    -------
    The values (after a CLR when non-negative), the feature names, and the transform
    (``"clr"`` or ``"none"``); ``(None, [], "none")`` without a second modality.

    Raises
    ------
    InputError
        Repeated or missing cell IDs, or values that are not finite.
    """
    if second is None:
        return None, [], "none"
    index = pd.Index(second.obs_names)
    if not index.is_unique:
        raise InputError("the second modality repeats cell IDs", file=source_name)
    positions = index.get_indexer(adata.obs_names)
    if (positions < 0).any():
        missing = list(adata.obs_names[positions < 0])
        raise InputError(
            f"{len(missing):,} cells are missing from the second modality "
            f"(e.g. {', '.join(missing[:3])})",
            file=source_name,
            hint="pair the two matrices by cell ID first",
        )
    if second.n_obs > adata.n_obs:
        notes.append(f"{second.n_obs - adata.n_obs} cells of the second modality ignored")
    values = dense_float32(second.X)[positions]
    if not np.isfinite(values).all():
        raise InputError("the second modality holds NaN or infinite values", file=source_name)
    transform = "clr" if (values >= 0).all() else "none"
    if transform == "clr":
        values = centred_log_ratio(values)
    return values, [str(v) for v in second.var_names], transform


def gene_positions(adata: anndata.AnnData, genes: list[str]) -> np.ndarray:
    """Where each of ``genes`` is among ``adata``'s genes (matched by name).

    Parameters
    ----------
    adata
        The matrix.
    genes
        Gene names a model was trained on, in its order.

    Raises
    ------
    InputError
        Repeated gene names in ``adata``, or genes missing from it.
    """
    names = pd.Index(adata.var_names.astype(str))
    if not names.is_unique:
        raise InputError("the matrix repeats gene names", hint="make gene names unique first")
    positions = names.get_indexer(genes)
    missing = [gene for gene, p in zip(genes, positions, strict=True) if p < 0]
    if missing:
        raise InputError(
            f"{len(missing):,} of the run's {len(genes):,} genes are missing from the matrix "
            f"(e.g. {', '.join(missing[:5])})",
            hint="encode a matrix with the genes the model was trained on, processed the same way",
        )
    return positions
