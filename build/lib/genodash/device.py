"""Which compute device training uses (CUDA GPU, Apple MPS, or the CPU), and how many
training jobs the machine runs at once."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, Literal

from genodash.errors import ConfigError
from genodash.limits import Limits

DeviceName = Literal["auto", "cpu", "cuda", "mps"]


@dataclass(frozen=True)
class DeviceInfo:
    """What a device is, in words a user understands."""

    kind: Literal["cuda", "mps", "cpu"]
    name: str
    memory_gib: float | None
    threads: int
    torch_version: str
    cuda_build: str | None

    def describe(self) -> str:
        if self.kind == "cuda":
            return f"CUDA GPU: {self.name} ({self.memory_gib:.0f} GiB)"
        if self.kind == "mps":
            return f"Apple GPU (MPS): {self.name}"
        return f"CPU: {self.name}, {self.threads} threads"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEVICE_TITLES = {"cuda": "the GPU (CUDA)", "mps": "the Apple GPU (MPS)", "cpu": "the CPU"}


def available_devices() -> list[str]:
    """Devices torch can use here, best first."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append("mps")
    return [*found, "cpu"]


def resolve_device(choice: str = "auto") -> str:
    """The device to train on: ``auto`` picks CUDA, then MPS, then the CPU.

    Parameters
    ----------
    choice
        ``"auto"``, ``"cpu"``, ``"cuda"`` (an NVIDIA GPU) or ``"mps"`` (an Apple GPU).

    Returns
    -------
    ``"cuda"``, ``"mps"`` or ``"cpu"``.

    Raises
    ------
    ConfigError
        An unknown name, or a device was asked for that this machine does not have.
    """
    available = available_devices()
    if choice == "auto":
        return available[0]
    if choice not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device {choice!r}; choose auto, cpu, cuda or mps")
    if choice not in available:
        raise ConfigError(
            f"device {choice!r} is not available here; available: {', '.join(available)}"
        )
    return choice


def device_info(choice: str = "auto") -> DeviceInfo:
    """Describe the device that ``choice`` resolves to.

    Parameters
    ----------
    choice
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``, as for :func:`resolve_device`.

    Returns
    -------
    Its kind, name, memory in GiB (CUDA only), CPU thread count and torch versions.

    Raises
    ------
    ConfigError
        As for :func:`resolve_device`.
    """
    import torch

    kind = resolve_device(choice)
    cuda_build = torch.version.cuda
    if kind == "cuda":
        props = torch.cuda.get_device_properties(0)
        return DeviceInfo(
            "cuda",
            props.name,
            props.total_memory / 1024**3,
            torch.get_num_threads(),
            torch.__version__,
            cuda_build,
        )
    name = _cpu_name()
    if kind == "mps":
        return DeviceInfo(
            "mps", "Apple silicon", None, torch.get_num_threads(), torch.__version__, cuda_build
        )
    return DeviceInfo("cpu", name, None, torch.get_num_threads(), torch.__version__, cuda_build)


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or f"{os.cpu_count()} cores"


def default_max_jobs() -> int:
    """Training jobs run at once: ``GENODASH_MAX_JOBS``, else one per GPU, else cores // 2."""
    configured = Limits.from_env().max_jobs
    if configured:
        return max(1, configured)
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.device_count()
    except ImportError:
        pass
    return max(1, (os.cpu_count() or 2) // 2)
