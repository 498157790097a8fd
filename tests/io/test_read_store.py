"""Converted read files: the same codes, labels, notes and errors as the in-memory readers,
block by block, with a cache keyed by content."""

from __future__ import annotations

import gzip
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from genodash.encoding import encode_codes
from genodash.errors import FormatError, InputError
from genodash.examples import write_read_file
from genodash.io import read_sequences
from genodash.io import read_store as store_module
from genodash.io.read_store import load_read_store, open_read_store

GOOD_FILES = {
    "labelled.fa": (
        ">r1 label=x\nACGT\nAC\n>r2 label=y\nGGGG\n>r3 label=x\nttAA\n>r4 label=y\nNNRY\n"
    ),
    "reads.fq": "# comment\n@r1\nACGT\n+\nIIII\n@r2\nGGUU\n+\n@@II\n",
    "wrapped.fq": "@r1\nAC\nGT\n+\nIIII\n@r2\nGG\n+\nII\n",
    "table.tsv": "SEQ\tLAB\nACGT\tA\nGGCC\tB\n#c\n\nTTTT\tA\n",
    "quoted.csv": 'id,SEQ,LAB\n1,"ACGT",A\n2, GGCC ,B\n',
    "crlf.csv": "SEQ,LAB\r\nACGT,A\r\nGGCC,B\r\n",
    "plain.txt": "ACGT\nGGCC\n# c\nTTTA\n",
}
BAD_FILES = {
    "protein.csv": "SEQ,LAB\nACGT,A\nGGXC,B\n",
    "space.fq": "@r1\nACGT\n+\nII I\n",
    "short.fq": "@r1\nACGT\n+\nIII\n",
    "headless.fa": "ACGT\n>r1\nAC\n",
    "nul.fa": ">r1\nAC\x00GT\n",
    "ragged.tsv": "id\tSEQ\tLAB\n1\tAC\tA\n2\tGG\n",
    "empty.fa": ">r1\n\n>r2\nAC\n",
    "nolabel.tsv": "SEQ\tLAB\nACGT\tA\nACGT\t\n",
}


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _same_as_in_memory(path: Path, cache: Path) -> None:
    reference = read_sequences(path)
    store = open_read_store(path, cache)
    length = int(reference.lengths.max())
    assert store.n_reads == reference.n_obs
    assert np.array_equal(
        store.encode(np.arange(store.n_reads), length),
        encode_codes(reference.sequences, length),
    )
    assert store.sequences(np.arange(store.n_reads)) == [
        s.replace("U", "T") for s in reference.sequences
    ]
    if reference.labels is None:
        assert store.labels is None and store.classes == []
    else:
        classes = reference.classes
        assert store.classes == classes
        position = {label: i for i, label in enumerate(classes)}
        assert np.array_equal(store.labels, [position[label] for label in reference.labels])


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_small_files_read_as_in_memory(tmp_path: Path, name: str) -> None:
    _same_as_in_memory(_write(tmp_path, name, GOOD_FILES[name]), tmp_path / "cache")


def test_conversion_notes_count_what_was_changed(tmp_path: Path) -> None:
    store = open_read_store(_write(tmp_path, "a.fa", GOOD_FILES["labelled.fa"]), tmp_path / "c")
    assert "upper-cased 1 records with lower-case bases" in store.notes
    assert "2 IUPAC ambiguity codes (R, Y, S, …) mapped to N" in store.notes
    rna = open_read_store(_write(tmp_path, "r.fq", GOOD_FILES["reads.fq"]), tmp_path / "c")
    assert "read as RNA: 2 U bases converted to T" in rna.notes


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_get_the_in_memory_message(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, BAD_FILES[name])
    with pytest.raises(InputError) as expected:
        read_sequences(path)
    with pytest.raises(InputError) as got:
        open_read_store(path, tmp_path / "cache")
    if name == "nolabel.tsv":
        assert "label column 'LAB' is empty" in str(got.value)
    else:
        assert str(got.value) == str(expected.value)
    assert not list((tmp_path / "cache").glob("*-*[!k]")), "no store is left behind"


@pytest.fixture(scope="module")
def big_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 25 MB: four blocks of the converter."""
    return write_read_file(tmp_path_factory.mktemp("big") / "reads.tsv", 220_000, seed=3)


def test_a_file_of_several_blocks_reads_as_in_memory(big_table: Path, tmp_path: Path) -> None:
    assert big_table.stat().st_size > 2 * store_module.BLOCK_BYTES
    _same_as_in_memory(big_table, tmp_path / "cache")


@pytest.mark.parametrize("fmt", ["tsv", "fastq", "fasta"])
def test_a_bad_record_deep_in_a_large_gzip_is_named(tmp_path: Path, fmt: str) -> None:
    path = write_read_file(tmp_path / f"reads.{fmt}", 120_000, fmt=fmt, seed=1)
    text = path.read_bytes()
    cut = len(text) * 3 // 4
    cut = text.index(b"\n", cut) + 1
    if fmt == "fastq":  # the next record's sequence line
        cut = text.index(b"\n", text.index(b"\n@read", cut) + 1) + 1
    elif fmt == "fasta":
        cut = text.index(b"\n", text.index(b"\n>read", cut) + 1) + 1
    damaged = text[:cut] + b"Z" + text[cut + 1 :]
    packed = tmp_path / f"reads.{fmt}.gz"
    packed.write_bytes(gzip.compress(damaged, compresslevel=1))
    with pytest.raises(FormatError) as expected:
        read_sequences(packed)
    with pytest.raises(FormatError) as got:
        open_read_store(packed, tmp_path / "cache")
    assert str(got.value) == str(expected.value)
    assert "invalid character 'Z'" in str(got.value)
    assert "line 1:" not in str(got.value)  # a place deep in the file, not the first block


def test_a_truncated_gzip_is_refused(tmp_path: Path, big_table: Path) -> None:
    packed = gzip.compress(big_table.read_bytes()[:3_000_000], compresslevel=1)
    path = _write(tmp_path, "cut.tsv.gz", packed[: len(packed) // 2])
    with pytest.raises(FormatError, match="gzip stream is truncated"):
        open_read_store(path, tmp_path / "cache")


def test_the_summary_matches_the_reads(tmp_path: Path) -> None:
    path = write_read_file(tmp_path / "r.fa", 3_000, fmt="fasta", seed=2)
    reference = read_sequences(path)
    summary = open_read_store(path, tmp_path / "cache").summary
    assert summary["classes"] == reference.class_counts()
    assert summary["n_reads"] == reference.n_obs
    assert summary["min_length"] == reference.lengths.min()
    assert summary["max_length"] == reference.lengths.max()
    joined = "".join(reference.sequences)
    assert summary["base_counts"] == {base: joined.count(base) for base in "ACGTN"}
    assert sum(summary["length_histogram"]["counts"]) == reference.n_obs
    first = reference.classes[0]
    mine = "".join(
        s for s, label in zip(reference.sequences, reference.labels, strict=True) if label == first
    )
    assert summary["base_counts_by_class"][first]["G"] == mine.count("G")
    gc_bins = [min(20 * (s.count("G") + s.count("C")) // len(s), 19) for s in reference.sequences]
    assert summary["gc_histogram"]["counts"] == np.bincount(gc_bins, minlength=20).tolist()


def test_the_cache_is_keyed_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "t.tsv", GOOD_FILES["table.tsv"])
    first = open_read_store(path, tmp_path / "cache")
    conversions = []
    original = store_module.convert_reads
    monkeypatch.setattr(
        store_module, "convert_reads", lambda *a, **k: conversions.append(1) or original(*a, **k)
    )
    again = open_read_store(path, tmp_path / "cache")
    assert again.folder == first.folder and conversions == []
    copy = _write(tmp_path, "copy.tsv", GOOD_FILES["table.tsv"])
    assert open_read_store(copy, tmp_path / "cache").folder == first.folder
    path.write_text(GOOD_FILES["table.tsv"] + "CCCC\tB\n")
    changed = open_read_store(path, tmp_path / "cache")
    assert changed.folder != first.folder and changed.n_reads == first.n_reads + 1
    assert conversions == [1]


def _convert(args: tuple[str, str]) -> tuple[str, int]:
    store = open_read_store(*args)
    return str(store.folder), int(store.offsets[-1])


def test_two_conversions_at_once_give_one_complete_store(big_table: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_convert, [(str(big_table), str(cache))] * 2)
    assert results[0] == results[1]
    stores = [p for p in cache.iterdir() if p.is_dir()]
    assert len(stores) == 1
    assert load_read_store(stores[0]).n_reads == 220_000


def test_encoded_views_are_lazy_and_slice_like_arrays(tmp_path: Path) -> None:
    store = open_read_store(_write(tmp_path, "t.tsv", GOOD_FILES["table.tsv"]), tmp_path / "c")
    view = store.view(np.arange(store.n_reads), 3, "right")
    subset = view[np.array([2, 0])]
    assert len(subset) == 2 and subset.shape == (2, 3)
    assert np.array_equal(subset[0:2], encode_codes(["TTTT", "ACGT"], 3, align="right"))


def test_a_gzip_file_is_judged_large_by_its_content(tmp_path, monkeypatch):
    from genodash.io import ReadOptions
    from genodash.io.read_store import is_large_read_file

    text = "SEQ\tLAB\n" + ("ACGT" * 50 + "\tA\n") * 400  # about 81 KB, compresses well
    packed = _write(tmp_path, "reads.tsv.gz", gzip.compress(text.encode()))
    monkeypatch.setattr(store_module, "LARGE_READ_FILE_BYTES", 50_000)
    assert packed.stat().st_size < 50_000
    assert is_large_read_file(packed, ReadOptions())
    plain = _write(tmp_path, "small.tsv", text[:1_000])
    assert not is_large_read_file(plain, ReadOptions())
