"""``python -m genodash``: the command line over the same functions as the app.

Results go to stdout as JSON (one object per line); progress and errors go to stderr.
Bad input exits with status 2 and a single ``error:`` line. The commands live in the modules
listed in :data:`COMMAND_MODULES`, each with a ``COMMANDS`` tuple of functions that add one
command to the parser's sub-commands.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from genodash.cli._common import Parser
from genodash.errors import GenodashError

COMMAND_MODULES = (
    "genodash.cli.data",
    "genodash.cli.train",
    "genodash.cli.demo",
    "genodash.cli.device",
    "genodash.cli.embed",
    "genodash.cli.genes",
    "genodash.cli.atlas",
    "genodash.cli.simulate",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command of ``python -m genodash``.

    Parameters
    ----------
    argv
        The arguments after the program name, e.g. ``["validate", "reads.fa"]``; ``None``
        reads them from ``sys.argv``.

    Returns
    -------
    The exit status: 0 on success, 2 on bad input (with one ``error:`` line on stderr).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except GenodashError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; a mistake in the arguments exits 2 with one ``error:``
    line (see :class:`~genodash.cli._common.Parser`)."""
    parser = Parser(
        prog="python -m genodash",
        description="genodash: deep learning for genomics, from the command line.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        for add in importlib.import_module(name).COMMANDS:
            add(commands)
    return parser
