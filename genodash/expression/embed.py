"""Low-dimensional coordinates of cells: PCA, t-SNE (openTSNE) and UMAP (umap-learn).

All three take a cells × features matrix (dense or sparse) and return float32
coordinates. t-SNE and UMAP first reduce data with many features to ``n_pcs`` principal
components, as scanpy does, which removes noise and makes them much faster.

Speed notes (measured on 2 CPU cores):

- PCA uses the covariance matrix (features × features) and its top eigenvectors, built
  from dense blocks of a few thousand cells, when there are at most 3,000 features:
  about 1 s for 20,000 cells × 2,000 genes, where scanpy's default (arpack) takes ~15 s.
- UMAP compiles its numba code on the first call in each process (10-50 s); call
  :func:`warm_umap` once in the background. Its neighbour graph comes from pynndescent on
  every core (the same graph for the same seed). A seeded layout is single-threaded, hence
  reproducible; the default ``umap_layout="auto"`` keeps that up to 50,000 cells and uses
  every core above (the single-threaded layout took 27 s at 100,000 cells), where the
  picture then varies slightly per run. The layout starts from PCA rather than the
  spectral layout (faster, and keeps the global arrangement: Kobak & Linderman, Nat
  Biotechnol 2021) and runs fewer epochs on large data (100 above 10,000 cells, 60 above
  50,000): at 20,000 and 100,000 cells 100 epochs gave the same trustworthiness and kNN
  accuracy as 200 or 500 in half the time or less, and at 100,000 cells 60 epochs the same
  as 100 (silhouette 0.087 against 0.093) in 14.0 s against 22.9 s, neighbours included.
- t-SNE uses exact neighbours up to 20,000 cells (faster than Annoy there), Barnes-Hut
  gradients below 5,000 cells and FFT-interpolated gradients above, whichever was faster
  here at that size. Above 5,000 cells it runs 250 iterations after early exaggeration
  instead of 500, on an FFT grid half as fine: at 10,000 cells this kept trustworthiness
  and kNN accuracy and cut the time from 30 s to 13 s.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from genodash.data import is_sparse
from genodash.errors import ConfigError
from genodash.expression.preprocess import gene_means
from genodash.settings import param

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("pca", "tsne", "umap")
METHOD_TITLES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
UMAP_INITS = ("pca", "spectral")
UMAP_LAYOUTS = ("auto", "reproducible", "parallel")

_COVARIANCE_MAX_FEATURES = 3000
_RAW_MAX_FEATURES = 3000
_EXACT_KNN_MAX_CELLS = 20_000
_TSNE_FFT_MIN_CELLS = 5000
_BLOCK_VALUES = 16_000_000  # values per dense block when building the covariance
_MIN_CELLS = 4
_PARALLEL_LAYOUT_MIN_CELLS = 50_000
_UMAP_EXACT_KNN_MAX_CELLS = 4096  # umap-learn's own switch to approximate neighbours
_LEAN_TREES, _LEAN_CANDIDATES = 12, 30  # neighbour search at atlas size (neighbor_graph)


@dataclass(frozen=True)
class EmbeddingConfig:
    """How to compute an embedding; each method reads the fields it needs."""

    method: str = param("pca", "Method", help="PCA, t-SNE or UMAP", options=METHODS)
    n_components: int = param(2, "Dimensions", 2, 3, help="2-D or 3-D picture")
    n_pcs: int = param(
        50, "Principal components first", 2, 200, help="t-SNE/UMAP start from this many PCs"
    )
    perplexity: float = param(
        30.0, "Perplexity (t-SNE)", 2.0, 200.0, help="About how many neighbours each cell keeps"
    )
    n_neighbors: int = param(
        15, "Neighbours (UMAP)", 2, 200, help="Small: local detail; large: global shape"
    )
    min_dist: float = param(
        0.5, "Minimum distance (UMAP)", 0.0, 1.0, help="How tightly UMAP packs similar cells"
    )
    seed: int = param(0, "Random seed", 0, 10_000)
    pca_first: bool = param(
        True,
        "Reduce to principal components first",
        help="Off: t-SNE/UMAP work on every feature (slower; data with more than "
        f"{_RAW_MAX_FEATURES:,} features are still reduced)",
    )
    n_epochs: int | None = param(
        None,
        "Epochs (UMAP)",
        10,
        2000,
        help="Layout iterations; empty: 500 up to 2,000 cells, 200 up to 10,000, 100 up to "
        "50,000, 60 above",
    )
    init: str = param(
        "pca",
        "Start layout (UMAP)",
        help="pca: fast and keeps the global arrangement; spectral: umap-learn's default",
        options=("pca", "spectral"),
    )
    n_iter: int | None = param(
        None,
        "Iterations (t-SNE)",
        50,
        5000,
        help="After 250 early-exaggeration ones; empty: 500 up to 5,000 cells, 250 above",
    )
    umap_layout: str = param(
        "auto",
        "UMAP layout",
        help="reproducible: same seed, same picture, one core; parallel: every core, faster, "
        f"varies slightly per run; auto: reproducible up to {_PARALLEL_LAYOUT_MIN_CELLS:,} "
        "cells, parallel above",
        options=UMAP_LAYOUTS,
    )


@dataclass(frozen=True)
class Embedding:
    """Coordinates of each cell and how they were made.

    Attributes
    ----------
    coords
        Cells × ``n_components``, float32.
    method
        ``"pca"``, ``"tsne"`` or ``"umap"``.
    input_name
        What was embedded: ``"data"``, ``"pca"`` or e.g. ``"latent:<run name>"``.
    params
        The settings used, including ``reduced_to_pcs`` when the input was reduced first.
    seconds
        Wall time of the computation.
    """

    coords: np.ndarray
    method: str
    input_name: str
    params: dict[str, Any]
    seconds: float

    @property
    def title(self) -> str:
        return METHOD_TITLES[self.method]


def embedding_caption(embedding: Embedding) -> str:
    """How long the embedding took, and whether a UMAP picture will come out the same.

    Parameters
    ----------
    embedding
        What :func:`embed` returned.

    Returns
    -------
    str
        For example ``"Computed in 1.2 s."``, with a warning about a parallel UMAP layout
        (which varies slightly from run to run).
    """
    took = "under 0.1 s" if embedding.seconds < 0.1 else f"{embedding.seconds:.1f} s"
    note = ""
    if embedding.params.get("deterministic") is False:
        note = (
            " The UMAP layout used every core, so it varies slightly from run to run; choose "
            "the reproducible layout for the same picture every time."
        )
    return f"Computed in {took}.{note}"


# --- PCA ----------------------------------------------------------------------------------


def pca_coordinates(X: Any, n_components: int, seed: int = 0) -> np.ndarray:
    """Principal-component coordinates of each cell.

    Parameters
    ----------
    X
        Cells × features, dense or sparse (CSR).
    n_components
        Number of components (at most the number of cells and of features).
    seed
        Random seed of the randomized solver (used above 3,000 features).

    Returns
    -------
    numpy.ndarray
        Cells × ``n_components``, float32, components in order of variance; signs fixed so
        that each component's largest gene loading is positive.

    Raises
    ------
    ConfigError
        ``n_components`` out of range.
    """
    coords, _ = principal_components(X, n_components, seed=seed)
    return coords


def latent_preview_coordinates(table: pd.DataFrame) -> np.ndarray:
    """A latent table's cells on its first two principal components, for a quick look.

    Parameters
    ----------
    table
        A saved latent table: column ``cell``, then one column per latent dimension.

    Returns
    -------
    numpy.ndarray
        Cells × 2, float32: the first two principal components of the latent values, or
        the values themselves when the latent has at most two dimensions.
    """
    values = table.drop(columns="cell").to_numpy(dtype="float32")
    return pca_coordinates(values, 2) if values.shape[1] > 2 else values


def principal_components(
    X: Any, n_components: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`pca_coordinates`, also returning the explained-variance ratio per component.

    Parameters
    ----------
    X, n_components, seed
        As for :func:`pca_coordinates`.

    Returns
    -------
    tuple of numpy.ndarray
        The coordinates (cells × ``n_components``, float32, as :func:`pca_coordinates`
        gives them), and each component's share of the total variance (0 to 1, largest
        first).

    Raises
    ------
    ConfigError
        ``n_components`` out of range.
    """
    n_cells, n_features = X.shape
    if not 1 <= n_components <= min(n_cells, n_features):
        raise ConfigError(
            f"PCA with {n_components} components needs at least that many cells and "
            f"features; the data have {n_cells:,} cells × {n_features:,} features"
        )
    if n_features <= _COVARIANCE_MAX_FEATURES:
        return _covariance_pca(X, n_components)
    return _sklearn_pca(X, n_components, seed)


def _covariance_pca(X: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvectors of the feature covariance, built from dense centred blocks of cells."""
    n_cells, n_features = X.shape
    mean = gene_means(X)
    mean32 = mean.astype(np.float32)
    covariance = np.zeros((n_features, n_features), dtype=np.float64)
    step = min(n_cells, max(1, _BLOCK_VALUES // n_features))
    # one dense block and one product, reused: a fresh large array per block pays its page
    # faults again each time
    buffer = np.empty((step, n_features), dtype=np.float32)
    product = np.empty((n_features, n_features), dtype=np.float32)
    for start in range(0, n_cells, step):
        block = _dense_rows_into(X, start, min(start + step, n_cells), buffer)
        block -= mean32
        np.matmul(block.T, block, out=product)
        covariance += product
    covariance /= max(n_cells - 1, 1)
    basis, ratio = covariance_components(covariance, k)
    coords = np.asarray(X @ basis, dtype=np.float32) - mean32 @ basis
    return coords.astype(np.float32, copy=False), ratio


def covariance_components(covariance: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` principal axes of a feature covariance matrix, signed so that each
    axis's largest loading is positive, and each one's share of the total variance.

    Parameters
    ----------
    covariance
        Features × features, float64; overwritten.
    k
        Axes to keep.

    Returns
    -------
    tuple of numpy.ndarray
        The axes (features × ``k``, float32, largest variance first) and their variance
        ratios.
    """
    import scipy.linalg

    n_features = covariance.shape[0]
    total_variance = float(np.trace(covariance))
    values, vectors = scipy.linalg.eigh(
        covariance, subset_by_index=[n_features - k, n_features - 1], overwrite_a=True
    )
    values, vectors = values[::-1], vectors[:, ::-1]
    largest = np.argmax(np.abs(vectors), axis=0)
    vectors *= np.sign(vectors[largest, np.arange(k)])
    ratio = np.clip(values, 0, None) / total_variance if total_variance > 0 else np.zeros(k)
    return vectors.astype(np.float32), ratio


def _dense_rows_into(X: Any, start: int, stop: int, buffer: np.ndarray) -> np.ndarray:
    """Rows ``start:stop`` of ``X`` as float32, written into the first rows of ``buffer``."""
    block = buffer[: stop - start]
    rows = _row_view(X, start, stop)
    if is_sparse(rows):
        block.fill(0)
        rows.astype(np.float32, copy=False).toarray(out=block)  # adds values into the zeros
    else:
        block[...] = rows
    return block


def _row_view(X: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of ``X``; of a CSR matrix, built from slices of its arrays
    (scipy then copies them whole, which is cheaper than its row slicing's gather)."""
    import scipy.sparse

    if not is_sparse(X) or X.format != "csr":
        return X[start:stop]
    lo, hi = X.indptr[start], X.indptr[stop]
    pointers = X.indptr[start : stop + 1] - lo
    return scipy.sparse.csr_matrix(
        (X.data[lo:hi], X.indices[lo:hi], pointers), shape=(stop - start, X.shape[1]), copy=False
    )


def _sklearn_pca(X: Any, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import PCA

    solver = "arpack" if is_sparse(X) else "randomized"
    model = PCA(n_components=k, svd_solver=solver, random_state=seed)
    coords = model.fit_transform(X).astype(np.float32)
    return coords, model.explained_variance_ratio_.astype(np.float64)


# --- embeddings ---------------------------------------------------------------------------


def embed(X: Any, config: EmbeddingConfig, *, input_name: str = "data") -> Embedding:
    """Compute a 2-D or 3-D embedding of the cells.

    Parameters
    ----------
    X
        Cells × features, dense or sparse: expression values, PCA coordinates or a
        model's latent space.
    config
        Method and settings.
    input_name
        What ``X`` is, recorded in the result (``"data"``, ``"pca"``, ``"latent:<run>"``).

    Returns
    -------
    Embedding
        Coordinates, the settings used (``params``) and the time taken.

    Raises
    ------
    ConfigError
        Unknown method, ``n_components`` not 2 or 3, too few cells, or a perplexity or
        neighbour count too large for the number of cells.
    """
    _check_config(config, X.shape)
    started = time.perf_counter()
    params: dict[str, Any] = {"n_components": config.n_components, "seed": config.seed}
    if config.method == "pca":
        coords, ratio = principal_components(X, config.n_components, seed=config.seed)
        params["explained_variance_ratio"] = [round(float(r), 6) for r in ratio]
    else:
        data = _reduced_input(X, config, params)
        if config.method == "tsne":
            coords = _tsne(data, config, params)
        else:
            coords = _umap(data, config, params)
    return Embedding(
        coords=np.ascontiguousarray(coords, dtype=np.float32),
        method=config.method,
        input_name=input_name,
        params=params,
        seconds=time.perf_counter() - started,
    )


def _check_config(config: EmbeddingConfig, shape: tuple[int, ...]) -> None:
    if config.method not in METHODS:
        raise ConfigError(f"unknown embedding method {config.method!r}; choose one of {METHODS}")
    if config.n_components not in (2, 3):
        raise ConfigError(f"n_components must be 2 or 3, got {config.n_components}")
    if len(shape) != 2:
        raise ConfigError(f"expected a cells × features matrix, got shape {shape}")
    n_cells, n_features = shape
    if n_cells < _MIN_CELLS:
        raise ConfigError(f"an embedding needs at least {_MIN_CELLS} cells, got {n_cells}")
    if config.method == "pca" and n_features < config.n_components:
        raise ConfigError(
            f"PCA to {config.n_components} dimensions needs at least as many features; "
            f"the data have {n_features}"
        )
    if config.n_pcs < 2:
        raise ConfigError(f"n_pcs must be at least 2, got {config.n_pcs}")
    if config.method == "tsne":
        largest = (n_cells - 1) / 3
        if not 0 < config.perplexity <= largest:
            raise ConfigError(
                f"perplexity {config.perplexity:g} is too large for {n_cells:,} cells: "
                f"t-SNE needs 3 × perplexity < number of cells; use at most {largest:.0f}"
                if config.perplexity > 0
                else f"perplexity must be positive, got {config.perplexity:g}"
            )
        if config.n_iter is not None and config.n_iter < 1:
            raise ConfigError(f"n_iter must be at least 1, got {config.n_iter}")
    if config.method == "umap":
        if config.init not in UMAP_INITS:
            raise ConfigError(f"unknown UMAP init {config.init!r}; choose one of {UMAP_INITS}")
        if config.umap_layout not in UMAP_LAYOUTS:
            raise ConfigError(
                f"unknown UMAP layout {config.umap_layout!r}; choose one of {UMAP_LAYOUTS}"
            )
        if not 2 <= config.n_neighbors < n_cells:
            raise ConfigError(
                f"n_neighbors must lie between 2 and the number of cells - 1 "
                f"({n_cells - 1:,}), got {config.n_neighbors}"
            )
        if not 0 <= config.min_dist <= 1:
            raise ConfigError(f"min_dist must lie between 0 and 1, got {config.min_dist:g}")
        if config.n_epochs is not None and config.n_epochs < 1:
            raise ConfigError(f"n_epochs must be at least 1, got {config.n_epochs}")


def _reduced_input(X: Any, config: EmbeddingConfig, params: dict[str, Any]) -> np.ndarray:
    """The input of t-SNE/UMAP: ``n_pcs`` principal components of ``X`` when it has more."""
    n_cells, n_features = X.shape
    if config.pca_first and n_features > config.n_pcs:
        reason = f"reduced to {{k}} principal components of the {n_features:,} features"
    elif n_features > _RAW_MAX_FEATURES:
        reason = (
            f"reduced to {{k}} principal components: {n_features:,} features are too many "
            "to use directly"
        )
    else:
        params["reduced_to_pcs"] = None
        return X.toarray() if is_sparse(X) else np.asarray(X, dtype=np.float32)
    k = min(config.n_pcs, n_cells - 1, n_features)
    params["reduced_to_pcs"] = k
    params["input_note"] = reason.format(k=k)
    return pca_coordinates(X, k, seed=config.seed)


def n_threads() -> int:
    """Threads for t-SNE/UMAP: the cores this process may use (at most 8)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(8, available))


def exact_neighbors(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of each row's ``k`` nearest other rows (brute force, BLAS).

    Parameters
    ----------
    X
        Rows (cells) × features, dense; distances are Euclidean.
    k
        Neighbours per row, from 1 to rows - 1; a row is not its own neighbour.

    Returns
    -------
    tuple of numpy.ndarray
        The neighbours' row indices and their distances, each rows × ``k``, nearest
        first; distances as float32.
    """
    from sklearn.neighbors import NearestNeighbors

    index = NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=n_threads()).fit(X)
    distances, indices = index.kneighbors()
    return indices, distances.astype(np.float32)


def nearest_neighbors(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Indices of each row's ``k`` nearest other rows: exact up to 4,096 rows, from
    pynndescent (approximate, seeded) above, as scanpy's neighbours are.

    Parameters
    ----------
    X
        Rows (cells) × features, dense; distances are Euclidean.
    k
        Neighbours per row, from 1 to rows - 1; a row is not its own neighbour.
    seed
        Seed of the approximate search (above 4,096 rows); the same seed gives the same
        neighbours.

    Returns
    -------
    numpy.ndarray
        Rows × ``k`` row indices of the neighbours, nearest first.
    """
    n_rows = X.shape[0]
    if n_rows <= _UMAP_EXACT_KNN_MAX_CELLS:
        return exact_neighbors(X, k)[0]
    indices, _, _ = _approximate_neighbors(X, k + 1, seed)  # each row is among its own
    own = indices == np.arange(n_rows)[:, None]
    own[~own.any(axis=1), -1] = True  # a row missing from its list drops its farthest
    return indices[~own].reshape(n_rows, k)


def _tsne(X: np.ndarray, config: EmbeddingConfig, params: dict[str, Any]) -> np.ndarray:
    from openTSNE import TSNE, affinity, initialization
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    n_cells = X.shape[0]
    threads = n_threads()
    k = min(n_cells - 1, int(3 * config.perplexity))
    if n_cells <= _EXACT_KNN_MAX_CELLS:
        indices, distances = exact_neighbors(X, k)
        knn = {"knn_index": PrecomputedNeighbors(indices, distances)}
        params["neighbors"] = "exact"
    else:
        knn = {"data": X, "method": "annoy"}
        params["neighbors"] = "annoy"
    affinities = affinity.PerplexityBasedNN(
        perplexity=config.perplexity, n_jobs=threads, random_state=config.seed, **knn
    )
    start = initialization.pca(X, n_components=config.n_components, random_state=config.seed)
    use_fft = config.n_components == 2 and n_cells >= _TSNE_FFT_MIN_CELLS
    gradient = "fft" if use_fft else "bh"
    n_iter = config.n_iter or default_tsne_iterations(n_cells)
    params.update(perplexity=config.perplexity, n_iter=n_iter, gradient=gradient)
    tsne = TSNE(
        n_components=config.n_components,
        perplexity=config.perplexity,
        n_iter=n_iter,
        negative_gradient_method=gradient,
        ints_in_interval=2,  # half the FFT grid: same scores at 10,000 cells, less time
        n_jobs=threads,
        random_state=config.seed,
    )
    return np.asarray(tsne.fit(affinities=affinities, initialization=start))


def default_tsne_iterations(n_cells: int) -> int:
    """t-SNE iterations after early exaggeration when none are given: 500, or 250 above 5,000.

    Parameters
    ----------
    n_cells
        Cells embedded.
    """
    return 500 if n_cells <= _TSNE_FFT_MIN_CELLS else 250


def _umap(X: np.ndarray, config: EmbeddingConfig, params: dict[str, Any]) -> np.ndarray:
    settings = {
        "n_neighbors": config.n_neighbors,
        "min_dist": config.min_dist,
        "n_epochs": config.n_epochs or default_umap_epochs(X.shape[0]),
        "init": config.init,
        "deterministic": reproducible_layout(config.umap_layout, X.shape[0]),
    }
    params.update(settings)
    return _fit_umap(X, n_components=config.n_components, seed=config.seed, **settings)


def default_umap_epochs(n_cells: int) -> int:
    """UMAP layout epochs when none are given: 500 up to 2,000 cells, 200 up to 10,000, 100
    up to 50,000, 60 above.

    Parameters
    ----------
    n_cells
        Cells embedded.

    Returns
    -------
    int
        The number of layout epochs.
    """
    if n_cells <= 2000:
        return 500
    if n_cells <= 10_000:
        return 200
    return 100 if n_cells <= 50_000 else 60


def reproducible_layout(layout: str, n_cells: int) -> bool:
    """Whether a UMAP layout setting means the seeded, single-threaded layout for ``n_cells``.

    Parameters
    ----------
    layout
        The ``umap_layout`` setting: ``"reproducible"``, ``"parallel"`` or ``"auto"``
        (reproducible up to 50,000 cells, parallel above).
    n_cells
        Cells embedded.

    Returns
    -------
    bool
        True for the reproducible layout (same seed, same picture, one core); False for
        the parallel one (every core, varies slightly per run).
    """
    if layout == "auto":
        return n_cells <= _PARALLEL_LAYOUT_MIN_CELLS
    return layout == "reproducible"


def _fit_umap(
    X: np.ndarray,
    *,
    n_components: int,
    n_neighbors: int,
    min_dist: float,
    n_epochs: int,
    init: str,
    seed: int,
    deterministic: bool,
    neighbors: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    given = None if neighbors is None else (*neighbors, None)
    knn = given or _approximate_neighbors(X, n_neighbors, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba deprecations; "n_jobs overridden by seed"
        import umap

        model = umap.UMAP(
            n_components=n_components,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            n_epochs=n_epochs,
            init=init,
            random_state=seed if deterministic else None,
            n_jobs=1 if deterministic else n_threads(),
            precomputed_knn=knn,
        )
        return model.fit_transform(X)


def umap_from_neighbors(
    X: np.ndarray,
    indices: np.ndarray,
    distances: np.ndarray,
    *,
    n_epochs: int,
    min_dist: float = 0.5,
    seed: int = 0,
) -> np.ndarray:
    """A 2-D UMAP layout of ``X`` from a neighbour graph computed beforehand (each row's
    own index first, as :func:`neighbor_graph` gives it), started from PCA, on every core.

    Parameters
    ----------
    X
        Cells × features (e.g. principal components), float32.
    indices, distances
        Each row's neighbours, itself first, and their distances.
    n_epochs
        Layout epochs (:func:`default_umap_epochs`).
    min_dist
        UMAP's minimum distance between points in the layout.
    seed
        Seed of the PCA start.

    Returns
    -------
    numpy.ndarray
        Cells × 2, float32.
    """
    layout = _fit_umap(
        X,
        n_components=2,
        n_neighbors=indices.shape[1],
        min_dist=min_dist,
        n_epochs=n_epochs,
        init="pca",
        seed=seed,
        deterministic=False,
        neighbors=(indices, distances),
    )
    return np.asarray(layout, dtype=np.float32)


def neighbor_graph(
    X: np.ndarray, n_neighbors: int, seed: int, *, lean: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``n_neighbors`` nearest rows, itself first, and their distances: from
    pynndescent on every core, as UMAP's neighbours (exact up to 4,096 rows).

    Parameters
    ----------
    X
        Rows × features, float32.
    n_neighbors
        Neighbours per row, counting the row itself.
    seed
        Seed of the approximate search.
    lean
        Search with fewer trees and candidates, for a million cells or more: on the
        960,638 × 50 components of the simulated atlas, umap-learn's settings (54 trees,
        60 candidates) took 3.0 GB above the data and 91 s, with a recall of 0.991 against
        exact neighbours; 12 trees and 30 candidates take about half the memory and time
        for a recall of about 0.97.
    """
    indices, distances, _ = _approximate_neighbors(X, n_neighbors, seed, lean=lean)
    if indices is None:
        indices, distances = exact_neighbors(X, n_neighbors - 1)
        own = np.arange(X.shape[0])[:, None]
        indices = np.hstack([own, indices])
        distances = np.hstack([np.zeros_like(own, dtype=np.float32), distances])
    return indices, distances


def _approximate_neighbors(
    X: np.ndarray, n_neighbors: int, seed: int, *, lean: bool = False
) -> tuple[np.ndarray | None, np.ndarray | None, Any]:
    """UMAP's neighbour graph from pynndescent, on every core, with umap-learn's settings.

    Given a seed, umap-learn runs NN-descent on one thread; pynndescent itself gives the
    same graph on every run with a seed and several threads (checked at 100,000 cells), at
    about 70 % of the time on two cores. Small data keep umap-learn's exact neighbours.
    """
    n_cells = X.shape[0]
    if n_cells <= _UMAP_EXACT_KNN_MAX_CELLS:
        return None, None, None
    from pynndescent import NNDescent

    trees = min(64, 5 + round(n_cells**0.5 / 20))
    index = NNDescent(
        X,
        n_neighbors=n_neighbors,
        n_trees=min(trees, _LEAN_TREES) if lean else trees,
        n_iters=max(5, round(np.log2(n_cells))),
        max_candidates=_LEAN_CANDIDATES if lean else 60,
        low_memory=True,
        random_state=seed,
        n_jobs=n_threads(),
        verbose=False,
    )
    indices, distances = index.neighbor_graph
    return indices, distances, None


def warm_umap(n_points: int = 4200) -> float:
    """Fit UMAP on random points, with each layout, so that its numba code is compiled.

    Above 4,096 points genodash computes UMAP's neighbours with pynndescent, which compiles
    separately, hence the default just above it. The reproducible (single-threaded) and the
    parallel layout compile separately too. Run it once per process, in the background, so
    that the first real embedding is fast.

    Parameters
    ----------
    n_points
        Number of random points.

    Returns
    -------
    float
        Seconds taken.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    points = rng.normal(size=(n_points, 10)).astype(np.float32)
    for deterministic in (True, False):
        _fit_umap(
            points,
            n_components=2,
            n_neighbors=15,
            min_dist=0.5,
            n_epochs=10,
            init="pca",
            seed=0,
            deterministic=deterministic,
        )
    return time.perf_counter() - started
