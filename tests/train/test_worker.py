"""The training worker process: started as a module, so it never runs the caller's script."""

from __future__ import annotations

import sys
import types

from genodash.train.callbacks import Callbacks
from genodash.train.loop import TrainConfig
from genodash.train.sequence import train_sequence_model
from genodash.train.worker import Relay, TrainingProcess, TrainingTask


def test_the_worker_trains_without_running_the_page_that_started_it(
    small_prepared, tmp_path, monkeypatch
):
    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').close()\n")
    script = types.ModuleType("__main__")
    script.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", script)  # as Streamlit does for each page run
    task = TrainingTask(
        train=train_sequence_model,
        prepared=small_prepared,
        model_name="cnn",
        model_config={},
        train_config=TrainConfig(epochs=1, batch_size=64),
        device="cpu",
        run_dir=tmp_path / "run",
        threads=1,
    )
    epochs = []
    relay = Relay(Callbacks(on_epoch_end=epochs.append), lambda text: None, lambda: False)
    worker = TrainingProcess(None)
    try:
        saved = worker.train(task, relay)
    finally:
        worker.close()
    assert (saved / "weights.safetensors").exists() and len(epochs) == 1
    assert not marker.exists()
