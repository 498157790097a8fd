"""Write the hostile-input corpus: each file is a valid file with one thing changed.

Run from the repository root to regenerate ``tests/corpus/files/``. The expected outcome of
every file is pinned in ``tests/test_corpus.py``.
"""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile
from pathlib import Path

import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse

OUT = Path(__file__).parent / "files"

FASTA = (
    ">s1 label=a\nACGTACGT\n>s2 label=b\nGGCCAATT\n>s3 label=a\nTTGGCCAA\n>s4 label=b\nCCAATTGG\n"
)
FASTQ = "@r1 label=a\nACGT\n+\nIIII\n@r2 label=b\nGGCC\n+\nIIII\n"
TABLE = "SEQ,LAB\nACGTACGT,a\nGGCCAATT,b\nTTGGCCAA,a\nCCAATTGG,b\n"
MATRIX = "cell,CD3E,MS4A1,LYZ,cell_type\nc1,1,0,3,T\nc2,0,2,1,B\nc3,4,1,0,T\n"

TEXT_FILES: dict[str, bytes] = {
    # sequences: FASTA
    "fa_valid.fa": FASTA.encode(),
    "fa_empty.fa": b"",
    "fa_header_only.fa": b">s1 label=a\n",
    "fa_binary.fa": bytes(range(256)),
    "fa_utf16_bom.fa": FASTA.encode("utf-16"),
    "fa_utf16_no_bom.fa": FASTA.encode("utf-16-le"),
    "fa_utf8_bom.fa": b"\xef\xbb\xbf" + FASTA.encode(),
    "fa_cr_only.fa": FASTA.replace("\n", "\r").encode(),
    "fa_mixed_endings.fa": FASTA.replace("\n", "\r\n", 3).encode(),
    "fa_protein.fa": FASTA.replace("GGCCAATT", "MKVLEAGH").encode(),
    "fa_digits.fa": FASTA.replace("TTGGCCAA", "TTGG1CAA").encode(),
    "fa_alignment_gap.fa": FASTA.replace("CCAATTGG", "CCAA--GG").encode(),
    "fa_empty_record.fa": FASTA.replace("GGCCAATT\n", "").encode(),
    "fa_duplicate_ids.fa": FASTA.replace(">s2", ">s1").encode(),
    "fa_sequence_before_header.fa": ("ACGT\n" + FASTA).encode(),
    "fa_partial_labels.fa": FASTA.replace(" label=b", "", 1).encode(),
    "fa_lowercase.fa": FASTA.replace("ACGTACGT", "acgtacgt").encode(),
    "fa_iupac.fa": FASTA.replace("ACGTACGT", "ACGRYCGT").encode(),
    "fa_rna.fa": FASTA.replace("T", "U").replace("label=", "label=").encode(),
    "fa_comment_lines.fa": ("# made by hand\n" + FASTA).encode(),
    "fa_single_class.fa": FASTA.replace("label=b", "label=a").encode(),
    # sequences: FASTQ
    "fq_valid.fq": FASTQ.encode(),
    "fq_quality_short.fq": FASTQ.replace("+\nIIII\n@r2", "+\nIII\n@r2").encode(),
    "fq_missing_plus.fq": FASTQ.replace("+\nIIII\n@r2", "IIII\n@r2").encode(),
    "fq_truncated.fq": FASTQ[:-6].encode(),
    "fq_bad_header.fq": FASTQ.replace("@r2", "r2").encode(),
    "fq_quality_starts_with_gt.fq": FASTQ.replace("+\nIIII\n@r2", "+\n>III\n@r2").encode(),
    "fq_quality_tab.fq": FASTQ.replace("+\nIIII\n@r2", "+\nI\tII\n@r2").encode(),
    "fq_plus_names_other_read.fq": FASTQ.replace("+\nIIII\n@r2", "+r9\nIIII\n@r2").encode(),
    "fq_empty_read.fq": (FASTQ + "@r3 label=a\n\n+\n\n").encode(),
    # sequences: tables
    "csv_valid.csv": TABLE.encode(),
    "csv_semicolons.csv": TABLE.replace(",", ";").encode(),
    "csv_wrong_delimiter.csv": TABLE.replace(",", "|").encode(),
    "csv_ragged.csv": TABLE.replace("GGCCAATT,b", "GGCCAATT,b,x").encode(),
    "csv_missing_field.csv": TABLE.replace("GGCCAATT,b", "GGCCAATT").encode(),
    "csv_no_sequence_column.csv": TABLE.replace("SEQ,", "NUCLEOTIDES,").encode(),
    "csv_missing_label.csv": TABLE.replace("TTGGCCAA,a", "TTGGCCAA,").encode(),
    "csv_header_only.csv": b"SEQ,LAB\n",
    "csv_imbalanced.csv": ("SEQ,LAB\n" + "ACGTACGT,common\n" * 60 + "GGCCAATT,rare\n").encode(),
    "txt_valid.txt": b"ACGTACGT\nGGCCAATT\n",
    # matrices: tables
    "mx_valid.csv": MATRIX.encode(),
    "mx_text_in_numbers.csv": MATRIX.replace("c2,0,2", "c2,0,two").encode(),
    "mx_nan.csv": MATRIX.replace("c3,4,1", "c3,NaN,1").encode(),
    "mx_inf.csv": MATRIX.replace("c3,4,1", "c3,inf,1").encode(),
    "mx_negative.csv": MATRIX.replace("c1,1,0", "c1,-1.5,0").encode(),
    "mx_huge_number.csv": MATRIX.replace("c1,1,0", "c1,1e40,0").encode(),
    "mx_duplicate_genes.csv": MATRIX.replace("MS4A1", "CD3E").encode(),
    "mx_duplicate_cells.csv": MATRIX.replace("c3,", "c1,").encode(),
    "mx_zero_row.csv": MATRIX.replace("c2,0,2,1", "c2,0,0,0").encode(),
    "mx_zero_column.csv": MATRIX.replace("c1,1,0,3", "c1,1,0,0")
    .replace("c2,0,2,1", "c2,0,2,0")
    .replace("c3,4,1,0", "c3,4,1,0")
    .encode(),
    "mx_one_cell.csv": b"cell,CD3E,MS4A1\nc1,1,2\n",
    "mx_one_gene.csv": b"cell,CD3E\nc1,1\nc2,4\nc3,0\n",
    "mx_constant.csv": b"cell,a,b\nc1,2,2\nc2,2,2\n",
    "mx_header_only.csv": b"cell,CD3E,MS4A1\n",
    "mx_genes_as_rows.csv": b"gene,AAACCTGAGAAACCAT-1,AAACCTGAGAAACCGC-1\nCD3E,1,2\nMS4A1,0,5\n",
    "mx_not_hdf5.h5ad": b"this is text, not HDF5\n",
}


def write_text_files() -> None:
    for name, content in TEXT_FILES.items():
        (OUT / name).write_bytes(content)


def write_gzip_files() -> None:
    data = FASTA.encode()
    (OUT / "gz_not_gzip.fa.gz").write_bytes(data)
    (OUT / "gz_truncated.fa.gz").write_bytes(gzip.compress(data * 50, mtime=0)[:-20])
    (OUT / "gz_concatenated.fa.gz").write_bytes(
        gzip.compress(data[:48], mtime=0) + gzip.compress(data[48:], mtime=0)
    )
    bomb = b">s1 label=a\n" + b"A" * 6_000_000 + b"\n"
    (OUT / "gz_bomb.fa.gz").write_bytes(gzip.compress(bomb, mtime=0))


def _valid_h5ad(path: Path) -> None:
    adata = anndata.AnnData(
        X=scipy.sparse.csr_matrix(np.eye(3, dtype=np.float32)),
        obs=pd.DataFrame(index=["c1", "c2", "c3"]),
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )
    adata.write_h5ad(path)


def write_h5ad_files() -> None:
    base = OUT / "h5_valid.h5ad"
    _valid_h5ad(base)
    data = base.read_bytes()
    (OUT / "h5_truncated.h5ad").write_bytes(data[: len(data) // 3])
    edits = {
        "h5_missing_obs.h5ad": lambda h: h.__delitem__("obs"),
        "h5_missing_x.h5ad": lambda h: h.__delitem__("X"),
        "h5_external_link.h5ad": lambda h: h.__setitem__(
            "leak", h5py.ExternalLink("/etc/hostname", "/")
        ),
        "h5_external_storage.h5ad": lambda h: h.create_dataset(
            "leak", shape=(8,), dtype="u1", external=[("/etc/hostname", 0, 8)]
        ),
        "h5_huge_declared.h5ad": lambda h: h.create_dataset(
            "huge", shape=(10**6, 10**5), dtype="f8", chunks=(1000, 100)
        ),
        "h5_shapes_disagree.h5ad": _drop_a_cell,
    }
    for name, edit in edits.items():
        path = OUT / name
        shutil.copy(base, path)
        with h5py.File(path, "r+") as handle:
            edit(handle)


def _drop_a_cell(handle: h5py.File) -> None:
    index = handle["obs"]["_index"][:2]
    del handle["obs"]["_index"]
    handle["obs"].create_dataset("_index", data=index)


def write_10x_files() -> None:
    mtx = io.BytesIO()
    scipy.io.mmwrite(mtx, scipy.sparse.coo_matrix(np.arange(6).reshape(3, 2)), field="integer")
    features = b"ENSG1\tg1\tGene Expression\nENSG2\tg2\tGene Expression\n"
    barcodes = b"AAAC-1\nAAAG-1\n"
    with zipfile.ZipFile(OUT / "tx_feature_mismatch.zip", "w") as archive:
        archive.writestr("matrix.mtx", mtx.getvalue())
        archive.writestr("features.tsv", features)
        archive.writestr("barcodes.tsv", barcodes)
    with zipfile.ZipFile(OUT / "tx_missing_barcodes.zip", "w") as archive:
        archive.writestr("matrix.mtx", mtx.getvalue())
        archive.writestr("features.tsv", features + b"ENSG3\tg3\tGene Expression\n")
    (OUT / "tx_zip_not_zip.zip").write_bytes(b"PK\x03\x04 this is not really a zip")


if __name__ == "__main__":
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    write_text_files()
    write_gzip_files()
    write_h5ad_files()
    write_10x_files()
