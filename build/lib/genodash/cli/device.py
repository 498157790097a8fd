"""The ``device`` command: which device training will use."""

from __future__ import annotations

import argparse

from genodash.cli._common import add_command, print_json


def _add_device(commands: argparse._SubParsersAction) -> None:
    parser = add_command(commands, "device", _device)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))


def _device(args: argparse.Namespace) -> int:
    """show the compute device genodash will train on

    Print the device genodash selects (CUDA GPU, Apple MPS or CPU) as JSON.
    """
    from genodash.device import available_devices, device_info

    info = device_info(args.device)
    print_json({**info.as_dict(), "available": available_devices(), "summary": info.describe()})
    return 0


COMMANDS = (_add_device,)
