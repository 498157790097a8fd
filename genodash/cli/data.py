"""Data commands: validate files, list and write built-in examples."""

from __future__ import annotations

import argparse

from genodash.cli._common import add_read_options, parse_assignments, print_json, read_options
from genodash.errors import ConfigError


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``validate``, ``examples`` and ``example`` commands.

    Parameters
    ----------
    commands
        The sub-command group of the main parser (what ``add_subparsers`` returned); the
        new commands are added to it.
    """
    _add_validate(commands)
    _add_examples(commands)
    _add_example(commands)


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
    from genodash.examples import EXAMPLES

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
    from genodash.examples import EXAMPLES, load_example
    from genodash.io.writers import write_dataset

    if args.name not in EXAMPLES:
        raise ConfigError(f"unknown example {args.name!r}; choose one of {', '.join(EXAMPLES)}")
    params = parse_assignments(args.set, EXAMPLES[args.name].defaults())
    dataset = load_example(args.name, **params)
    write_dataset(dataset, args.out)
    print_json({"path": args.out, **dataset.summary()})
    return 0
