"""Preprocessing of an expression matrix, one recorded step at a time.

The steps follow scanpy's standard workflow: quality-control metrics, cell and gene
filters, ``normalize_total``, ``log1p``, highly variable genes and scaling. Count-based
steps run only on raw counts; on values that are already normalized (``"non-negative"``)
or scaled (``"signed"``) they are skipped, and the record says so. Every step appears in
:attr:`ProcessedMatrix.steps`, run or not, with its parameters and a sentence explaining
what happened, so the app can show the whole recipe.

The results are scanpy's (the tests compare them), but genodash computes them itself, in
blocks, without the full copies of X that scanpy's functions make: on 100,000 cells those
copies, not the arithmetic, took most of the time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.data import VALUE_NAMES, MatrixSet, ValueType, is_sparse
from genodash.errors import ConfigError
from genodash.expression.qc import cell_totals, detected_per_cell, qc_table
from genodash.settings import param

if TYPE_CHECKING:
    import anndata

QC_PREFIX = "qc_"
_SCRATCH_VALUES = 1_000_000  # values per block when a pass over X works in blocks


@dataclass(frozen=True)
class PreprocessConfig:
    """The preprocessing recipe; :mod:`genodash.expression.scanpy_defaults` sets its defaults
    beside scanpy's."""

    min_genes_per_cell: int = param(
        0, "Min genes per cell", 0, 10_000, "Remove cells with fewer detected genes (0: off)"
    )
    min_counts_per_cell: int = param(
        0, "Min counts per cell", 0, 1_000_000, "Remove cells with fewer total counts (0: off)"
    )
    max_mito_percent: float = param(
        100.0,
        "Max mitochondrial %",
        0.0,
        100.0,
        "Remove cells whose counts come more than this much from MT- genes (100: off); "
        "a high share often marks a dying cell",
    )
    min_cells_per_gene: int = param(
        0, "Min cells per gene", 0, 10_000, "Remove genes detected in fewer cells (0: off)"
    )
    normalize: bool = param(
        True, "Normalize library size", help="Scale each cell to the same total count"
    )
    target_sum: float | None = param(
        None,
        "Counts per cell after normalizing",
        1.0,
        1e7,
        "Empty: the median of the cells' totals (scanpy's default). A larger target, such "
        "as 10,000, inflates cells sequenced shallowly, and the log then amplifies their "
        "counting noise",
    )
    log1p: bool = param(True, "log(1 + x)", help="Compress the range of expression values")
    hvg: bool = param(
        True, "Keep highly variable genes", help="Keep the genes that vary most between cells"
    )
    n_top_genes: int = param(2000, "Number of variable genes", 10, 20_000)
    scale: bool = param(
        False, "Scale genes", help="Give every gene mean 0 and variance 1 (makes the data dense)"
    )
    scale_max_value: float | None = param(
        10.0, "Clip scaled values at", 1.0, 100.0, "Limit outliers after scaling"
    )

    def __post_init__(self) -> None:
        for name in ("min_genes_per_cell", "min_counts_per_cell", "min_cells_per_gene"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not 0 < self.max_mito_percent <= 100:
            raise ConfigError(f"max_mito_percent must lie in (0, 100], got {self.max_mito_percent}")
        if self.target_sum is not None and self.target_sum <= 0:
            raise ConfigError(f"target_sum must be positive, got {self.target_sum}")
        if self.n_top_genes < 1:
            raise ConfigError(f"n_top_genes must be at least 1, got {self.n_top_genes}")
        if self.scale_max_value is not None and self.scale_max_value <= 0:
            raise ConfigError(f"scale_max_value must be positive, got {self.scale_max_value}")


@dataclass(frozen=True, eq=False)
class ProcessedMatrix:
    """A preprocessed matrix and the record of how it was made.

    Attributes
    ----------
    adata
        Cells × genes after processing; ``X`` is float32, CSR while sparse and dense after
        scaling. ``obs`` keeps the source metadata plus ``qc_total_counts``,
        ``qc_n_genes`` and (with MT- genes) ``qc_pct_mito``. ``layers["counts"]`` holds
        the raw counts of the kept cells and genes when the input was counts.
    source_name
        Display name of the source matrix.
    steps
        One dict per step in order: ``step``, ``ran``, ``params``, ``note``.
    notes
        Other remarks, in plain words.
    label_column, batch_column
        The ``obs`` columns with cell labels and batches, when known.
    value_type
        The kind of values in the processed ``X``.
    qc
        Per-cell QC metrics of the input cells with a ``kept`` column.
    gene_stats
        Per-gene mean and dispersion of all genes when highly variable genes were chosen
        (columns ``means``, ``dispersions_norm``, ``highly_variable``).
    """

    adata: anndata.AnnData
    source_name: str
    steps: tuple[dict[str, Any], ...]
    notes: tuple[str, ...]
    label_column: str | None
    batch_column: str | None
    value_type: ValueType
    qc: pd.DataFrame | None = None
    gene_stats: pd.DataFrame | None = None

    @property
    def has_counts(self) -> bool:
        return "counts" in self.adata.layers

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of the result and of every step."""
        return {
            "source": self.source_name,
            "n_obs": int(self.adata.n_obs),
            "n_vars": int(self.adata.n_vars),
            "value_type": self.value_type,
            "stored_sparse": is_sparse(self.adata.X),
            "has_counts_layer": self.has_counts,
            "label_column": self.label_column,
            "batch_column": self.batch_column,
            "steps": [dict(step) for step in self.steps],
            "notes": list(self.notes),
        }


# --- the steps and what they need --------------------------------------------------------

STEP_TITLES = {
    "filter_cells_by_genes": "Remove cells with few detected genes",
    "filter_cells_by_counts": "Remove cells with few counts",
    "filter_cells_by_mito": "Remove cells with many mitochondrial counts",
    "filter_genes_by_cells": "Remove genes seen in few cells",
    "normalize_total": "Normalize each cell's total",
    "log1p": "Take log(1 + x)",
    "highly_variable_genes": "Keep the highly variable genes",
    "scale": "Scale each gene",
}
PARAM_TITLES = {
    "min_genes": "minimum genes",
    "min_counts": "minimum counts",
    "max_mito_percent": "maximum mitochondrial %",
    "min_cells": "minimum cells",
    "target_sum": "total per cell",
    "target": "target",
    "n_top_genes": "genes to keep",
    "flavor": "ranking",
    "max_value": "clip at",
}
_NOT_DETECTED = "values are scaled, so zero does not mean 'not detected'"
_NEEDS_COUNTS = {
    "signed": "values are already scaled (some are negative), not counts",
    "non-negative": "values are already normalized (not whole numbers), not counts",
}
_HVG_ON_SCALED = (
    "values are already scaled, so every gene has about the same variance and variability "
    "cannot rank genes"
)


# the config fields that belong to each step (for widgets that turn with their step)
FIELD_STEPS = {
    "min_genes_per_cell": "filter_cells_by_genes",
    "min_counts_per_cell": "filter_cells_by_counts",
    "max_mito_percent": "filter_cells_by_mito",
    "min_cells_per_gene": "filter_genes_by_cells",
    "normalize": "normalize_total",
    "target_sum": "normalize_total",
    "log1p": "log1p",
    "hvg": "highly_variable_genes",
    "n_top_genes": "highly_variable_genes",
    "scale": "scale",
    "scale_max_value": "scale",
}


def why_step_cannot_run(step: str, value_type: ValueType) -> str | None:
    """Why ``step`` cannot run on values of ``value_type``, or None when it can.

    Parameters
    ----------
    step
        A step name (a key of :data:`STEP_TITLES`).
    value_type
        What the matrix holds (:attr:`MatrixSet.value_type`).

    Returns
    -------
    The reason in plain words, or None.
    """
    if value_type == "counts" or step == "scale":
        return None
    if step in ("filter_cells_by_genes", "filter_genes_by_cells"):
        return _NOT_DETECTED if value_type == "signed" else None
    if step == "highly_variable_genes":
        return _HVG_ON_SCALED if value_type == "signed" else None
    return _NEEDS_COUNTS[value_type]


def steps_table(processed: ProcessedMatrix) -> pd.DataFrame:
    """The recipe as people read it: ``Step``, ``Ran``, ``Settings``, ``What happened``.

    Parameters
    ----------
    processed
        The preprocessed matrix, whose ``steps`` record each step of the recipe.

    Returns
    -------
    pandas.DataFrame
        One row per step, in the order they were applied: its title, ``"yes"`` or
        ``"no"``, its settings in words, and a note on what it did.
    """
    rows = []
    for step in processed.steps:
        settings = ", ".join(
            f"{PARAM_TITLES.get(key, key)}: {_setting_text(value)}"
            for key, value in step["params"].items()
        )
        rows.append(
            {
                "Step": STEP_TITLES.get(step["step"], step["step"]),
                "Ran": "yes" if step["ran"] else "no",
                "Settings": settings,
                "What happened": step.get("note", ""),
            }
        )
    return pd.DataFrame(rows)


def processed_summary(processed: ProcessedMatrix, *, chosen: bool) -> str:
    """One sentence on the matrix a page works on: its size and which steps ran.

    Parameters
    ----------
    processed
        The preprocessed matrix.
    chosen
        Whether the person chose the settings (else they are the defaults).

    Returns
    -------
    E.g. "Working on 60 cells × 100 genes after the default preprocessing (normalize each
    cell's total; take log(1 + x))."
    """
    ran = [STEP_TITLES[step["step"]].lower() for step in processed.steps if step["ran"]]
    return (
        f"Working on {processed.adata.n_obs:,} cells × {processed.adata.n_vars:,} genes after "
        f"{'your' if chosen else 'the default'} preprocessing "
        f"({'; '.join(ran) if ran else 'no steps ran'})."
    )


_VALUE_TITLES = {
    "seurat": "Seurat's normalized dispersion",
    "median": "median of the cells' totals",
    "fixed": "a fixed number",
}


def _setting_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return _VALUE_TITLES.get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def detected_per_gene(X: Any) -> np.ndarray:
    """Cells in which each gene is detected: its non-zero values (a stored zero is not).

    Parameters
    ----------
    X
        Cells × genes, dense or sparse; meaningful for counts, where zero means the gene
        was not seen in that cell.

    Returns
    -------
    numpy.ndarray
        One int64 count of cells per gene.
    """
    X = X.tocsr() if is_sparse(X) and X.format != "csr" else X
    if is_sparse(X):
        return np.bincount(X.indices[X.data != 0], minlength=X.shape[1]).astype(np.int64)
    return np.count_nonzero(X, axis=0).astype(np.int64)


# --- the pipeline -------------------------------------------------------------------------


def preprocess(matrix: MatrixSet, config: PreprocessConfig | None = None) -> ProcessedMatrix:
    """Run the preprocessing recipe on a copy of ``matrix``.

    Parameters
    ----------
    matrix
        The expression matrix; it is not changed.
    config
        The recipe (default: :class:`PreprocessConfig` defaults).

    Returns
    -------
    ProcessedMatrix
        The processed copy and the record of every step.

    Raises
    ------
    ConfigError
        A filter would remove every cell or every gene.
    """
    config = config or PreprocessConfig()
    work = _Work(matrix)
    work.filter_cells_by_genes(config.min_genes_per_cell)
    work.filter_cells_by_counts(config.min_counts_per_cell)
    work.filter_cells_by_mito(config.max_mito_percent)
    work.filter_genes_by_cells(config.min_cells_per_gene)
    work.keep_counts()
    work.normalize(config.normalize, config.target_sum)
    work.log1p(config.log1p)
    work.highly_variable_genes(config.hvg, config.n_top_genes)
    work.scale(config.scale, config.scale_max_value)
    return work.result()


class _Work:
    """The matrix being processed and the growing record of steps.

    ``normalize_total`` and ``log1p`` are recorded when they run but applied to X only
    when its values are next needed (scaling or the result): the gene ranking reads the
    raw values with the cells' factors, and gene selection first shrinks the matrix, so
    X is copied once, after selection, instead of before it.
    """

    def __init__(self, matrix: MatrixSet) -> None:
        self.source = matrix
        # X is copied only before the first change of values (see _own_x)
        self.adata = _working_copy(matrix.adata)
        self.input_type: ValueType = matrix.value_type
        self.value_type: ValueType = matrix.value_type
        self.row_factors: np.ndarray | None = None  # normalize_total, not yet applied
        self.log_pending = False
        self.steps: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.gene_stats: pd.DataFrame | None = None
        qc = qc_table(self.adata.X, self.adata.var_names)
        qc.index = self.adata.obs_names.copy()
        for column in qc.columns:
            self.adata.obs[QC_PREFIX + column] = qc[column].to_numpy()
        self.qc = qc.assign(kept=True)
        self.qc.attrs["value_type"] = matrix.value_type

    # -- recording

    def record(self, step: str, *, ran: bool, params: dict[str, Any], note: str) -> None:
        self.steps.append({"step": step, "ran": ran, "params": params, "note": note})

    def ran(self, step: str) -> bool:
        return any(done["step"] == step and done["ran"] for done in self.steps)

    def skipped(self, step: str, params: dict[str, Any], *, off: bool, note: str = "off") -> bool:
        """Record a skip and return True when ``step`` cannot run on the input's values, or
        when its setting turns it ``off`` (``note`` says how)."""
        reason = why_step_cannot_run(step, self.input_type)
        if reason is not None:
            self.record(step, ran=False, params=params, note=f"skipped: {reason}")
            return True
        if off:
            self.record(step, ran=False, params=params, note=note)
        return off

    # -- filters

    def filter_cells_by_genes(self, minimum: int) -> None:
        step, params = "filter_cells_by_genes", {"min_genes": minimum}
        if self.skipped(step, params, off=minimum == 0, note="off (0)"):
            return
        keep = detected_per_cell(self.adata.X) >= minimum
        self._keep_cells(keep, step, params, f"fewer than {minimum:,} detected genes")

    def filter_cells_by_counts(self, minimum: int) -> None:
        step, params = "filter_cells_by_counts", {"min_counts": minimum}
        if self.skipped(step, params, off=minimum == 0, note="off (0)"):
            return
        totals = cell_totals(self.adata.X)
        self._keep_cells(totals >= minimum, step, params, f"fewer than {minimum:,} counts")

    def filter_cells_by_mito(self, maximum: float) -> None:
        step, params = "filter_cells_by_mito", {"max_mito_percent": maximum}
        if self.skipped(step, params, off=maximum >= 100, note="off (100 %)"):
            return
        if QC_PREFIX + "pct_mito" not in self.adata.obs:
            self.record(
                step,
                ran=False,
                params=params,
                note="skipped: no mitochondrial genes (names starting MT- or mt-)",
            )
            return
        share = self.adata.obs[QC_PREFIX + "pct_mito"].to_numpy()
        self._keep_cells(share <= maximum, step, params, f"more than {maximum:g} % mitochondrial")

    def _keep_cells(self, keep: np.ndarray, step: str, params: dict[str, Any], why: str) -> None:
        n_removed = int((~keep).sum())
        if not keep.any():
            raise ConfigError(
                f"filter {step} ({_describe(params)}) would remove all "
                f"{self.adata.n_obs:,} cells; lower the threshold"
            )
        if n_removed:
            self.qc.loc[self.adata.obs_names[~keep], "kept"] = False
            self.adata = _subset(self.adata, rows=keep)
        self.record(
            step,
            ran=True,
            params=params,
            note=f"removed {n_removed:,} cells with {why}; {self.adata.n_obs:,} left",
        )

    def filter_genes_by_cells(self, minimum: int) -> None:
        step, params = "filter_genes_by_cells", {"min_cells": minimum}
        if self.skipped(step, params, off=minimum == 0, note="off (0)"):
            return
        keep = detected_per_gene(self.adata.X) >= minimum
        if not keep.any():
            raise ConfigError(
                f"filter {step} (min_cells={minimum}) would remove all "
                f"{self.adata.n_vars:,} genes; lower the threshold"
            )
        n_removed = int((~keep).sum())
        if n_removed:
            self.adata = _subset(self.adata, columns=keep)
        self.record(
            step,
            ran=True,
            params=params,
            note=f"removed {n_removed:,} genes detected in fewer than {minimum:,} cells; "
            f"{self.adata.n_vars:,} left",
        )

    # -- transformations

    def keep_counts(self) -> None:
        if self.input_type == "counts":
            self.adata.layers["counts"] = self.adata.X

    def _own_x(self) -> Any:
        """X, copied to float32 first if it is still the input's matrix or the counts layer
        (a filter or the gene selection makes a new matrix, shared with the counts layer)."""
        X = self.adata.X
        if X is self.source.adata.X or X is self.adata.layers.get("counts"):
            self.adata.X = X.astype(np.float32)
        return self.adata.X

    def normalize(self, enabled: bool, target_sum: float | None) -> None:
        step, params = "normalize_total", {"target_sum": target_sum or "median"}
        if self.skipped(step, params, off=not enabled):
            return
        totals = cell_totals(self.adata.X)
        target = median_total(totals) if target_sum is None else target_sum
        self.row_factors = normalization_factors(totals, target_sum=target)
        self.value_type = "non-negative"
        why = " (the median of the cells' totals, scanpy's default)" if target_sum is None else ""
        self.record(
            step,
            ran=True,
            params={"target_sum": target, "target": "median" if target_sum is None else "fixed"},
            note=f"each cell scaled to {target:,.6g} counts in total{why}",
        )

    def log1p(self, enabled: bool) -> None:
        step, params = "log1p", {}
        if self.skipped(step, params, off=not enabled):
            return
        self.log_pending = True
        self.value_type = "non-negative"
        self.record(step, ran=True, params=params, note="values replaced by log(1 + value)")

    def highly_variable_genes(self, enabled: bool, n_top_genes: int) -> None:
        step = "highly_variable_genes"
        n_genes = int(self.adata.n_vars)
        params = {"n_top_genes": n_top_genes, "flavor": "seurat"}
        if self.skipped(step, params, off=not enabled):
            return
        if n_top_genes >= n_genes:
            self.record(
                step,
                ran=False,
                params=params,
                note=f"skipped: all {n_genes:,} genes kept (asked for {n_top_genes:,})",
            )
            return
        stats, note = self._hvg_stats(n_top_genes)
        self.gene_stats = stats
        self.adata = _subset(self.adata, columns=stats["highly_variable"].to_numpy())
        self.record(step, ran=True, params=params, note=note)

    def _hvg_stats(self, n_top_genes: int) -> tuple[pd.DataFrame, str]:
        # counts: X still holds them, the normalization waits in row_factors; other
        # values are read as log values, which the seurat flavour undoes, as scanpy does
        mean, var = gene_moments(
            self.adata.X, row_factors=self.row_factors, exponentiate=self.input_type != "counts"
        )
        if self.input_type == "counts" and not self.ran("log1p"):
            how = "ranked on log(1 + value), since log1p is off"
        elif self.input_type == "counts":
            how = "ranked by normalized dispersion of the log values"
        else:
            how = "ranked on the values as given, read as log-normalized"
        stats = seurat_dispersions(mean, var, n_top_genes)
        stats.index = self.adata.var_names.copy()
        kept = int(stats["highly_variable"].sum())
        return stats, f"kept the {kept:,} most variable of {len(stats):,} genes ({how})"

    def scale(self, enabled: bool, max_value: float | None) -> None:
        step, params = "scale", {"max_value": max_value}
        if self.skipped(step, params, off=not enabled):
            return
        self._apply_pending()
        was_sparse = is_sparse(self.adata.X)
        self.adata.X = scale_columns(self.adata.X, max_value=max_value)
        self.value_type = "signed"
        clip = f", clipped at ±{max_value:g}" if max_value is not None else ""
        dense = "; the matrix is now dense" if was_sparse else ""
        self.record(
            step, ran=True, params=params, note=f"each gene set to mean 0, variance 1{clip}{dense}"
        )

    def _apply_pending(self) -> None:
        X = self._own_x()
        if self.row_factors is not None:
            scale_rows(X, self.row_factors)
            self.row_factors = None
        if self.log_pending:
            np.log1p(X.data if is_sparse(X) else X, out=X.data if is_sparse(X) else X)
            self.log_pending = False

    def result(self) -> ProcessedMatrix:
        self._apply_pending()  # also when no step changed X: the result must not share it
        if self.adata.X.dtype != np.float32:
            self.adata.X = self.adata.X.astype(np.float32)
        if self.input_type != "counts":
            self.notes.append(
                f"the input values are {VALUE_NAMES[self.input_type]}, not counts, so the result "
                "has no layer of raw counts"
            )
        return ProcessedMatrix(
            adata=self.adata,
            source_name=self.source.name,
            steps=tuple(self.steps),
            notes=tuple(self.notes),
            label_column=self.source.label_column,
            batch_column=self.source.batch_column,
            value_type=self.value_type,
            qc=self.qc,
            gene_stats=self.gene_stats,
        )


def _working_copy(adata: anndata.AnnData) -> anndata.AnnData:
    """X (not copied: it is never changed in place; other sparse formats become CSR), obs
    and var copies; stale layers, embeddings and uns are left out."""
    import anndata as ad

    X = adata.X.tocsr() if is_sparse(adata.X) and adata.X.format != "csr" else adata.X
    return ad.AnnData(X=X, obs=adata.obs.copy(), var=adata.var.copy())


def _subset(
    adata: anndata.AnnData, *, rows: np.ndarray | None = None, columns: np.ndarray | None = None
) -> anndata.AnnData:
    """A new AnnData with the chosen cells (``rows``) or genes (``columns``), as masks.

    Lighter than ``adata[rows].copy()``, which goes through a view.
    """
    import anndata as ad

    def pick(matrix: Any) -> Any:
        if rows is not None:
            matrix = matrix[np.flatnonzero(rows)]
        if columns is not None:
            matrix = matrix[:, np.flatnonzero(columns)]
        return matrix

    obs = adata.obs if rows is None else adata.obs.iloc[np.flatnonzero(rows)]
    var = adata.var if columns is None else adata.var.iloc[np.flatnonzero(columns)]
    X = pick(adata.X)
    layers = {name: X if layer is adata.X else pick(layer) for name, layer in adata.layers.items()}
    return ad.AnnData(X=X, obs=obs.copy(), var=var.copy(), layers=layers)


def median_total(totals: np.ndarray) -> float:
    """scanpy's default normalization target: the median total of the cells that have any
    counts (``sc.pp.normalize_total(target_sum=None)``).

    Parameters
    ----------
    totals
        Each cell's total count (:func:`cell_totals`).

    Returns
    -------
    The median of the positive totals, or 1.0 when no cell has counts.
    """
    positive = totals[totals > 0]
    return float(np.median(positive)) if positive.size else 1.0


def normalization_factors(totals: np.ndarray, *, target_sum: float) -> np.ndarray:
    """The float32 factor that scales each cell to sum to ``target_sum``, as
    ``sc.pp.normalize_total`` does (0 for cells that sum to 0); :func:`scale_rows` applies it.

    Parameters
    ----------
    totals
        Each cell's total count (:func:`cell_totals`).
    target_sum
        The total every cell is scaled to.

    Returns
    -------
    One float32 factor per cell.
    """
    factors = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    return factors.astype(np.float32)


def scale_rows(X: Any, factors: np.ndarray) -> None:
    """Multiply each row of ``X`` (float, dense or CSR) in place by its factor.

    Parameters
    ----------
    X
        Cells × genes with float values, dense or CSR; changed in place, nothing is
        returned.
    factors
        One factor per cell (row), e.g. from :func:`normalization_factors`; cast to the
        dtype of ``X``.
    """
    factors = factors.astype(X.dtype, copy=False)
    if not is_sparse(X):
        X *= factors[:, None]
        return
    # in blocks of rows: one small scratch array at a time instead of one as large as
    # X.data (fresh large arrays cost more in page faults than the multiplication itself)
    for start, stop in _row_blocks(X):
        lo, hi = X.indptr[start], X.indptr[stop]
        X.data[lo:hi] *= np.repeat(factors[start:stop], np.diff(X.indptr[start : stop + 1]))


def _row_blocks(X: Any) -> Iterator[tuple[int, int]]:
    """Row ranges of a CSR matrix holding about ``_SCRATCH_VALUES`` stored values each."""
    step = max(1, _SCRATCH_VALUES * X.shape[0] // max(X.nnz, 1))
    for start in range(0, X.shape[0], step):
        yield start, min(start + step, X.shape[0])


def gene_moments(
    X: Any, *, row_factors: np.ndarray | None = None, exponentiate: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and variance (ddof 1, float64) of ``X`` as scanpy's seurat flavour
    sees it: rows scaled by ``row_factors`` (float32, as :func:`scale_rows` would), or
    ``expm1(X)`` with ``exponentiate``.

    Reads ``X`` (dense or CSR) in blocks of about a million values, so it needs no copy
    of the matrix (scanpy's seurat flavour makes two, which cost more than the sums).

    Parameters
    ----------
    X
        Cells × genes, dense or sparse; not changed.
    row_factors
        One factor per cell that its values are multiplied by first, e.g. the
        normalization factors of :func:`normalization_factors`; ``None``: the values as
        they are.
    exponentiate
        Take ``expm1`` of the values first, to undo ``log1p`` (as scanpy's seurat flavour
        does with log-normalized data).

    Returns
    -------
    tuple of numpy.ndarray
        The mean and the variance of each gene across cells, float64.
    """
    sums, squares = column_sums(X, row_factors, exponentiate, squares=True)
    return moments_from_sums(sums, squares, X.shape[0])


def moments_from_sums(
    sums: np.ndarray, squares: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and variance (ddof 1) from the sums and sums of squares over
    ``n_cells`` cells, e.g. added up over blocks of cells.

    Parameters
    ----------
    sums, squares
        Each gene's sum and sum of squares (:func:`column_sums`).
    n_cells
        The cells summed over.
    """
    mean = sums / n_cells
    var = squares / n_cells - mean**2
    if n_cells > 1:
        var *= n_cells / (n_cells - 1)
    return mean, var


def gene_means(X: Any, *, exponentiate: bool = False) -> np.ndarray:
    """Per-gene mean (float64) of ``X`` or of ``expm1(X)``, in blocks, without a copy of X
    (``X.mean(axis=0)`` of a sparse matrix copies it whole).

    Parameters
    ----------
    X
        Cells × genes, dense or sparse; not changed.
    exponentiate
        Average ``expm1`` of the values, to undo ``log1p``; default: the values as they are.

    Returns
    -------
    numpy.ndarray
        One mean per gene, float64.
    """
    sums, _ = column_sums(X, None, exponentiate, squares=False)
    return sums / X.shape[0]


def column_sums(
    X: Any, row_factors: np.ndarray | None, exponentiate: bool, *, squares: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-gene sums (and sums of squares) of ``X``, float64, read in blocks; the sums that
    :func:`gene_moments` and :func:`gene_means` divide, and that the out-of-core path adds
    up over blocks of cells.

    Parameters
    ----------
    X
        Cells × genes, dense or sparse; not changed.
    row_factors
        One factor per cell that its values are multiplied by first (float32), or ``None``.
    exponentiate
        Sum ``expm1`` of the values.
    squares
        Also sum the squares; otherwise the second result is ``None``.
    """
    n_genes = X.shape[1]
    sums = np.zeros(n_genes)
    square_sums = np.zeros(n_genes) if squares else None
    for values, columns in _value_blocks(X, row_factors):
        if exponentiate:
            values = np.expm1(values)
        if columns is None:
            sums += values.sum(axis=0, dtype=np.float64)
            if square_sums is not None:
                square_sums += np.square(values, dtype=np.float64).sum(axis=0)
            continue
        sums += np.bincount(columns, values, minlength=n_genes)
        if square_sums is not None:
            square_sums += np.bincount(
                columns, np.square(values, dtype=np.float64), minlength=n_genes
            )
    return sums, square_sums


def _value_blocks(
    X: Any, row_factors: np.ndarray | None
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Blocks of rows of X, each scaled by its rows' factors: the stored values and their
    columns (CSR) or the dense rows and ``None``."""
    factors = None if row_factors is None else row_factors.astype(np.float32)
    if is_sparse(X) and X.format != "csr":
        X = X.tocsr()
    if not is_sparse(X):
        step = max(1, _SCRATCH_VALUES // max(X.shape[1], 1))
        for start in range(0, X.shape[0], step):
            values = np.asarray(X[start : start + step])
            if factors is not None:
                values = values * factors[start : start + step, None]
            yield values, None
        return
    for start, stop in _row_blocks(X):
        lo, hi = X.indptr[start], X.indptr[stop]
        values = X.data[lo:hi]
        if factors is not None:
            values = values * np.repeat(factors[start:stop], np.diff(X.indptr[start : stop + 1]))
        yield values, X.indices[lo:hi]


def seurat_dispersions(
    mean: np.ndarray, var: np.ndarray, n_top_genes: int, n_bins: int = 20
) -> pd.DataFrame:
    """Highly variable genes as scanpy's ``flavor="seurat"`` picks them, from gene moments.

    The log dispersion (variance / mean) of each gene is z-scored among the genes in the
    same of ``n_bins`` bins of log mean (a gene alone in its bin gets 1), and the
    ``n_top_genes`` highest are kept (ties included), as scanpy does.

    Parameters
    ----------
    mean
        Each gene's mean across cells, on the count scale (for log-normalized data, the
        mean of ``expm1`` of the values, as :func:`gene_moments` gives it).
    var
        Each gene's variance across cells, on the same scale and in the same order.
    n_top_genes
        Genes to mark as highly variable (more when several tie at the cut-off).
    n_bins
        Bins of log mean expression within which dispersions are compared.

    Returns
    -------
    pandas.DataFrame
        One row per gene: ``means`` (log1p of the mean), ``dispersions`` (log),
        ``dispersions_norm`` and ``highly_variable``.

    Raises
    ------
    ConfigError
        No gene varies between cells.
    """
    mean = np.where(mean == 0, 1e-12, mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        dispersion = var / mean
        dispersion[dispersion == 0] = np.nan
        dispersion = np.log(dispersion)
    table = pd.DataFrame({"means": np.log1p(mean), "dispersions": dispersion})
    bins = pd.cut(table["means"], bins=n_bins)
    per_bin = table.groupby(bins, observed=True)["dispersions"].agg(avg="mean", dev="std")
    alone = per_bin["dev"].isna()
    per_bin.loc[alone, "dev"] = per_bin.loc[alone, "avg"]
    per_bin.loc[alone, "avg"] = 0.0
    per_gene = per_bin.loc[bins]
    normalized = (dispersion - per_gene["avg"].to_numpy()) / per_gene["dev"].to_numpy()
    ranked = np.sort(normalized[~np.isnan(normalized)])[::-1]
    if ranked.size == 0:
        raise ConfigError(
            "no gene varies between cells, so none can be ranked as highly variable; "
            "turn off 'Keep highly variable genes'"
        )
    cutoff = ranked[min(n_top_genes, ranked.size) - 1]
    table["dispersions_norm"] = normalized
    table["highly_variable"] = np.nan_to_num(normalized, nan=-np.inf) >= cutoff
    return table


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items())


def scale_columns(X: Any, *, max_value: float | None = 10.0) -> np.ndarray:
    """Each column to mean 0 and unit variance (ddof 1, as scanpy), as dense float32.

    Works in float32 on one dense copy (``sc.pp.scale`` makes a float64 one); constant
    columns become 0.

    Parameters
    ----------
    X
        Cells × genes, dense or sparse.
    max_value
        Clip the scaled values to ``±max_value`` (``None``: no clipping).
    """
    dense = X.toarray() if is_sparse(X) else np.array(X, dtype=np.float32, copy=True)
    dense = dense.astype(np.float32, copy=False)
    mean = dense.mean(axis=0, dtype=np.float64)
    std = dense.std(axis=0, dtype=np.float64, ddof=1) if dense.shape[0] > 1 else np.zeros_like(mean)
    std[std == 0] = 1.0
    dense -= mean.astype(np.float32)
    dense /= std.astype(np.float32)
    if max_value is not None:
        np.clip(dense, -max_value, max_value, out=dense)
    return dense
