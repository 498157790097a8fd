"""Speed of sequence encoding and of training through genodash's loop, against named baselines.

Printed side by side, measured in this one run:

1. One-hot encoding of 200-bp reads: genodash (vectorized) against a naive per-base Python
   loop (baseline); sequences/s and the ratio (target ≥ 10× and ≥ 250k sequences/s).
2. Training samples/s of each model (CNN, LSTM, Transformer; default settings) through
   genodash's ``fit`` against the same model in a bare PyTorch loop (baseline) on the same
   data, batch size, epochs and validation pass; overhead = 1 − genodash/bare (target ≤ 5 %).
   The two are run alternately, several times, and the best of each is kept.

Run: python bench/sequence_speed.py [--device cpu|cuda] [--n 4000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash.encoding import encode_codes, one_hot, one_hot_tensor
from genodash.models import build_model
from genodash.train.loop import TrainConfig, fit
from genodash.train.sequence import classification_step


def random_reads(n: int, length: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, size=(n, length))]
    return [row.tobytes().decode() for row in letters]


def naive_one_hot(sequences: list[str]) -> np.ndarray:
    """The baseline: a Python loop over every base."""
    out = np.zeros((len(sequences), 4, len(sequences[0])), dtype=np.float32)
    index = {"A": 0, "C": 1, "G": 2, "T": 3}
    for i, sequence in enumerate(sequences):
        for j, base in enumerate(sequence):
            if base in index:
                out[i, index[base], j] = 1.0
    return out


def best_rate(function, n: int, repeats: int = 3) -> float:
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = max(best, n / (time.perf_counter() - started))
    return best


def encoding_bench() -> None:
    reads = random_reads(20_000, 200)
    few = reads[:2_000]
    naive = best_rate(lambda: naive_one_hot(few), len(few), repeats=2)
    numpy_rate = best_rate(lambda: one_hot(reads), len(reads))
    codes_rate = best_rate(lambda: encode_codes(reads), len(reads))
    training_path = best_rate(
        lambda: one_hot_tensor(torch.from_numpy(encode_codes(reads))), len(reads)
    )
    print("1. one-hot encoding, 200-bp reads (sequences/s; ratio against the naive loop)")
    print(f"   naive Python loop (baseline)       {naive:>12,.0f}   1.0×")
    print(f"   genodash one_hot (numpy array)     {numpy_rate:>12,.0f}   {numpy_rate / naive:.0f}×")
    print(f"   genodash base codes only           {codes_rate:>12,.0f}   {codes_rate / naive:.0f}×")
    print(
        f"   genodash training path (codes → one-hot tensor) {training_path:>10,.0f}   "
        f"{training_path / naive:.0f}×"
    )


def bare_loop(
    model: torch.nn.Module, train: tuple, val: tuple, *, epochs: int, batch_size: int, device: str
) -> float:
    """The baseline: the usual hand-written PyTorch loop with a validation pass per epoch."""
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    codes, targets = (t.to(device) for t in train)
    val_codes, val_targets = (t.to(device) for t in val)
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(codes), generator=generator).to(device)
        for start in range(0, len(codes), batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                model(one_hot_tensor(codes[index])), targets[index]
            )
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for start in range(0, len(val_codes), 256):
                logits = model(one_hot_tensor(val_codes[start : start + 256]))
                torch.nn.functional.cross_entropy(logits, val_targets[start : start + 256])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - started


def loop_bench(n: int, repeats: int, device: str, epochs: int = 2, batch_size: int = 128) -> None:
    reads = random_reads(n, 200, seed=1)
    labels = np.random.default_rng(2).integers(0, 2, size=n)
    codes = torch.from_numpy(encode_codes(reads))
    targets = torch.from_numpy(labels.astype(np.int64))
    split = int(0.9 * n)
    train, val = (codes[:split], targets[:split]), (codes[split:], targets[split:])
    print(
        f"\n2. training samples/s through the loop: {split:,} reads of 200 bp, batch "
        f"{batch_size}, {epochs} epochs, device {device}, best of {repeats}"
    )
    print(f"   {'model':12s} {'bare PyTorch':>14s} {'genodash fit':>14s} {'overhead':>9s}")
    config = TrainConfig(epochs=epochs, batch_size=batch_size, patience=0, mixed_precision=False)
    for name in ("cnn", "lstm", "transformer"):
        bare_best, ours_best = 0.0, 0.0
        for _ in range(repeats):
            seconds = bare_loop(
                build_model(name, n_outputs=2, seed=0),
                train,
                val,
                epochs=epochs,
                batch_size=batch_size,
                device=device,
            )
            bare_best = max(bare_best, split * epochs / seconds)
            started = time.perf_counter()
            fit(
                build_model(name, n_outputs=2, seed=0),
                train,
                val,
                classification_step,
                config=config,
                device=device,
            )
            ours_best = max(ours_best, split * epochs / (time.perf_counter() - started))
        overhead = 1 - ours_best / bare_best
        print(f"   {name:12s} {bare_best:>14,.0f} {ours_best:>14,.0f} {overhead:>8.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    encoding_bench()
    loop_bench(args.n, args.repeats, args.device)
