"""``train --stream`` (and any read file over 32 MiB): trained from the read cache, with the
same split, scores and JSON keys as from memory; bad records named; the cache reused."""

from __future__ import annotations

import json

import pytest

from genodash.examples import write_read_file
from genodash.limits import CACHE_DIR
from support import run_cli

SMALL_CNN = ["--model", "cnn", "--epochs", "2", "--set", "filters=8", "--seed", "2"]


@pytest.fixture
def reads(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR, str(tmp_path / "cache"))
    return write_read_file(tmp_path / "reads.tsv", 600, seed=7)


def _train(tmp_path, path, name, *extra):
    done = run_cli("train", str(path), *SMALL_CNN, "--out", str(tmp_path / name), *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def test_streaming_gives_the_in_memory_results_and_keys(reads, tmp_path):
    in_memory, _ = _train(tmp_path, reads, "memory")
    streamed, log = _train(tmp_path, reads, "stream", "--stream")
    assert list(streamed) == list(in_memory)
    for key in ("test_accuracy", "test_auroc", "n_train", "n_val", "n_test", "best_epoch"):
        assert streamed[key] == in_memory[key], key
    assert "read IDs are not kept" in log
    assert len(list((tmp_path / "cache").iterdir())) == 2  # the store and its lock


def test_a_bad_record_is_named_and_nothing_is_trained(reads, tmp_path):
    lines = reads.read_text().splitlines()
    lines[400] = lines[400].replace("A", "J", 1)
    reads.write_text("\n".join(lines) + "\n")
    done = run_cli("train", str(reads), *SMALL_CNN, "--stream", "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("error: reads.tsv: row 400 (line 401): invalid character 'J'")
    )
    assert not (tmp_path / "r").exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]


def test_a_labels_file_cannot_be_streamed(reads, tmp_path):
    done = run_cli("train", str(reads), *SMALL_CNN, "--stream", "--labels", str(reads))
    assert done.returncode == 2 and "leave out --labels" in done.stderr


def test_predict_streams_a_large_file_in_file_order(reads, tmp_path):
    _train(tmp_path, reads, "run")
    outputs = {}
    for name, extra in (("memory", []), ("stream", ["--stream"])):
        out = tmp_path / f"{name}.csv"
        done = run_cli("predict", str(tmp_path / "run"), str(reads), "--out", str(out), *extra)
        assert done.returncode == 0, done.stderr
        outputs[name] = (json.loads(done.stdout.splitlines()[-1]), out.read_text().splitlines())
    (memory_json, memory_rows), (stream_json, stream_rows) = outputs["memory"], outputs["stream"]
    assert stream_json["predicted"] == memory_json["predicted"] and stream_json["n"] == 600
    assert stream_rows[0] == memory_rows[0]  # seq_id,predicted,label,p_…
    assert [r.split(",")[1:] for r in stream_rows[1:]] == [
        r.split(",")[1:] for r in memory_rows[1:]
    ]
    assert stream_rows[1].startswith("read1,")
