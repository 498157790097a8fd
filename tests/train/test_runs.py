from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from conftest import ROOT
from genodash.errors import RunError
from genodash.predict import predict_probabilities
from genodash.train import loop as runs_loop
from genodash.train import runs


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


def test_per_class_table_has_a_row_per_class(trained_cnn):
    table = runs.per_class_table(trained_cnn)
    assert table.index.name == "class"
    assert table.index.tolist() == ["background", "motif"]
    assert {"precision", "recall", "f1", "support"} <= set(table.columns)
    assert table["support"].sum() == trained_cnn.test["n"]


def test_latent_tables_name_what_each_embeds(trained_cnn):
    import dataclasses

    import pandas as pd

    latent = pd.DataFrame({"cell": ["a", "b"], "z0": [0.1, 0.2], "z1": [0.3, 0.4]})
    one = dataclasses.replace(trained_cnn, tables={"latent": latent, "split": latent})
    assert list(runs.latent_tables(one)) == ["latent"]
    assert runs.latent_tables(one)["latent"][0] == ""
    assert runs.latent_tables(one)["latent"][1] is latent
    two = dataclasses.replace(
        trained_cnn, tables={"latent": latent, "latent_second": latent, "latent_first": latent}
    )
    assert {name: title for name, (title, _) in runs.latent_tables(two).items()} == {
        "latent_first": "first modality",
        "latent_second": "second modality",
        "latent": "joint",
    }
    assert list(runs.latent_tables(two)) == ["latent_first", "latent_second", "latent"]
    assert runs.latent_tables(trained_cnn) == {}


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


def _edit_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    _rewrite(folder, "config.json", json.dumps({**config, **changes}).encode())
    return config


def test_a_setting_out_of_range_is_refused_before_anything_is_built(saved, tmp_path):
    """filters=200000 would ask for terabytes; the config's ranges are checked first."""
    import time

    copy = _copy(saved, tmp_path)
    config = json.loads((copy / "config.json").read_text())
    _edit_config(copy, model_config={**config["model_config"], "filters": 200000})
    started = time.perf_counter()
    with pytest.raises(RunError) as info:
        runs.load_run(copy)
    assert str(info.value) == (
        "copy: config.json: model 'cnn': filters must be between 4 and 512, got 200000"
    )
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n_outputs": 0}, "config.json: n_outputs must be a whole number of at least 1, got 0"),
        ({"n_outputs": "2"}, "config.json: n_outputs must be a whole number of at least 1"),
        ({"model_config": [1, 2]}, "config.json: model_config must be a JSON object"),
        ({"model_config": {"dropout": "lots"}}, "config.json: model 'cnn': dropout must be a"),
    ],
)
def test_config_values_of_the_wrong_kind_are_refused(saved, tmp_path, changes, message):
    copy = _copy(saved, tmp_path)
    _edit_config(copy, **changes)
    with pytest.raises(RunError) as info:
        runs.load_run(copy)
    assert str(info.value).startswith(f"copy: {message}")


def test_weight_shapes_are_checked_against_the_config_before_allocating(saved, tmp_path):
    """2**40 classes would need 128 TB for the last layer: refused from the safetensors
    header and a model built on torch's meta device, before any real tensor exists."""
    copy = _copy(saved, tmp_path)
    _edit_config(copy, n_outputs=2**40)
    with pytest.raises(RunError) as info:
        runs.load_run(copy)
    assert str(info.value) == (
        "copy: weights do not fit the architecture in config.json (head.3.weight is 2 × 32 in "
        "weights.safetensors, but config.json describes 1099511627776 × 32)"
    )


def test_weights_with_missing_or_extra_tensors_are_refused(saved, tmp_path):
    from safetensors.torch import load_file, save

    copy = _copy(saved, tmp_path)
    state = load_file(saved / "weights.safetensors")
    renamed = {("head.9.weight" if k == "head.3.weight" else k): v for k, v in state.items()}
    _rewrite(copy, "weights.safetensors", save(renamed))
    with pytest.raises(RunError, match=r"weights.safetensors lacks head\.3\.weight"):
        runs.load_run(copy)
    _rewrite(copy, "weights.safetensors", save({**state, "extra": torch.zeros(2)}))
    with pytest.raises(RunError, match="weights.safetensors has tensors the model does not: extra"):
        runs.load_run(copy)
    _rewrite(copy, "weights.safetensors", (10**9).to_bytes(8, "little") + b"{}")
    with pytest.raises(RunError, match="is not a safetensors file .its header length is larger"):
        runs.load_run(copy)


def test_links_in_or_as_a_run_folder_are_refused(saved, tmp_path):
    import shutil

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = _copy(saved, tmp_path)
    # the same content through a link: the checksum passes, the link does not
    shutil.move(copy / "history.csv", elsewhere / "history.csv")
    (copy / "history.csv").symlink_to(elsewhere / "history.csv")
    with pytest.raises(RunError) as info:
        runs.load_run(copy)
    assert str(info.value) == "copy: history.csv is a link; a run folder holds plain files only"

    linked = tmp_path / "linked"
    linked.symlink_to(saved, target_is_directory=True)
    with pytest.raises(RunError) as info:
        runs.load_run(linked)
    assert str(info.value) == "linked: is a link; a run folder holds plain files only"
    assert [r.name for r in runs.list_runs(tmp_path)] == []  # neither is listed
    with pytest.raises(RunError, match="linked: is a link"):
        runs.delete_run(linked)
    assert (saved / "manifest.json").is_file()

    extra = _copy(saved, tmp_path / "extra")
    secret = elsewhere / "secret.csv"
    secret.write_text("password\n")
    (extra / "notes.csv").symlink_to(secret)  # not even in the manifest
    with pytest.raises(RunError, match="notes.csv is a link"):
        runs.load_run(extra)
    with zipfile.ZipFile(io.BytesIO(runs.zip_run(extra))) as archive:
        assert "copy/notes.csv" not in archive.namelist()
        assert "copy/config.json" in archive.namelist()


def test_stale_partial_and_deleting_folders_are_removed(tmp_path):
    root = tmp_path / "runs"
    time_now = 1_000_000.0
    workspace = root / "ab12cd"

    def folder(path, *, age: float, files: tuple[str, ...] = ("weights.safetensors",)):
        path.mkdir(parents=True)
        for name in files:
            (path / name).write_bytes(b"x")
            os.utime(path / name, (time_now - age, time_now - age))
        os.utime(path, (time_now - age, time_now - age))
        return path

    stale = [
        folder(root / ".cnn-1.k2j3.partial", age=600),
        folder(root / ".cnn-2.deleting", age=120),
        folder(workspace / ".vae-1.x8a1.partial", age=61),
        folder(workspace / ".cnn-3.deleting", age=3600, files=()),
    ]
    kept = [
        folder(workspace / ".cnn-4.q9z0.partial", age=30),  # a save in progress
        folder(workspace / ".cnn-5.zz.partial", age=600, files=()),
        folder(workspace / "cnn-6", age=600),  # a run
        folder(workspace / ".hidden", age=600),  # not ours
        folder(workspace / "deeper" / ".cnn-7.partial", age=600),  # two levels down
    ]
    fresh_file = kept[1] / "weights.safetensors"  # the folder is old, its file being written
    fresh_file.write_bytes(b"y")
    os.utime(fresh_file, (time_now - 5, time_now - 5))
    target = folder(tmp_path / "outside", age=600)
    (workspace / ".link.partial").symlink_to(target, target_is_directory=True)
    os.utime(workspace / ".link.partial", (time_now - 600, time_now - 600), follow_symlinks=False)

    assert runs.remove_stale_partials(root, now=time_now) == 4
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert (target / "weights.safetensors").exists()  # links are never followed
    assert runs.remove_stale_partials(root, now=time_now) == 0
    assert runs.remove_stale_partials(tmp_path / "missing") == 0


def test_stale_partials_by_the_clock(tmp_path):
    partial = tmp_path / ".cnn-1.abc.partial"
    partial.mkdir()
    assert runs.remove_stale_partials(tmp_path) == 0  # just made: maybe a save in progress
    past = os.stat(partial).st_mtime - 120
    os.utime(partial, (past, past))
    assert runs.remove_stale_partials(tmp_path) == 1 and not partial.exists()


def test_runs_saved_within_a_minute_get_numbered_names(trained_cnn, tmp_path):
    from dataclasses import replace

    folders = [
        runs.save_run(replace(trained_cnn, title=""), tmp_path / f"cnn-{i}") for i in range(3)
    ]
    first, second, third = (runs.read_title(folder) for folder in folders)
    assert first.endswith(" UTC") and (second, third) == (f"{first} (2)", f"{first} (3)")
