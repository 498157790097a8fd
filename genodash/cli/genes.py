"""``select-genes``: rank genes by a classifier's gradient and perturbation importance beside
highly variable genes, and score a classifier on the top k genes of each ranking."""

from __future__ import annotations

import argparse
import time

from genodash.cli._common import (
    add_command,
    add_read_options,
    log,
    print_json,
    processed_matrix,
    read_matrix,
)
from genodash.errors import ConfigError, InputError


def _add_select_genes(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "select-genes", _select_genes)
    parser.add_argument("path", metavar="MATRIX", help="expression matrix (as for `validate`)")
    parser.add_argument(
        "--out", required=True, metavar="FILE.csv", help="CSV of every gene's ranks and scores"
    )
    parser.add_argument(
        "--ks",
        type=int,
        nargs="+",
        metavar="K",
        help="numbers of top genes to keep (default: 10 20 50 100 200 500, up to the genes)",
    )
    parser.add_argument("--seed", type=int, default=0, help="split, weights and shuffles")
    parser.add_argument("--epochs", type=int, help="classifier epochs at most (default 60)")
    parser.add_argument(
        "--no-perturbation",
        dest="perturbation",
        action="store_false",
        help="rank by gradient importance only (skip the shuffling of each gene)",
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    add_read_options(parser)


def _select_genes(args: argparse.Namespace) -> int:
    """rank genes by a classifier's importance and by variability; score their top k genes

    Train a small neural classifier of the cell labels (--label-column, or the column guessed
    from its name) on the processed matrix, rank the genes by the classifier's gradient and
    perturbation importance and by variability (highly variable genes), and fit a logistic
    regression on the top k genes of each ranking (same split for every k). --out gets one row
    per gene: gene, then <ranking>_rank and <ranking>_score for each ranking. The last line of
    stdout is one JSON object: ks, then per ranking (hvg, gradient, perturbation) the test
    accuracy for each k, all_genes (accuracy on every gene), top_genes, overlap (shared genes
    of the top-k lists), classifier, sizes, seconds and out. Raw counts are preprocessed with
    the default settings first.
    """
    from genodash.device import resolve_device
    from genodash.io.writers import write_text_atomic
    from genodash.train.gene_selection import select_genes

    started = time.perf_counter()
    config = _config(args)
    matrix = read_matrix(args, "select-genes")
    if matrix.label_column is None:
        columns = ", ".join(map(str, matrix.adata.obs.columns)) or "none"
        raise InputError(
            "no label column was given or recognised",
            file=matrix.name,
            hint=f"name one with --label-column; metadata columns: {columns}",
        )
    processed = processed_matrix(matrix)
    log(f"{matrix.name}: {processed.adata.n_obs:,} cells × {processed.adata.n_vars:,} genes")
    result = select_genes(
        processed,
        label_column=matrix.label_column,
        source=matrix,
        ks=args.ks,
        config=config,
        device=resolve_device(args.device),
        on_progress=_progress(),
    )
    write_text_atomic(args.out, result.table().to_csv(index=False))
    for note in result.notes:
        log(f"note: {note}")
    summary = result.summary()
    summary["seconds"] = round(time.perf_counter() - started, 3)
    print_json({**summary, "out": args.out})
    return 0


def _config(args: argparse.Namespace) -> object:
    """The classifier settings given by the options, checked before any data is read."""
    from genodash.train.gene_selection import SelectionConfig

    if not 0 <= args.seed <= 2**32 - 1:
        raise ConfigError(f"--seed must be a whole number from 0 to 4,294,967,295, got {args.seed}")
    if args.epochs is not None and args.epochs < 1:
        raise ConfigError(f"--epochs must be a whole number of at least 1, got {args.epochs}")
    if args.ks is not None and min(args.ks) < 1:
        raise ConfigError(f"--ks must be whole numbers of at least 1, got {min(args.ks)}")
    given = {"seed": args.seed, "perturbation": args.perturbation}
    if args.epochs is not None:
        given["epochs"] = args.epochs
    return SelectionConfig(**given)


def _progress() -> object:
    last = {"message": ""}

    def report(fraction: float, message: str) -> None:
        stem = message.split(",")[0]
        if stem != last["message"]:
            last["message"] = stem
            log(f"{fraction:4.0%} {message}")

    return report


COMMANDS = (_add_select_genes,)
