"""Write every test file in tests/data/: run ``python tests/data/make_test_data.py``.

Two parts, one folder:

- small valid and broken inputs (``labelled.fa``, ``matrix.csv``, ``protein.fa``, …) that
  the reader, CLI, AppTest and browser tests load by name;
- the hostile-input corpus (``fa_*``, ``fq_*``, ``csv_*``, ``mx_*``, ``gz_*``, ``h5_*``,
  ``tx_*``, ``txt_*``): each a valid file with one thing changed. The outcome of every
  hostile file, of both parts, is pinned in ``tests/io/test_corpus.py``.

One case per defect and format: a defect already covered by a file of the first part
(a protein FASTA, a truncated gzip, an HDF5 external link, …) has no ``*_`` twin.

Text files are written byte for byte so that line endings and BOMs are exact; binary
files (gzip, h5ad, 10x) are made with the libraries that users' tools use, with fixed
timestamps so that regenerating gives the same bytes.
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

HERE = Path(__file__).parent

FASTA = (
    "# a comment line, as in logomaker's files\n"
    ">s1 label=bound some description\nACGTACGTAC\nGTACGT\n"
    ">s2 label=bound\nacgtacgtacgtac\n"
    ">s3 label=unbound\nTTTTGGGGCCCCAAAARY\n"
    ">s4 label=unbound\nGATTACAGATTACA\n"
)
FASTQ = "@r1 label=a\nACGT\n+\nIIII\n@r2 label=b\nGGCCA\n+r2\n#####\n@r3 label=a\nTTAGA\n+\n@@@@@\n"
FASTQ_WRAPPED = "@r1\nACGTAC\nGTAC\n+\nIIIIII\nIIII\n@r2\nGGCC\n+\n@@@@\n"
TABLE_CSV = "SEQ,LAB\nACGTACGT,yes\nTTTTAAAA,no\nGGGGCCCC,yes\nACACACAC,no\n"
TABLE_TSV = "ID\tSEQ\tLAB\nread1\tACGTACGT\tyes\nread2\tTTTTAAAA\tno\n"
CUSTOM_CSV = "name,dna,kind\nx1,ACGTAC,p\nx2,GGGTTT,q\nx3,CCCAAA,p\n"
PLAIN = "ACGTACGT\nTTTTAAAA\n\nGGGGCCCC\n"
PLAIN_LABELS = "pos\nneg\npos\n"

BAD_TEXT = {
    "protein.fa": ">p1\nMKTAYIAKQRQISFVKSHFSRQ\n",
    "digits.fa": ">d1 label=x\nACGT\nAC1GT\n",
    "empty_record.fa": ">e1\nACGT\n>e2\n>e3\nGGCC\n",
    "no_header.fa": "ACGTACGT\n>s1\nACGT\n",
    "partial_labels.fa": ">a label=x\nACGT\n>b\nACGT\n",
    "missing_plus.fq": "@r1\nACGT\nIIII\n@r2\nACGT\n+\nIIII\n",
    "qual_mismatch.fq": "@r1\nACGTA\n+\nIIII\n",
    "truncated.fq": "@r1\nACGT\n+\nIIII\n@r2\nACGT\n",
    "ragged.csv": "SEQ,LAB\nACGT,a\nACGT,b,extra\n",
    "missing_label.csv": "SEQ,LAB\nACGT,a\nGGCC,\n",
    "empty.fa": "",
    "nan.csv": "cell,G1,G2\nc1,1,2\nc2,,3\n",
    "inf.csv": "cell,G1,G2\nc1,1,inf\nc2,0,3\n",
    "text_in_numeric.csv": "cell,G1,G2,G3\nc1,1,2,3\nc2,4,oops,6\nc3,7,8,9\n",
    "header_only.csv": "cell,G1,G2\n",
    "not_hdf5.h5ad": "this is a text file pretending to be h5ad\n",
    "matrix_ragged.tsv": "cell\tG1\tG2\nc1\t1\t2\nc2\t1\t2\t3\n",
}


def matrix_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    counts = rng.poisson(2.0, size=(6, 5))
    frame = pd.DataFrame(
        counts,
        columns=["CD3E", "MS4A1", "LYZ", "GAPDH", "MT-CO1"],
        index=[f"cell{i}" for i in range(1, 7)],
    )
    frame["cell_type"] = ["T", "B", "T", "B", "mono", "mono"]
    frame.index.name = "cell"
    return frame


def write_member(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
    """Add a zip member with a fixed date, so that the archive's bytes do not change."""
    archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)


def write_text(name: str, text: str, *, newline: str = "\n", bom: bytes = b"") -> None:
    (HERE / name).write_bytes(bom + text.replace("\n", newline).encode("utf-8"))


def write_sequences() -> None:
    write_text("labelled.fa", FASTA)
    (HERE / "labelled.fa.gz").write_bytes(gzip.compress(FASTA.encode(), mtime=0))
    write_text("crlf.fa", FASTA, newline="\r\n")
    write_text("cr.fa", FASTA, newline="\r")
    write_text("bom.fa", FASTA, bom=b"\xef\xbb\xbf")
    write_text("rna.fa", ">r1 label=a\nACGUUGCA\n>r2 label=b\nUUUU\n")
    write_text("reads.fq", FASTQ)
    write_text("reads_wrapped.fq", FASTQ_WRAPPED)
    write_text("table.csv", TABLE_CSV)
    write_text("table.tsv", TABLE_TSV)
    write_text("custom_columns.csv", CUSTOM_CSV)
    write_text("plain.txt", PLAIN)
    write_text("plain_labels.txt", PLAIN_LABELS)
    write_text("bound.fa", ">b1\nACGTACGT\n>b2\nACGTTTGT\n")
    write_text("unbound.fa", ">u1\nGGGGCCCC\n>u2\nGGCCGGCC\n>u3\nTTTTAAAA\n")
    (HERE / "binary.fa").write_bytes(b">x\nAC\x00\x01\x02GT\n")
    (HERE / "not_gzip.fa.gz").write_bytes(FASTA.encode())
    (HERE / "truncated.fa.gz").write_bytes(gzip.compress(FASTA.encode() * 20, mtime=0)[:-30])
    (HERE / "utf16.fa").write_bytes(FASTA.encode("utf-16"))


def write_matrices() -> None:
    frame = matrix_frame()
    (HERE / "matrix.csv").write_text(frame.to_csv(lineterminator="\n"))
    (HERE / "matrix.tsv").write_text(frame.to_csv(sep="\t", lineterminator="\n"))
    genes = frame.drop(columns="cell_type").T
    genes.columns = [f"AAACCTGAGAAAC{a}{b}-1" for a, b in zip("ACGTAC", "CCGGTT", strict=True)]
    genes.index.name = "gene"
    (HERE / "genes_as_rows.csv").write_text(genes.to_csv(lineterminator="\n"))
    scaled = frame.drop(columns="cell_type").astype(float)
    scaled = (scaled - scaled.mean()) / scaled.std()
    (HERE / "normalized.csv").write_text(scaled.round(3).to_csv(lineterminator="\n"))
    dup = frame.drop(columns="cell_type")
    text = dup.to_csv(lineterminator="\n").replace("LYZ", "CD3E", 1)
    (HERE / "duplicate_genes.csv").write_text(text)
    for name, text in BAD_TEXT.items():
        write_text(name, text)
    write_h5ad(frame)
    write_10x(frame)


def write_h5ad(frame: pd.DataFrame) -> None:
    counts = frame.drop(columns="cell_type")
    adata = anndata.AnnData(
        X=scipy.sparse.csr_matrix(counts.to_numpy(dtype=np.float32)),
        obs=pd.DataFrame({"cell_type": pd.Categorical(frame["cell_type"])}, index=counts.index),
        var=pd.DataFrame(index=counts.columns),
    )
    adata.write_h5ad(HERE / "small.h5ad")
    data = (HERE / "small.h5ad").read_bytes()
    linked = HERE / "external_link.h5ad"
    linked.write_bytes(data)
    with h5py.File(linked, "r+") as handle:
        handle["secret"] = h5py.ExternalLink("/etc/passwd.h5", "/")
    no_obs = HERE / "missing_obs.h5ad"
    no_obs.write_bytes(data)
    with h5py.File(no_obs, "r+") as handle:
        del handle["obs"]
    (HERE / "truncated.h5ad").write_bytes(data[: len(data) // 2])


def write_10x(frame: pd.DataFrame) -> None:
    counts = frame.drop(columns="cell_type")
    genes_by_cells = scipy.sparse.coo_matrix(counts.to_numpy().T)
    mtx = io.BytesIO()
    scipy.io.mmwrite(mtx, genes_by_cells, field="integer")
    features = "".join(
        f"ENSG0000000000{i}\t{g}\tGene Expression\n" for i, g in enumerate(counts.columns)
    )
    barcodes = "".join(f"{c}\n" for c in counts.index)
    folder = HERE / "tenx"
    folder.mkdir(exist_ok=True)
    parts = {
        "matrix.mtx.gz": mtx.getvalue(),
        "features.tsv.gz": features.encode(),
        "barcodes.tsv.gz": barcodes.encode(),
    }
    for name, content in parts.items():
        (folder / name).write_bytes(gzip.compress(content, mtime=0))
    with zipfile.ZipFile(HERE / "tenx.zip", "w") as archive:
        for name, content in parts.items():
            write_member(
                archive,
                f"sample/filtered_feature_bc_matrix/{name}",
                gzip.compress(content, mtime=0),
            )
    bad = HERE / "tenx_mismatch"
    bad.mkdir(exist_ok=True)
    (bad / "matrix.mtx.gz").write_bytes(gzip.compress(mtx.getvalue(), mtime=0))
    (bad / "barcodes.tsv.gz").write_bytes(gzip.compress(barcodes.encode(), mtime=0))
    short = "".join(features.splitlines(keepends=True)[:-1])
    (bad / "features.tsv.gz").write_bytes(gzip.compress(short.encode(), mtime=0))
    write_10x_h5(counts)


def write_10x_h5(counts: pd.DataFrame) -> None:
    csc = scipy.sparse.csc_matrix(counts.to_numpy(dtype=np.int32).T)
    with h5py.File(HERE / "tenx_v3.h5", "w") as handle:
        group = handle.create_group("matrix")
        group["data"] = csc.data
        group["indices"] = csc.indices
        group["indptr"] = csc.indptr
        group["shape"] = np.array(csc.shape, dtype=np.int64)
        group["barcodes"] = np.array([c.encode() for c in counts.index])
        features = group.create_group("features")
        features["name"] = np.array([g.encode() for g in counts.columns])
        features["id"] = np.array([f"ENSG{i:011d}".encode() for i in range(len(counts.columns))])
        features["feature_type"] = np.array([b"Gene Expression"] * len(counts.columns))


# --- the hostile-input corpus: a valid file with one thing changed ---------------------------

CORPUS_FASTA = (
    ">s1 label=a\nACGTACGT\n>s2 label=b\nGGCCAATT\n>s3 label=a\nTTGGCCAA\n>s4 label=b\nCCAATTGG\n"
)
CORPUS_FASTQ = "@r1 label=a\nACGT\n+\nIIII\n@r2 label=b\nGGCC\n+\nIIII\n"
CORPUS_TABLE = "SEQ,LAB\nACGTACGT,a\nGGCCAATT,b\nTTGGCCAA,a\nCCAATTGG,b\n"
CORPUS_MATRIX = "cell,CD3E,MS4A1,LYZ,cell_type\nc1,1,0,3,T\nc2,0,2,1,B\nc3,4,1,0,T\n"

CORPUS_TEXT: dict[str, bytes] = {
    # sequences: FASTA
    "fa_valid.fa": CORPUS_FASTA.encode(),
    "fa_header_only.fa": b">s1 label=a\n",
    "fa_utf16_no_bom.fa": CORPUS_FASTA.encode("utf-16-le"),
    "fa_mixed_endings.fa": CORPUS_FASTA.replace("\n", "\r\n", 3).encode(),
    "fa_alignment_gap.fa": CORPUS_FASTA.replace("CCAATTGG", "CCAA--GG").encode(),
    "fa_duplicate_ids.fa": CORPUS_FASTA.replace(">s2", ">s1").encode(),
    "fa_lowercase.fa": CORPUS_FASTA.replace("ACGTACGT", "acgtacgt").encode(),
    "fa_iupac.fa": CORPUS_FASTA.replace("ACGTACGT", "ACGRYCGT").encode(),
    "fa_comment_lines.fa": ("# made by hand\n" + CORPUS_FASTA).encode(),
    "fa_single_class.fa": CORPUS_FASTA.replace("label=b", "label=a").encode(),
    # sequences: FASTQ
    "fq_valid.fq": CORPUS_FASTQ.encode(),
    "fq_truncated.fq": CORPUS_FASTQ[:-6].encode(),
    "fq_bad_header.fq": CORPUS_FASTQ.replace("@r2", "r2").encode(),
    "fq_quality_starts_with_gt.fq": CORPUS_FASTQ.replace("+\nIIII\n@r2", "+\n>III\n@r2").encode(),
    "fq_quality_tab.fq": CORPUS_FASTQ.replace("+\nIIII\n@r2", "+\nI\tII\n@r2").encode(),
    "fq_plus_names_other_read.fq": CORPUS_FASTQ.replace("+\nIIII\n@r2", "+r9\nIIII\n@r2").encode(),
    "fq_empty_read.fq": (CORPUS_FASTQ + "@r3 label=a\n\n+\n\n").encode(),
    # sequences: tables
    "csv_valid.csv": CORPUS_TABLE.encode(),
    "csv_semicolons.csv": CORPUS_TABLE.replace(",", ";").encode(),
    "csv_wrong_delimiter.csv": CORPUS_TABLE.replace(",", "|").encode(),
    "csv_missing_field.csv": CORPUS_TABLE.replace("GGCCAATT,b", "GGCCAATT").encode(),
    "csv_no_sequence_column.csv": CORPUS_TABLE.replace("SEQ,", "NUCLEOTIDES,").encode(),
    "csv_header_only.csv": b"SEQ,LAB\n",
    "csv_imbalanced.csv": ("SEQ,LAB\n" + "ACGTACGT,common\n" * 60 + "GGCCAATT,rare\n").encode(),
    "txt_valid.txt": b"ACGTACGT\nGGCCAATT\n",
    # matrices: tables
    "mx_valid.csv": CORPUS_MATRIX.encode(),
    "mx_huge_number.csv": CORPUS_MATRIX.replace("c1,1,0", "c1,1e40,0").encode(),
    "mx_duplicate_cells.csv": CORPUS_MATRIX.replace("c3,", "c1,").encode(),
    "mx_zero_row.csv": CORPUS_MATRIX.replace("c2,0,2,1", "c2,0,0,0").encode(),
    "mx_zero_column.csv": CORPUS_MATRIX.replace("c1,1,0,3", "c1,1,0,0")
    .replace("c2,0,2,1", "c2,0,2,0")
    .replace("c3,4,1,0", "c3,4,1,0")
    .encode(),
    "mx_one_cell.csv": b"cell,CD3E,MS4A1\nc1,1,2\n",
    "mx_one_gene.csv": b"cell,CD3E\nc1,1\nc2,4\nc3,0\n",
    "mx_constant.csv": b"cell,a,b\nc1,2,2\nc2,2,2\n",
}


def write_corpus_text() -> None:
    for name, content in CORPUS_TEXT.items():
        (HERE / name).write_bytes(content)


def write_corpus_gzip() -> None:
    data = CORPUS_FASTA.encode()
    (HERE / "gz_concatenated.fa.gz").write_bytes(
        gzip.compress(data[:48], mtime=0) + gzip.compress(data[48:], mtime=0)
    )
    bomb = b">s1 label=a\n" + b"A" * 6_000_000 + b"\n"
    (HERE / "gz_bomb.fa.gz").write_bytes(gzip.compress(bomb, mtime=0))


def _valid_h5ad(path: Path) -> None:
    adata = anndata.AnnData(
        X=scipy.sparse.csr_matrix(np.eye(3, dtype=np.float32)),
        obs=pd.DataFrame(index=["c1", "c2", "c3"]),
        var=pd.DataFrame(index=["g1", "g2", "g3"]),
    )
    adata.write_h5ad(path)


def write_corpus_h5ad() -> None:
    base = HERE / "h5_valid.h5ad"
    _valid_h5ad(base)
    edits = {
        "h5_missing_x.h5ad": lambda h: h.__delitem__("X"),
        "h5_external_storage.h5ad": lambda h: h.create_dataset(
            "leak", shape=(8,), dtype="u1", external=[("/etc/hostname", 0, 8)]
        ),
        "h5_huge_declared.h5ad": lambda h: h.create_dataset(
            "huge", shape=(10**6, 10**5), dtype="f8", chunks=(1000, 100)
        ),
        "h5_shapes_disagree.h5ad": _drop_a_cell,
    }
    for name, edit in edits.items():
        path = HERE / name
        shutil.copy(base, path)
        with h5py.File(path, "r+") as handle:
            edit(handle)


def _drop_a_cell(handle: h5py.File) -> None:
    index = handle["obs"]["_index"][:2]
    del handle["obs"]["_index"]
    handle["obs"].create_dataset("_index", data=index)


def write_corpus_10x() -> None:
    mtx = io.BytesIO()
    scipy.io.mmwrite(mtx, scipy.sparse.coo_matrix(np.arange(6).reshape(3, 2)), field="integer")
    features = b"ENSG1\tg1\tGene Expression\nENSG2\tg2\tGene Expression\n"
    with zipfile.ZipFile(HERE / "tx_missing_barcodes.zip", "w") as archive:
        write_member(archive, "matrix.mtx", mtx.getvalue())
        write_member(archive, "features.tsv", features + b"ENSG3\tg3\tGene Expression\n")
    (HERE / "tx_zip_not_zip.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    # a last pointer below zero: scipy skips its own check and its C++ code then crashes
    shutil.copy(HERE / "tenx_v3.h5", HERE / "tx_negative_pointer.h5")
    with h5py.File(HERE / "tx_negative_pointer.h5", "r+") as handle:
        handle["matrix"]["indptr"][-1] = -16_777_193


def write_corpus() -> None:
    write_corpus_text()
    write_corpus_gzip()
    write_corpus_h5ad()
    write_corpus_10x()


if __name__ == "__main__":
    write_sequences()
    write_matrices()
    write_corpus()
