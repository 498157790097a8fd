"""Expression matrices on disk made ready for the expression models, with memory that does
not grow with the number of cells (the out-of-core way of ``train`` and ``embed``).

The default preprocessing of the in-memory path
(:func:`genodash.expression.preprocess.preprocess`: each cell scaled to the median total,
``log(1 + x)``, the highly variable genes by Seurat's dispersion) needs a few numbers about
all cells: their totals, and each gene's mean and variance. Here they come from passes over
blocks of cells, with the preprocessing module's own functions; the cells stay on disk and
are processed block by block as a model reads them (:mod:`genodash.train.stored_cells`), so
each cell's input is the one the in-memory path gives it. Values that are not counts are
used as given, as the command line does in memory.

What grows with the cells is small: their names, labels and batches, the split, one total
per cell while the statistics are computed, and the latent coordinates the model writes.
Reading cells from disk also keeps the C allocator from holding on to freed batches
(:func:`~genodash.processes.keep_memory_flat`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from genodash.data import VALUE_NAMES, ValueType, value_type_of
from genodash.errors import ConfigError, FormatError, InputError
from genodash.expression.arrays import gene_positions
from genodash.expression.preprocess import (
    PreprocessConfig,
    column_sums,
    median_total,
    moments_from_sums,
    normalization_factors,
    seurat_dispersions,
)
from genodash.expression.qc import cell_totals
from genodash.io.backed import IN_MEMORY_COPIES, BackedMatrix, open_backed
from genodash.io.expression import BATCH_COLUMN_GUESSES, LABEL_COLUMN_GUESSES, pick_column
from genodash.io.sequences import make_unique
from genodash.predict import batch_codes, cell_latents, saved_latent
from genodash.processes import keep_memory_flat
from genodash.train.expression import PreparedMatrix, category_codes, split_cells
from genodash.train.stored_cells import (
    BLOCK_VALUES,
    BlockReader,
    CellRecipe,
    ProgressFactory,
    StoredCells,
)

if TYPE_CHECKING:
    from genodash.train.runs import Run

FROM_DISK_SUFFIXES = (".h5ad", ".h5")  # the formats that can be read in blocks of cells
Report = Callable[[int, int], None]


def open_if_over_budget(path: str | Path, budget_bytes: int) -> BackedMatrix | None:
    """The matrix at ``path``, opened for reading in blocks, when it is an ``.h5ad`` or 10x
    ``.h5`` file whose in-memory preprocessing would need more than ``budget_bytes``;
    ``None`` for any other file (read it into memory as usual).

    A file that cannot be read in blocks (e.g. X stored by gene) is left to the in-memory
    reader when the file itself is within the budget; its reader reads it or says what is
    wrong.

    Parameters
    ----------
    path
        The data file.
    budget_bytes
        The memory budget (:func:`genodash.limits.memory_budget_bytes`).

    Raises
    ------
    FormatError
        A file over the budget that cannot be read in blocks (the in-memory reader's
        messages).
    """
    path = Path(path)
    if path.suffix.lower() not in FROM_DISK_SUFFIXES:
        return None
    try:
        matrix = open_backed(path)
    except FormatError:
        if path.stat().st_size * IN_MEMORY_COPIES <= budget_bytes:
            return None
        raise
    return matrix if matrix.needs_out_of_core(budget_bytes) else None


@dataclass(frozen=True, eq=False)
class BackedCells:
    """The cells of a matrix on disk as the models read them.

    Attributes
    ----------
    obs
        The cells' table (index: their unique IDs).
    genes
        The kept genes, in the order of the models' input.
    values, counts
        The processed values and the raw counts of the kept genes (``None`` when the
        matrix holds no counts), read block by block.
    labels, batches
        Each cell's label (text) and batch code (into ``batch_names``), or ``None``.
    fingerprint
        SHA-256 of the names, the stored matrix and the preprocessing.
    notes
        What was read and how it was processed, in words.
    """

    name: str
    obs: pd.DataFrame
    genes: list[str]
    values: StoredCells
    counts: StoredCells | None
    labels: list[str] | None
    label_column: str | None
    batches: np.ndarray | None
    batch_names: list[str]
    batch_column: str | None
    value_type: ValueType
    fingerprint: str
    notes: tuple[str, ...]

    @property
    def cell_ids(self) -> list[str]:
        return list(self.obs.index)

    def batch_labels(self) -> np.ndarray | None:
        """Each cell's batch name, or ``None`` without a batch column."""
        if self.batches is None:
            return None
        return np.asarray(self.batch_names, dtype=object)[self.batches]


def read_backed_cells(
    matrix: BackedMatrix,
    *,
    label_column: str | None = None,
    batch_column: str | None = None,
    config: PreprocessConfig | None = None,
    block_values: int = BLOCK_VALUES,
    progress: ProgressFactory | None = None,
) -> BackedCells:
    """The cells of ``matrix`` as the models read them: the statistics of the
    preprocessing from passes over its blocks, the cells left on disk.

    Parameters
    ----------
    matrix
        The matrix on disk (:func:`genodash.io.backed.open_backed`).
    label_column, batch_column
        Columns of the cells' table with labels and batches; ``None``: guessed from common
        names, as the in-memory reader does.
    config
        The preprocessing of raw counts (default: :class:`PreprocessConfig`'s defaults);
        its cell and gene filters and scaling do not run out of core.
    block_values
        Stored values per block read.
    progress
        A progress report maker (``label -> report(done, total)``) for the passes, e.g.
        :func:`genodash.cli._common.progress_line`.

    Raises
    ------
    ConfigError
        A filter or scaling asked for.
    FormatError
        Unknown label or batch column, or a block that cannot be read.
    """
    config = config or PreprocessConfig()
    _check_out_of_core(config)
    keep_memory_flat()
    notes = [
        f"read from disk in blocks of cells (out of core): {matrix.n_cells:,} cells × "
        f"{matrix.n_genes:,} genes"
    ]
    obs = matrix.obs()
    obs.index = pd.Index(_unique([str(c) for c in obs.index], "cell IDs", notes), dtype=str)
    gene_names = _unique([str(g) for g in matrix.var_names()], "gene names", notes)
    label_column = pick_column(obs, label_column, LABEL_COLUMN_GUESSES, "label", matrix.name, notes)
    batch_column = pick_column(obs, batch_column, BATCH_COLUMN_GUESSES, "batch", matrix.name, notes)
    reader = BlockReader(matrix, block_values)
    value_type, totals, digest = _scan(reader, progress)
    recipe = _recipe(reader, value_type, totals, config, notes, progress)
    genes = gene_names if recipe.columns is None else [gene_names[i] for i in recipe.columns]
    label = f"reading every cell of {matrix.name}"
    has_counts = value_type == "counts"
    batches, batch_names = category_codes(obs[batch_column]) if batch_column else (None, [])
    return BackedCells(
        name=matrix.name,
        obs=obs,
        genes=genes,
        values=StoredCells(reader, recipe, "values", progress=progress, label=label),
        counts=StoredCells(reader, recipe, "counts", progress=progress, label=label)
        if has_counts
        else None,
        labels=obs[label_column].astype(str).tolist() if label_column else None,
        label_column=label_column,
        batches=batches,
        batch_names=batch_names,
        batch_column=batch_column,
        value_type=value_type,
        fingerprint=_fingerprint(digest, obs.index, gene_names, recipe),
        notes=tuple(notes),
    )


def prepare_backed_matrix(
    matrix: BackedMatrix,
    *,
    label_column: str | None = None,
    batch_column: str | None = None,
    config: PreprocessConfig | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    block_values: int = BLOCK_VALUES,
    progress: ProgressFactory | None = None,
) -> PreparedMatrix:
    """:func:`genodash.train.expression.prepare_matrix` for a matrix on disk: the same
    genes, inputs and split as for the same file read into memory and preprocessed, the
    inputs read block by block (:class:`~genodash.train.stored_cells.StoredCells`).

    Parameters
    ----------
    matrix, label_column, batch_column, config, block_values, progress
        As for :func:`read_backed_cells`.
    val_fraction, test_fraction, seed
        As for :func:`~genodash.train.expression.prepare_matrix`.

    Raises
    ------
    ConfigError
        Too few cells, bad split fractions, or a filter or scaling asked for.
    FormatError
        As for :func:`read_backed_cells`.
    """
    if matrix.n_cells < 10:
        raise ConfigError(f"{matrix.name} has {matrix.n_cells} cells; training needs at least 10")
    cells = read_backed_cells(
        matrix,
        label_column=label_column,
        batch_column=batch_column,
        config=config,
        block_values=block_values,
        progress=progress,
    )
    split, stratified = split_cells(cells.labels, matrix.n_cells, val_fraction, test_fraction, seed)
    notes = list(cells.notes)
    if not stratified and cells.labels is not None:
        notes.append("labels too small to stratify: random split")
    return PreparedMatrix(
        cell_ids=cells.cell_ids,
        genes=cells.genes,
        values=cells.values,
        counts=cells.counts,
        batches=cells.batches,
        batch_names=cells.batch_names,
        labels=cells.labels,
        split=split,
        source_name=matrix.name,
        fingerprint=cells.fingerprint,
        label_column=cells.label_column,
        batch_column=cells.batch_column,
        notes=tuple(notes),
    )


def latent_from_disk(
    run: Run, cells: BackedCells, *, batch_column: str | None = None, device: str = "cpu"
) -> tuple[np.ndarray, bool]:
    """Latent coordinates of ``cells`` under an expression run: those saved with the run
    when it saved every one of them, else encoded block by block by its model.

    Parameters
    ----------
    run
        A saved expression run.
    cells
        The cells, from :func:`read_backed_cells` with the run's preprocessing.
    batch_column
        Each cell's batch, for a model with a batch covariate (default: the run's).
    device
        Where to compute.

    Returns
    -------
    Cells × latent dimensions (float32), and whether they were saved with the run.

    Raises
    ------
    InputError
        Genes of the run missing among the kept genes, no counts where the model reads
        counts, or unknown batches.
    """
    import anndata

    saved = saved_latent(run, cells.cell_ids)
    if saved is not None:
        return saved, True
    positions = gene_positions(anndata.AnnData(var=pd.DataFrame(index=cells.genes)), run.genes)
    source = cells.counts if "counts" in run.model.inputs else cells.values
    if source is None:
        raise InputError(
            "this run's model reads raw counts, but the matrix holds none",
            file=cells.name,
            hint="give a matrix with counts in X",
        )
    inputs: list[object] = [source.with_genes(positions)]
    if "batches" in run.model.inputs:
        inputs.append(batch_codes(run, anndata.AnnData(obs=cells.obs), batch_column))
    latent = cell_latents(run.model, inputs, device=device)["latent"]
    return np.asarray(latent, dtype=np.float32), False


# --- the passes over the blocks ----------------------------------------------------------------


def _check_out_of_core(config: PreprocessConfig) -> None:
    asked = [
        name
        for name, on in (
            ("min_genes_per_cell", config.min_genes_per_cell > 0),
            ("min_counts_per_cell", config.min_counts_per_cell > 0),
            ("max_mito_percent", config.max_mito_percent < 100),
            ("min_cells_per_gene", config.min_cells_per_gene > 0),
            ("scale", config.scale),
        )
        if on
    ]
    if asked:
        raise ConfigError(
            f"{', '.join(asked)} cannot run on a matrix read from disk; training from disk "
            "normalizes, takes log1p and keeps the highly variable genes"
        )


def _unique(names: list[str], what: str, notes: list[str]) -> list[str]:
    unique, renamed = make_unique(names)
    if renamed:
        notes.append(f"{renamed:,} duplicate {what} made unique by adding -1, -2, …")
    return unique


def _reporter(progress: ProgressFactory | None, label: str) -> Report:
    return progress(label) if progress is not None else (lambda done, total: None)


def _scan(
    reader: BlockReader, progress: ProgressFactory | None
) -> tuple[ValueType, np.ndarray, bytes]:
    """One pass: what the values are, each cell's total, and a digest of the stored matrix
    (of its row lengths, column indices and values, the same whatever the blocks)."""
    matrix = reader.matrix
    report = _reporter(progress, f"reading {matrix.name}: cell totals")
    totals = np.zeros(matrix.n_cells, dtype=np.float64)
    kinds: set[str] = set()
    digests = [hashlib.sha256() for _ in range(3)]
    for block, (start, stop) in enumerate(reader.blocks):
        rows = reader.read(block)
        totals[start:stop] = cell_totals(rows)
        kinds.add(value_type_of(rows))
        parts = (np.diff(rows.indptr).astype(np.int64), rows.indices.astype(np.int64), rows.data)
        for digest, part in zip(digests, parts, strict=True):
            digest.update(memoryview(np.ascontiguousarray(part)))
        report(stop, matrix.n_cells)
    value_type: ValueType = "counts"
    if "signed" in kinds:
        value_type = "signed"
    elif "non-negative" in kinds:
        value_type = "non-negative"
    return value_type, totals, b"".join(digest.digest() for digest in digests)


def _recipe(
    reader: BlockReader,
    value_type: ValueType,
    totals: np.ndarray,
    config: PreprocessConfig,
    notes: list[str],
    progress: ProgressFactory | None,
) -> CellRecipe:
    """The preprocessing of ``config`` on this matrix, as :func:`preprocess` would run it."""
    if value_type != "counts":
        notes.append(f"values are {VALUE_NAMES[value_type]}, not counts: used as given")
        return CellRecipe(None, None, False)
    target = None
    if config.normalize:
        target = median_total(totals) if config.target_sum is None else float(config.target_sum)
        notes.append(f"normalize_total: each cell scaled to {target:,.6g} counts in total")
    if config.log1p:
        notes.append("log1p: values replaced by log(1 + value)")
    n_genes = reader.matrix.n_genes
    if not config.hvg or config.n_top_genes >= n_genes:
        return CellRecipe(None, target, config.log1p)
    mean, var = _gene_moments(reader, totals, target, progress)
    kept = seurat_dispersions(mean, var, config.n_top_genes)["highly_variable"].to_numpy()
    columns = np.flatnonzero(kept)
    notes.append(
        f"highly_variable_genes: kept the {len(columns):,} most variable of {n_genes:,} genes"
    )
    return CellRecipe(columns, target, config.log1p)


def _gene_moments(
    reader: BlockReader,
    totals: np.ndarray,
    target: float | None,
    progress: ProgressFactory | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each gene's mean and variance (ddof 1) over every cell, as :func:`gene_moments`
    computes them in memory: :func:`column_sums` of each block (its cells scaled by their
    normalization factors), added up."""
    matrix = reader.matrix
    report = _reporter(progress, f"reading {matrix.name}: gene variances")
    sums, squares = np.zeros(matrix.n_genes), np.zeros(matrix.n_genes)
    for block, (start, stop) in enumerate(reader.blocks):
        factors = None
        if target is not None:
            factors = normalization_factors(totals[start:stop], target_sum=target)
        block_sums, block_squares = column_sums(reader.read(block), factors, False, squares=True)
        sums += block_sums
        squares += block_squares
        report(stop, matrix.n_cells)
    return moments_from_sums(sums, squares, matrix.n_cells)


def _fingerprint(stored: bytes, cells: pd.Index, genes: list[str], recipe: CellRecipe) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(cells).encode())
    digest.update("\n".join(genes).encode())
    digest.update(stored)
    kept = "all" if recipe.columns is None else ",".join(map(str, recipe.columns))
    digest.update(f"{kept};{recipe.target_sum!r};{recipe.log1p}".encode())
    return digest.hexdigest()
