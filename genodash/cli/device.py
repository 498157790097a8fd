"""The ``device`` command: which device training will use."""

from __future__ import annotations

import argparse

from genodash.cli._common import print_json


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``device`` command.

    Parameters
    ----------
    commands
        The sub-command group of the main parser (what ``add_subparsers`` returned); the
        new commands are added to it.
    """
    _add_device(commands)


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
