"""Captions the data page shows under its summaries: the planted motif, the columns in use."""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd

from genodash import summaries
from genodash.data import MatrixSet


def _matrix(label: str | None = None, batch: str | None = None) -> MatrixSet:
    obs = pd.DataFrame({"cell_type": ["t", "b"], "donor": ["1", "2"]}, index=["c0", "c1"])
    adata = anndata.AnnData(np.ones((2, 2), dtype=np.float32), obs=obs)
    return MatrixSet(adata, "m", "example", label_column=label, batch_column=batch)


def test_planted_motif_caption_names_motif_and_class():
    planted = summaries.PlantedMotif("ACGT", "motif", (0, -1), 4, 10)
    assert (
        planted.caption
        == "Motif **ACGT**, planted in the class `motif` sequences at these positions:"
    )


def test_column_roles_caption_lists_labels_then_batches():
    assert summaries.column_roles_caption(_matrix()) is None
    assert summaries.column_roles_caption(_matrix("cell_type")) == (
        "Columns in use — labels: `cell_type`"
    )
    assert summaries.column_roles_caption(_matrix("cell_type", "donor")) == (
        "Columns in use — labels: `cell_type`, batches: `donor`"
    )
