"""``simulate-atlas``: write an atlas-like simulated count matrix (``.h5ad``), so that the
out-of-core path can be tried and measured without a download."""

from __future__ import annotations

import argparse

from genodash.cli._common import add_command, log, print_json, progress_line


def _add_simulate_atlas(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "simulate-atlas", _simulate_atlas)
    parser.add_argument("out", metavar="OUT.h5ad", help="the file to write (replaced if present)")
    parser.add_argument(
        "--cells",
        type=int,
        default=1_300_000,
        metavar="N",
        help="cells (default 1,300,000: the 10x mouse brain data set)",
    )
    parser.add_argument(
        "--genes", type=int, default=28_000, metavar="G", help="genes (default 28,000)"
    )
    parser.add_argument(
        "--types", type=int, default=12, metavar="T", help="cell types (default 12)"
    )
    parser.add_argument("--batches", type=int, default=4, metavar="B", help="batches (default 4)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--block-cells",
        type=int,
        default=8192,
        metavar="N",
        help="cells written per block: memory and speed, never the matrix (default 8192)",
    )
    parser.add_argument(
        "--threads", type=int, metavar="N", help="threads (default: this machine's cores, ≤ 8)"
    )
    parser.add_argument(
        "--compression",
        choices=("none", "gzip", "lzf"),
        default="none",
        help="compression of the counts: none reads fastest (default), gzip is smallest",
    )


def _simulate_atlas(args: argparse.Namespace) -> int:
    """write a simulated single-cell atlas (.h5ad) block by block

    Cell types of unequal size, batches, 10x-like depth and sparsity, mt- genes and a few
    percent of low-quality cells, written without holding the matrix in memory. Prints one
    JSON line: path, cells, genes, nnz, bytes, seconds, median counts and genes per cell.
    """
    from genodash.expression.atlas_simulation import write_simulated_atlas

    summary = write_simulated_atlas(
        args.out,
        n_cells=args.cells,
        n_genes=args.genes,
        n_types=args.types,
        n_batches=args.batches,
        seed=args.seed,
        block_cells=args.block_cells,
        threads=args.threads,
        compression=None if args.compression == "none" else args.compression,
        progress=progress_line(f"simulating {args.cells:,} cells × {args.genes:,} genes"),
    )
    log(f"wrote {summary['path']} ({summary['bytes'] / 1e9:.2f} GB)")
    print_json(summary)
    return 0


COMMANDS = (_add_simulate_atlas,)
