"""``embed``: 2-D/3-D coordinates of the cells of a matrix, written as CSV, with scores."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genodash.cli._common import (
    add_command,
    add_memory_budget_option,
    add_read_options,
    log,
    matrix_from_disk,
    print_json,
    processed_matrix,
    progress_line,
    read_matrix,
)
from genodash.errors import ConfigError, InputError, RunError

if TYPE_CHECKING:
    import pandas as pd

    from genodash.data import MatrixSet
    from genodash.expression.preprocess import ProcessedMatrix


def _add_embed(commands: argparse._SubParsersAction) -> None:
    from genodash.expression.embed import METHODS, UMAP_LAYOUTS

    parser = add_command(commands, "embed", _embed)
    parser.add_argument("path", metavar="PATH", help="matrix file (as for `validate`)")
    parser.add_argument("--method", required=True, choices=METHODS)
    parser.add_argument(
        "--input",
        default="pca",
        metavar="raw|pca|RUN_DIR",
        help="what to embed: pca = t-SNE/UMAP on the first --n-pcs principal components "
        "(default); raw = on the genes themselves; or a saved expression run's folder, to "
        "embed its latent space",
    )
    parser.add_argument("--n-components", type=int, default=2, choices=(2, 3))
    parser.add_argument("--n-pcs", type=int, default=50, help="principal components (default 50)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--perplexity", type=float, default=30.0, help="t-SNE (default 30)")
    parser.add_argument("--n-neighbors", type=int, default=15, help="UMAP (default 15)")
    parser.add_argument("--min-dist", type=float, default=0.5, help="UMAP (default 0.5)")
    parser.add_argument(
        "--umap-layout",
        choices=UMAP_LAYOUTS,
        default="auto",
        help="UMAP: reproducible (one core), parallel (every core, varies per run) or auto: "
        "reproducible up to 50,000 cells (default)",
    )
    parser.add_argument(
        "--preprocess",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="preprocess raw counts with the default settings first (default: on)",
    )
    parser.add_argument(
        "--max-scored",
        type=int,
        default=3000,
        metavar="N",
        help="cells in the random subsample used for the scores (default 3000)",
    )
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="output CSV file")
    add_memory_budget_option(parser, "embed a run's latent space")
    add_read_options(parser)


def _embed(args: argparse.Namespace) -> int:
    """compute a PCA, t-SNE or UMAP embedding of a matrix

    Embed the cells of an expression matrix and write a CSV with columns cell, x, y (z in 3-D),
    then label and batch when known (from --label-column and --batch-column, or columns guessed
    from their names). The last line of stdout is one JSON object: method, input, n, seconds
    (the embedding itself), trustworthiness (are picture neighbours also neighbours in the
    preprocessed data?), knn_accuracy (with labels), batch_mixing (with batches), n_scored
    (cells in the scoring subsample) and out. Raw counts are preprocessed with the default
    settings first (normalize, log1p, 2,000 variable genes). An .h5ad or 10x .h5 matrix over
    the memory budget stays on disk: a run's latent space (--input RUN_DIR) is read from the
    run or computed block by block, and the JSON says "out_of_core": true.
    """
    _check_options(args)
    backed = matrix_from_disk(args)
    if backed is not None:
        return _embed_from_disk(args, backed)
    matrix = read_matrix(args, "embed")
    processed = processed_matrix(matrix, enabled=args.preprocess)
    data, input_name = _input(args.input, matrix, processed)
    obs = processed.adata.obs
    extra = {
        role: obs[column].astype(str).to_numpy()
        for role, column in (("label", matrix.label_column), ("batch", matrix.batch_column))
        if column is not None
    }
    return _embed_and_write(
        args, data, input_name, processed.adata.X, processed.adata.obs_names, extra
    )


def _embed_from_disk(args: argparse.Namespace, matrix: Any) -> int:
    """``embed`` of a matrix on disk: a run's latent space (saved, or computed block by
    block), scored against the processed values of a subsample read from disk."""
    from genodash.expression.preprocess import PreprocessConfig
    from genodash.train.backed_expression import latent_from_disk, read_backed_cells

    if args.input in ("raw", "pca"):
        raise ConfigError(
            f"--input {args.input} needs the whole matrix in memory, and {matrix.name} is over "
            "the memory budget: embed a trained model's latent space (train --model vae or "
            "autoencoder, then --input RUN_DIR), run `python -m genodash atlas` for PCA and "
            "UMAP out of core, or give a larger --memory-budget"
        )
    folder = Path(args.input)
    run = _expression_run(folder)
    off = PreprocessConfig(normalize=False, log1p=False, hvg=False)
    cells = read_backed_cells(
        matrix,
        label_column=args.label_column,
        batch_column=args.batch_column,
        config=PreprocessConfig() if args.preprocess else off,
        progress=progress_line,
    )
    for note in cells.notes[1:]:
        log(f"note: {note}")
    latent, saved = latent_from_disk(run, cells)
    log(
        f"using the latent coordinates saved with run {folder.name}"
        if saved
        else f"encoded the cells with run {folder.name}, block by block"
    )
    extra = {"label": cells.labels, "batch": cells.batch_labels()}
    extra = {role: np.asarray(values) for role, values in extra.items() if values is not None}
    input_name = f"latent:{folder.name}"
    return _embed_and_write(
        args, latent, input_name, cells.values, cells.cell_ids, extra, out_of_core=True
    )


def _embed_and_write(
    args: argparse.Namespace,
    data: Any,
    input_name: str,
    reference: Any,
    cell_ids: Any,
    extra: dict[str, np.ndarray],
    *,
    out_of_core: bool = False,
) -> int:
    """Embed ``data``, score it against ``reference``, write the table and print the JSON
    line (with ``"out_of_core": true`` for a matrix on disk)."""
    from genodash.expression.embed import EmbeddingConfig
    from genodash.expression.export import embedding_table
    from genodash.expression.scores import embed_and_score

    config = EmbeddingConfig(
        method=args.method,
        n_components=args.n_components,
        n_pcs=args.n_pcs,
        perplexity=args.perplexity,
        n_neighbors=args.n_neighbors,
        min_dist=args.min_dist,
        seed=args.seed,
        pca_first=args.input != "raw",
        umap_layout=args.umap_layout,
    )
    log(f"{args.method}: embedding {data.shape[0]:,} cells × {data.shape[1]:,} features")
    result, scores = embed_and_score(
        data,
        config,
        input_name=input_name,
        reference=reference,
        labels=extra.get("label"),
        batches=extra.get("batch"),
        max_cells=args.max_scored,
        seed=args.seed,
    )
    table = embedding_table(cell_ids, result.coords, method=args.method, extra=extra)
    _write_csv_atomically(table, Path(args.out))
    summary: dict[str, Any] = {
        "method": args.method,
        "input": input_name,
        "n": int(result.coords.shape[0]),
        "n_components": args.n_components,
        "seconds": round(result.seconds, 3),
        **{key: _rounded(value) for key, value in scores.items()},
        "out": args.out,
    }
    for key in ("reduced_to_pcs", "deterministic"):
        if key in result.params:
            summary[key] = result.params[key]
    if out_of_core:
        summary["out_of_core"] = True
    print_json(summary)
    return 0


MAX_SEED = 2**32 - 1  # numpy's limit


def _check_options(args: argparse.Namespace) -> None:
    """Refuse the options that are wrong whatever the data, before reading it (the rest,
    such as --n-neighbors against the number of cells, are checked with the data)."""
    if not 0 <= args.seed <= MAX_SEED:
        raise ConfigError(f"--seed must be a whole number from 0 to {MAX_SEED:,}, got {args.seed}")
    if args.max_scored < 4:
        raise ConfigError(
            f"--max-scored must be a whole number of at least 4 (cells scored), "
            f"got {args.max_scored}"
        )


def _rounded(value: Any) -> Any:
    return round(float(value), 4) if isinstance(value, float | np.floating) else value


def _input(choice: str, matrix: MatrixSet, processed: ProcessedMatrix) -> tuple[Any, str]:
    if choice in ("raw", "pca"):
        return processed.adata.X, "data" if choice == "raw" else "pca"
    return _latent(Path(choice), matrix, processed)


def _latent(folder: Path, matrix: MatrixSet, processed: ProcessedMatrix) -> tuple[np.ndarray, str]:
    """The latent coordinates of the matrix's cells under a saved expression run."""
    run = _expression_run(folder)
    from genodash.expression.embedding_inputs import run_latent

    latent, saved = run_latent(
        run,
        processed.adata,
        on_encode=lambda: log(f"encoding the cells with run {folder.name}"),
    )
    if saved:
        log(f"using the latent coordinates saved with run {folder.name}")
    return latent, f"latent:{folder.name}"


def _expression_run(folder: Path) -> Any:
    """The saved expression run in ``folder`` (``--input``)."""
    from genodash.train.runs import load_run

    if not folder.is_dir():
        raise InputError(
            "is neither raw, pca nor a run folder",
            file=folder.name,
            where="--input",
            hint="give raw, pca or the folder of a saved expression run",
        )
    run = load_run(folder)
    if run.kind != "expression":
        raise RunError(
            f"is a {run.kind} run; --input needs an expression model's run", file=folder.name
        )
    return run


def _write_csv_atomically(table: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            table.to_csv(stream, index=False)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


COMMANDS = (_add_embed,)
