"""The planted-motif default task: does it show learning, and do the architectures differ?

Trains every sequence model of the Compare page (CNN, LSTM, Transformer, k-mer baseline;
default model and training settings: at most 30 epochs, early-stopping patience 5, seed 0)
on one split of the planted-motif example, once at the example's old defaults (no mutation
noise, 50 bp, half the sequences with the motif) and once at its current defaults, side
by side in one run. Printed per architecture: test accuracy, epochs (best epoch, how
training ended), seconds, and the validation accuracy of the first epochs (a curve that
is already at 100 % after epoch 1 shows nothing).

``--sweep`` instead trains the same models on a grid of mutation noise × length × share
(the table behind the chosen defaults).

Run: OMP_NUM_THREADS=1 python bench/default_task.py [--sweep] [--models cnn kmer ...]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash.examples import EXAMPLES, load_example
from genodash.train.runs import training_ending
from genodash.train.sequence import prepare_sequences, train_sequence_model

MODELS = ("cnn", "lstm", "transformer", "kmer")
OLD_DEFAULTS = {"length": 50, "mutation_rate": 0.0, "positive_fraction": 0.5}
SHOWN_EPOCHS = 8


def compare(params: dict[str, float], models: list[str]) -> None:
    """Train ``models`` on one split of the planted-motif example made with ``params``."""
    data = load_example("planted-motif", **params)
    prepared = prepare_sequences(data, seed=0)
    sizes = prepared.split.sizes()
    chosen = {**EXAMPLES["planted-motif"].defaults(), **params}
    print(
        f"\nlength {chosen['length']} bp, mutation noise {chosen['mutation_rate']}, share "
        f"with the motif {chosen['positive_fraction']}, n {chosen['n']:,} "
        f"({sizes['train']:,} train, {sizes['val']:,} val, {sizes['test']:,} test)",
        flush=True,
    )
    for name in models:
        started = time.perf_counter()
        run = train_sequence_model(prepared, name)
        seconds = time.perf_counter() - started
        curve = " ".join(f"{r['val_accuracy']:.2f}" for r in run.history[:SHOWN_EPOCHS])
        print(
            f"  {name:12s} test accuracy {run.metrics['test_accuracy']:6.1%}  "
            f"AUROC {run.metrics['test_auroc']:.3f}  {run.metrics['epochs_run']:2d} epochs "
            f"(best {run.metrics['best_epoch']:2d}, {training_ending(run)})  {seconds:5.1f} s  "
            f"val accuracy by epoch: {curve}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--sweep", action="store_true", help="train on a grid instead")
    parser.add_argument("--lengths", nargs="+", type=int, default=[50, 100])
    parser.add_argument("--mutation-rates", nargs="+", type=float, default=[0.1, 0.15, 0.2])
    parser.add_argument("--shares", nargs="+", type=float, default=[0.5])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.sweep:
        grid = itertools.product(args.lengths, args.mutation_rates, args.shares)
        for length, rate, share in grid:
            params = {"length": length, "mutation_rate": rate, "positive_fraction": share}
            compare(params, args.models)
        return
    print("Old defaults:", end="")
    compare(OLD_DEFAULTS, args.models)
    print("New defaults:", end="")
    compare({}, args.models)


if __name__ == "__main__":
    main()
