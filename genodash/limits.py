"""Every ``GENODASH_*`` environment variable is read here: resource limits, the job cap,
the runs folder, the server data folder, the cache of converted reads, the memory budget
and dask scheduler of the out-of-core path, and the variables the reader worker is started
with.

Each limit has a documented default and can be changed through an environment
variable (``GENODASH_<NAME>``, e.g. ``GENODASH_MAX_RECORDS=10000000``) or by passing
a :class:`Limits` to the readers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

GIB = 1024**3
MIB = 1024**2
RUNS_DIR = "GENODASH_RUNS_DIR"
DATA_DIR = "GENODASH_DATA_DIR"
CACHE_DIR = "GENODASH_CACHE_DIR"
MEMORY_BUDGET = "GENODASH_MEMORY_BUDGET"
DASK_SCHEDULER = "GENODASH_DASK_SCHEDULER"
MEMORY_BUDGET_SHARE = 0.25  # of the machine's memory, when no budget is set
READER_MEMORY = "GENODASH_READER_MEMORY_BYTES"  # set for the reader worker by its parent
IN_READER_WORKER = "GENODASH_IN_READER_WORKER"  # set in the reader worker itself


@dataclass(frozen=True)
class Limits:
    """Upper bounds checked before memory is spent.

    Attributes
    ----------
    max_file_bytes
        Largest file accepted, as stored (compressed) — matches the app's upload limit.
    max_decompressed_bytes
        Largest content after gzip or zip decompression (stops decompression bombs).
    max_records
        Most sequences (records) in one sequence file.
    max_sequence_length
        Longest single sequence, in bases.
    max_array_bytes
        Largest total size that an HDF5 or Matrix Market file may declare for its arrays.
    max_matrix_cells
        Most values (cells × genes) in a dense text matrix.
    max_parse_seconds
        Longest time an upload may take to read, in the reader's own process.
    max_parse_memory_bytes
        Most memory the reader's process may use for one upload; a file that needs more is
        refused, and the app's own memory is untouched.
    max_example_values
        Largest built-in example a user may ask for: cells × genes, or sequences × length.
    max_example_cache_bytes
        Memory the app's shared cache of built-in examples may hold; the least recently
        used examples are dropped beyond it.
    max_job_memory_bytes
        Memory one training job may use: settings whose estimate exceeds it are refused
        before anything is built, and the job's process is capped at it (on the CPU).
    max_job_seconds
        Longest a training job may run; it then stops, keeps its best model so far and
        says why.
    max_jobs_per_workspace
        Training jobs one workspace may have at once, running or waiting; one of them runs
        at a time, so one user cannot fill every slot.
    max_jobs
        Training jobs that run at once on the server; 0 chooses one per GPU, else half the
        CPU cores.
    closed_tab_grace_seconds
        How long a job whose browser tab has closed keeps running (a reload reconnects).
    max_kept_data_bytes
        Largest upload a workspace keeps on the server so that a browser refresh (or the
        workspace's link) brings it back; a larger one is read but not kept. One data set
        is kept per workspace, the latest.
    """

    max_file_bytes: int = 512 * MIB
    max_decompressed_bytes: int = 512 * MIB
    max_records: int = 1_000_000
    max_sequence_length: int = 100_000
    max_array_bytes: int = 1 * GIB
    max_matrix_cells: int = 50_000_000
    max_parse_seconds: int = 180
    max_parse_memory_bytes: int = 4 * GIB
    max_example_values: int = 20_000_000
    max_example_cache_bytes: int = 1 * GIB
    max_job_memory_bytes: int = 2 * GIB
    max_job_seconds: int = 900
    max_jobs_per_workspace: int = 2
    max_jobs: int = 0
    closed_tab_grace_seconds: int = 20
    max_kept_data_bytes: int = 256 * MIB

    @property
    def max_lines(self) -> int:
        """Most lines a text file may have: four per record (FASTQ), and room for comments
        and wrapped sequence lines."""
        return 4 * self.max_records + 100_000

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by any ``GENODASH_<NAME>`` environment variables."""
        overrides = {}
        for field in fields(cls):
            value = os.environ.get(f"GENODASH_{field.name.upper()}")
            if value is not None:
                overrides[field.name] = int(value)
        return replace(cls(), **overrides)


def runs_dir(default: Path) -> Path:
    """Where runs are saved: ``GENODASH_RUNS_DIR``, else ``default``.

    Parameters
    ----------
    default
        The folder used when the variable is not set.
    """
    return Path(os.environ.get(RUNS_DIR) or default)


def data_dir() -> Path | None:
    """The server data folder: ``GENODASH_DATA_DIR``, else ``None`` (off by default).

    A teacher sets it to a folder of large files that the app lists on its Data page and
    opens from disk, without an upload.
    """
    value = os.environ.get(DATA_DIR, "").strip()
    return Path(value) if value else None


def teacher_key() -> str | None:
    """The teacher key of this deployment: ``GENODASH_TEACHER_KEY``, else ``None`` (the
    Teacher page, which lists every workspace's runs and lesson checks, stays closed)."""
    value = os.environ.get("GENODASH_TEACHER_KEY", "").strip()
    return value or None


def cache_dir(default: Path) -> Path:
    """Where converted reads are cached: ``GENODASH_CACHE_DIR``, else ``default``.

    Parameters
    ----------
    default
        The folder used when the variable is not set.
    """
    return Path(os.environ.get(CACHE_DIR) or default)


def memory_budget_bytes(value: str | None = None) -> int:
    """The memory a matrix may take in memory before it goes the out-of-core way.

    Parameters
    ----------
    value
        A size such as ``"4GB"``, ``"512MiB"`` or a number of bytes; ``None`` reads
        ``GENODASH_MEMORY_BUDGET``, and without it a quarter of the machine's memory.

    Raises
    ------
    ConfigError
        The size cannot be read or is not positive.
    """
    from genodash.errors import ConfigError

    text = value if value is not None else os.environ.get(MEMORY_BUDGET, "").strip()
    if not text:
        return int(physical_memory_bytes() * MEMORY_BUDGET_SHARE)
    from dask.utils import parse_bytes

    try:
        budget = int(parse_bytes(text))
    except (ValueError, TypeError) as err:
        raise ConfigError(f"memory budget {text!r} is not a size such as 4GB or 512MiB") from err
    if budget <= 0:
        raise ConfigError(f"memory budget must be positive, got {text!r}")
    return budget


def physical_memory_bytes() -> int:
    """The machine's memory in bytes (8 GiB where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * GIB


def dask_scheduler_address() -> str | None:
    """The address of a running ``dask.distributed`` scheduler to send out-of-core work to:
    ``GENODASH_DASK_SCHEDULER`` (e.g. ``tcp://10.0.0.5:8786``), else ``None`` (this
    machine's threads)."""
    value = os.environ.get(DASK_SCHEDULER, "").strip()
    return value or None


def reader_memory_bytes() -> int | None:
    """The memory cap the reader worker was started with (``None``: no cap)."""
    value = os.environ.get(READER_MEMORY, "")
    return int(value) if value else None


def in_reader_worker() -> bool:
    """Whether this process is the reader worker."""
    return bool(os.environ.get(IN_READER_WORKER))


def human_bytes(n: int) -> str:
    """Format a byte count as ``"1.5 GiB"``.

    Parameters
    ----------
    n
        A number of bytes (powers of 1024: KiB, MiB, GiB, TiB).
    """
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
