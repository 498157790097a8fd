"""AppTest: the Data page's reading options reach the reader (column names, labels file)."""

from __future__ import annotations

from support import open_page, summary_metrics, upload


def test_typed_column_names_are_used_blanks_and_spaces_ignored(data_dir):
    at = open_page("pages/1_Data.py")
    at.text_input(key="read-seq").set_value(" dna ")
    at.text_input(key="read-label").set_value("kind ")
    at = upload(at.run(), ("c.csv", (data_dir / "custom_columns.csv").read_bytes()))
    assert not at.exception
    assert (summary_metrics(at)["Sequences"], summary_metrics(at)["Classes"]) == ("3", "2")
    assert at.session_state["dataset"].classes == ["p", "q"]


def test_a_labels_file_labels_plain_text(data_dir):
    at = open_page("pages/1_Data.py")
    labels = ("labels.txt", (data_dir / "plain_labels.txt").read_bytes(), "text/plain")
    at.file_uploader(key="labels-upload").set_value(labels)
    at = upload(at.run(), ("plain.txt", (data_dir / "plain.txt").read_bytes()))
    assert not at.exception
    assert summary_metrics(at)["Classes"] == "2"
