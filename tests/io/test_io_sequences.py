from __future__ import annotations

import gzip

import pytest

from genodash.errors import FormatError, GenodashError, LimitError
from genodash.io import RawFile, read_dataset, read_sequences
from genodash.limits import Limits

EXPECTED_LABELLED = {"bound": 2, "unbound": 2}


@pytest.mark.parametrize(
    "name", ["labelled.fa", "labelled.fa.gz", "crlf.fa", "cr.fa", "bom.fa", "utf16.fa"]
)
def test_fasta_variants_read_alike(data_dir, name):
    result = read_sequences(data_dir / name)
    assert result.format == "fasta"
    assert result.ids == ("s1", "s2", "s3", "s4")
    assert result.class_counts() == EXPECTED_LABELLED
    # wrapped lines joined, lower case upper-cased, IUPAC R and Y turned into N
    assert result.sequences[0] == "ACGTACGTACGTACGT"
    assert result.sequences[1] == "ACGTACGTACGTAC"
    assert result.sequences[2].endswith("AAAANN")
    assert result.meta["n_ambiguous_bases"] == 2


def test_fasta_notes_say_what_was_converted(data_dir):
    notes = " | ".join(read_sequences(data_dir / "labelled.fa").notes)
    assert "skipped 1 comment lines" in notes
    assert "upper-cased 1 records" in notes
    assert "2 IUPAC ambiguity codes" in notes
    assert "variable lengths: 14–18 bases" in notes


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("crlf.fa", "Windows line endings"),
        ("cr.fa", "old Mac line endings"),
        ("bom.fa", "removed a UTF-8 byte-order mark"),
        ("utf16.fa", "decoded from UTF-16"),
        ("labelled.fa.gz", "decompressed gzip"),
    ],
)
def test_encoding_and_line_endings_are_noted(data_dir, name, note):
    assert any(note in n for n in read_sequences(data_dir / name).notes)


def test_rna_is_read_as_dna_and_said(data_dir):
    result = read_sequences(data_dir / "rna.fa")
    assert result.sequences == ("ACGTTGCA", "TTTT")
    assert result.meta["n_rna_bases_converted"] == 6
    assert "read as RNA: 6 U bases converted to T" in result.notes


def test_fastq_plain_and_wrapped(data_dir):
    reads = read_sequences(data_dir / "reads.fq")
    assert reads.format == "fastq"
    assert reads.sequences == ("ACGT", "GGCCA", "TTAGA")
    assert reads.labels == ("a", "b", "a")
    wrapped = read_sequences(data_dir / "reads_wrapped.fq")
    assert wrapped.sequences == ("ACGTACGTAC", "GGCC")
    assert wrapped.labels is None


def test_fastq_quality_starting_with_at_sign_is_not_a_new_record(raw_file):
    result = read_sequences(raw_file("q.fq", "@r1\nACGT\n+\n@III\n@r2\nGG\n+\n##\n"))
    assert result.sequences == ("ACGT", "GG")


def test_tables_csv_and_tsv(data_dir):
    csv_result = read_sequences(data_dir / "table.csv")
    assert csv_result.class_counts() == {"no": 2, "yes": 2}
    assert csv_result.ids == ("1", "2", "3", "4")
    tsv_result = read_sequences(data_dir / "table.tsv")
    assert tsv_result.ids == ("read1", "read2")
    assert tsv_result.labels == ("yes", "no")


def test_table_with_chosen_columns(data_dir):
    result = read_sequences(
        data_dir / "custom_columns.csv", sequence_column="dna", label_column="kind"
    )
    assert result.sequences == ("ACGTAC", "GGGTTT", "CCCAAA")
    assert result.labels == ("p", "q", "p")
    assert result.ids == ("x1", "x2", "x3")


def test_table_unknown_column_lists_the_columns(data_dir):
    with pytest.raises(FormatError) as info:
        read_sequences(data_dir / "custom_columns.csv", sequence_column="dna", label_column="LAB")
    assert str(info.value) == (
        "custom_columns.csv: line 1 (header): no label column 'LAB'; "
        "columns found: 'name', 'dna', 'kind'"
    )


def test_plain_text_with_labels_file(data_dir):
    result = read_sequences(data_dir / "plain.txt", labels_file=data_dir / "plain_labels.txt")
    assert result.sequences == ("ACGTACGT", "TTTTAAAA", "GGGGCCCC")
    assert result.labels == ("pos", "neg", "pos")
    assert result.ids == ("1", "2", "3")


def test_labels_file_of_wrong_length(data_dir, raw_file):
    with pytest.raises(FormatError, match="has 2 labels but plain.txt has 3 sequences"):
        read_sequences(data_dir / "plain.txt", labels_file=raw_file("l.txt", "a\nb\n"))


def test_uploads_are_one_data_set_only_when_meant_to_be(data_dir):
    from genodash.io import read_upload

    def raw(name, source):
        return RawFile(name, (data_dir / source).read_bytes())

    per_class = read_upload([raw("bound.fa", "bound.fa"), raw("unbound.fa", "unbound.fa")])
    assert per_class.classes == ["bound", "unbound"]
    assert per_class.notes[0] == "one class per file: bound ← bound.fa, unbound ← unbound.fa"
    mixed = read_upload([raw("a.fa", "labelled.fa"), raw("b.csv", "table.csv")])
    assert mixed.name == "b.csv" and mixed.format == "table"
    assert mixed.notes[0].startswith("read only b.csv, the newest of the 2 uploaded files")
    assert mixed.notes[0].endswith("Left out: a.fa")
    labelled = read_upload([raw("x.fa", "labelled.fa"), raw("y.fa", "labelled.fa")])
    assert labelled.name == "y.fa" and "Left out: x.fa" in labelled.notes[0]
    matrices = read_upload([raw("m.csv", "matrix.csv"), raw("n.tsv", "matrix.tsv")])
    assert matrices.name == "n.tsv"


def test_files_read_together_must_each_be_one_class(data_dir):
    with pytest.raises(FormatError) as error:
        read_sequences([data_dir / "bound.fa", data_dir / "labelled.fa"])
    assert str(error.value) == (
        "files read together must each hold one class, but labelled.fa carries labels of its "
        "own. Read a labelled file on its own, or merge the files into one before reading"
    )


def test_one_class_per_file(data_dir):
    result = read_sequences([data_dir / "bound.fa", data_dir / "unbound.fa"])
    assert result.class_counts() == {"bound": 2, "unbound": 3}
    assert result.ids[0] == "bound.fa:b1"
    assert any(
        "one class per file: bound ← bound.fa, unbound ← unbound.fa" in n for n in result.notes
    )


def test_duplicate_ids_are_made_unique_and_noted(raw_file):
    result = read_sequences(raw_file("d.fa", ">x\nACGT\n>x\nGGGG\n>x\nTTTT\n"))
    assert result.ids == ("x", "x-1", "x-2")
    assert "2 duplicate IDs made unique by adding -1, -2, …" in result.notes


BAD_FILES = {
    "protein.fa": "protein.fa: record 1 'p1' (line 1): invalid character 'I' (not a nucleotide; "
    "protein sequences are not supported) at position 6 (line 2, column 6). Sequences may hold "
    "A, C, G, T, U, N and IUPAC ambiguity codes only",
    "digits.fa": "digits.fa: record 1 'd1' (line 1): invalid character '1' (a digit) at "
    "position 7 (line 3, column 3). Sequences may hold A, C, G, T, U, N and IUPAC ambiguity "
    "codes only",
    "empty_record.fa": "empty_record.fa: record 2 'e2' (line 3): has a header but no sequence. "
    "Remove the empty record or add its sequence",
    "no_header.fa": "no_header.fa: line 1: sequence data before the first '>' header. A FASTA "
    "file starts each record with a '>' header line",
    "partial_labels.fa": "partial_labels.fa: record 2 'b': has no label while other records do. "
    "Give every record a label (label=X in the header, or a label column)",
    "missing_plus.fq": "missing_plus.fq: record 1 'r1' (line 1): no '+' line before the next "
    "record at line 4. Each FASTQ record is '@id', sequence, '+', quality",
    "qual_mismatch.fq": "qual_mismatch.fq: record 1 'r1' (line 1): quality length (4) differs "
    "from sequence length (5); a line may be missing or cut short. The file may be truncated or "
    "corrupt",
    "truncated.fq": "truncated.fq: record 2 'r2' (line 5): truncated: the file ends before the "
    "'+' line and quality",
    "ragged.csv": "ragged.csv: row 2 (line 3): has 3 fields but the header has 2. Check for a "
    "missing or extra delimiter on that line",
    "missing_label.csv": "missing_label.csv: row 2 (line 3): the label column 'LAB' is empty. "
    "Give every row a label, or remove the rows without one",
    "empty.fa": "empty.fa: contains no sequences",
    "binary.fa": "binary.fa: looks binary, not text: NUL byte at offset 5 (line 2). Give a text "
    "file (FASTA, FASTQ, CSV or TSV), optionally gzip-compressed",
    "not_gzip.fa.gz": "not_gzip.fa.gz: name ends in .gz but the content is not gzip-compressed. "
    "Rename the file without .gz, or compress it with gzip",
    "truncated.fa.gz": "truncated.fa.gz: gzip stream is truncated (the file ends early); nothing "
    "was loaded. Download or copy the file again",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_sequence_files_give_exact_messages(data_dir, name):
    with pytest.raises(FormatError) as info:
        read_dataset(data_dir / name)
    assert str(info.value) == BAD_FILES[name]


def test_truncated_gzip_never_gives_partial_data(raw_file):
    many = "".join(f">s{i}\nACGTACGTAC\n" for i in range(2000)).encode()
    compressed = gzip.compress(many)
    for cut in (len(compressed) // 3, len(compressed) - 10):
        with pytest.raises(FormatError, match="truncated"):
            read_sequences(raw_file("x.fa.gz", compressed[:cut]))


def test_concatenated_gzip_members_are_all_read(raw_file):
    data = gzip.compress(b">a\nACGT\n") + gzip.compress(b">b\nGGCC\n")
    assert read_sequences(raw_file("two.fa.gz", data)).ids == ("a", "b")


def test_decompression_bomb_stops_at_the_limit(raw_file):
    bomb = gzip.compress(b">a\n" + b"A" * 5_000_000)
    with pytest.raises(LimitError, match="decompresses to more than 1.0 MiB"):
        read_sequences(raw_file("bomb.fa.gz", bomb), limits=Limits(max_decompressed_bytes=2**20))


def test_record_and_length_limits(raw_file):
    with pytest.raises(LimitError, match="more than 2 records"):
        read_sequences(raw_file("x.fa", ">a\nA\n>b\nC\n>c\nG\n"), limits=Limits(max_records=2))
    with pytest.raises(LimitError, match="sequence of 11 bases, above the limit of 10"):
        read_sequences(raw_file("x.fa", ">a\nACGTACGTACG\n"), limits=Limits(max_sequence_length=10))


def test_file_size_limit(raw_file):
    with pytest.raises(LimitError, match="above the limit of 10 B"):
        read_sequences(raw_file("x.fa", ">a\nACGTACGTACG\n"), limits=Limits(max_file_bytes=10))


def test_upload_names_are_shown_without_directories(raw_file):
    with pytest.raises(GenodashError) as info:
        read_sequences(RawFile("../../etc/evil.fa", b">a\nXYZ\n"))
    assert str(info.value).startswith("evil.fa: record 1")
