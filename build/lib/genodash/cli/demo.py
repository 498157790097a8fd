"""The ``demo`` command: run a curse-of-dimensionality demo and print the numbers behind it.

Each demo of :data:`genodash.curse.DEMOS` becomes a sub-command whose options are
read from its function's signature and docstring, so the command line always offers what
the library accepts: ``--name VALUE`` for a number or a choice, ``--name V1 V2 …`` for a
list. Options left out keep the library's defaults.
"""

from __future__ import annotations

import argparse
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from genodash.cli._common import print_json

if TYPE_CHECKING:
    from genodash.curse import Demo


def _add_demos(commands: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command, with one sub-command per curse-of-dimensionality demo."""
    from genodash.curse import DEMOS

    parser = commands.add_parser(
        "demo",
        help="run a curse-of-dimensionality demo and print its numbers as JSON",
        description="Run one of the curse-of-dimensionality demos (as on the app's page) and "
        "print one JSON object with the simulated numbers beside their theory.",
        epilog=_overview(DEMOS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demos = parser.add_subparsers(title="demos", metavar="NAME", required=True)
    for name, demo in DEMOS.items():
        _add_demo(demos, name, demo.simulate)


def _add_demo(demos: argparse._SubParsersAction, name: str, function: Callable[..., Any]) -> None:
    summary = _summary(function)
    parser = demos.add_parser(name, help=summary, description=summary)
    helps = _parameter_help(function)
    for parameter, annotation, default in _parameters(function):
        parser.add_argument(
            f"--{parameter.replace('_', '-')}",
            dest=parameter,
            default=argparse.SUPPRESS,
            help=f"{helps.get(parameter, '')} (default: {_show(default)})",
            **_argument_kind(annotation),
        )
    parser.set_defaults(handler=lambda args: _run(function, args))


def _run(function: Callable[..., Any], args: argparse.Namespace) -> int:
    names = {parameter for parameter, _, _ in _parameters(function)}
    print_json(function(**{k: v for k, v in vars(args).items() if k in names}).as_dict())
    return 0


def _parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    hints = typing.get_type_hints(function)
    return [
        (name, hints[name], parameter.default)
        for name, parameter in inspect.signature(function).parameters.items()
    ]


def _argument_kind(annotation: Any) -> dict[str, Any]:
    """argparse keywords for a parameter type: a number, a Literal choice, or a list."""
    if isinstance(annotation, types.UnionType):  # ``X | None``: None means "the default"
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return {"choices": typing.get_args(annotation)}
    if origin is Sequence:
        return {"nargs": "+", "type": typing.get_args(annotation)[0], "metavar": "N"}
    return {"type": annotation}


def _show(default: Any) -> str:
    if default is None:
        return "depends on the other options"
    if isinstance(default, tuple):
        return " ".join(map(str, default)) if default else "none"
    return str(default)


def _summary(function: Callable[..., Any]) -> str:
    return inspect.getdoc(function).splitlines()[0]


def _parameter_help(function: Callable[..., Any]) -> dict[str, str]:
    """The description of each entry of the numpydoc "Parameters" section, on one line."""
    lines = inspect.getdoc(function).splitlines()
    start = lines.index("Parameters") + 2
    helps: dict[str, list[str]] = {}
    name = ""
    for line in lines[start:]:
        if line and not line.startswith(" "):
            if line.startswith("---") or line in ("Returns", "Raises"):
                break
            name = line.strip()
            helps[name] = []
        elif line.strip():
            helps[name].append(line.strip())
    return {key: " ".join(text) for key, text in helps.items()}


def _overview(demos: dict[str, Demo]) -> str:
    """Every demo with its options, for ``demo --help``."""
    rows = ["demos and their options:"]
    for name, demo in demos.items():
        function = demo.simulate
        options = " ".join(f"[--{p.replace('_', '-')}]" for p, _, _ in _parameters(function))
        rows.append(f"  {name:24s}{_summary(function)}")
        rows.append(f"  {'':24s}{options}")
    rows.append("\nexample: python -m genodash demo sparsity --dims 1 2 3 --n 1000 --seed 0")
    return "\n".join(rows)


COMMANDS = (_add_demos,)
