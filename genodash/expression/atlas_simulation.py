"""An atlas-like simulated single-cell count matrix, written straight to ``.h5ad`` block by
block, so that the tests and benches of the out-of-core path need no download.

The default size is the course's 10x Genomics mouse brain data set: 1.3 million cells ×
28,000 genes. Each cell gets

- a cell type (unequal shares: a few large types, some rare ones; types come in classes
  that share a program of genes), a batch (it shifts every gene a little and the depth),
  and for about 3 % of cells low quality: a third of the depth and a high mitochondrial
  share, so that QC filters have something to remove;
- a depth (UMIs) drawn log-normally around 2,500, of which a few percent go to the 13
  ``mt-`` genes;
- UMIs drawn from its (type, batch) gene distribution: log-normal gene abundances, each
  type's 40 markers among its most expressed genes and low in the other types. Genes form
  contiguous modules whose share varies from cell to cell (a gamma factor per cell and
  module): the over-dispersion of real counts.

Why it is fast: UMIs are drawn, not genes. Within each (cell, module), sorted uniforms
(normalised sums of exponentials) looked up in the module's cumulative distribution give
the cell's genes in increasing order, so counting them is a run-length pass without any
sort: the cost is O(UMIs) and does not grow with the number of genes. Chunks of
:data:`CHUNK_CELLS` cells are the unit of randomness (each seeded from
``numpy.random.SeedSequence(seed)``) and are computed on threads but written in order, so
the matrix depends on the seed and the sizes only, not on the block size or the threads.

The file is what ``anndata.read_h5ad`` writes (anndata 0.12 encoding): ``X`` a CSR group
(float32 counts, int32 gene indices, int64 row pointers; chunked, uncompressed unless asked),
``obs`` with 10x-like barcodes and ``cell_type``, ``batch`` and ``low_quality``, ``var``
indexed by gene name, and the parameters in ``uns["generator"]``.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from genodash.errors import ConfigError
from genodash.expression.embed import n_threads
from genodash.io.writers import atomic_path

if TYPE_CHECKING:
    import h5py
    import pandas as pd

GENERATOR = "genodash simulated atlas v1"
CHUNK_CELLS = 512  # cells drawn from one random stream; changing it changes every file
MITO_GENES = (
    "mt-Nd1",
    "mt-Nd2",
    "mt-Co1",
    "mt-Co2",
    "mt-Atp8",
    "mt-Atp6",
    "mt-Co3",
    "mt-Nd3",
    "mt-Nd4l",
    "mt-Nd4",
    "mt-Nd5",
    "mt-Nd6",
    "mt-Cytb",
)
# relative abundance of the mitochondrial transcripts (Co1, Co3, Atp6 and Cytb lead)
_MITO_WEIGHTS = np.array([6, 4, 20, 10, 2, 15, 17, 2, 1, 8, 3, 0.5, 11], dtype=np.float64)
MARKERS_PER_TYPE = 40
GENES_PER_CLASS = 40
MAX_TYPES = 40
MAX_BATCHES = 16
MAX_CELLS = 10_000_000  # the labels and barcodes of every cell are held in memory
MAX_GENES = 100_000  # the lookup tables hold types × batches × genes numbers
_TYPE_SHARE_POWER = 1.2  # share of type t ∝ (t + 1)^-power: a few large types, rare ones
_GENE_SD = 2.2  # sd of the log gene abundances
_OFF_LEVEL = -1.0  # program genes outside their program, in units of _GENE_SD
_CLASS_LEVEL = 1.8  # class program genes in their class
_MARKER_LEVEL = 2.2  # a type's markers in that type
_LEVEL_SD = 0.4
_BATCH_GENE_SD = 0.4  # sd of each batch's log shift of every gene (batch 1 is the reference)
_BATCH_DEPTH_SD = 0.25
_TYPE_DEPTH_SD = 0.3
_MEDIAN_DEPTH = 2500.0
_DEPTH_SD = 0.55
_MIN_DEPTH = 200.0
_MITO_BETA = (2.5, 80.0)  # share of a healthy cell's UMIs from mt- genes: about 3 %
_LOW_QUALITY_SHARE = 0.03
_LOW_QUALITY_DEPTH = 0.3
_LOW_QUALITY_MITO_BETA = (6.0, 9.0)  # about 40 %
_GENES_PER_MODULE = 400
_MAX_MODULES = 64
_MODULE_SHAPE = 4.0  # gamma shape of a cell's module factors: lower is more over-dispersed
_H5_CHUNK = 1 << 18  # elements per HDF5 chunk of X (1 MiB of float32 or int32)

Compression = Literal["gzip", "lzf"]
Progress = Callable[[int, int], None]


def minimum_genes(n_types: int) -> int:
    """Fewest genes a simulated atlas with ``n_types`` cell types may have: the ``mt-`` genes
    and twice the genes of every class and type program (at least half the other genes
    belong to no program).

    Parameters
    ----------
    n_types
        Number of cell types.
    """
    program_genes = GENES_PER_CLASS * _n_classes(n_types) + MARKERS_PER_TYPE * n_types
    return len(MITO_GENES) + 2 * program_genes


def write_simulated_atlas(
    path: str | Path,
    *,
    n_cells: int = 1_300_000,
    n_genes: int = 28_000,
    n_types: int = 12,
    n_batches: int = 4,
    seed: int = 0,
    block_cells: int = 8192,
    threads: int | None = None,
    compression: Compression | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write an atlas-like simulated count matrix to ``path`` (``.h5ad``), block by block.

    Memory is bounded by the block and the chunks in flight, not by the matrix: about
    0.6 GB at most with the defaults and 2 threads (measured at 100,000 × 28,000 and
    1,000,000 × 5,000), plus the labels and barcodes of every cell (about 100 MB at 1.3
    million cells).
    The file appears at once when complete (written under a temporary name, then renamed);
    a failed write leaves no file behind.

    Parameters
    ----------
    path
        The ``.h5ad`` file to write; an existing file is replaced, a missing folder made.
    n_cells
        Number of cells (rows), 1 to 10 million; the default is the 10x mouse brain data
        set's 1.3 million.
    n_genes
        Number of genes (columns), from :func:`minimum_genes` of ``n_types`` to 100,000;
        the last 13 are the mitochondrial ``mt-`` genes.
    n_types
        Number of cell types, 2 to 40.
    n_batches
        Number of batches, 1 to 16.
    seed
        Random seed (0 or more); the same seed and sizes give the same matrix.
    block_cells
        Cells written per block; changes memory and speed, never the matrix.
    threads
        Threads computing chunks; ``None`` uses the cores this process may use (at most 8).
        Changes the speed only.
    compression
        ``None`` (fastest to read), ``"gzip"`` (smallest) or ``"lzf"`` for ``X``.
    progress
        Called as ``progress(done_cells, total_cells)`` after each block.

    Returns
    -------
    A summary: ``path``, ``cells``, ``genes``, ``nnz`` (stored non-zeros), ``bytes`` (file
    size), ``seconds``, ``median_counts`` and ``median_genes`` (per cell), ``types``,
    ``batches``, ``seed``.

    Raises
    ------
    ConfigError
        A size, count or option out of range, or a path that does not end in ``.h5ad``.
    """
    path = Path(path)
    _check(path, n_cells, n_genes, n_types, n_batches, seed, block_cells, threads, compression)
    started = time.perf_counter()
    params = {
        "model": GENERATOR,
        "n_cells": n_cells,
        "n_genes": n_genes,
        "n_types": n_types,
        "n_batches": n_batches,
        "seed": seed,
        "chunk_cells": CHUNK_CELLS,
        "median_depth": _MEDIAN_DEPTH,
        "low_quality_share": _LOW_QUALITY_SHARE,
        "markers_per_type": MARKERS_PER_TYPE,
        "module_shape": _MODULE_SHAPE,
    }
    model_seed, *chunk_seeds = np.random.SeedSequence(seed).spawn(1 + _n_chunks(n_cells))
    model = _build_model(n_genes, n_types, n_batches, np.random.default_rng(model_seed))
    chunks = _chunks_in_order(model, n_cells, chunk_seeds, threads or n_threads())
    with atomic_path(path) as temp, contextlib.closing(chunks):  # closing stops the threads
        cells = _write_h5ad(temp, params, _blocks(chunks, block_cells), compression, progress)
    return {
        "path": str(path),
        "cells": n_cells,
        "genes": n_genes,
        "nnz": cells.nnz,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
        "median_counts": float(np.median(cells.counts)),
        "median_genes": float(np.median(cells.genes)),
        "types": n_types,
        "batches": n_batches,
        "seed": seed,
    }


def _check(
    path: Path,
    n_cells: int,
    n_genes: int,
    n_types: int,
    n_batches: int,
    seed: int,
    block_cells: int,
    threads: int | None,
    compression: str | None,
) -> None:
    """Raise ``ConfigError`` for any option out of range."""
    if path.suffix != ".h5ad":
        raise ConfigError(f"the simulated atlas is written as .h5ad; got {path.name!r}")
    if not 2 <= n_types <= MAX_TYPES:
        raise ConfigError(f"cell types: 2 to {MAX_TYPES}, got {n_types}")
    if not 1 <= n_batches <= MAX_BATCHES:
        raise ConfigError(f"batches: 1 to {MAX_BATCHES}, got {n_batches}")
    if not 1 <= n_cells <= MAX_CELLS:
        raise ConfigError(f"cells: 1 to {MAX_CELLS:,}, got {n_cells:,}")
    if n_genes > MAX_GENES:
        raise ConfigError(f"genes: at most {MAX_GENES:,}, got {n_genes:,}")
    if n_genes < minimum_genes(n_types):
        raise ConfigError(
            f"{n_genes} genes are too few for {n_types} cell types: need at least "
            f"{minimum_genes(n_types)} (the mt- genes and room for every type's "
            f"{MARKERS_PER_TYPE} markers); give more genes or fewer types"
        )
    if seed < 0:
        raise ConfigError(f"seed: 0 or more, got {seed}")
    if block_cells < 1:
        raise ConfigError(f"block size: at least 1 cell, got {block_cells}")
    if threads is not None and threads < 1:
        raise ConfigError(f"threads: at least 1, got {threads}")
    if compression not in (None, "gzip", "lzf"):
        raise ConfigError(f"compression: none, gzip or lzf, got {compression!r}")


def _n_classes(n_types: int) -> int:
    return max(1, n_types // 4)


def _n_chunks(n_cells: int) -> int:
    return -(-n_cells // CHUNK_CELLS)


# --- the model: what every cell of a (type, batch) draws from -----------------------------


@dataclass(frozen=True)
class _Model:
    """The cell-independent part of the simulation.

    ``tables[g]`` is the lookup table of group ``g = type * n_batches + batch``: over the
    genes in file order, ``m + F(gene)`` for the genes of module ``m`` (``F`` the cumulative
    share of the gene within its module); the ``mt-`` genes are the last module.
    ``module_share[g]`` is each non-mitochondrial module's share of a cell's UMIs.
    """

    type_share: np.ndarray  # (types,)
    batch_share: np.ndarray  # (batches,)
    type_depth: np.ndarray  # (types,) depth factor
    batch_depth: np.ndarray  # (batches,) depth factor
    tables: np.ndarray  # (types × batches, genes) float64
    module_share: np.ndarray  # (types × batches, modules)

    @property
    def n_batches(self) -> int:
        return len(self.batch_share)

    @property
    def n_modules(self) -> int:
        return self.module_share.shape[1]


def _build_model(n_genes: int, n_types: int, n_batches: int, rng: np.random.Generator) -> _Model:
    """Gene abundances, the class and type programs, the batch shifts and the lookup tables."""
    n_other = n_genes - len(MITO_GENES)
    type_log = _type_programs(n_other, n_types, rng)  # (types, other genes)
    batch_log = rng.normal(0.0, _BATCH_GENE_SD, size=(n_batches, n_other))
    batch_log[0] = 0.0
    n_modules = min(_MAX_MODULES, max(1, n_other // _GENES_PER_MODULE))
    bounds = np.linspace(0, n_other, n_modules + 1).round().astype(np.int64)
    mito = np.cumsum(_MITO_WEIGHTS) / _MITO_WEIGHTS.sum()
    mito[-1] = np.inf  # a query rounded up to the end still lands on the last gene
    tables = np.empty((n_types * n_batches, n_genes))
    module_share = np.empty((n_types * n_batches, n_modules))
    for group in range(n_types * n_batches):
        t, b = divmod(group, n_batches)
        weights = np.exp(type_log[t] + batch_log[b])
        tables[group, :n_other], module_share[group] = _module_table(weights, bounds)
        tables[group, n_other:] = n_modules + mito
    type_share = (np.arange(1, n_types + 1) ** -_TYPE_SHARE_POWER).astype(np.float64)
    batch_share = rng.dirichlet(np.full(n_batches, 10.0))
    batch_depth = rng.lognormal(0.0, _BATCH_DEPTH_SD, size=n_batches)
    batch_depth[0] = 1.0
    return _Model(
        type_share=type_share / type_share.sum(),
        batch_share=batch_share,
        type_depth=rng.lognormal(0.0, _TYPE_DEPTH_SD, size=n_types),
        batch_depth=batch_depth,
        tables=tables,
        module_share=module_share,
    )


def _type_programs(n_other: int, n_types: int, rng: np.random.Generator) -> np.ndarray:
    """Log abundance of every non-mitochondrial gene in each type: log-normal background;
    each class's program genes and each type's markers high in it and low elsewhere."""
    n_classes = _n_classes(n_types)
    base = _GENE_SD * rng.standard_normal(n_other)
    chosen = rng.permutation(n_other)[: GENES_PER_CLASS * n_classes + MARKERS_PER_TYPE * n_types]
    base[chosen] = _GENE_SD * rng.normal(_OFF_LEVEL, _LEVEL_SD, size=chosen.size)
    class_genes = chosen[: GENES_PER_CLASS * n_classes].reshape(n_classes, GENES_PER_CLASS)
    markers = chosen[GENES_PER_CLASS * n_classes :].reshape(n_types, MARKERS_PER_TYPE)
    programs = np.repeat(base[None, :], n_types, axis=0)
    for t in range(n_types):
        programs[t, class_genes[t % n_classes]] = _GENE_SD * rng.normal(
            _CLASS_LEVEL, _LEVEL_SD, size=GENES_PER_CLASS
        )
        programs[t, markers[t]] = _GENE_SD * rng.normal(
            _MARKER_LEVEL, _LEVEL_SD, size=MARKERS_PER_TYPE
        )
    return programs


def _module_table(weights: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m + F(gene)`` over the genes (modules are the ranges between ``bounds``) and each
    module's share of ``weights``."""
    cumulative = np.concatenate(([0.0], np.cumsum(weights)))
    mass = np.diff(cumulative[bounds])
    module = np.repeat(np.arange(len(mass)), np.diff(bounds))
    table = module + (cumulative[1:] - cumulative[bounds[:-1]][module]) / mass[module]
    table[bounds[1:] - 1] = np.arange(1, len(mass) + 1)  # exact ends despite rounding
    return table, mass / mass.sum()


# --- chunks of cells ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """Consecutive cells: their CSR rows (``indptr`` starting at 0) and labels."""

    indptr: np.ndarray  # (cells + 1,) int64
    indices: np.ndarray  # (nnz,) int32
    data: np.ndarray  # (nnz,) float32
    cell_type: np.ndarray  # (cells,) int8
    batch: np.ndarray  # (cells,) int8
    low_quality: np.ndarray  # (cells,) bool
    counts: np.ndarray  # (cells,) int32 UMIs per cell

    @property
    def n_cells(self) -> int:
        return len(self.cell_type)

    def rows(self, start: int, stop: int) -> _Rows:
        """Cells ``start`` to ``stop`` (exclusive)."""
        first, last = self.indptr[start], self.indptr[stop]
        return _Rows(
            indptr=self.indptr[start : stop + 1] - first,
            indices=self.indices[first:last],
            data=self.data[first:last],
            cell_type=self.cell_type[start:stop],
            batch=self.batch[start:stop],
            low_quality=self.low_quality[start:stop],
            counts=self.counts[start:stop],
        )


def _simulate_chunk(model: _Model, n_cells: int, rng: np.random.Generator) -> _Rows:
    """``n_cells`` simulated cells drawn from ``rng`` (see the module's docstring)."""
    n_types, n_batches = len(model.type_share), model.n_batches
    cell_type = rng.choice(n_types, size=n_cells, p=model.type_share)
    batch = rng.choice(n_batches, size=n_cells, p=model.batch_share)
    low_quality = rng.random(n_cells) < _LOW_QUALITY_SHARE
    depth = np.maximum(
        _MIN_DEPTH,
        _MEDIAN_DEPTH
        * model.type_depth[cell_type]
        * model.batch_depth[batch]
        * rng.lognormal(0.0, _DEPTH_SD, size=n_cells)
        * np.where(low_quality, _LOW_QUALITY_DEPTH, 1.0),
    )
    mito = np.where(
        low_quality, rng.beta(*_LOW_QUALITY_MITO_BETA, n_cells), rng.beta(*_MITO_BETA, n_cells)
    )
    group = cell_type * n_batches + batch
    order = np.argsort(group, kind="stable")  # cells are drawn group by group
    modules = model.module_share[group] * rng.gamma(
        _MODULE_SHAPE, 1 / _MODULE_SHAPE, size=(n_cells, model.n_modules)
    )
    modules *= ((1 - mito) * depth / modules.sum(axis=1))[:, None]
    means = np.concatenate([modules, (mito * depth)[:, None]], axis=1)
    umis = rng.poisson(means[order])  # (cells in drawing order, modules + mito)
    genes = _draw_genes(model, umis, group[order], rng)
    cell_umis = umis.sum(axis=1)
    return _Rows(
        **_count_runs(genes, cell_umis, order),
        cell_type=cell_type.astype(np.int8),
        batch=batch.astype(np.int8),
        low_quality=low_quality,
        counts=_unsort(cell_umis, order).astype(np.int32),
    )


def _draw_genes(
    model: _Model, umis: np.ndarray, groups: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The gene of every UMI, cell after cell, increasing within each cell.

    ``umis[c, m]`` UMIs of cell ``c`` fall in module ``m``; ``groups`` (sorted) is each
    cell's (type, batch) group. Within a module the ``n`` UMIs are the sorted uniforms
    ``S_k / S_(n+1)`` (``S`` the running sums of ``n + 1`` exponentials), offset by ``m``
    and looked up in the group's table.
    """
    per_segment = umis.ravel()  # segments: (cell, module) in order
    total = int(per_segment.sum())
    running = np.empty(total + 1)
    running[0] = 0.0
    np.cumsum(rng.standard_exponential(total), out=running[1:])
    ends = np.cumsum(per_segment)
    before = running[ends - per_segment]
    span = running[ends] - before + rng.standard_exponential(per_segment.size)
    query = running[1:]
    query -= np.repeat(before, per_segment)
    query *= np.repeat(1.0 / span, per_segment)
    query += np.repeat(np.tile(np.arange(umis.shape[1], dtype=np.float64), len(umis)), per_segment)
    genes = np.empty(total, dtype=np.int64)
    cell_ends = np.cumsum(umis.sum(axis=1))
    group_starts = np.flatnonzero(np.diff(groups, prepend=-1))
    for first, stop in zip(group_starts, [*group_starts[1:], len(groups)], strict=True):
        lo = cell_ends[first - 1] if first else 0
        hi = cell_ends[stop - 1]
        genes[lo:hi] = np.searchsorted(model.tables[groups[first]], query[lo:hi], side="right")
    return genes


def _count_runs(genes: np.ndarray, cell_umis: np.ndarray, order: np.ndarray) -> dict[str, Any]:
    """CSR rows (cells in their original order) from each cell's increasing genes; drawn
    cell ``k`` is original cell ``order[k]``."""
    total = len(genes)
    new_entry = np.empty(total, dtype=bool)
    new_entry[:1] = True
    np.not_equal(genes[1:], genes[:-1], out=new_entry[1:])
    cell_bounds = np.concatenate(([0], np.cumsum(cell_umis)))
    new_entry[cell_bounds[:-1][cell_umis > 0]] = True  # a cell's first gene is a new entry
    starts = np.flatnonzero(new_entry)
    per_cell = np.diff(np.searchsorted(starts, cell_bounds))  # entries per drawn cell
    indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(_unsort(per_cell, order), out=indptr[1:])
    drawn_starts = np.concatenate(([0], np.cumsum(per_cell)[:-1]))
    target = np.repeat(indptr[order] - drawn_starts, per_cell) + np.arange(len(starts))
    indices = np.empty(len(starts), dtype=np.int32)
    indices[target] = genes[starts]
    data = np.empty(len(starts), dtype=np.float32)
    data[target] = np.diff(starts, append=total)
    return {"indptr": indptr, "indices": indices, "data": data}


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``values`` of drawn cells, put back in the original order."""
    out = np.empty_like(values)
    out[order] = values
    return out


def _chunks_in_order(
    model: _Model, n_cells: int, seeds: list[np.random.SeedSequence], threads: int
) -> Iterator[_Rows]:
    """Every chunk of cells in order, computed ``threads`` at a time."""
    sizes = [min(CHUNK_CELLS, n_cells - start) for start in range(0, n_cells, CHUNK_CELLS)]
    jobs = zip(sizes, seeds, strict=True)
    if threads == 1:
        for size, seed in jobs:
            yield _simulate_chunk(model, size, np.random.default_rng(seed))
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="atlas-simulation")
    running: deque[Future[_Rows]] = deque()
    try:
        for size, seed in jobs:
            running.append(pool.submit(_simulate_chunk, model, size, np.random.default_rng(seed)))
            if len(running) > threads:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _blocks(chunks: Iterator[_Rows], block_cells: int) -> Iterator[list[_Rows]]:
    """The cells of ``chunks`` regrouped into blocks of exactly ``block_cells`` (the last
    one smaller), each block a list of consecutive pieces of chunks."""
    block: list[_Rows] = []
    held = 0
    for chunk in chunks:
        start = 0
        while start < chunk.n_cells:
            take = min(block_cells - held, chunk.n_cells - start)
            block.append(chunk.rows(start, start + take))
            held += take
            start += take
            if held == block_cells:
                yield block
                block, held = [], 0
    if block:
        yield block


# --- the file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """Per-cell figures gathered while writing."""

    nnz: int
    counts: np.ndarray  # UMIs per cell
    genes: np.ndarray  # detected genes per cell


def _write_h5ad(
    path: Path,
    params: dict[str, Any],
    blocks: Iterator[list[_Rows]],
    compression: Compression | None,
    progress: Progress | None,
) -> _Written:
    """Write the blocks as ``X``, then ``obs``, ``var`` and ``uns`` (anndata's encoding)."""
    import h5py
    from anndata.io import write_elem

    n_cells, n_genes = params["n_cells"], params["n_genes"]
    labels = {
        "cell_type": np.empty(n_cells, dtype=np.int8),
        "batch": np.empty(n_cells, dtype=np.int8),
        "low_quality": np.empty(n_cells, dtype=bool),
        "counts": np.empty(n_cells, dtype=np.int32),
    }
    with h5py.File(path, "w") as handle:
        handle.attrs["encoding-type"] = "anndata"
        handle.attrs["encoding-version"] = "0.1.0"
        csr = _CsrWriter(handle, n_cells, n_genes, compression)
        for block in blocks:
            for piece in block:
                for name, values in labels.items():
                    values[csr.cells : csr.cells + piece.n_cells] = getattr(piece, name)
                csr.append(piece)
            if progress is not None:
                progress(csr.cells, n_cells)
        counts = labels.pop("counts")
        write_elem(
            handle, "obs", _obs(labels, params["n_types"], params["n_batches"], params["seed"])
        )
        write_elem(handle, "var", _var(n_genes))
        write_elem(handle, "uns", {"generator": params})
        for empty in ("layers", "obsm", "obsp", "varm", "varp"):
            write_elem(handle, empty, {})
        genes = np.diff(csr.indptr[:])
    return _Written(nnz=csr.nnz, counts=counts, genes=genes)


class _CsrWriter:
    """The ``X`` group of an ``.h5ad`` file (anndata's ``csr_matrix`` encoding), filled row
    block by row block: resizable ``data`` and ``indices``, ``indptr`` of every row."""

    def __init__(
        self, handle: h5py.File, n_cells: int, n_genes: int, compression: Compression | None
    ) -> None:
        group = handle.create_group("X")
        group.attrs["encoding-type"] = "csr_matrix"
        group.attrs["encoding-version"] = "0.1.0"
        group.attrs["shape"] = np.array([n_cells, n_genes], dtype=np.int64)
        growing = {"shape": (0,), "maxshape": (None,), "chunks": (_H5_CHUNK,)}
        self.data = group.create_dataset(
            "data", dtype=np.float32, compression=compression, **growing
        )
        self.indices = group.create_dataset(
            "indices", dtype=np.int32, compression=compression, **growing
        )
        self.indptr = group.create_dataset(
            "indptr",
            shape=(n_cells + 1,),
            dtype=np.int64,
            chunks=(min(_H5_CHUNK, n_cells + 1),),
            compression=compression,
        )
        self.indptr[0] = 0
        self.cells = 0
        self.nnz = 0

    def append(self, rows: _Rows) -> None:
        """Add ``rows`` after the rows written so far."""
        end = self.nnz + len(rows.data)
        if end > self.nnz:
            for dataset, values in ((self.data, rows.data), (self.indices, rows.indices)):
                dataset.resize((end,))
                dataset[self.nnz : end] = values
        self.indptr[self.cells + 1 : self.cells + 1 + rows.n_cells] = rows.indptr[1:] + self.nnz
        self.cells += rows.n_cells
        self.nnz = end


def _obs(labels: dict[str, np.ndarray], n_types: int, n_batches: int, seed: int) -> pd.DataFrame:
    """Per-cell labels indexed by 10x-like barcodes (``ACGT…-N``, ``N`` the batch)."""
    import pandas as pd

    width = len(str(n_types))
    return pd.DataFrame(
        {
            "cell_type": pd.Categorical.from_codes(
                labels["cell_type"], [f"type_{t + 1:0{width}d}" for t in range(n_types)]
            ),
            "batch": pd.Categorical.from_codes(
                labels["batch"], [f"batch_{b + 1}" for b in range(n_batches)]
            ),
            "low_quality": labels["low_quality"],
        },
        index=pd.Index(_barcodes(labels["batch"], seed)),
    )


def _barcodes(batch: np.ndarray, seed: int) -> np.ndarray:
    """Unique 16-base barcodes (a bijective scramble of the cell's number) with ``-N``."""
    offset = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0]
    mixed = (np.arange(len(batch), dtype=np.uint64) + np.uint64(offset)) & np.uint64(0xFFFFFFFF)
    mixed = _fmix32(mixed)
    shifts = np.arange(30, -1, -2, dtype=np.uint64)
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)[(mixed[:, None] >> shifts) & np.uint64(3)]
    prefix = bases.view("S16").ravel().astype("U16")
    return np.char.add(np.char.add(prefix, "-"), (batch.astype(np.int64) + 1).astype("U2"))


def _fmix32(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser: a bijection of 32-bit values (kept in uint64)."""
    mask = np.uint64(0xFFFFFFFF)
    x = x ^ (x >> np.uint64(16))
    x = (x * np.uint64(0x85EBCA6B)) & mask
    x = x ^ (x >> np.uint64(13))
    x = (x * np.uint64(0xC2B2AE35)) & mask
    return x ^ (x >> np.uint64(16))


def _var(n_genes: int) -> pd.DataFrame:
    """Gene names: ``Gene00001``… then the ``mt-`` genes."""
    import pandas as pd

    n_other = n_genes - len(MITO_GENES)
    width = max(5, len(str(n_other)))
    names = [f"Gene{i:0{width}d}" for i in range(1, n_other + 1)] + list(MITO_GENES)
    return pd.DataFrame(index=pd.Index(names))
