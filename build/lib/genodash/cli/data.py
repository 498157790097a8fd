"""Data commands: validate files, list and write built-in examples."""

from __future__ import annotations

import argparse

from genodash.cli._common import (
    add_command,
    add_read_options,
    add_set_option,
    parse_assignments,
    print_json,
    read_options,
)
from genodash.errors import ConfigError


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "validate", _validate)
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


def _validate(args: argparse.Namespace) -> int:
    """check data files and print their summaries

    Read each file as genodash would and print one JSON line per file with its summary; exit 2
    with an error line at the first bad file.
    """
    from genodash.io import read_dataset

    options = read_options(args)
    groups = [args.paths] if args.one_class_per_file else [[path] for path in args.paths]
    for group in groups:
        dataset = read_dataset(group if len(group) > 1 else group[0], options)
        print_json({"path": group[0] if len(group) == 1 else group, **dataset.summary()})
    return 0


# --- examples ------------------------------------------------------------------------------


def _add_examples(commands: argparse._SubParsersAction) -> None:
    add_command(commands, "examples", _examples)


def _examples(args: argparse.Namespace) -> int:
    """list the built-in examples"""
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
    parser = add_command(commands, "example", _example)
    parser.add_argument("name", help="example name (see `examples`)")
    add_set_option(parser, "override a parameter, e.g. --set n=500 (repeatable)")
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file: .fa/.fasta/.csv for sequences, .h5ad for matrices",
    )


def _example(args: argparse.Namespace) -> int:
    """write a built-in example to a file

    Write a built-in example as FASTA/CSV (sequences) or .h5ad (matrices).
    """
    from genodash.examples import EXAMPLES, load_example
    from genodash.io.writers import write_dataset

    if args.name not in EXAMPLES:
        raise ConfigError(f"unknown example {args.name!r}; choose one of {', '.join(EXAMPLES)}")
    params = parse_assignments(args.set, EXAMPLES[args.name].defaults())
    dataset = load_example(args.name, **params)
    write_dataset(dataset, args.out)
    print_json({"path": args.out, **dataset.summary()})
    return 0


COMMANDS = (_add_validate, _add_examples, _add_example)
