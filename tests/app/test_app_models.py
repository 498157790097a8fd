"""AppTest of the model pages: train, compare, interpret, runs."""

from __future__ import annotations

import pytest

import ui
from genodash.errors import WorkerFailed
from support import has_subheader, open_page, small_dataset, summary_metrics, train_cnn, until


@pytest.fixture(autouse=True)
def isolated_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ui.state, "RUNS_ROOT", tmp_path / "runs")


def test_train_page_trains_and_shows_results():
    at = train_cnn(epochs=12)
    assert not at.exception
    metrics = summary_metrics(at)
    assert metrics["Epochs (best)"].startswith("12")
    assert float(metrics["Test accuracy"].rstrip("%")) > 80
    assert any("Saved as run" in c.value for c in at.caption)


def test_train_page_shows_split_layers_and_settings():
    at = small_dataset(open_page("pages/3_Train.py"))
    split = at.dataframe[0].value
    assert split.loc["all classes"].sum() == 300
    assert any("parameters" in e.label for e in at.expander)
    at.selectbox(key="train-model").set_value("transformer").run()
    at.number_input(key="train-transformer-heads").set_value(5).run()
    assert "not divisible" in at.error[0].value


def test_settings_over_the_job_memory_are_refused_and_no_model_is_built(monkeypatch):
    from genodash.train import sequence

    monkeypatch.setenv("GENODASH_MAX_JOB_MEMORY_BYTES", str(50 * 1024**2))
    monkeypatch.setattr(sequence, "build_model", lambda *a, **k: pytest.fail("built a model"))
    at = small_dataset(open_page("pages/3_Train.py"))
    assert any("One training step needs about" in c.value for c in at.caption)
    assert not at.button(key="start-training").disabled
    at.number_input(key="train-cnn-filters").set_value(512).run()
    at.number_input(key="train-batch").set_value(4096).run()
    assert not at.exception
    message = at.error[0].value
    assert "need more memory than a job may use" in message
    assert "a batch size of at most" in message
    assert at.button(key="start-training").disabled
    assert any("Layers:" in e.label for e in at.expander)  # drawn from the meta model


def test_a_job_that_fails_before_saving_a_run_says_so_on_the_page(monkeypatch):
    from genodash.train import worker

    def crash(task, relay, *, memory):
        raise WorkerFailed("the training process ended unexpectedly")

    monkeypatch.setattr(worker.POOL, "run", crash)
    at = small_dataset(open_page("pages/3_Train.py"))
    at.button(key="start-training").click().run()
    until(at, lambda at: any("Training failed" in e.value for e in at.error))
    assert "the training process ended unexpectedly" in at.error[0].value
    assert not at.button(key="start-training").disabled  # one can try again


def test_unlabelled_data_gets_a_message():
    from dataclasses import replace

    at = open_page("pages/3_Train.py")
    at.session_state["dataset"] = replace(at.session_state["dataset"], labels=None)
    at.run()
    assert not at.exception
    assert "has no labels" in at.error[0].value


def test_compare_page_trains_models_on_one_split():
    at = small_dataset(open_page("pages/4_Compare.py"))
    at.multiselect(key="compare-models").set_value(["cnn", "transformer"])
    at.number_input(key="compare-epochs").set_value(2)
    at.button(key="start-compare").click().run()
    until(at, has_subheader("Leaderboard"))
    table = at.dataframe[0].value
    assert sorted(table["Model"]) == ["CNN", "Transformer"]
    assert set(table["Epochs"]) == {2}
    assert set(table["Best epoch"]) <= {1, 2}
    assert all(title.startswith(("CNN on ", "Transformer on ")) for title in table["Run"])
    warning = next(w.value for w in at.warning if "too little training" in w.value)
    assert "limit of 2 epochs" in warning or "trained only 2 epochs" in warning


def test_interpret_and_runs_pages_after_training():
    at = train_cnn(epochs=4)
    at.switch_page("pages/5_Interpret.py").run()
    assert not at.exception
    assert at.get("plotly_chart")  # saliency and ISM
    at.segmented_control(key="interpret-view").set_value("Across sequences").run()
    assert any("planted motif" in m.label for m in at.metric)
    at.segmented_control(key="interpret-view").set_value("Filters as motifs").run()
    assert not at.exception and len(at.image) >= 4
    assert any("was made up" in box.value for box in at.info)  # the default motif is synthetic
    assert at.selectbox(key="interpret-taxon").value == "vertebrates"
    lines = [c.value for c in at.caption if "JASPAR" in c.value]
    assert any("p = " in line for line in lines) and "of vertebrates" in lines[-1]
    at.selectbox(key="interpret-taxon").set_value("plants").run()
    assert "of plants" in [c.value for c in at.caption if "JASPAR" in c.value][-1]
    at.segmented_control(key="interpret-view").set_value("Attention").run()
    assert "Transformer only" in at.info[0].value

    at.switch_page("pages/6_Runs.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1
    upload = at.file_uploader(key=f"predict-{at.session_state['runs-selected']}")
    upload.set_value([("new.fa", b">x\nACGTACGTTTTTTTTT\n>y\nGGGGCCCCAAAA\n", "text/plain")])
    at.run()
    assert any("Predicted 2 sequences" in s.value for s in at.success)
    bad = at.file_uploader(key=f"predict-{at.session_state['runs-selected']}")
    bad.set_value([("bad.fa", b">x\nMKLV\n", "text/plain")]).run()
    assert "No predictions were made" in at.error[0].value


@pytest.fixture
def downloads(monkeypatch):
    """Read what a download button of the last AppTest run offers, by its URL."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    stores = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    return lambda url: stores[-1].get_file(url.rsplit("/", 1)[-1]).content


def test_interpret_download_is_the_cli_explain_table(downloads, tmp_path, capsys):
    import io

    import pandas as pd

    from genodash.cli import main
    from genodash.io.writers import fasta_text

    at = train_cnn(epochs=2, length=20, align="center")  # the model sees bases 6 to 25
    at.switch_page("pages/5_Interpret.py").run()
    button = next(b for b in at.get("download_button") if b.proto.label == "Download scores (CSV)")
    page_table = pd.read_csv(io.BytesIO(downloads(button.proto.url)))
    seq_id = page_table["seq_id"].iloc[0]
    dataset = at.session_state["dataset"]
    one = dataset.subset([dataset.ids.index(seq_id)])
    (tmp_path / "one.fa").write_text(fasta_text(one))
    run_dir = next(ui.state.RUNS_ROOT.glob("*/*"))
    classes = at.session_state["_cache_interpret-loaded"][2].config["classes"]
    target = at.selectbox(key="interpret-target").value
    assert target in classes
    out = tmp_path / "scores.csv"
    argv = ["explain", str(run_dir), str(tmp_path / "one.fa"), "--target", target]
    assert main([*argv, "--out", str(out)]) == 0
    cli_table = pd.read_csv(out)
    cli_table["seq_id"] = cli_table["seq_id"].astype(str)
    assert page_table["position"].tolist() == list(range(5, 25))
    assert page_table["position"].tolist() == cli_table["position"].tolist()
    assert page_table["base"].tolist() == cli_table["base"].tolist()
    assert (page_table["seq_id"].astype(str) == cli_table["seq_id"]).all()
    assert page_table["saliency"].tolist() == pytest.approx(cli_table["score"].tolist(), abs=1e-6)


def test_pages_without_runs_point_to_training():
    for path in ("pages/5_Interpret.py", "pages/6_Runs.py"):
        at = open_page(path)
        assert not at.exception
        assert "No" in at.info[0].value
