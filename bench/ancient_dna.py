"""Ancient DNA: does a CNN learn the damage, and how far can one read take it?

For each terminal damage rate, on the built-in example (reads of one length, so damage is
the only signal), with one split (seed 0):

- the ceiling: a logistic regression on the one-hot of the 10 end bases of each side
  (``genodash.interpret.end_baseline``), fitted on the training and validation reads and
  scored on the test reads;
- the CNN with the settings the example recommends, trained with reverse-complement
  augmentation: its test accuracy, and where its saliency sits (mean |saliency| per base
  in the first and last 5 bases against the middle);
- samples of 1,000 test reads drawn from one class: the share the CNN calls ancient.

With ``--length-clue`` it also trains the same CNN on reads whose length differs by class
(``same_length=false``), to show a model beating the damage ceiling by learning length.

Run: python bench/ancient_dna.py [--n 20000] [--damage 0.35 0.2] [--length-clue]
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

from genodash import interpret
from genodash.examples import load_example
from genodash.train.loop import TrainConfig
from genodash.train.sequence import EncodingConfig, prepare_sequences, train_sequence_model

CNN_SETTINGS = {"global_pool": "average"}  # what the example's text recommends


def measure(n: int, damage: float, *, same_length: bool = True, epochs: int = 30) -> None:
    data = load_example("ancient-dna", n=n, damage=damage, same_length=same_length)
    prepared = prepare_sequences(data, encoding=EncodingConfig(augment_rc=True), seed=0)
    test = prepared.split.test
    started = time.perf_counter()
    run = train_sequence_model(
        prepared, "cnn", model_config=CNN_SETTINGS, train_config=TrainConfig(epochs=epochs)
    )
    seconds = time.perf_counter() - started
    view = interpret.read_ends_view(run, data, test, target=run.classes.index("ancient"))
    shares = view.samples.shares
    print(
        f"\n{n:,} reads, damage {damage:.0%}, "
        f"{'all 50 bp' if same_length else 'ancient short, modern long'}; test set "
        f"{len(test):,} reads",
        flush=True,
    )
    ceiling_title = "ceiling (logistic regression, 10 end bases a side)"
    print(f"  {ceiling_title:52s} {view.baseline.accuracy:6.1%}")
    print(
        f"  {f'CNN {CNN_SETTINGS}, rc augmentation':52s} {view.model_accuracy:6.1%}  "
        f"({run.metrics['epochs_run']} epochs, {seconds:.0f} s)  "
        f"{100 * (view.model_accuracy - view.baseline.accuracy):+.1f} points vs the ceiling"
    )
    ratio_title = f"saliency per base, first+last {view.saliency.ends} vs middle"
    print(f"  {ratio_title:52s} {view.saliency.ratio:6.2f}×")
    for label, values in shares.items():
        print(
            f"  samples of {view.samples.sample_size:,} {label} reads: called ancient "
            f"{values.mean():.1%} ± {values.std():.1%} (range {values.min():.1%}–"
            f"{values.max():.1%}, {len(values)} samples)"
        )
    print(f"  samples on the wrong side of the midpoint: {view.samples.misassigned():.1%}")
    composition = view.composition
    print(
        "  share of T at the 5′ end base: "
        + ", ".join(f"{c} {v[0]:.1%}" for c, v in composition.t_from_5prime.items())
        + "; at bases 11-20: "
        + ", ".join(f"{c} {np.mean(v[10:]):.1%}" for c, v in composition.t_from_5prime.items())
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="reads per data set")
    parser.add_argument("--damage", type=float, nargs="+", default=[0.35, 0.2])
    parser.add_argument("--epochs", type=int, default=30, help="most epochs (early stopping)")
    parser.add_argument(
        "--length-clue", action="store_true", help="also train on reads whose length differs"
    )
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for damage in args.damage:
        measure(args.n, damage, epochs=args.epochs)
    if args.length_clue:
        measure(args.n, args.damage[0], same_length=False, epochs=args.epochs)
