"""Helpers shared by the command modules: JSON output, reading options, KEY=VALUE parsing."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from genodash.errors import ConfigError, InputError

if TYPE_CHECKING:
    from genodash.data import MatrixSet
    from genodash.expression.preprocess import ProcessedMatrix


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes read like every other error of the command line:
    one ``error:`` line on stderr and exit status 2, without the usage block (``--help``
    still shows it). Sub-command parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        for kind, words in (("int", "a whole number"), ("float", "a number")):
            text = re.sub(
                rf"^argument (\S+): invalid {kind} value: ", rf"\1 expects {words}, got ", text
            )
        self.exit(2, f"error: {text} (see `{self.prog} --help`)\n")


Handler = Callable[[argparse.Namespace], int]


def add_command(
    commands: argparse._SubParsersAction, name: str, handler: Handler
) -> argparse.ArgumentParser:
    """Add the command ``name``, run by ``handler``: the first line of the handler's docstring
    is the command's help, the rest (if any) its description."""
    summary, _, details = (inspect.getdoc(handler) or "").partition("\n\n")
    parser = commands.add_parser(name, help=summary, description=" ".join(details.split()) or None)
    parser.set_defaults(handler=handler)
    return parser


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=_json_default, ensure_ascii=False), flush=True)


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()  # a numpy scalar becomes the matching Python one
    raise TypeError(f"cannot serialise {type(value).__name__}")


def add_read_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads a data file."""
    group = parser.add_argument_group("reading options")
    group.add_argument(
        "--kind",
        choices=("auto", "sequences", "matrix"),
        default="auto",
        help="what the file holds (default: decided from the content)",
    )
    group.add_argument(
        "--sequence-column",
        default="SEQ",
        metavar="COL",
        help="sequence column of a CSV/TSV (default: SEQ)",
    )
    group.add_argument(
        "--label-column",
        metavar="COL",
        help="label column (sequences: default LAB; matrices: a metadata column)",
    )
    group.add_argument("--batch-column", metavar="COL", help="batch column of a matrix")
    group.add_argument(
        "--metadata-column",
        action="append",
        default=[],
        metavar="COL",
        help="matrix column to keep as metadata even if numeric (repeatable)",
    )
    group.add_argument(
        "--labels",
        metavar="FILE",
        help="labels file (one per line) for a plain one-sequence-per-line file",
    )
    orientation = group.add_mutually_exclusive_group()
    orientation.add_argument(
        "--transpose",
        dest="transpose",
        action="store_true",
        default=None,
        help="the matrix has genes as rows: transpose it",
    )
    orientation.add_argument(
        "--no-transpose",
        dest="transpose",
        action="store_false",
        help="keep the matrix as it is even if it looks transposed",
    )


def read_options(args: argparse.Namespace) -> Any:
    from genodash.io import ReadOptions

    return ReadOptions(
        kind=args.kind,
        sequence_column=args.sequence_column,
        label_column=args.label_column,
        batch_column=args.batch_column,
        metadata_columns=tuple(args.metadata_column),
        transpose=args.transpose,
        labels_file=args.labels,
    )


def add_set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """The repeatable ``--set KEY=VALUE`` option, read by :func:`parse_assignments`."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=help)


def parse_assignments(assignments: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    """Turn ``["n=500", "motif=TGASTCA"]`` into typed values, using each default's type."""
    params: dict[str, Any] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or key not in defaults:
            raise ConfigError(
                f"bad --set {item!r}: expected KEY=VALUE with KEY one of {', '.join(defaults)}"
            )
        params[key] = _coerce(value, defaults[key], key)
    return params


def _coerce(value: str, default: Any, key: str) -> Any:
    try:
        if isinstance(default, bool):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("true", "1", "yes")
        return type(default)(value)
    except ValueError as err:
        expected = _KINDS.get(type(default), type(default).__name__)
        raise ConfigError(f"--set {key}={value}: expected {expected}") from err


_KINDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def log(message: str) -> None:
    """One line of progress or notes on stderr (stdout is kept for the JSON result).

    Parameters
    ----------
    message
        The line to print.
    """
    print(message, file=sys.stderr, flush=True)


def progress_line(label: str, *, quiet_seconds: float = 2.0) -> Callable[[int, int], None]:
    """A progress report for long work: ``label: 45 % · about 12 s left`` rewritten in place
    on stderr (at most twice a second), ended by a line break when the work is done; work
    done within ``quiet_seconds`` prints nothing.

    Parameters
    ----------
    label
        What is being done, e.g. ``"converting reads.tsv"``.
    quiet_seconds
        How long work may take before its progress is shown.
    """
    from genodash.train.callbacks import progress_text

    started = time.perf_counter()
    shown = {"at": started + quiet_seconds - 0.5}

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        finished = done >= total
        if now - shown["at"] < 0.5 and not (finished and shown["at"] > started + quiet_seconds):
            return
        shown["at"] = now
        text = progress_text(done, total, now - started)
        end = f" ({now - started:.1f} s)\n" if finished else ""
        print(f"\r{label}: {text}{end}", end="", file=sys.stderr, flush=True)

    return report


def read_matrix(args: argparse.Namespace, command: str) -> MatrixSet:
    """The expression matrix at ``args.path``, read with the command's reading options; its
    reading notes go to stderr.

    Parameters
    ----------
    args
        Parsed arguments with ``path`` and the options of :func:`add_read_options`.
    command
        The command's name, for the message when the file holds sequences.

    Raises
    ------
    InputError
        The file holds sequences, not a matrix (and every reading error of
        :func:`genodash.io.read_dataset`).
    """
    from genodash.data import MatrixSet
    from genodash.io import read_dataset

    options = read_options(args)
    if options.kind == "auto":
        options = dataclasses.replace(options, kind="matrix")
    dataset = read_dataset(args.path, options)
    if not isinstance(dataset, MatrixSet):
        raise InputError(
            f"holds sequences; {command} needs an expression matrix", file=dataset.name
        )
    for note in dataset.notes:
        log(f"note: {note}")
    return dataset


def processed_matrix(matrix: MatrixSet, *, enabled: bool = True) -> ProcessedMatrix:
    """``matrix`` as the models see it: raw counts get the default preprocessing (each step
    logged), other values are used as given.

    Parameters
    ----------
    matrix
        The matrix as read.
    enabled
        ``False`` uses even raw counts as given (``--no-preprocess``).
    """
    from genodash.expression.preprocess import PreprocessConfig, preprocess

    if enabled and matrix.value_type == "counts":
        log("raw counts: preprocessing with the default settings")
        processed = preprocess(matrix, PreprocessConfig())
        for step in processed.steps:
            if step["ran"]:
                log(f"  {step['step']}: {step['note']}")
        return processed
    why = "--no-preprocess" if not enabled else f"values are {matrix.value_type}, not counts"
    log(f"using the values as given ({why})")
    nothing = PreprocessConfig(normalize=False, log1p=False, hvg=False, scale=False)
    return preprocess(matrix, nothing)


def add_memory_budget_option(parser: argparse.ArgumentParser, verb: str) -> None:
    """The ``--memory-budget SIZE`` option: an ``.h5ad`` or 10x ``.h5`` matrix whose
    in-memory preprocessing would need more is read from disk block by block.

    Parameters
    ----------
    parser
        The command's parser.
    verb
        What the command does with the matrix (``"train"``, ``"embed"``), for the help.
    """
    parser.add_argument(
        "--memory-budget",
        metavar="SIZE",
        help="memory a matrix may take, e.g. 4GB or 512MiB (default: GENODASH_MEMORY_BUDGET, "
        "else a quarter of this machine's memory); an .h5ad or 10x .h5 matrix over it is "
        f"read from disk block by block to {verb}, with memory that does not grow with the "
        "number of cells (out of core)",
    )


def matrix_from_disk(args: argparse.Namespace) -> Any:
    """The matrix at ``args.path`` opened for reading in blocks (a
    :class:`~genodash.io.backed.BackedMatrix`) when it goes the out-of-core way (an
    ``.h5ad`` or 10x ``.h5`` file over ``--memory-budget``), logged; else None.

    Parameters
    ----------
    args
        Parsed arguments with ``path``, ``memory_budget`` and ``transpose``.

    Raises
    ------
    ConfigError
        A budget that is not a size, or ``--transpose`` for a matrix read from disk.
    """
    from genodash.limits import human_bytes, memory_budget_bytes
    from genodash.train.backed_expression import open_if_over_budget

    budget = memory_budget_bytes(args.memory_budget)
    matrix = open_if_over_budget(args.path, budget)
    if matrix is None:
        return None
    if args.transpose:
        raise ConfigError(
            f"{matrix.name} is read from disk by cells (rows); --transpose cannot apply"
        )
    log(
        f"{matrix.name}: {matrix.n_cells:,} cells × {matrix.n_genes:,} genes, about "
        f"{human_bytes(matrix.in_memory_bytes)} in memory, over the memory budget of "
        f"{human_bytes(budget)} once preprocessed: reading it from disk block by block "
        "(out of core)"
    )
    return matrix
