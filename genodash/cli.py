"""``python -m genodash``: the command line over the same functions as the app.

Results go to stdout as JSON (one object per line); progress and errors go to stderr.
Bad input exits with status 2 and a single ``error:`` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from genodash.errors import ConfigError, GenodashError

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except GenodashError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m genodash",
        description="genodash: deep learning for genomics, from the command line.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_validate(commands)
    _add_examples(commands)
    _add_example(commands)
    _add_device(commands)
    return parser


def print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=_json_default, ensure_ascii=False), flush=True)


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


# --- validate -----------------------------------------------------------------------------


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


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check data files and print their summaries",
        description="Read each file as genodash would and print one JSON line per file "
        "with its summary; exit 2 with an error line at the first bad file.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="FASTA/FASTQ/CSV/TSV/TXT (optionally .gz), .h5ad, .h5, 10x folder or .zip",
    )
    parser.add_argument(
        "--one-class-per-file",
        action="store_true",
        help="read all sequence files together, each file's name as its class",
    )
    add_read_options(parser)
    parser.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from genodash.io import read_dataset

    options = read_options(args)
    groups = [args.paths] if args.one_class_per_file else [[path] for path in args.paths]
    for group in groups:
        dataset = read_dataset(group if len(group) > 1 else group[0], options)
        print_json({"path": group[0] if len(group) == 1 else group, **dataset.summary()})
    return 0


# --- examples ------------------------------------------------------------------------------


def _add_examples(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("examples", help="list the built-in examples")
    parser.set_defaults(handler=_examples)


def _examples(args: argparse.Namespace) -> int:
    from genodash.datasets import EXAMPLES

    for example in EXAMPLES.values():
        print_json(
            {
                "name": example.key,
                "kind": example.kind,
                "title": example.title,
                "parameters": example.defaults(),
            }
        )
    return 0


def _add_example(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "example",
        help="write a built-in example to a file",
        description="Write a built-in example as FASTA/CSV (sequences) or .h5ad (matrices).",
    )
    parser.add_argument("name", help="example name (see `examples`)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. --set n=500 (repeatable)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file: .fa/.fasta/.csv for sequences, .h5ad for matrices",
    )
    parser.set_defaults(handler=_example)


def _example(args: argparse.Namespace) -> int:
    from genodash.datasets import EXAMPLES, load_example
    from genodash.io.writers import write_dataset

    if args.name not in EXAMPLES:
        raise ConfigError(f"unknown example {args.name!r}; choose one of {', '.join(EXAMPLES)}")
    params = parse_assignments(args.set, EXAMPLES[args.name].defaults())
    dataset = load_example(args.name, **params)
    write_dataset(dataset, args.out)
    print_json({"path": args.out, **dataset.summary()})
    return 0


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
        raise ConfigError(f"--set {key}={value}: expected {type(default).__name__}") from err


# --- device --------------------------------------------------------------------------------


def _add_device(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "device",
        help="show the compute device genodash will train on",
        description="Print the device genodash selects (CUDA GPU, Apple MPS or CPU) as JSON.",
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.set_defaults(handler=_device)


def _device(args: argparse.Namespace) -> int:
    from genodash.device import available_devices, device_info

    info = device_info(args.device)
    print_json({**info.as_dict(), "available": available_devices(), "summary": info.describe()})
    return 0
