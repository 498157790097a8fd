"""AppTest: every page runs, and the data page loads examples and uploads."""

from __future__ import annotations

import pytest

import ui
from support import open_page, summary_metrics, upload

PAGES = [info.path for info in ui.PAGES]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_without_exceptions(path):
    at = open_page(path)
    assert not at.exception
    titles = {info.path: info.label for info in ui.PAGES}
    assert at.title[0].value.endswith("genodash" if path == "app.py" else titles[path])
    assert any("What this page teaches" in e.label for e in at.expander)


def test_home_shows_course_map_device_and_data():
    at = open_page("app.py")
    text = " ".join(m.value for m in at.markdown)
    assert "Course map" in " ".join(s.value for s in at.subheader)
    assert "Planted motif" in text
    assert "CPU" in text or "GPU" in text
    assert "Uploads up to 512 MB" in " ".join(c.value for c in at.caption)


def test_data_page_starts_with_the_default_example():
    at = open_page("pages/1_Data.py")
    metrics = summary_metrics(at)
    assert metrics["Sequences"] == "2,000"
    assert metrics["Classes"] == "2"


def test_loading_the_pbmc_example_shows_a_matrix_summary():
    at = open_page("pages/1_Data.py")
    at.selectbox[0].set_value("pbmc68k").run()
    at.button[0].click().run()
    assert not at.exception
    metrics = summary_metrics(at)
    assert (metrics["Cells"], metrics["Genes"]) == ("700", "765")
    assert metrics["Values"] == "scaled"


def test_example_controls_change_the_data():
    at = open_page("pages/1_Data.py")
    at.number_input(key="ex-planted-motif-n").set_value(300)
    at.number_input(key="ex-planted-motif-length").set_value(80)
    at.button[0].click().run()
    metrics = summary_metrics(at)
    assert metrics["Sequences"] == "300"
    assert metrics["Length"] == "80 bp"  # one length for all: no "80–80"


def test_bad_example_control_is_a_message():
    at = open_page("pages/1_Data.py")
    at.text_input(key="ex-planted-motif-motif").set_value("HELLO")
    at.button[0].click().run()
    assert not at.exception
    assert "motif 'HELLO' must use" in at.error[0].value
    assert summary_metrics(at)["Sequences"] == "2,000"


def test_upload_fasta_shows_its_summary(data_dir):
    at = upload(
        open_page("pages/1_Data.py"), ("labelled.fa.gz", (data_dir / "labelled.fa.gz").read_bytes())
    )
    assert not at.exception
    metrics = summary_metrics(at)
    assert metrics["Sequences"] == "4"
    assert metrics["Length range"] == "14–18 bp"
    assert at.subheader[-1].value == r"Summary: labelled\.fa\.gz"  # escaped markdown
    assert any("What the loader did" in i.value for i in at.info)


def test_bad_upload_keeps_the_previous_data(data_dir):
    at = upload(
        open_page("pages/1_Data.py"), ("protein.fa", (data_dir / "protein.fa").read_bytes())
    )
    assert not at.exception
    assert "previous data is still in use" in at.error[0].value
    assert "invalid character 'I'" in at.error[0].value
    assert summary_metrics(at)["Sequences"] == "2,000"
    status, kept = at.session_state["upload_outcome"]
    assert status == "error" and isinstance(kept, str)  # the message, not the error and its data


def test_one_class_per_file_upload(data_dir):
    at = upload(
        open_page("pages/1_Data.py"),
        ("bound.fa", (data_dir / "bound.fa").read_bytes()),
        ("unbound.fa", (data_dir / "unbound.fa").read_bytes()),
    )
    assert summary_metrics(at)["Sequences"] == "5"
    assert summary_metrics(at)["Classes"] == "2"


def test_a_second_upload_of_another_kind_replaces_the_first(data_dir):
    at = upload(
        open_page("pages/1_Data.py"),
        ("a.fa", (data_dir / "labelled.fa").read_bytes()),
        ("b.csv", (data_dir / "table.csv").read_bytes()),
    )
    assert not at.exception
    dataset = at.session_state["dataset"]
    assert dataset.name == "b.csv" and dataset.format == "table"
    notes = " ".join(info.value for info in at.info)
    assert "read only b.csv, the newest of the 2 uploaded files" in notes.replace("\\", "")


def test_genes_as_rows_upload_asks_and_transposes(data_dir):
    at = upload(
        open_page("pages/1_Data.py"), ("genes.csv", (data_dir / "genes_as_rows.csv").read_bytes())
    )
    assert "looks like genes are rows" in at.error[0].value
    transpose = next(b for b in at.button if b.label == "Genes are rows: transpose")
    transpose.click().run()
    assert not at.exception
    metrics = summary_metrics(at)
    assert (metrics["Cells"], metrics["Genes"]) == ("6", "5")


def test_summary_download_is_the_json_summary():
    at = open_page("pages/1_Data.py")
    downloads = [d for d in at.get("download_button") if "-slide-" not in (d.key or "")]
    assert len(downloads) == 3
    labels = [d.proto.label for d in downloads]
    assert "Download summary (JSON)" in labels


def test_user_text_is_escaped_in_messages(data_dir):
    at = upload(open_page("pages/1_Data.py"), ("**bold**_[x](y).fa", b">a\nAXC\n"))
    message = at.error[0].value
    assert r"\*\*bold\*\*\_\[x\]\(y\)\.fa" in message


def test_a_workspace_token_must_match_whole():
    assert ui.state._WORKSPACE.fullmatch("0123456789ab")
    for forged in ("0123456789ab\n", "0123456789ab/..", "../0123456789", "0123456789AB"):
        assert not ui.state._WORKSPACE.fullmatch(forged)
