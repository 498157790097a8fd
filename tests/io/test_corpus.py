"""The hostile-input corpus: every file's outcome is pinned — rejected with this exact message,
or accepted with exactly these notes. Files: tests/data/, made by tests/data/make_test_data.py;
the files there that other tests read by name are listed in ``READ_ELSEWHERE``."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest

from conftest import DATA
from genodash.cli import main
from genodash.errors import GenodashError, RunError
from genodash.io import RawFile, read_dataset
from genodash.limits import Limits
from genodash.train import runs

LIMITS = Limits(max_decompressed_bytes=1 << 20, max_array_bytes=1 << 30)

EXPECTED = {
    "binary.fa": (
        "FormatError",
        "binary.fa: looks binary, not text: NUL byte at offset 5 (line 2). Give a text file (FASTA, FASTQ, CSV or TSV), optionally gzip-compressed",
    ),
    "bom.fa": (
        "ok",
        [
            "removed a UTF-8 byte-order mark",
            "skipped 1 comment lines starting with '#' or ';'",
            "upper-cased 1 records with lower-case bases",
            "2 IUPAC ambiguity codes (R, Y, S, …) mapped to N",
            "variable lengths: 14–18 bases (3 distinct)",
        ],
    ),
    "cr.fa": (
        "ok",
        [
            "old Mac line endings (\\r) read as line breaks",
            "skipped 1 comment lines starting with '#' or ';'",
            "upper-cased 1 records with lower-case bases",
            "2 IUPAC ambiguity codes (R, Y, S, …) mapped to N",
            "variable lengths: 14–18 bases (3 distinct)",
        ],
    ),
    "csv_header_only.csv": ("FormatError", "csv_header_only.csv: has a header but no data rows"),
    "csv_imbalanced.csv": (
        "ok",
        [
            "labels taken from column 'LAB'",
            "extreme class imbalance: 'rare' has 1 sequences against 60; accuracy alone will be misleading (look at AUPRC)",
        ],
    ),
    "csv_missing_field.csv": (
        "FormatError",
        "csv_missing_field.csv: row 2 (line 3): has 1 fields but the header has 2. Check for a missing or extra delimiter on that line",
    ),
    "csv_no_sequence_column.csv": (
        "FormatError",
        "csv_no_sequence_column.csv: has no numeric columns, so it is not an expression matrix. For sequences, name the sequence column (CLI: --sequence-column; default SEQ)",
    ),
    "csv_semicolons.csv": ("ok", ["labels taken from column 'LAB'"]),
    "csv_valid.csv": ("ok", ["labels taken from column 'LAB'"]),
    "csv_wrong_delimiter.csv": (
        "FormatError",
        "csv_wrong_delimiter.csv: line 1: has no comma, tab or semicolon in its first line. Tables (sequences with SEQ and LAB columns, or a matrix of cells × genes) must separate their columns with commas, tabs or semicolons",
    ),
    "digits.fa": (
        "FormatError",
        "digits.fa: record 1 'd1' (line 1): invalid character '1' (a digit) at position 7 (line 3, column 3). Sequences may hold A, C, G, T, U, N and IUPAC ambiguity codes only",
    ),
    "duplicate_genes.csv": ("ok", ["1 duplicate column names made unique by adding -1, -2, …"]),
    "empty.fa": ("FormatError", "empty.fa: contains no sequences"),
    "empty_record.fa": (
        "FormatError",
        "empty_record.fa: record 2 'e2' (line 3): has a header but no sequence. Remove the empty record or add its sequence",
    ),
    "external_link.h5ad": (
        "FormatError",
        "external_link.h5ad: '/secret': has an external link to another file; refused",
    ),
    "fa_alignment_gap.fa": (
        "FormatError",
        "fa_alignment_gap.fa: record 4 's4' (line 7): invalid character '-' at position 5 (line 8, column 5). Sequences may hold A, C, G, T, U, N and IUPAC ambiguity codes only",
    ),
    "fa_comment_lines.fa": ("ok", ["skipped 1 comment lines starting with '#' or ';'"]),
    "fa_duplicate_ids.fa": ("ok", ["1 duplicate IDs made unique by adding -1, -2, …"]),
    "fa_header_only.fa": (
        "FormatError",
        "fa_header_only.fa: record 1 's1' (line 1): has a header but no sequence. Remove the empty record or add its sequence",
    ),
    "fa_iupac.fa": ("ok", ["2 IUPAC ambiguity codes (R, Y, S, …) mapped to N"]),
    "fa_lowercase.fa": ("ok", ["upper-cased 1 records with lower-case bases"]),
    "fa_mixed_endings.fa": ("ok", ["mixed line endings (\\n, \\r\\n, \\r) read alike"]),
    "fa_single_class.fa": ("ok", ["only one class ('a'): a classifier needs at least two"]),
    "fa_utf16_no_bom.fa": (
        "FormatError",
        "fa_utf16_no_bom.fa: looks binary, not text: NUL byte at offset 1 (line 1). Give a text file (FASTA, FASTQ, CSV or TSV), optionally gzip-compressed",
    ),
    "fa_valid.fa": ("ok", []),
    "fq_bad_header.fq": (
        "FormatError",
        "fq_bad_header.fq: record 2 (line 5): expected a '@' header line, found 'r2 label=b'. Each FASTQ record is '@id', sequence, '+', quality",
    ),
    "fq_empty_read.fq": (
        "ok",
        [
            "dropped 1 empty read (record 3): a read without bases gives a model nothing to learn from"
        ],
    ),
    "fq_plus_names_other_read.fq": (
        "FormatError",
        "fq_plus_names_other_read.fq: record 1 'r1' (line 1), line 3: the '+' line names another read ('r9', not 'r1'); records from different reads may have been spliced together. The file may be corrupt: write it again from the source",
    ),
    "fq_quality_starts_with_gt.fq": ("ok", []),
    "fq_quality_tab.fq": (
        "FormatError",
        "fq_quality_tab.fq: record 1 'r1' (line 1): invalid quality character (a tab, code 0x09, at line 4, column 2). Quality lines hold only the characters ! to ~; the file may be corrupt",
    ),
    "fq_truncated.fq": (
        "FormatError",
        "fq_truncated.fq: record 2 'r2' (line 5): truncated: the file ends before the quality line",
    ),
    "fq_valid.fq": ("ok", []),
    "genes_as_rows.csv": (
        "OrientationError",
        "genes_as_rows.csv: looks like genes are rows and cells are columns (5 rows such as 'CD3E', 6 columns such as 'AAACCTGAGAAACAC-1'). Confirm a transpose (CLI: --transpose), or keep it as is (--no-transpose)",
    ),
    "gz_bomb.fa.gz": (
        "LimitError",
        "gz_bomb.fa.gz: decompresses to more than 1.0 MiB. Use a smaller file or raise GENODASH_MAX_DECOMPRESSED_BYTES",
    ),
    "gz_concatenated.fa.gz": ("ok", ["decompressed gzip: 107 B → 84 B"]),
    "h5_external_storage.h5ad": (
        "FormatError",
        "h5_external_storage.h5ad: dataset '/leak': has a dataset stored in an external file; refused",
    ),
    "h5_huge_declared.h5ad": (
        "LimitError",
        "h5_huge_declared.h5ad: dataset '/huge': declares arrays of more than 1.0 GiB. Use a smaller file or raise GENODASH_MAX_ARRAY_BYTES",
    ),
    "h5_missing_x.h5ad": (
        "FormatError",
        "h5_missing_x.h5ad: has no 'X' entry; it is not a complete AnnData file",
    ),
    "h5_shapes_disagree.h5ad": (
        "FormatError",
        "h5_shapes_disagree.h5ad: is not a readable AnnData file (ValueError: Observations annot. `obs` must have as many rows as `X` has rows (3), but has 2 rows.)",
    ),
    "h5_valid.h5ad": ("ok", []),
    "header_only.csv": ("FormatError", "header_only.csv: has a header but no data rows"),
    "inf.csv": (
        "FormatError",
        "inf.csv: row 1 (cell 'c1'), column 'G2': value inf is not a finite number. Matrices must hold finite numbers within the float32 range (±3.4e38)",
    ),
    "missing_label.csv": (
        "FormatError",
        "missing_label.csv: row 2 (line 3): the label column 'LAB' is empty. Give every row a label, or remove the rows without one",
    ),
    "missing_obs.h5ad": (
        "FormatError",
        "missing_obs.h5ad: has no 'obs' entry; it is not a complete AnnData file",
    ),
    "missing_plus.fq": (
        "FormatError",
        "missing_plus.fq: record 1 'r1' (line 1): no '+' line before the next record at line 4. Each FASTQ record is '@id', sequence, '+', quality",
    ),
    "mx_constant.csv": ("ok", ["every value is 2: the matrix carries no information"]),
    "mx_duplicate_cells.csv": (
        "ok",
        [
            "kept 1 metadata columns: cell_type",
            "1 duplicate cell IDs made unique by adding -1, -2, …",
            "label column guessed as 'cell_type'",
        ],
    ),
    "mx_huge_number.csv": (
        "FormatError",
        "mx_huge_number.csv: row 1 (cell 'c1'), column 'CD3E': value 1e+40 is too large (beyond ±3.4e38, the float32 range). Matrices must hold finite numbers within the float32 range (±3.4e38)",
    ),
    "mx_one_cell.csv": ("ok", ["only 1 cell(s) × 2 gene(s): too small for embeddings or models"]),
    "mx_one_gene.csv": (
        "ok",
        [
            "only 3 cell(s) × 1 gene(s): too small for embeddings or models",
            "1 cells have only zeros (kept; filter them in preprocessing)",
        ],
    ),
    "mx_valid.csv": (
        "ok",
        ["kept 1 metadata columns: cell_type", "label column guessed as 'cell_type'"],
    ),
    "mx_zero_column.csv": (
        "ok",
        [
            "kept 1 metadata columns: cell_type",
            "1 genes are zero in every cell (kept; filter them in preprocessing)",
            "label column guessed as 'cell_type'",
        ],
    ),
    "mx_zero_row.csv": (
        "ok",
        [
            "kept 1 metadata columns: cell_type",
            "1 cells have only zeros (kept; filter them in preprocessing)",
            "label column guessed as 'cell_type'",
        ],
    ),
    "nan.csv": (
        "FormatError",
        "nan.csv: row 2 (cell 'c2'), column 'G1': missing value. Fill or remove missing values",
    ),
    "no_header.fa": (
        "FormatError",
        "no_header.fa: line 1: sequence data before the first '>' header. A FASTA file starts each record with a '>' header line",
    ),
    "normalized.csv": (
        "ok",
        [
            "has negative values: treated as already normalized and scaled; count-based steps (normalize, log1p, count models) will be skipped"
        ],
    ),
    "not_gzip.fa.gz": (
        "FormatError",
        "not_gzip.fa.gz: name ends in .gz but the content is not gzip-compressed. Rename the file without .gz, or compress it with gzip",
    ),
    "not_hdf5.h5ad": (
        "FormatError",
        "not_hdf5.h5ad: is named .h5ad but is not an HDF5 (.h5ad) file. Check that the upload finished and that the file was not renamed",
    ),
    "partial_labels.fa": (
        "FormatError",
        "partial_labels.fa: record 2 'b': has no label while other records do. Give every record a label (label=X in the header, or a label column)",
    ),
    "protein.fa": (
        "FormatError",
        "protein.fa: record 1 'p1' (line 1): invalid character 'I' (not a nucleotide; protein sequences are not supported) at position 6 (line 2, column 6). Sequences may hold A, C, G, T, U, N and IUPAC ambiguity codes only",
    ),
    "qual_mismatch.fq": (
        "FormatError",
        "qual_mismatch.fq: record 1 'r1' (line 1): quality length (4) differs from sequence length (5); a line may be missing or cut short. The file may be truncated or corrupt",
    ),
    "ragged.csv": (
        "FormatError",
        "ragged.csv: row 2 (line 3): has 3 fields but the header has 2. Check for a missing or extra delimiter on that line",
    ),
    "rna.fa": (
        "ok",
        ["read as RNA: 6 U bases converted to T", "variable lengths: 4–8 bases (2 distinct)"],
    ),
    "tx_negative_pointer.h5": (
        "FormatError",
        "tx_negative_pointer.h5: sparse matrix X is inconsistent (its pointers must run from 0 up to the number of stored values; they run from 0 to -16,777,193)",
    ),
    "tenx_mismatch": (
        "FormatError",
        "tenx_mismatch: features file lists 4 entries but the matrix has 5 genes (rows). The three files must come from the same 10x sample",
    ),
    "text_in_numeric.csv": (
        "FormatError",
        "text_in_numeric.csv: row 2 (cell 'c2'): non-numeric value 'oops' in numeric column 'G2'. Fix the value, or name the column as metadata (CLI: --metadata-column)",
    ),
    "truncated.fa.gz": (
        "FormatError",
        "truncated.fa.gz: gzip stream is truncated (the file ends early); nothing was loaded. Download or copy the file again",
    ),
    "truncated.h5ad": (
        "FormatError",
        "truncated.h5ad: HDF5 file is truncated or corrupt; nothing was loaded. Download or copy the file again",
    ),
    "tx_missing_barcodes.zip": (
        "FormatError",
        "tx_missing_barcodes.zip: lacks the 10x barcodes file(s). A 10x folder holds matrix.mtx(.gz), barcodes.tsv(.gz) and features.tsv(.gz) or genes.tsv",
    ),
    "tx_zip_not_zip.zip": (
        "FormatError",
        "tx_zip_not_zip.zip: is not a readable .zip (File is not a zip file)",
    ),
    "txt_valid.txt": ("ok", []),
    "utf16.fa": (
        "ok",
        [
            "decoded from UTF-16",
            "skipped 1 comment lines starting with '#' or ';'",
            "upper-cased 1 records with lower-case bases",
            "2 IUPAC ambiguity codes (R, Y, S, …) mapped to N",
            "variable lengths: 14–18 bases (3 distinct)",
        ],
    ),
}


# the other files of tests/data/: inputs that other tests read by name, with options (a labels
# file, chosen columns) or as the valid sources of files above; truncated.fq and
# matrix_ragged.tsv have their messages pinned in tests/io/test_io_sequences.py and
# test_io_expression.py
READ_ELSEWHERE = {
    "bound.fa",
    "crlf.fa",
    "custom_columns.csv",
    "labelled.fa",
    "labelled.fa.gz",
    "matrix.csv",
    "matrix.tsv",
    "matrix_ragged.tsv",
    "plain.txt",
    "plain_labels.txt",
    "reads.fq",
    "reads_wrapped.fq",
    "small.h5ad",
    "table.csv",
    "table.tsv",
    "tenx",
    "tenx.zip",
    "tenx_v3.h5",
    "truncated.fq",
    "unbound.fa",
}


def test_the_corpus_is_complete():
    """Every file of tests/data/ has its outcome pinned here, or is named in READ_ELSEWHERE."""
    files = {p.name for p in DATA.iterdir()} - {"make_test_data.py"}
    assert files == set(EXPECTED) | READ_ELSEWHERE
    assert not set(EXPECTED) & READ_ELSEWHERE
    assert len(EXPECTED) >= 50


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_gives_its_pinned_outcome(name):
    kind, expected = EXPECTED[name]
    if kind == "ok":
        assert list(read_dataset(DATA / name, limits=LIMITS).notes) == expected
    else:
        with pytest.raises(GenodashError) as info:
            read_dataset(DATA / name, limits=LIMITS)
        assert (type(info.value).__name__, str(info.value)) == (kind, expected)


REJECTED = sorted(name for name, (kind, _) in EXPECTED.items() if kind != "ok")


@pytest.mark.parametrize("name", REJECTED)
def test_the_cli_rejects_with_exit_2_and_one_error_line(name, capsys, monkeypatch):
    monkeypatch.setenv("GENODASH_MAX_DECOMPRESSED_BYTES", str(1 << 20))
    monkeypatch.setenv("GENODASH_MAX_ARRAY_BYTES", str(1 << 30))
    assert main(["validate", str(DATA / name)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {EXPECTED[name][1]}\n"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.fa", "passwd.fa"),
        ("a\x00b.fa", "a?b.fa"),
        ("x" * 300 + ".fa", "x" * 38 + "…" + "x" * 35 + ".fa"),
    ],
)
def test_hostile_file_names_are_shown_not_used(name, shown):
    with pytest.raises(GenodashError) as info:
        read_dataset(RawFile(name, b">a\nAXGT\n"))
    assert str(info.value).startswith(f"{shown}: record 1 'a'")


# --- run files: a saved run with one thing changed -----------------------------------------


@pytest.fixture
def run_copy(trained_cnn, tmp_path):
    return runs.save_run(trained_cnn, tmp_path / "run")


def _replace(folder: Path, name: str, content: bytes) -> None:
    (folder / name).write_bytes(content)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[name] = runs._sha256(content)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _config(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text())


RUN_CASES = {
    "pickle_weights": (
        lambda f: _replace(f, "weights.safetensors", pickle.dumps({"w": 1})),
        "run: weights.safetensors is not a safetensors file",
    ),
    "text_weights": (
        lambda f: _replace(f, "weights.safetensors", b"not weights"),
        "run: weights.safetensors is not a safetensors file",
    ),
    "unknown_architecture": (
        lambda f: _replace(f, "config.json", json.dumps({**_config(f), "model": "gpt"}).encode()),
        "run: config.json names an unknown architecture 'gpt'",
    ),
    "shape_mismatch": (
        lambda f: _replace(
            f,
            "config.json",
            json.dumps(
                {**_config(f), "model_config": {**_config(f)["model_config"], "filters": 7}}
            ).encode(),
        ),
        "run: weights do not fit the architecture in config.json",
    ),
    "huge_setting": (
        lambda f: _replace(
            f,
            "config.json",
            json.dumps(
                {**_config(f), "model_config": {**_config(f)["model_config"], "filters": 200000}}
            ).encode(),
        ),
        "run: config.json: model 'cnn': filters must be between 4 and 512, got 200000",
    ),
    "huge_output_layer": (
        lambda f: _replace(
            f, "config.json", json.dumps({**_config(f), "n_outputs": 2**40}).encode()
        ),
        "run: weights do not fit the architecture in config.json (head.3.weight is 2 × 32",
    ),
    "linked_file": (
        lambda f: (
            shutil.move(f / "data.json", f.with_name("data.json")),
            (f / "data.json").symlink_to(f.with_name("data.json")),
        ),
        "run: data.json is a link; a run folder holds plain files only",
    ),
    "altered_without_manifest": (
        lambda f: (f / "metrics.json").write_text("{}"),
        "run: metrics.json does not match its checksum",
    ),
    "missing_manifest": (lambda f: os.remove(f / "manifest.json"), "run: has no manifest.json"),
    "config_not_json": (
        lambda f: _replace(f, "config.json", b"{not json"),
        "run: config.json is not valid JSON",
    ),
}


@pytest.mark.parametrize("case", sorted(RUN_CASES))
def test_damaged_or_hostile_runs_are_refused(run_copy, case):
    change, message = RUN_CASES[case]
    change(run_copy)
    with pytest.raises(RunError) as info:
        runs.load_run(run_copy)
    assert str(info.value).startswith(message)
    shutil.rmtree(run_copy)
