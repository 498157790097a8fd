"""The single-cell pipeline for matrices that do not fit in memory, block by block.

:func:`run_atlas` takes an ``.h5ad`` or 10x ``.h5`` file from QC metrics to clusters:

1. **QC**: per-cell totals, detected genes and mitochondrial share; the cell filters; the
   genes' detection counts among the kept cells, then the gene filter.
2. **Normalization**: each kept cell's total over the kept genes; the target is their
   median (scanpy's default) unless one is given.
3. **Highly variable genes**: per-gene sums and squares of the normalized counts give the
   seurat flavour's dispersions (the in-memory function ranks them).
4. **PCA**: the covariance of the log values of the variable genes, added up over blocks,
   its top eigenvectors, then every kept cell projected on them.
5. **Neighbours, UMAP and Leiden** on the principal components, which fit in memory (50
   float32 values per cell: 260 MB at 1.3 million cells). Out of core, each runs in a
   worker process of its own (:mod:`genodash.atlas.graph_worker`), so that its few GB are
   handed back when it ends and never add to what this process holds.
6. **The result**: an ``.h5ad`` with the QC table, the components, the layout and the
   clusters; the counts stay in the source file, which the result names.

Steps 1–4 are passes over the file, each a set of dask tasks (:mod:`genodash.atlas.engine`)
of one block of cells; memory is bounded by the block and the number of tasks at once, not
by the number of cells. A matrix within the memory budget is read as one block: the same
code, in memory. The per-block arithmetic is the in-memory preprocessing's (see
:mod:`genodash.atlas.blocks`), so both paths give the same normalization and genes.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genodash.atlas import blocks
from genodash.atlas.blocks import CellFilters, Selection
from genodash.atlas.engine import Engine, Progress
from genodash.atlas.graph_worker import GraphSteps
from genodash.data import VALUE_NAMES
from genodash.errors import ConfigError
from genodash.expression.embed import covariance_components, default_umap_epochs
from genodash.expression.preprocess import (
    PreprocessConfig,
    median_total,
    moments_from_sums,
    normalization_factors,
    seurat_dispersions,
)
from genodash.io.backed import BLOCK_VALUES, BackedMatrix, open_backed
from genodash.io.expression import BATCH_COLUMN_GUESSES, LABEL_COLUMN_GUESSES, pick_column
from genodash.limits import memory_budget_bytes
from genodash.processes import release_free_memory

ProgressFactory = Callable[[str], Progress | None]
RESULT_VERSION = 1


@dataclass(frozen=True)
class AtlasConfig:
    """The atlas recipe: scanpy's usual thresholds for a large data set.

    Attributes
    ----------
    min_genes_per_cell, min_counts_per_cell, max_mito_percent
        The cell filters (0, 0 and 100 turn them off).
    min_cells_per_gene
        The gene filter (0 turns it off).
    target_sum
        Counts per cell after normalizing; ``None``: the median of the cells' totals.
    n_top_genes
        Highly variable genes kept for the PCA.
    n_pcs
        Principal components.
    n_neighbors
        Neighbours per cell for UMAP and Leiden, the cell itself counted.
    resolution
        Leiden's resolution.
    umap_epochs
        UMAP layout epochs; ``None`` chooses by size.
    seed
        Seed of the neighbour search, UMAP's start and Leiden.
    label_column, batch_column
        ``obs`` columns with cell labels and batches; guessed from common names if
        ``None``.
    """

    min_genes_per_cell: int = 200
    min_counts_per_cell: int = 0
    max_mito_percent: float = 20.0
    min_cells_per_gene: int = 3
    target_sum: float | None = None
    n_top_genes: int = 2000
    n_pcs: int = 50
    n_neighbors: int = 15
    resolution: float = 1.0
    umap_epochs: int | None = None
    seed: int = 0
    label_column: str | None = None
    batch_column: str | None = None

    def __post_init__(self) -> None:
        self.recipe()  # the preprocessing settings are checked as the in-memory ones are
        for name in ("n_pcs", "umap_epochs"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
        if self.n_neighbors < 2:
            raise ConfigError(f"n_neighbors must be at least 2, got {self.n_neighbors}")
        if self.resolution <= 0:
            raise ConfigError(f"resolution must be positive, got {self.resolution:g}")

    def recipe(self) -> PreprocessConfig:
        """The same preprocessing as :func:`~genodash.expression.preprocess.preprocess`
        settings."""
        return PreprocessConfig(
            min_genes_per_cell=self.min_genes_per_cell,
            min_counts_per_cell=self.min_counts_per_cell,
            max_mito_percent=self.max_mito_percent,
            min_cells_per_gene=self.min_cells_per_gene,
            target_sum=self.target_sum,
            n_top_genes=self.n_top_genes,
        )

    @property
    def filters(self) -> CellFilters:
        """The per-cell thresholds."""
        return CellFilters(self.min_genes_per_cell, self.min_counts_per_cell, self.max_mito_percent)


@dataclass
class _Steps:
    """Each step's seconds and note, in order, and the progress reports."""

    progress: ProgressFactory | None
    records: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def report(self, label: str) -> Progress | None:
        return None if self.progress is None else self.progress(label)

    @contextmanager
    def single(self, label: str) -> Iterator[None]:
        """Report a step that gives no progress of its own: done (with its time) when it
        ends."""
        report = self.report(label)
        yield
        if report is not None:
            report(1, 1)

    def done(self, step: str, note: str) -> None:
        release_free_memory()
        now = time.perf_counter()
        self.records.append({"step": step, "seconds": round(now - self.started, 2), "note": note})
        self.started = now


@dataclass
class AtlasState:
    """What the passes have found so far (kept cells and genes, factors, variable genes,
    components); the pipeline's working memory, whose size grows with cells only by a few
    numbers per cell."""

    matrix: BackedMatrix
    blocks: list[tuple[int, int]]
    qc: pd.DataFrame | None = None
    cells: np.ndarray | None = None  # kept-cell mask over all cells
    genes: np.ndarray | None = None  # kept genes' columns
    factors: np.ndarray | None = None  # per kept cell
    target_sum: float = 0.0
    gene_stats: pd.DataFrame | None = None
    variable: np.ndarray | None = None  # variable genes' columns
    mean: np.ndarray | None = None
    basis: np.ndarray | None = None
    variance_ratio: np.ndarray | None = None

    def tasks(self, genes: np.ndarray) -> list[tuple[Any, ...]]:
        """One task's arguments per block: where to read, the block, and its selection of
        the kept cells, ``genes`` and the cells' factors."""
        source = self.matrix.source
        return [
            (source, start, stop, self.selection(start, stop, genes)) for start, stop in self.blocks
        ]

    def selection(self, start: int, stop: int, genes: np.ndarray) -> Selection:
        """The block's kept cells, the given genes and the cells' factors."""
        assert self.cells is not None
        first = int(self.cells[:start].sum())
        keep = self.cells[start:stop]
        factors = None if self.factors is None else self.factors[first : first + int(keep.sum())]
        return Selection(keep, genes, factors)


def run_atlas(
    path: Path,
    out: Path,
    config: AtlasConfig | None = None,
    *,
    scheduler: str | None = None,
    memory_budget: str | None = None,
    progress: ProgressFactory | None = None,
    block_values: int | None = None,
) -> dict[str, Any]:
    """Run the whole pipeline on the matrix at ``path`` and write the result to ``out``.

    Parameters
    ----------
    path
        An ``.h5ad`` (X as CSR or dense) or 10x ``.h5`` file of raw counts.
    out
        The result ``.h5ad`` (written to a temporary name, then renamed).
    config
        The recipe (default: :class:`AtlasConfig`).
    scheduler
        The address of a ``dask.distributed`` scheduler, or ``None`` for this machine.
    memory_budget
        A size such as ``"4GB"``; a matrix whose in-memory preprocessing would need more
        is read in blocks. ``None``: ``GENODASH_MEMORY_BUDGET`` or a quarter of the memory.
    progress
        Called with a step's label, returns that step's progress report (or ``None``).
    block_values
        Stored values per block on the out-of-core path (tests use small blocks).

    Returns
    -------
    dict
        The summary: cells and genes in and kept, seconds per step, where the result is,
        whether the matrix was read out of core, and ``peak_memory_bytes``: the most
        resident memory this command's processes held at once, that is this process's
        peak, or, while a graph step ran in its worker, this process's resident memory
        plus the worker's peak, whichever is larger (dask workers of a ``scheduler`` are
        not counted).

    Raises
    ------
    InputError
        The file cannot be read (see :func:`~genodash.io.backed.open_backed`).
    ConfigError
        The values are not counts, a filter removes everything, or too few cells or genes
        are left for the components and neighbours.
    """
    config = config or AtlasConfig()
    steps = _Steps(progress)
    matrix = open_backed(Path(path))
    budget = memory_budget_bytes(memory_budget)
    out_of_core = matrix.needs_out_of_core(budget)
    values = (block_values or BLOCK_VALUES) if out_of_core else max(matrix.nnz, 1)
    state = AtlasState(matrix, matrix.row_blocks(values))
    obs, gene_names = matrix.obs(), matrix.var_names()
    info = {
        **_metadata_columns(obs, matrix.name, config),
        "out_of_core": out_of_core,
        "config": {key: value for key, value in vars(config).items() if value is not None},
    }
    where = "out of core" if out_of_core else "in memory (within the memory budget)"
    steps.done(
        "open",
        f"{matrix.n_cells:,} cells × {matrix.n_genes:,} genes, {len(state.blocks)} blocks, {where}",
    )
    with _graph_folder(Path(out), out_of_core) as folder:
        graph = GraphSteps(folder)
        with Engine(scheduler) as engine:
            _quality_control(engine, state, gene_names, config, steps)
            _normalize(engine, state, config, steps)
            _variable_genes(engine, state, gene_names, config, steps)
            graph.put("pcs", _principal_components(engine, state, config, steps))
            where_run = engine.describe()
        _graph_steps(graph, int(state.cells.sum()), config, steps)
        clusters = graph.get("clusters").astype(str)
        found = (graph.get("pcs"), graph.get("umap"), clusters)
    written = _write(Path(out), state, obs, found, info, steps)
    return {
        "cells": matrix.n_cells,
        "genes": matrix.n_genes,
        "cells_kept": int(state.cells.sum()),
        "genes_kept": len(state.genes),
        "highly_variable_genes": len(state.variable),
        "clusters": len(set(clusters.tolist())),
        "seconds": {record["step"]: record["seconds"] for record in steps.records},
        "seconds_total": round(sum(record["seconds"] for record in steps.records), 2),
        "peak_memory_bytes": max(_peak_memory_bytes(), graph.peak_bytes),
        "out_of_core": out_of_core,
        "memory_budget_bytes": budget,
        "blocks": len(state.blocks),
        "scheduler": scheduler or "threads",
        "ran_on": where_run,
        "result": str(written),
    }


# --- the passes ---------------------------------------------------------------------------


def _quality_control(
    engine: Engine, state: AtlasState, gene_names: pd.Index, config: AtlasConfig, steps: _Steps
) -> None:
    source, tables, keeps, types = state.matrix.source, [], [], set()
    detected = np.zeros(state.matrix.n_genes, dtype=np.int64)

    def combine(result: tuple[pd.DataFrame, np.ndarray, np.ndarray, str]) -> None:
        nonlocal detected
        table, keep, genes_detected, value_type = result
        tables.append(table)
        keeps.append(keep)
        detected += genes_detected
        types.add(value_type)

    arguments = [(source, start, stop, gene_names, config.filters) for start, stop in state.blocks]
    engine.map(blocks.qc_block, arguments, combine, steps.report("QC metrics and filters"))
    if types - {"counts"}:
        kind = "signed" if "signed" in types else "non-negative"
        raise ConfigError(
            f"{state.matrix.name}: the atlas pipeline needs raw counts; X holds {VALUE_NAMES[kind]}"
        )
    state.qc = pd.concat(tables, ignore_index=True)
    state.cells = np.concatenate(keeps)
    if not state.cells.any():
        raise ConfigError(
            f"the cell filters would remove all {state.matrix.n_cells:,} cells; lower them"
        )
    kept_genes = detected >= config.min_cells_per_gene
    if not kept_genes.any():
        raise ConfigError(
            f"min_cells_per_gene={config.min_cells_per_gene} would remove all genes; lower it"
        )
    state.genes = np.flatnonzero(kept_genes)
    steps.done(
        "qc",
        f"kept {int(state.cells.sum()):,} of {state.matrix.n_cells:,} cells and "
        f"{len(state.genes):,} of {state.matrix.n_genes:,} genes",
    )


def _normalize(engine: Engine, state: AtlasState, config: AtlasConfig, steps: _Steps) -> None:
    totals: list[np.ndarray] = []
    arguments = state.tasks(state.genes)
    engine.map(blocks.totals_block, arguments, totals.append, steps.report("normalization"))
    all_totals = np.concatenate(totals)
    state.target_sum = median_total(all_totals) if config.target_sum is None else config.target_sum
    state.factors = normalization_factors(all_totals, target_sum=state.target_sum)
    steps.done("normalize", f"each cell scaled to {state.target_sum:,.6g} counts in total")


def _variable_genes(
    engine: Engine, state: AtlasState, gene_names: pd.Index, config: AtlasConfig, steps: _Steps
) -> None:
    n_genes = len(state.genes)
    sums, squares = np.zeros(n_genes), np.zeros(n_genes)

    def combine(result: tuple[np.ndarray, np.ndarray]) -> None:
        sums.__iadd__(result[0])
        squares.__iadd__(result[1])

    arguments = state.tasks(state.genes)
    engine.map(blocks.moments_block, arguments, combine, steps.report("highly variable genes"))
    mean, var = moments_from_sums(sums, squares, int(state.cells.sum()))
    if config.n_top_genes >= n_genes:
        stats = pd.DataFrame({"means": np.log1p(mean), "dispersions_norm": np.nan})
        stats["highly_variable"] = True
        note = f"all {n_genes:,} genes kept (asked for {config.n_top_genes:,})"
    else:
        stats = seurat_dispersions(mean, var, config.n_top_genes)
        note = (
            f"kept the {int(stats['highly_variable'].sum()):,} most variable of {n_genes:,} genes"
        )
    stats.index = gene_names[state.genes]
    state.gene_stats = stats
    state.variable = state.genes[stats["highly_variable"].to_numpy()]
    steps.done("highly_variable_genes", note)


def _principal_components(
    engine: Engine, state: AtlasState, config: AtlasConfig, steps: _Steps
) -> np.ndarray:
    n_genes, n_cells = len(state.variable), int(state.cells.sum())
    k = min(config.n_pcs, n_genes, n_cells - 1)
    if k < 2:
        raise ConfigError(f"too few cells or genes left ({n_cells:,} × {n_genes:,}) for a PCA")
    products = np.zeros((n_genes, n_genes))
    sums = np.zeros(n_genes)

    def combine(result: tuple[int, np.ndarray, np.ndarray]) -> None:
        sums.__iadd__(result[1])
        products.__iadd__(result[2])

    arguments = state.tasks(state.variable)
    engine.map(blocks.covariance_block, arguments, combine, steps.report("PCA: covariance"))
    mean = sums / n_cells
    covariance = (products - n_cells * np.outer(mean, mean)) / max(n_cells - 1, 1)
    state.mean = mean.astype(np.float32)
    state.basis, state.variance_ratio = covariance_components(covariance, k)
    parts: list[np.ndarray] = []
    projected = [(*args, state.mean, state.basis) for args in arguments]
    engine.map(blocks.project_block, projected, parts.append, steps.report("PCA: projection"))
    steps.done(
        "pca",
        f"{k} components of {n_genes:,} variable genes explain "
        f"{100 * float(state.variance_ratio.sum()):.1f} % of their variance",
    )
    return np.concatenate(parts)


@contextmanager
def _graph_folder(out: Path, isolated: bool) -> Iterator[Path | None]:
    """A private folder beside the result for the arrays the graph steps' workers pass on,
    removed at the end; ``None`` when the steps run in this process. On the result's disk
    rather than in the system's temporary folder, which may be held in memory; made before
    the passes, so that an output folder that cannot be written to is found at once."""
    if not isolated:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.graph-", dir=out.parent) as folder:
        yield Path(folder)


def _graph_steps(graph: GraphSteps, n_cells: int, config: AtlasConfig, steps: _Steps) -> None:
    k = min(config.n_neighbors, n_cells - 1)
    with steps.single("neighbours"):
        graph.run("neighbors", n_neighbors=k + 1, seed=config.seed)
    steps.done("neighbors", f"{k} nearest neighbours of each of {n_cells:,} cells")
    epochs = config.umap_epochs or default_umap_epochs(n_cells)
    with steps.single("UMAP"):
        graph.run("umap", k=k, epochs=epochs, seed=config.seed)
    steps.done("umap", f"2-D layout, {epochs} epochs, started from PCA")
    with steps.single("Leiden"):
        where = None if graph.folder is None else str(graph.folder)  # igraph's edge list
        graph.run("leiden", k=k, resolution=config.resolution, seed=config.seed, folder=where)
    found = len(np.unique(graph.get("clusters")))  # numbered 0, 1, … from the largest
    steps.done("leiden", f"{found} clusters at resolution {config.resolution:g}")


# --- the result ---------------------------------------------------------------------------


def _metadata_columns(obs: pd.DataFrame, name: str, config: AtlasConfig) -> dict[str, str]:
    notes: list[str] = []
    label = pick_column(obs, config.label_column, LABEL_COLUMN_GUESSES, "label", name, notes)
    batch = pick_column(obs, config.batch_column, BATCH_COLUMN_GUESSES, "batch", name, notes)
    return {"label_column": label or "", "batch_column": batch or ""}


def _write(
    out: Path,
    state: AtlasState,
    obs: pd.DataFrame,
    found: tuple[np.ndarray, np.ndarray, np.ndarray],
    info: dict[str, Any],
    steps: _Steps,
) -> Path:
    from genodash.atlas.result import write_atlas_result

    pcs, umap, clusters = found
    rows = np.flatnonzero(state.cells)
    cells = obs.iloc[rows].copy()
    cells.index = cells.index.astype(str)
    for column in state.qc.columns:
        cells[column] = state.qc[column].to_numpy()[rows]
    cells["normalization_factor"] = state.factors
    cells["source_row"] = rows.astype(np.int64)
    cells["leiden"] = pd.Categorical(clusters, categories=sorted(set(clusters), key=int))
    genes = state.gene_stats.copy()
    genes["source_column"] = state.genes.astype(np.int64)
    record = {
        "version": RESULT_VERSION,
        "source": str(Path(state.matrix.path).resolve()),
        "target_sum": float(state.target_sum),
        "pca_variance_ratio": [float(v) for v in state.variance_ratio],
        "n_cells_in_source": state.matrix.n_cells,
        "n_genes_in_source": state.matrix.n_genes,
        **info,
        "steps": steps.records,
    }
    started = time.perf_counter()
    written = write_atlas_result(out, obs=cells, var=genes, pca=pcs, umap=umap, info=record)
    steps.records.append(
        {"step": "write", "seconds": round(time.perf_counter() - started, 2), "note": str(written)}
    )
    return written


def _peak_memory_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
