"""Resource limits applied to every input, so that one hostile file fails only itself.

Each limit has a documented default and can be changed through an environment
variable (``GENODASH_<NAME>``, e.g. ``GENODASH_MAX_RECORDS=10000000``) or by passing
a :class:`Limits` to the readers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

GIB = 1024**3
MIB = 1024**2


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
        Longest time an HDF5 file (.h5ad, 10x .h5) may take to read, in its own process.
    """

    max_file_bytes: int = 1 * GIB
    max_decompressed_bytes: int = 4 * GIB
    max_records: int = 5_000_000
    max_sequence_length: int = 100_000
    max_array_bytes: int = 8 * GIB
    max_matrix_cells: int = 500_000_000
    max_parse_seconds: int = 180

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by any ``GENODASH_MAX_*`` environment variables."""
        overrides = {}
        for field in fields(cls):
            value = os.environ.get(f"GENODASH_{field.name.upper()}")
            if value is not None:
                overrides[field.name] = int(value)
        return replace(cls(), **overrides)


def human_bytes(n: int) -> str:
    """Format a byte count as ``"1.5 GiB"``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
