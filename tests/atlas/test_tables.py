"""What the app shows of an atlas result: colourings, genes found by name, a selection
counted by group, the steps and the cells' table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genodash.atlas.result import AtlasResult
from genodash.atlas.tables import (
    cells_table,
    colourings,
    find_genes,
    selection_counts,
    steps_table,
)


def _result(label="cell_type", batch=""):
    obs = pd.DataFrame(
        {
            "leiden": pd.Categorical(["0", "0", "1", "2", "0", "1"]),
            "cell_type": ["T", "T", "B", "NK", "B", "B"],
            "source_row": np.arange(6, dtype=np.int64),
        },
        index=[f"c{i}" for i in range(6)],
    )
    var = pd.DataFrame(index=["CD3E", "cd3d", "ACD3", "MS4A1", "CD3"])
    info = {"label_column": label, "batch_column": batch, "steps": [], "source": "/x"}
    umap = np.arange(12, dtype=np.float32).reshape(6, 2)
    return AtlasResult("r.h5ad", None, obs, var, umap, umap, info)


def test_colourings_offer_what_the_result_knows():
    assert colourings(_result()) == {"Leiden cluster": "leiden", "Label (cell_type)": "cell_type"}
    assert list(colourings(_result(label="", batch="nowhere"))) == ["Leiden cluster"]


def test_genes_are_found_by_part_of_their_name_exact_first():
    result = _result()
    assert find_genes(result, "cd3") == ["CD3", "CD3E", "cd3d", "ACD3"]
    assert find_genes(result, "cd3", most=2) == ["CD3", "CD3E"]
    assert find_genes(result, "  ") == [] and find_genes(result, "XYZ") == []


def test_a_selection_is_counted_by_group_most_first():
    table = selection_counts(_result(), [0, 1, 2, 4], "leiden")
    assert table.to_dict("list") == {
        "group": ["0", "1"],
        "selected": [3, 1],
        "share": [0.75, 0.25],
        "cells": [3, 2],
    }
    labels = selection_counts(_result(), [2, 3], "cell_type")
    assert list(labels["group"]) == ["B", "NK"] and list(labels["cells"]) == [3, 1]


def test_steps_and_cells_tables():
    result = _result()
    result.info["steps"] = [{"step": "pca", "seconds": 2, "note": "50 PCs"}]
    assert steps_table(result).to_dict("list") == {
        "step": ["pca"],
        "seconds": [2.0],
        "note": ["50 PCs"],
    }
    assert steps_table(_result()).empty
    cells = cells_table(result)
    assert list(cells.columns) == ["cell", "leiden", "cell_type", "source_row", "UMAP_1", "UMAP_2"]
    assert cells["cell"].tolist()[:2] == ["c0", "c1"] and cells["UMAP_2"].tolist()[-1] == 11.0
