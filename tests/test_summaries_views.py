"""The data page's headline numbers, previews and metadata summaries, on tiny data sets."""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from genodash import summaries
from genodash.data import MatrixSet, SequenceSet


def _sequences(n: int = 3, *, labels: bool = True, **meta) -> SequenceSet:
    seqs = tuple(("ACGTN" * 4)[: 4 + i] for i in range(n))
    return SequenceSet(
        ids=tuple(f"s{i}" for i in range(n)),
        sequences=seqs,
        labels=tuple("xy"[i % 2] for i in range(n)) if labels else None,
        name="toy",
        format="example",
        meta=meta,
    )


def _matrix(value_type: str = "counts", *, sparse: bool = True, **columns) -> MatrixSet:
    x = np.array([[1, 0, 2], [0, 0, 3], [4, 0, 0], [1, 1, 1]], dtype=np.float32)
    obs = pd.DataFrame(columns, index=[f"c{i}" for i in range(4)])
    adata = anndata.AnnData(
        X=scipy.sparse.csr_matrix(x) if sparse else x,
        obs=obs,
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )
    label = "cell_type" if "cell_type" in columns else None
    return MatrixSet(adata, "m", "example", value_type=value_type, label_column=label)


def test_sequence_metrics_say_length_or_range_and_classes():
    metrics = summaries.headline_metrics(_sequences(3, n_ambiguous_bases=1200))
    shown = {m.label: m.value for m in metrics}
    assert shown == {
        "Sequences": "3",
        "Classes": "2",
        "Length range": "4–6 bp",
        "Mean length": "5.0 bp",
        "Ambiguous bases → N": "1,200",
    }
    same = summaries.headline_metrics(_sequences(1, labels=False))
    assert same[1].value == "unlabelled"
    assert (same[2].label, same[2].value, same[2].help) == (
        "Length",
        "4 bp",
        "Every sequence has this length",
    )


def test_matrix_metrics():
    shown = {m.label: (m.value, m.help) for m in summaries.headline_metrics(_matrix())}
    assert shown["Cells"][0] == "4" and shown["Genes"][0] == "3"
    assert shown["Zeros"][0] == "41.7%"
    assert shown["Values"] == ("raw counts", "counts per cell")
    assert shown["Stored as"][0] == "sparse"
    dense = summaries.headline_metrics(_matrix(sparse=False))
    assert dense[-1].value == "dense"


def test_sequence_preview_caps_rows_and_says_so():
    preview = summaries.sequence_preview(_sequences(3), rows=2)
    assert list(preview.table.columns) == ["ID", "sequence", "label"]
    assert len(preview.table) == 2 and preview.caption == "The first 2 of 3 sequences."
    whole = summaries.sequence_preview(_sequences(3, labels=False))
    assert list(whole.table.columns) == ["ID", "sequence"] and whole.caption == "All 3 sequences."


def test_matrix_preview_is_dense_and_named():
    preview = summaries.matrix_preview(_matrix(), size=2)
    assert preview.table.shape == (2, 2)
    assert list(preview.table.index) == ["c0", "c1"] and list(preview.table.columns) == ["g1", "g2"]
    assert preview.table.iloc[1, 0] == 0 and preview.caption == "The first 2 cells × 2 genes."


def test_metadata_columns_default_to_the_labels():
    matrix = _matrix(batch=["a", "b", "a", "b"], cell_type=["t", "t", "b", "b"])
    assert summaries.metadata_columns(matrix) == (["batch", "cell_type"], 1)
    assert summaries.metadata_columns(_matrix()) == ([], 0)
    assert summaries.column_roles(matrix) == [("labels", "cell_type")]


def test_metadata_summary_counts_categories_and_draws_many_numbers():
    matrix = _matrix(cell_type=["t", "b", "t", "t"], score=[0.1, 0.2, 0.3, 0.4])
    counts = summaries.metadata_summary(matrix, "cell_type")
    assert counts.kind == "counts" and counts.counts == {"b": 1, "t": 3}
    few = summaries.metadata_summary(matrix, "score")
    assert few.kind == "counts"
    many = summaries.metadata_summary(matrix, "score", max_categories=3)
    assert many.kind == "distribution" and np.allclose(many.values, [0.1, 0.2, 0.3, 0.4])


def test_cell_labels_only_for_labelled_matrices():
    labels = summaries.cell_labels(_matrix(cell_type=[1, 2, 1, 2]))
    assert labels.tolist() == ["1", "2", "1", "2"] and labels.index.tolist()[0] == "c0"
    assert summaries.cell_labels(_matrix()) is None
    assert summaries.cell_labels(_sequences()) is None


def test_planted_motif_of_generated_data_only():
    data = _sequences(3, motif="ACGT", positive_class="y", motif_starts=(1, -1, 0), motif_width=4)
    planted = summaries.planted_motif(data)
    assert planted == summaries.PlantedMotif("ACGT", "y", (1, -1, 0), 4, 6)
    assert summaries.planted_motif(_sequences()) is None


@pytest.mark.parametrize(
    ("value_type", "title", "log", "noted"),
    [
        ("counts", "Counts per cell", True, False),
        ("non-negative", "Sum of values per cell", False, True),
    ],
)
def test_qc_labels_follow_the_kind_of_values(value_type, title, log, noted):
    labels = summaries.qc_labels(_matrix(value_type))
    assert labels.totals_title == title and labels.log_totals is log
    assert (labels.note is not None) is noted
