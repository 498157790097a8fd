"""AppTest: the Data page's "Server data folder" tab, present only with GENODASH_DATA_DIR."""

from __future__ import annotations

import pytest

from genodash.limits import DATA_DIR
from support import open_page, summary_metrics
from ui.data_folder import TAB

FASTA = ">r1 label=virus\nACGTACGTAA\n>r2 label=human\nGGCCGGCCAT\n>r3 label=virus\nACGTTT\n"
CSV = "SEQ,LAB\nACGTACGT,a\nGGGCCCAA,b\nACGTTTGA,a\nTTTTAAAA,b\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A data folder with a tiny FASTA, a tiny CSV table of sequences and a broken file."""
    (tmp_path / "reads").mkdir()
    (tmp_path / "small.fa").write_text(FASTA)
    (tmp_path / "reads" / "table.csv").write_text(CSV)
    (tmp_path / "broken.fq").write_text("@r1\nACGT\n+\nII\n")  # quality shorter than bases
    monkeypatch.setenv(DATA_DIR, str(tmp_path))
    return tmp_path


def _tab_labels(at) -> list[str]:
    return [tab.label for tab in at.tabs]


def test_the_tab_lists_the_folder_files_with_sizes_and_kinds(folder):
    at = open_page("pages/1_Data.py")
    assert not at.exception
    assert TAB in _tab_labels(at)
    (table,) = [t.value for t in at.dataframe if "Kind" in t.value.columns]
    assert list(table["File"]) == ["broken.fq", "small.fa", "reads/table.csv"]
    assert list(table["Size"]) == ["14 B", f"{len(FASTA)} B", f"{len(CSV)} B"]
    assert list(table["Kind"]) == ["sequences", "sequences", "table (sequences or matrix)"]
    assert at.selectbox(key="folder-file").options == list(table["File"])


@pytest.mark.parametrize(
    ("name", "reads", "classes"),
    [("small.fa", "3", ["human", "virus"]), ("reads/table.csv", "4", ["a", "b"])],
)
def test_opening_a_file_makes_it_the_dataset(folder, name, reads, classes):
    at = open_page("pages/1_Data.py")
    at.selectbox(key="folder-file").set_value(name)
    at.button(key="folder-open").click().run()
    assert not at.exception
    dataset = at.session_state["dataset"]
    assert dataset.name == name.split("/")[-1]
    assert dataset.classes == classes
    assert at.session_state["dataset_origin"] == "data folder"
    assert summary_metrics(at)["Sequences"] == reads
    assert any("Loaded" in s.value for s in at.success)


def test_a_file_that_cannot_be_read_is_a_message_and_the_data_stays(folder):
    at = open_page("pages/1_Data.py")
    before = at.session_state["dataset"]
    at.selectbox(key="folder-file").set_value("broken.fq")
    at.button(key="folder-open").click().run()
    assert not at.exception
    assert at.session_state["dataset"] is before
    (error,) = at.error
    assert "This file was not loaded" in error.value and "broken\\.fq" in error.value


def test_the_folder_reading_options_are_used(folder):
    (folder / "custom.csv").write_text("dna,kind\nACGTACGT,p\nGGGCCCAA,q\nACGTTTGA,p\n")
    at = open_page("pages/1_Data.py")
    at.text_input(key="folder-read-seq").set_value("dna")
    at.text_input(key="folder-read-label").set_value("kind")
    at.selectbox(key="folder-file").set_value("custom.csv")
    at.button(key="folder-open").click().run()
    assert not at.exception
    assert at.session_state["dataset"].classes == ["p", "q"]


def test_without_the_variable_there_is_no_folder_tab(monkeypatch):
    monkeypatch.delenv(DATA_DIR, raising=False)
    at = open_page("pages/1_Data.py")
    assert not at.exception
    assert TAB not in _tab_labels(at) and len(_tab_labels(at)) >= 2
    assert not [b for b in at.button if b.key == "folder-open"]


def test_a_matrix_with_genes_as_rows_asks_then_opens_transposed(folder, data_dir):
    (folder / "genes.csv").write_bytes((data_dir / "genes_as_rows.csv").read_bytes())
    at = open_page("pages/1_Data.py")
    at.selectbox(key="folder-file").set_value("genes.csv")
    at.button(key="folder-open").click().run()
    assert "looks like genes are rows" in at.error[0].value
    at.button(key="folder-orient-transpose").click().run()
    assert not at.exception
    assert at.session_state["folder-read-orientation"] == "Genes are rows: transpose"
    metrics = summary_metrics(at)
    assert (metrics["Cells"], metrics["Genes"]) == ("6", "5")


def test_a_large_read_file_is_converted_and_summarised_whole(folder, tmp_path_factory, monkeypatch):
    from genodash.examples import write_read_file
    from genodash.io import data_folder, read_store
    from genodash.limits import CACHE_DIR

    write_read_file(folder / "big.tsv", 3_000, seed=4)
    monkeypatch.setattr(read_store, "LARGE_READ_FILE_BYTES", 1_000)
    monkeypatch.setattr(data_folder, "SAMPLE_READS", 500)
    monkeypatch.setenv(CACHE_DIR, str(tmp_path_factory.mktemp("cache")))
    at = open_page("pages/1_Data.py")
    at.selectbox(key="folder-file").set_value("big.tsv")
    at.button(key="folder-open").click().run()
    assert not at.exception
    dataset = at.session_state["dataset"]
    assert dataset.n_obs == 500 and "read_store" in dataset.meta
    assert any("all 3,000 reads of the file" in c.value for c in at.caption)
    charts = at.get("plotly_chart")
    assert len(charts) >= 4
    assert dataset.classes == ["genome_A", "genome_B", "genome_C", "genome_D"]
    assert summary_metrics(at)["Reads in the file"] == "3,000"
