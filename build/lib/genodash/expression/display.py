"""Tables ready to show: each column's label, one-line help and number format."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

UNDEFINED = "—"


@dataclass(frozen=True)
class DisplayColumn:
    """How one column of a table is shown: a label, a one-line help and a number format.

    ``format`` is a printf-style pattern (``"%.2f"``, ``"%.1e"``) for numbers, ``None`` for
    text.
    """

    label: str
    help: str
    format: str | None = None


@dataclass(frozen=True)
class DisplayTable:
    """A table ready to show: ``frame`` keeps the source's column names (in ``columns``'
    order), ``columns`` says how to show each, ``note`` is said once under the table."""

    frame: pd.DataFrame
    columns: dict[str, DisplayColumn]
    note: str | None = None
