"""Reads at sequencing scale: conversion speed, training from memory-mapped codes, flat
memory, and training on several processes with torchrun.

Steps, each in a fresh Python process so that its peak memory is its own:

1. write two read tables like the course's (``genodash.examples.write_read_file``: 60–150
   bp, four genomes of different composition, columns SEQ and LAB): ``--small`` reads
   (default 1,000,000) and ``--reads`` reads (default 10,000,000);
2. convert each once (``genodash.io.read_store``): MB/s of the file as stored, seconds and
   peak memory; peak memory is given as resident (``ru_maxrss``, which counts the pages of
   the mapped files the OS may drop at any time) and anonymous (the process's own memory,
   sampled every 50 ms);
3. one epoch (train + validation) of the default CNN at ``--small`` reads, read batch by
   batch from the converted file, against a bare PyTorch loop over an in-memory tensor of
   the same codes (same model, batch, optimiser, split), in samples per second; the
   baseline is the bare loop, ratio = genodash / bare;
4. peak memory of training from disk at ``--small`` and ``--reads`` reads (``--steps``
   batches of true shuffling over every training read);
5. ``torchrun --nproc_per_node=2`` (gloo, one thread per process) against one process
   with one and with two threads, on ``--ddp-reads`` reads, one epoch: samples/s per
   process and in total (the baseline is one process with two threads).

Run: python bench/reads_scale.py [--reads 10000000] [--small 1000000] [--folder DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone


def _anonymous_peak() -> dict[str, int]:
    """Start sampling this process's anonymous memory; the dict holds the peak in bytes."""
    peak = {"bytes": 0}

    def sample() -> None:
        while True:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak["bytes"] = max(peak["bytes"], int(line.split()[1]) * 1024)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    return peak


def _report(result: dict, peak: dict[str, int]) -> None:
    import resource

    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["peak_anon_mb"] = round(peak["bytes"] / 2**20)
    print(json.dumps(result), flush=True)


def child_convert(path: str, cache: str) -> None:
    peak = _anonymous_peak()
    from genodash.io.read_store import open_read_store

    started = time.perf_counter()
    store = open_read_store(path, cache)
    seconds = time.perf_counter() - started
    size = Path(path).stat().st_size
    result = {
        "reads": store.n_reads,
        "mb": round(size / 1e6),
        "seconds": round(seconds, 1),
        "mb_per_s": round(size / 1e6 / seconds, 1),
        "convert_only_s": round(store.meta["seconds"], 1),
    }
    _report(result, peak)


def child_epoch(path: str, cache: str, bare: bool) -> None:
    peak = _anonymous_peak()
    import numpy as np
    import torch

    from genodash.encoding import one_hot_tensor
    from genodash.io.read_store import open_read_store
    from genodash.models import build_model
    from genodash.train.loop import TrainConfig, fit
    from genodash.train.sequence import classification_step, fit_data, prepare_reads

    prepared = prepare_reads(open_read_store(path, cache), seed=0)
    config = TrainConfig(epochs=1, batch_size=64, patience=0, seed=0)
    model = build_model("cnn", n_outputs=len(prepared.classes), seed=0)
    n_train, n_val = len(prepared.split.train), len(prepared.split.val)
    if bare:
        store = prepared.source
        codes = torch.from_numpy(store.encode(np.arange(store.n_reads), prepared.length))
        targets = torch.from_numpy(np.asarray(store.labels, dtype=np.int64))
        train = torch.from_numpy(prepared.split.train)
        val = torch.from_numpy(prepared.split.val)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        started = time.perf_counter()
        model.train()
        order = train[torch.randperm(n_train, generator=torch.Generator().manual_seed(0))]
        for start in range(0, n_train, config.batch_size):
            index = order[start : start + config.batch_size]
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(one_hot_tensor(codes[index])), targets[index]
            )
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            for start in range(0, n_val, 256):
                index = val[start : start + 256]
                model(one_hot_tensor(codes[index]))
        seconds = time.perf_counter() - started
    else:
        train_rows, val_rows = fit_data(prepared)
        started = time.perf_counter()
        fit(model, train_rows, val_rows, classification_step, config=config)
        seconds = time.perf_counter() - started
    result = {
        "path": "bare in-memory loop" if bare else "genodash from disk",
        "reads": prepared.n_obs,
        "n_train": n_train,
        "seconds": round(seconds, 1),
        "samples_per_s": round(n_train / seconds),
    }
    _report(result, peak)


def child_memory(path: str, cache: str, steps: int) -> None:
    peak = _anonymous_peak()
    from genodash.io.read_store import open_read_store
    from genodash.models import build_model
    from genodash.train.callbacks import Callbacks
    from genodash.train.loop import TrainConfig, fit
    from genodash.train.sequence import classification_step, fit_data, prepare_reads

    started = time.perf_counter()
    prepared = prepare_reads(open_read_store(path, cache), seed=0)
    split_seconds = time.perf_counter() - started
    batches = {"done": 0}

    def count(_: object) -> None:
        batches["done"] += 1

    callbacks = Callbacks(on_batch_end=count, should_stop=lambda: batches["done"] >= steps)
    model = build_model("cnn", n_outputs=len(prepared.classes), seed=0)
    train_rows, val_rows = fit_data(prepared)
    started = time.perf_counter()
    config = TrainConfig(epochs=1, batch_size=64, patience=0, seed=0)
    fit(model, train_rows, val_rows, classification_step, config=config, callbacks=callbacks)
    seconds = time.perf_counter() - started
    result = {
        "reads": prepared.n_obs,
        "steps": batches["done"],
        "split_seconds": round(split_seconds, 1),
        "samples_per_s": round(batches["done"] * 64 / seconds),
    }
    _report(result, peak)


def _child(*args: str, env: dict[str, str] | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"step {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ddp(path: Path, processes: int, threads: int, out: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "PASSIVE"}
    train = ["-m", "genodash", "train", str(path), "--model", "cnn", "--epochs", "1"]
    train += ["--patience", "0", "--out", str(out)]
    if processes > 1:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        command += [f"--nproc_per_node={processes}", *train]
    else:
        command = [sys.executable, *train]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    if done.returncode:
        raise SystemExit(f"training on {processes} processes failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    total = result["n_train"] / result["train_seconds"]
    return {
        "processes": processes,
        "threads_each": threads,
        "train_seconds": result["train_seconds"],
        "samples_per_s_total": round(total),
        "samples_per_s_per_process": round(total / processes),
        "test_accuracy": result["test_accuracy"],
    }


def _table(rows: list[dict], keys: list[str]) -> None:
    print("  " + " | ".join(keys))
    for row in rows:
        print("  " + " | ".join(str(row.get(key, "")) for key in keys))


def main() -> None:
    parser = argparse.ArgumentParser(prog="reads_scale.py", description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=10_000_000, help="reads of the big file")
    parser.add_argument("--small", type=int, default=1_000_000, help="reads of the small file")
    parser.add_argument("--ddp-reads", type=int, default=100_000, help="reads for torchrun")
    parser.add_argument("--steps", type=int, default=1500, help="batches in the memory step")
    parser.add_argument("--folder", default="/tmp/genodash-reads-bench", help="work folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        {"convert": child_convert, "epoch": child_epoch, "memory": child_memory}[step](
            *[int(r) if r.isdigit() else r for r in rest]
        )
        return
    from genodash.examples import write_read_file

    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    cache = str(folder / "cache")
    files = {}
    for name, n in (("small", args.small), ("big", args.reads), ("ddp", args.ddp_reads)):
        path = folder / f"reads-{n}.tsv"
        if not path.exists():
            started = time.perf_counter()
            write_read_file(path, n, seed=0)
            print(f"wrote {path.name}: {n:,} reads in {time.perf_counter() - started:.0f} s")
        files[name] = path
    print("\n1. conversion (file as stored → codes on disk), one process")
    rows = [_child("convert", str(files[name]), cache) for name in ("small", "big")]
    _table(rows, ["reads", "mb", "seconds", "mb_per_s", "peak_rss_mb", "peak_anon_mb"])
    print(f"\n2. one epoch of the default CNN at {args.small:,} reads (baseline: bare loop)")
    rows = [_child("epoch", str(files["small"]), cache, str(bare)) for bare in (1, 0)]
    _table(rows, ["path", "n_train", "seconds", "samples_per_s", "peak_rss_mb", "peak_anon_mb"])
    print(f"  ratio genodash / bare: {rows[1]['samples_per_s'] / rows[0]['samples_per_s']:.2f}")
    print(f"\n3. memory of training from disk ({args.steps} batches of 64)")
    rows = [_child("memory", str(files[n]), cache, str(args.steps)) for n in ("small", "big")]
    _table(
        rows, ["reads", "steps", "split_seconds", "samples_per_s", "peak_rss_mb", "peak_anon_mb"]
    )
    print(f"\n4. torchrun on CPU, {args.ddp_reads:,} reads, one epoch (baseline: 1 process × 2)")
    rows = [
        _ddp(files["ddp"], processes, threads, folder / f"run-{processes}x{threads}-{time.time()}")
        for processes, threads in ((1, 2), (1, 1), (2, 1))
    ]
    keys = ["processes", "threads_each", "train_seconds", "samples_per_s_per_process"]
    _table(rows, [*keys, "samples_per_s_total", "test_accuracy"])
    ratio = rows[2]["samples_per_s_total"] / rows[0]["samples_per_s_total"]
    print(f"  ratio 2 processes / 1 process × 2 threads: {ratio:.2f}")


if __name__ == "__main__":
    main()
