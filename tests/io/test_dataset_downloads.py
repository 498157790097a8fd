"""The files a loaded data set can be downloaded as, made only when asked for."""

from __future__ import annotations

import anndata
import numpy as np

from genodash.data import MatrixSet, SequenceSet
from genodash.io import RawFile, read_dataset
from genodash.io.writers import dataset_downloads


def test_sequences_download_as_fasta_and_csv_that_read_back():
    data = SequenceSet(
        ids=("a", "b"), sequences=("ACGT", "GGC"), labels=("x", "y"), name="t", format="fasta"
    )
    files = dataset_downloads(data)
    assert [(label, name) for label, _, name in files] == [
        ("FASTA", "sequences.fa"),
        ("CSV", "sequences.csv"),
    ]
    for _, make, name in files:
        back = read_dataset(RawFile(name, make().encode()))
        assert back.sequences == data.sequences and back.labels == data.labels


def test_a_matrix_downloads_as_h5ad_made_on_call():
    matrix = MatrixSet(anndata.AnnData(np.eye(2, dtype=np.float32)), "m", "example")
    ((label, make, name),) = dataset_downloads(matrix)
    assert (label, name) == ("AnnData (.h5ad)", "matrix.h5ad")
    assert make().startswith(b"\x89HDF")
