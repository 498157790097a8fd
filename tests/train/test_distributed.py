"""Training on several processes: DistributedDataParallel with gloo on the CPU.

Two processes are spawned (``torch.multiprocessing.spawn``, joining a 127.0.0.1 store that
the test holds) and compared with one; the command line runs under
``python -m torch.distributed.run`` (what ``torchrun`` is) as a subprocess.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as dist

from conftest import ROOT
from genodash.errors import ConfigError
from genodash.models import build_model
from genodash.train.callbacks import Callbacks
from genodash.train.distributed import Distributed, torchrun_command
from genodash.train.loop import StepOutput, TrainConfig, fit
from genodash.train.sequence import classification_step

WORLD = 2
SUMMARY_KEYS = [
    "model",
    "test_accuracy",
    "test_auroc",
    "test_auprc",
    "n_train",
    "n_val",
    "n_test",
    "epochs_run",
    "best_epoch",
    "train_seconds",
    "device",
    "parameters",
    "stop_reason",
    "run_dir",
]
# (training rows, global batch): 43 = 5 × 8 + 3, the last batch split 2 / 1 between the
# processes; 43 = 6 × 7 + 1, a last batch of one row, which both processes skip
UNEVEN, TOO_SMALL = (43, 8), (43, 7)


def _data(n_train: int) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    generator = torch.Generator().manual_seed(7)
    codes = torch.randint(0, 5, (n_train + 9, 24), generator=generator, dtype=torch.uint8)
    targets = torch.randint(0, 2, (n_train + 9,), generator=generator)
    return (codes[:n_train], targets[:n_train]), (codes[n_train:], targets[n_train:])


def _train(
    n_train: int,
    batch_size: int,
    distributed: Distributed | None,
    step=classification_step,
    callbacks: Callbacks | None = None,
) -> tuple[dict[str, np.ndarray], dict]:
    """Two epochs of a tiny CNN without dropout; its weights, and its history and how it
    ended."""
    model = build_model("cnn", n_outputs=2, filters=4, blocks=1, dense=8, dropout=0.0, seed=3)
    train, val = _data(n_train)
    config = TrainConfig(epochs=2, batch_size=batch_size, patience=0, seed=11)
    result = fit(
        model, train, val, step, config=config, callbacks=callbacks, distributed=distributed
    )
    weights = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    history = [{k: v for k, v in row.items() if k != "seconds"} for row in result.history]
    return weights, {"history": history, "ended": [result.stop_reason, result.message]}


def _stop_after_two_batches() -> Callbacks:
    asked = {"times": 0}

    def should_stop() -> bool:
        asked["times"] += 1
        return asked["times"] > 2

    return Callbacks(should_stop=should_stop)


def _scenarios(rank: int) -> dict[str, dict]:
    """What each spawned process trains: the settings of :func:`_train` by name."""
    trained = {"batches": 0}

    def not_a_number_on_rank_1(model, batch):  # in the third training batch
        output = classification_step(model, batch)
        trained["batches"] += model.training
        if rank == 1 and trained["batches"] == 3:
            return StepOutput(loss=output.loss * float("nan"), sums=output.sums)
        return output

    # only rank 0 is asked whether to stop; rank 1 would never stop by itself
    stop = _stop_after_two_batches() if rank == 0 else Callbacks(should_stop=lambda: False)
    return {
        "uneven": {"n_train": UNEVEN[0], "batch_size": UNEVEN[1]},
        "too_small": {"n_train": TOO_SMALL[0], "batch_size": TOO_SMALL[1]},
        "nan": {"n_train": 43, "batch_size": 8, "step": not_a_number_on_rank_1},
        "stop": {"n_train": 43, "batch_size": 8, "callbacks": stop},
    }


def _rank_main(rank: int, port: int, folder: str) -> None:
    """One spawned process: join as torchrun would have it (its agent holds the store), train
    each scenario, keep the results."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(WORLD),
        TORCHELASTIC_USE_AGENT_STORE="True",
    )
    torch.set_num_threads(1)
    distributed = Distributed.from_environment().init("cpu")
    try:
        for name, settings in _scenarios(rank).items():
            weights, outcome = _train(**settings, distributed=distributed)
            np.savez(f"{folder}/{name}-{rank}.npz", **weights)
            with open(f"{folder}/{name}-{rank}.json", "w") as handle:
                json.dump(outcome, handle)
    finally:
        distributed.close()


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory) -> str:
    """The folder where each spawned process left its weights and history."""
    import torch.multiprocessing as mp

    folder = tmp_path_factory.mktemp("ddp")
    # the store listens before any process starts, as torchrun's agent's does: a port picked
    # free and bound later by rank 0 can be taken meanwhile, even by rank 1's own retries
    store = dist.TCPStore("127.0.0.1", 0, WORLD, is_master=True, wait_for_workers=False)
    mp.spawn(_rank_main, args=(store.port, str(folder)), nprocs=WORLD, join=True)
    return str(folder)


def _results(folder: str, name: str, rank: int) -> tuple[dict[str, np.ndarray], dict]:
    with (
        np.load(f"{folder}/{name}-{rank}.npz") as weights,
        open(f"{folder}/{name}-{rank}.json") as handle,
    ):
        return dict(weights), json.load(handle)


def test_two_processes_train_the_same_weights_as_one(two_processes):
    one_weights, one = _train(*UNEVEN, None)
    one_history = one["history"]
    assert one["ended"][0] == "completed"
    for rank in range(WORLD):
        weights, outcome = _results(two_processes, "uneven", rank)
        history = outcome["history"]
        assert weights.keys() == one_weights.keys()
        for name, value in one_weights.items():
            np.testing.assert_allclose(weights[name], value, rtol=0, atol=1e-5, err_msg=name)
        for row, expected in zip(history, one_history, strict=True):
            assert row.keys() == expected.keys()
            for key, value in expected.items():
                assert row[key] == pytest.approx(value, abs=1e-5), key


def test_a_last_batch_smaller_than_the_processes_is_skipped_by_all(two_processes):
    first_weights, first = _results(two_processes, "too_small", 0)
    second_weights, second = _results(two_processes, "too_small", 1)
    assert second == first  # identical history: identical decisions
    assert first["ended"][0] == "completed"
    for name, value in first_weights.items():
        np.testing.assert_array_equal(second_weights[name], value)
    one_weights, _ = _train(*TOO_SMALL, None)  # one process also trains on the last row
    assert any(not np.allclose(first_weights[k], v, atol=1e-5) for k, v in one_weights.items())


def test_a_loss_that_is_not_a_number_on_one_process_stops_every_process(two_processes):
    first_weights, first = _results(two_processes, "nan", 0)
    second_weights, second = _results(two_processes, "nan", 1)
    message = "the loss became nan at epoch 1, batch 3; the last good weights were kept"
    assert first["ended"] == second["ended"] == ["diverged", message]
    for name, value in first_weights.items():
        np.testing.assert_array_equal(second_weights[name], value)


def test_the_stop_signal_of_rank_0_stops_every_process_at_the_same_batch(two_processes):
    one_weights, one = _train(43, 8, None, callbacks=_stop_after_two_batches())
    assert one["ended"] == ["stopped", "stopped by the user during epoch 1"]
    for rank in range(WORLD):
        weights, outcome = _results(two_processes, "stop", rank)
        assert outcome["ended"] == one["ended"]
        for name, value in one_weights.items():  # two steps, as in one process
            np.testing.assert_allclose(weights[name], value, rtol=0, atol=1e-5, err_msg=name)


def _tiny_reads(path, n: int = 200) -> None:
    rng = np.random.default_rng(0)
    lines = ["SEQ\tLAB"]
    for i in range(n):
        label = ("at_rich", "gc_rich")[i % 2]
        weights = [0.35, 0.15, 0.15, 0.35] if i % 2 == 0 else [0.15, 0.35, 0.35, 0.15]
        read = "".join(rng.choice(list("ACGT"), size=int(rng.integers(40, 61)), p=weights))
        lines.append(f"{read}\t{label}")
    path.write_text("\n".join(lines) + "\n")


def _torchrun(folder, *args: str) -> subprocess.CompletedProcess[str]:
    """``torchrun --standalone --nproc_per_node=2 *args`` in ``folder``, one thread each."""
    environment = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    return subprocess.run(
        [*launcher, f"--nproc_per_node={WORLD}", *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails the test
    )


TRAIN_ARGS = ("train", "reads.tsv", "--model", "cnn", "--epochs", "1", "--batch-size", "32")
TRAIN_ARGS += ("--set", "filters=8", "--set", "dense=8")


@pytest.mark.slow  # ~10 s on 2 cores: torchrun starts three Python processes that import torch
def test_under_torchrun_only_rank_0_writes_the_run_and_prints(tmp_path):
    _tiny_reads(tmp_path / "reads.tsv")
    result = _torchrun(tmp_path, "-m", "genodash", *TRAIN_ARGS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert list(summary) == SUMMARY_KEYS
    assert summary["n_train"] + summary["n_val"] + summary["n_test"] == 200
    runs = list((tmp_path / "runs").iterdir())
    assert [path.name for path in runs] == [os.path.basename(summary["run_dir"])]
    assert (runs[0] / "weights.safetensors").exists()
    assert result.stderr.count("distributed: 2 processes (gloo), global batch 32 = 2 × 16") == 1
    assert result.stderr.count("epoch 1:") == 1  # progress from rank 0 alone


CRASHING = """
import os, sys
import genodash.train.sequence as sequence
from genodash.cli import main

step = sequence.classification_step

def crashing_step(model, batch):
    if os.environ["RANK"] == "1":
        raise RuntimeError("injected crash on rank 1")
    return step(model, batch)

sequence.classification_step = crashing_step
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow  # ~10 s on 2 cores, as above
def test_a_crashing_rank_ends_the_job_with_a_clear_error(tmp_path):
    _tiny_reads(tmp_path / "reads.tsv")
    (tmp_path / "crashing.py").write_text(CRASHING)
    result = _torchrun(tmp_path, "crashing.py", *TRAIN_ARGS)  # ends well before the timeout
    assert result.returncode != 0
    assert "RuntimeError: injected crash on rank 1" in result.stderr
    assert "ChildFailedError" in result.stderr  # torchrun's summary names the failed rank
    assert result.stdout == ""
    assert not (tmp_path / "runs").exists()


def test_under_torchrun_the_command_refuses_what_cannot_train_on_several_processes(
    monkeypatch, capsys
):
    from genodash.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert main(["train", "cells.h5ad", "--model", "autoencoder", "--epochs", "1"]) == 2
    assert "autoencoder trains in one process: run it without torchrun" in capsys.readouterr().err
    assert main(["train", "reads.tsv", "--model", "cnn", "--batch-size", "1"]) == 2
    assert "batch size 1 is the batch of all 2 processes together; give at least 2" in (
        capsys.readouterr().err
    )


def test_place_from_the_environment():
    assert Distributed.from_environment({}) is None
    assert Distributed.from_environment({"WORLD_SIZE": "1", "RANK": "0"}) is None
    place = Distributed.from_environment({"WORLD_SIZE": "4", "RANK": "2", "LOCAL_RANK": "0"})
    assert (place.rank, place.local_rank, place.world_size) == (2, 0, 4)
    assert not place.is_main
    with pytest.raises(ConfigError, match="RANK or LOCAL_RANK is missing"):
        Distributed.from_environment({"WORLD_SIZE": "2"})
    with pytest.raises(ConfigError, match="RANK 2 is outside 0 … 1"):
        Distributed.from_environment({"WORLD_SIZE": "2", "RANK": "2", "LOCAL_RANK": "0"})


def test_shares_of_batches_and_rows():
    second = Distributed(rank=1, local_rank=1, world_size=3, device="cpu")
    assert second.shard(torch.arange(10, 18)).tolist() == [11, 14, 17]
    spans = [Distributed(rank=r, local_rank=r, world_size=3).span(10) for r in range(3)]
    assert spans == [(0, 3), (3, 6), (6, 10)]
    assert second.describe(64) == "3 processes (gloo), global batch 64 = 3 × 21–22"
    gpus = Distributed(rank=0, local_rank=0, world_size=2, device="cuda:0")
    assert gpus.describe(64) == "2 processes (nccl), global batch 64 = 2 × 32"
    with pytest.raises(ConfigError, match="batch of all 3 processes together; give at least 3"):
        second.check_batch_size(2)
    with pytest.raises(ConfigError, match="not MPS"):
        second.init("mps")


def test_torchrun_command_trains_the_given_settings():
    config = TrainConfig(epochs=12, batch_size=256, learning_rate=0.00025, patience=3, seed=7)
    command = torchrun_command(
        "my reads.tsv",
        "cnn",
        train_config=config,
        model_settings={"filters": 128, "dropout": 0.2, "global_pool": "max"},
        processes=4,
        length=150,
        align="center",
        augment_rc=True,
    )
    assert shlex.split(command) == [
        "torchrun",
        "--nproc_per_node=4",
        "-m",
        "genodash",
        "train",
        "my reads.tsv",
        "--model",
        "cnn",
        "--epochs",
        "12",
        "--batch-size",
        "256",
        "--lr",
        "0.00025",
        "--patience",
        "3",
        "--seed",
        "7",
        "--length",
        "150",
        "--align",
        "center",
        "--augment-rc",
        "--set",
        "filters=128",  # dropout and pooling are the defaults: left out
    ]
    plain = torchrun_command("r.fa", "lstm", train_config=TrainConfig())
    assert plain == (
        "torchrun --nproc_per_node=2 -m genodash train r.fa --model lstm --epochs 30 "
        "--batch-size 64 --lr 0.001 --patience 5 --seed 0"
    )
    with pytest.raises(ConfigError, match="at least 1"):
        torchrun_command("r.fa", "cnn", train_config=TrainConfig(), processes=0)


def test_a_wrapped_torchrun_command_is_the_same_words_to_the_shell():
    settings = {"filters": 128, "dropout": 0.5}
    config = TrainConfig(learning_rate=3e-4)
    line = torchrun_command("my reads.tsv", "cnn", train_config=config, model_settings=settings)
    wrapped = torchrun_command(
        "my reads.tsv", "cnn", train_config=config, model_settings=settings, width=60
    )
    assert wrapped.count("\n") == 3
    assert all(len(row) <= 62 for row in wrapped.splitlines())
    printed = subprocess.run(
        ["bash", "-c", "printf '%s\\n' " + wrapped.removeprefix("torchrun ")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert printed == shlex.split(line)[1:]


def test_torchrun_command_parses_back_to_the_same_settings():
    from genodash.cli import build_parser
    from genodash.cli._common import parse_assignments
    from genodash.models import MODELS

    settings = {"dropout": 0.123456789, "global_pool": "mean", "filters": 16}
    command = torchrun_command(
        "r.fa", "cnn", train_config=TrainConfig(learning_rate=1e-5), model_settings=settings
    )
    args = build_parser().parse_args(shlex.split(command)[4:])
    assert args.lr == 1e-5
    defaults = {field.name: field.default for field in MODELS["cnn"].fields()}
    assert parse_assignments(args.set, defaults) == settings
