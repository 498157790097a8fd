"""``atlas``: the whole single-cell pipeline on a matrix too large for memory, block by
block, on this machine or a dask cluster."""

from __future__ import annotations

import argparse
from pathlib import Path

from genodash.cli._common import add_command, log, print_json, progress_line


def _add_atlas(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "atlas", _atlas)
    parser.add_argument("path", metavar="PATH", help="raw counts: .h5ad (X as CSR) or 10x .h5")
    parser.add_argument("--out", required=True, metavar="RESULT.h5ad", help="the result file")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 (default: "
        "GENODASH_DASK_SCHEDULER, else this machine's cores)",
    )
    parser.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help="e.g. 4GB: a matrix whose in-memory processing needs more is read in blocks "
        "(default: GENODASH_MEMORY_BUDGET, else a quarter of this machine's memory)",
    )
    parser.add_argument("--min-genes", type=int, default=200, help="cell filter (default 200)")
    parser.add_argument("--min-counts", type=int, default=0, help="cell filter (default off)")
    parser.add_argument("--max-mito", type=float, default=20.0, help="cell filter, %% (default 20)")
    parser.add_argument("--min-cells", type=int, default=3, help="gene filter (default 3)")
    parser.add_argument("--target-sum", type=float, help="counts per cell (default: median)")
    parser.add_argument("--n-top-genes", type=int, default=2000, help="default 2000")
    parser.add_argument("--n-pcs", type=int, default=50, help="default 50")
    parser.add_argument("--n-neighbors", type=int, default=15, help="default 15")
    parser.add_argument("--resolution", type=float, default=1.0, help="Leiden (default 1)")
    parser.add_argument("--umap-epochs", type=int, help="default: by size (60 above 50,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label-column", help="obs column of cell labels (default: guessed)")
    parser.add_argument("--batch-column", help="obs column of batches (default: guessed)")


def _atlas(args: argparse.Namespace) -> int:
    """Run QC, filters, normalization, variable genes, PCA, neighbours, UMAP and Leiden.

    A matrix larger than the memory budget is read in blocks of cells, with dask; the
    result .h5ad holds the QC table, the components, the UMAP layout and the clusters (the
    counts stay in the source file). Prints one JSON line: cells and genes in and kept,
    seconds per step, peak memory and where the result is.
    """
    from genodash.atlas.pipeline import AtlasConfig, run_atlas
    from genodash.limits import dask_scheduler_address

    config = AtlasConfig(
        min_genes_per_cell=args.min_genes,
        min_counts_per_cell=args.min_counts,
        max_mito_percent=args.max_mito,
        min_cells_per_gene=args.min_cells,
        target_sum=args.target_sum,
        n_top_genes=args.n_top_genes,
        n_pcs=args.n_pcs,
        n_neighbors=args.n_neighbors,
        resolution=args.resolution,
        umap_epochs=args.umap_epochs,
        seed=args.seed,
        label_column=args.label_column,
        batch_column=args.batch_column,
    )
    summary = run_atlas(
        Path(args.path),
        Path(args.out),
        config,
        scheduler=args.scheduler or dask_scheduler_address(),
        memory_budget=args.memory_budget,
        progress=progress_line,
    )
    log(f"result: {summary['result']}")
    print_json(summary)
    return 0


COMMANDS = (_add_atlas,)
