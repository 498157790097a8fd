"""The server data folder: its listing, and names from the browser that must stay inside it."""

from __future__ import annotations

import os

import pytest

from genodash.errors import FormatError, InputError, LimitError
from genodash.io import read_options_from_text
from genodash.io.data_folder import (
    DataFile,
    file_kind,
    list_data_folder,
    read_folder_file,
    resolve_in_data_folder,
)
from genodash.limits import DATA_DIR, Limits, cache_dir, data_dir


@pytest.fixture
def folder(tmp_path):
    """A data folder with files at the top, in a sub-folder, hidden ones and a secret
    beside it (outside)."""
    root = tmp_path / "data"
    (root / "reads").mkdir(parents=True)
    (root / "small.fa").write_text(">a\nACGT\n")
    (root / "expr.csv").write_text("cell,g1\nc1,1\n")
    (root / "reads" / "big.fq.gz").write_bytes(b"\x1f\x8b" + bytes(10))
    (root / "notes.pdf").write_bytes(b"%PDF")
    (root / ".hidden.fa").write_text(">h\nA\n")
    (root / ".cache").mkdir()
    (root / ".cache" / "x.fa").write_text(">x\nA\n")
    (tmp_path / "secret.fa").write_text(">s\nACGT\n")
    return root


def test_listing_names_sizes_and_kinds_top_files_first_hidden_left_out(folder):
    listing = list_data_folder(folder)
    assert listing.complete and listing.note is None
    assert listing.files == (
        DataFile("expr.csv", 13, "table"),
        DataFile("notes.pdf", 4, "other"),
        DataFile("small.fa", 8, "sequences"),
        DataFile("reads/big.fq.gz", 12, "sequences"),
    )
    assert listing.files[0].size_text == "13 B"


def test_listing_is_capped_with_a_note(folder):
    listing = list_data_folder(folder, most=2)
    assert [f.name for f in listing.files] == ["expr.csv", "notes.pdf"]
    assert not listing.complete and "first 2 files" in listing.note


def test_listing_an_empty_folder_says_so(tmp_path):
    listing = list_data_folder(tmp_path)
    assert listing.files == () and "no files" in listing.note


def test_listing_leaves_out_links_that_lead_out_and_keeps_links_inside(folder):
    os.symlink(folder.parent / "secret.fa", folder / "out.fa")
    os.symlink(folder / "small.fa", folder / "alias.fa")
    os.symlink(folder.parent, folder / "up")  # a linked folder is not followed
    names = [f.name for f in list_data_folder(folder).files]
    assert "alias.fa" in names
    assert "out.fa" not in names and not any(n.startswith("up/") for n in names)


def test_kinds_guessed_from_the_name():
    assert [file_kind(n) for n in ("A.FASTA", "r.fastq.gz", "x.txt", "m.h5ad", "m.mtx.gz")] == [
        "sequences",
        "sequences",
        "sequences",
        "matrix",
        "matrix",
    ]
    assert (file_kind("reads.tsv.gz"), file_kind("x.bam")) == ("table", "other")


def test_a_listed_file_resolves_inside_the_folder(folder):
    assert resolve_in_data_folder("small.fa", folder) == (folder / "small.fa").resolve()
    found = resolve_in_data_folder("reads/big.fq.gz", folder)
    assert found == (folder / "reads" / "big.fq.gz").resolve()


def test_a_link_inside_pointing_inside_is_fine(folder):
    os.symlink(folder / "reads" / "big.fq.gz", folder / "alias.fq.gz")
    assert resolve_in_data_folder("alias.fq.gz", folder) == (folder / "reads/big.fq.gz").resolve()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../secret.fa", "goes out of the server data folder"),
        ("reads/../../secret.fa", "goes out of the server data folder"),
        ("..\\secret.fa", "goes out of the server data folder"),
        ("/etc/passwd", "is an absolute path"),
        ("\\etc\\passwd", "is an absolute path"),
        ("C:\\secret.fa", "is an absolute path"),
        (".hidden.fa", "hidden file"),
        ("missing.fa", "is not in the server data folder"),
        ("reads", "is a folder, not a file"),
        ("", "is not a file name"),
        (".", "is not a file name"),
        ("a\x00b", "is not a file name"),
    ],
)
def test_names_outside_or_not_files_are_refused(folder, name, says):
    with pytest.raises(InputError, match=says):
        resolve_in_data_folder(name, folder)


def test_an_absolute_path_to_a_file_inside_is_still_refused(folder):
    with pytest.raises(InputError, match="absolute path"):
        resolve_in_data_folder(str(folder / "small.fa"), folder)


def test_a_link_pointing_out_is_refused_without_showing_the_server_path(folder):
    os.symlink(folder.parent / "secret.fa", folder / "out.fa")
    os.symlink(folder.parent, folder / "up")
    for name in ("out.fa", "up/secret.fa"):
        with pytest.raises(InputError, match="link to a place outside") as caught:
            resolve_in_data_folder(name, folder)
        assert str(folder.parent) not in str(caught.value)


def test_a_looping_link_is_refused(folder):
    os.symlink(folder / "loop.fa", folder / "loop.fa")
    with pytest.raises(InputError):
        resolve_in_data_folder("loop.fa", folder)
    assert "loop.fa" not in [f.name for f in list_data_folder(folder).files]


def test_control_characters_in_a_name_are_not_echoed(folder):
    with pytest.raises(InputError) as caught:
        resolve_in_data_folder("bad\x1b[31mname.fa", folder)
    assert "\x1b" not in str(caught.value)


def test_the_folder_comes_from_the_environment_and_is_off_by_default(folder, monkeypatch):
    monkeypatch.delenv(DATA_DIR, raising=False)
    assert data_dir() is None
    with pytest.raises(InputError, match="no server data folder is set"):
        resolve_in_data_folder("small.fa")
    monkeypatch.setenv(DATA_DIR, "")
    assert data_dir() is None
    monkeypatch.setenv(DATA_DIR, str(folder))
    assert data_dir() == folder
    assert resolve_in_data_folder("small.fa") == (folder / "small.fa").resolve()
    assert "small.fa" in [f.name for f in list_data_folder().files]


def test_a_data_folder_that_is_not_a_folder_is_a_clear_error(folder):
    with pytest.raises(InputError, match="not a folder that can be read"):
        list_data_folder(folder / "small.fa")


def test_cache_dir_reads_its_variable_or_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("GENODASH_CACHE_DIR", raising=False)
    assert cache_dir(tmp_path / "default") == tmp_path / "default"
    monkeypatch.setenv("GENODASH_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert cache_dir(tmp_path / "default") == tmp_path / "elsewhere"


def test_a_folder_file_is_read_in_the_reader_process_like_an_upload(folder):
    dataset = read_folder_file(resolve_in_data_folder("small.fa", folder))
    assert (dataset.name, dataset.sequences) == ("small.fa", ("ACGT",))
    (folder / "custom.tsv").write_text("dna\tkind\nACGT\tp\nGGCC\tq\n")
    options = read_options_from_text(sequence_column="dna", label_column="kind")
    table = read_folder_file(folder / "custom.tsv", options)  # the options reach the reader
    assert (table.sequences, table.classes) == (("ACGT", "GGCC"), ["p", "q"])


def test_a_folder_file_over_a_limit_or_broken_is_a_clear_error(folder):
    with pytest.raises(LimitError, match="small.fa"):
        read_folder_file(folder / "small.fa", limits=Limits(max_file_bytes=4))
    (folder / "bad.fq").write_text("@r1\nACGT\n+\nII\n")
    with pytest.raises(FormatError, match=r"bad\.fq: record 1"):
        read_folder_file(folder / "bad.fq")
