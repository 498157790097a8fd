from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ROOT
from genodash.errors import RunError
from genodash.train import loop as runs_loop
from genodash.train import runs
from genodash.train.sequence import predict_probabilities


@pytest.fixture
def saved(trained_cnn, tmp_path):
    return runs.save_run(trained_cnn, tmp_path / "runs" / "cnn-1")


def test_round_trip_gives_the_same_predictions(trained_cnn, saved, small_prepared):
    loaded = runs.load_run(saved)
    assert loaded.config["model"] == "cnn" and loaded.config["classes"] == ["background", "motif"]
    assert loaded.metrics["test_accuracy"] == trained_cnn.metrics["test_accuracy"]
    assert len(loaded.history) == len(trained_cnn.history)
    assert loaded.history[0]["val_loss"] == pytest.approx(trained_cnn.history[0]["val_loss"])
    codes = small_prepared.codes[:20]
    assert np.allclose(
        predict_probabilities(loaded.model, codes),
        predict_probabilities(trained_cnn.model, codes),
        atol=1e-6,
    )
    assert list(loaded.tables["split"].columns) == ["seq_id", "subset", "label"]


def test_run_folder_contents(saved):
    names = sorted(p.name for p in saved.iterdir())
    assert names == [
        "config.json",
        "data.json",
        "history.csv",
        "manifest.json",
        "metrics.json",
        "split.csv",
        "title.txt",
        "weights.safetensors",
    ]
    assert "title.txt" not in json.loads((saved / "manifest.json").read_text())
    data = json.loads((saved / "data.json").read_text())
    assert len(data["fingerprint"]) == 64 and data["n"] == 300
    config = json.loads((saved / "config.json").read_text())
    assert config["seed"] == 0 and config["encoding"]["length"] == 30


def test_runs_get_a_readable_name_that_can_be_changed(saved):
    listing = runs.list_runs(saved.parent)[0]
    assert listing.title.startswith(f"CNN on {runs.load_run(saved).data['name']} · ")
    assert listing.title.endswith(" UTC")
    assert runs.rename_run(saved, "  best\nCNN\x1b so far  ") == "best CNN so far"
    assert runs.list_runs(saved.parent)[0].title == "best CNN so far"
    assert runs.load_run(saved).title == "best CNN so far"  # the manifest still holds
    assert len(runs.rename_run(saved, "x" * 200)) == runs.MAX_TITLE_LENGTH
    with pytest.raises(RunError, match="cannot be empty"):
        runs.rename_run(saved, " \t ")


def test_tables_speak_in_words(saved):
    table = runs.runs_table(runs.list_runs(saved.parent))
    assert list(table.columns) == [
        "Name",
        "Model",
        "Data",
        "Test accuracy",
        "Test AUROC",
        "How it ended",
        "Created (UTC)",
    ]  # no expression scores for a classifier alone
    assert table["Model"].tolist() == ["CNN"]
    assert table["How it ended"].iloc[0] in runs_loop.STOP_REASON_TITLES.values()
    settings = runs.settings_table(runs.load_run(saved))
    assert list(settings.columns) == ["Part", "Setting", "Value"]
    shown = dict(zip(settings["Setting"], settings["Value"], strict=False))
    assert shown["Filters per layer"] == "16" and shown["Batch size"] == "64"
    assert shown["Alignment"] == "keep the 5′ start" and shown["Classes"] == "background, motif"
    assert shown["Mixed precision (CUDA only)"] == "not used (trained on the CPU)"
    assert shown["Network"] == "CNN (convolutional network)"
    assert not any("_" in setting for setting in settings["Setting"])


def test_listing_delete_and_zip(saved):
    listed = runs.list_runs(saved.parent)
    assert [r.name for r in listed] == ["cnn-1"]
    assert listed[0].metrics["test_accuracy"] > 0.5
    archive = runs.zip_run(saved)
    import io
    import zipfile

    assert "cnn-1/weights.safetensors" in zipfile.ZipFile(io.BytesIO(archive)).namelist()
    runs.delete_run(saved)
    assert runs.list_runs(saved.parent) == [] and not saved.exists()


def test_an_existing_folder_is_never_overwritten(trained_cnn, saved):
    with pytest.raises(RunError, match="already exists"):
        runs.save_run(trained_cnn, saved)


def test_failed_save_leaves_nothing_behind(trained_cnn, tmp_path, monkeypatch):
    import safetensors.torch

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        runs.save_run(trained_cnn, tmp_path / "cnn-x")
    assert list(tmp_path.iterdir()) == []


def test_killed_during_save_never_lists_a_partial_run(tmp_path, saved):
    """A process killed at a random point of saving leaves no listed run behind."""
    code = (
        "import sys, os, signal, threading, time\n"
        "from genodash.train.runs import load_run, save_run\n"
        f"run = load_run({str(saved)!r})\n"
        "delay = float(sys.argv[1])\n"
        "threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()\n"
        "for i in range(200):\n"
        f"    save_run(run, {str(tmp_path / 'kill')!r} + f'/{{delay}}-{{i}}')\n"
    )
    for delay in (0.3, 0.45, 0.6):
        subprocess.run([sys.executable, "-c", code, str(delay)], cwd=ROOT, timeout=120)
    listed = runs.list_runs(tmp_path / "kill")
    assert len(listed) > 10  # the kills came in the middle of the saving loop
    for listing in listed:
        runs.load_run(listing.path)  # every listed run is complete and verifies
    leftovers = [p for p in (tmp_path / "kill").iterdir() if p.name.startswith(".")]
    assert all(p.name.endswith(".partial") for p in leftovers)


def _copy(saved, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(saved, target)
    return target


def test_altered_weights_fail_the_checksum(saved, tmp_path):
    copy = _copy(saved, tmp_path)
    data = bytearray((copy / "weights.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (copy / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(RunError, match="weights.safetensors does not match its checksum"):
        runs.load_run(copy)


def _rewrite(folder, name, content: bytes):
    (folder / name).write_bytes(content)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[name] = runs._sha256(content)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_pickled_weights_are_refused(saved, tmp_path):
    copy = _copy(saved, tmp_path)
    _rewrite(copy, "weights.safetensors", pickle.dumps({"x": 1}))
    with pytest.raises(RunError, match="is not a safetensors file"):
        runs.load_run(copy)


def test_unknown_architecture_and_wrong_shapes(saved, tmp_path):
    copy = _copy(saved, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    _rewrite(copy, "config.json", json.dumps({**config, "model": "resnet"}).encode())
    with pytest.raises(RunError, match="unknown architecture 'resnet'"):
        runs.load_run(copy)
    _rewrite(
        copy,
        "config.json",
        json.dumps({**config, "model_config": {**config["model_config"], "filters": 32}}).encode(),
    )
    with pytest.raises(RunError, match="weights do not fit the architecture"):
        runs.load_run(copy)


def test_missing_manifest_or_files(saved, tmp_path):
    copy = _copy(saved, tmp_path)
    os.remove(copy / "history.csv")
    with pytest.raises(RunError, match="'history.csv' listed in the manifest is missing"):
        runs.load_run(copy)
    os.remove(copy / "manifest.json")
    with pytest.raises(RunError, match="has no manifest.json"):
        runs.load_run(copy)
    assert runs.list_runs(tmp_path) == []


def test_weights_are_plain_tensors(saved):
    from safetensors.torch import load_file

    state = load_file(saved / "weights.safetensors")
    assert all(isinstance(v, torch.Tensor) for v in state.values())
