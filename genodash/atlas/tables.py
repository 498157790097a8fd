"""What the app shows of an atlas result besides its figure: the colourings it offers,
genes found by part of their name, a selection counted by group, the pipeline's steps
and the cells' table for download."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from genodash.atlas.result import AtlasResult

LEIDEN = "Leiden cluster"


def colourings(result: AtlasResult) -> dict[str, str]:
    """The ``obs`` columns the cells can be coloured by, under the names people see:
    the Leiden clusters, then the source's labels and batches when the result knows them.

    Parameters
    ----------
    result
        The opened result.
    """
    choices = {LEIDEN: "leiden"}
    if result.label_column:
        choices[f"Label ({result.label_column})"] = result.label_column
    if result.batch_column:
        choices[f"Batch ({result.batch_column})"] = result.batch_column
    return choices


def find_genes(result: AtlasResult, text: str, most: int = 8) -> list[str]:
    """Kept genes whose name holds ``text`` (case ignored): an exact match first, then
    those starting with it, then the others, each group in name order.

    Parameters
    ----------
    result
        The opened result.
    text
        Part of a gene's name.
    most
        The most genes returned.
    """
    needle = text.strip().lower()
    if not needle:
        return []
    names = result.var.index.astype(str)
    lower = names.str.lower()
    found = names[lower.str.contains(needle, regex=False)]
    rank = [(name.lower() != needle, not name.lower().startswith(needle), name) for name in found]
    return [name for *_, name in sorted(rank)[:most]]


def selection_counts(result: AtlasResult, rows: Sequence[int], column: str) -> pd.DataFrame:
    """How many of the selected cells fall in each group of ``column``, most first.

    Parameters
    ----------
    result
        The opened result.
    rows
        The selected cells' rows in the result.
    column
        An ``obs`` column of groups (``leiden``, the label or the batch column).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``selected`` (cells), ``share`` (of the selection, 0 to 1) and
        ``cells`` (of the group in the whole result), for groups with a selected cell.
    """
    groups = result.obs[column].astype(str)
    selected = groups.iloc[np.asarray(rows, dtype=np.int64)].value_counts()
    table = pd.DataFrame(
        {
            "group": selected.index.astype(str),
            "selected": selected.to_numpy(),
            "share": selected.to_numpy() / max(int(selected.sum()), 1),
            "cells": groups.value_counts().reindex(selected.index).to_numpy(),
        }
    )
    return table.sort_values(["selected", "group"], ascending=[False, True], ignore_index=True)


def steps_table(result: AtlasResult) -> pd.DataFrame:
    """The pipeline's steps as it recorded them: ``step``, ``seconds`` and ``note``.

    Parameters
    ----------
    result
        The opened result.
    """
    steps = pd.DataFrame(result.info.get("steps", []), columns=["step", "seconds", "note"])
    return steps.astype({"seconds": float}).fillna({"note": ""})


def cells_table(result: AtlasResult) -> pd.DataFrame:
    """The cells' table with their UMAP coordinates: ``cell`` first, then ``obs``, then
    ``UMAP_1`` and ``UMAP_2``.

    Parameters
    ----------
    result
        The opened result.
    """
    table = result.obs.copy()
    table.insert(0, "cell", result.obs.index.astype(str))
    table["UMAP_1"] = result.umap[:, 0]
    table["UMAP_2"] = result.umap[:, 1]
    return table.reset_index(drop=True)
