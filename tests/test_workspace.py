"""A workspace's kept data set and its read-only share token."""

from __future__ import annotations

from pathlib import Path

from genodash.io import RawFile, ReadOptions
from genodash.workspace import (
    KEPT_DATA,
    KeptData,
    forget_data,
    keep_data,
    kept_data,
    share_token,
    workspace_of_share,
)

FASTA = RawFile("reads.fa", b">a\nACGT\n>b\nGGCC\n")
LABELS = RawFile("labels.csv", b"name,LAB\na,x\nb,y\n")


def test_an_upload_comes_back_with_its_names_and_options(tmp_path: Path) -> None:
    options = ReadOptions(kind="sequences", label_column="LAB", metadata_columns=("site",))
    options_with_labels = ReadOptions(**{**vars(options), "labels_file": LABELS})
    assert keep_data(
        tmp_path, KeptData("upload", (FASTA,), "reads.fa", options_with_labels), 10_000
    )
    kept = kept_data(tmp_path)
    assert kept == KeptData("upload", (FASTA,), "reads.fa", options_with_labels)


def test_the_latest_set_replaces_the_one_before_and_can_be_forgotten(tmp_path: Path) -> None:
    keep_data(tmp_path, KeptData("upload", (FASTA,), "reads.fa", ReadOptions()), 10_000)
    other = RawFile("other.fa", b">c\nTTTT\n")
    keep_data(tmp_path, KeptData("upload", (other,), "other.fa", ReadOptions()), 10_000)
    kept = kept_data(tmp_path)
    assert kept is not None and kept.files == (other,)
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEPT_DATA]  # no leftovers
    forget_data(tmp_path)
    assert kept_data(tmp_path) is None


def test_a_set_over_the_limit_is_not_kept_and_the_old_one_goes(tmp_path: Path) -> None:
    keep_data(tmp_path, KeptData("upload", (FASTA,), "reads.fa", ReadOptions()), 10_000)
    assert not keep_data(tmp_path, KeptData("upload", (FASTA,), "reads.fa", ReadOptions()), 5)
    assert kept_data(tmp_path) is None


def test_a_damaged_kept_set_reads_as_none(tmp_path: Path) -> None:
    keep_data(tmp_path, KeptData("upload", (FASTA,), "reads.fa", ReadOptions()), 10_000)
    (tmp_path / KEPT_DATA / "file-0").unlink()
    assert kept_data(tmp_path) is None


def test_a_share_token_finds_its_workspace_only(tmp_path: Path) -> None:
    mine, other = tmp_path / "0123456789ab", tmp_path / "ba9876543210"
    mine.mkdir()
    other.mkdir()
    token = share_token(tmp_path, mine.name)
    assert token == share_token(tmp_path, mine.name) != share_token(tmp_path, other.name)
    assert token not in (mine.name, other.name)
    assert workspace_of_share(tmp_path, token) == mine
    assert workspace_of_share(tmp_path, "ffffffffffff") is None
    assert workspace_of_share(tmp_path, "../etc") is None
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [".share-key"]


def test_share_tokens_differ_between_servers(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert share_token(tmp_path / "a", "0123456789ab") != share_token(
        tmp_path / "b", "0123456789ab"
    )


def test_a_workspace_without_a_folder_yet_is_found_among_the_given_ones(tmp_path: Path) -> None:
    (tmp_path / "ba9876543210").mkdir()
    token = share_token(tmp_path, "0123456789ab")
    assert workspace_of_share(tmp_path, token) is None
    found = workspace_of_share(tmp_path, token, also=["0123456789ab"])
    assert found == tmp_path / "0123456789ab"
