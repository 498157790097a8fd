"""Write the tiny test files in tests/data/ (run from the repository root to regenerate).

Text files are written byte for byte so that line endings and BOMs are exact; binary
files (gzip, h5ad, 10x) are made with the libraries that users' tools use.
"""

from __future__ import annotations

import gzip
import io
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
            archive.writestr(
                f"sample/filtered_feature_bc_matrix/{name}", gzip.compress(content, mtime=0)
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


if __name__ == "__main__":
    write_sequences()
    write_matrices()
