"""Quality of the sequence models against the Zou et al. (2018) primer and simple baselines.

Printed, all measured in this one run:

1. The primer's task (2,000 random 50-bp sequences, CGACCGAACTCC planted in half, 25 % test):
   - baseline: a bare PyTorch training of the primer's own CNN (conv 32 × 12, max-pool 4,
     dense 16, Adam, batch 32) — test accuracy per epoch and the seconds to reach it;
   - genodash's default CNN, LSTM and Transformer (no options changed): test accuracy,
     seconds to first reach ≥ 98 % test accuracy, total training time, and the ratio of
     genodash's time-to-98 % to the baseline's total time (target ≤ 1.5×);
   - saliency: share of positive test sequences whose top-scoring 12-bp window overlaps
     the planted motif (target ≥ 90 %).
2. Multi-class: the metagenomic-reads example (3 genomes), default CNN.
3. Human 5′ splice sites (decoy negatives): default CNN against a 3-mer-count logistic
   regression and a position-specific one-hot logistic regression.

Run: python bench/sequence_quality.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash import interpret
from genodash.encoding import one_hot, one_hot_tensor
from genodash.examples import load_example, planted_motif
from genodash.predict import predict_probabilities
from genodash.train.callbacks import Callbacks
from genodash.train.loop import TrainConfig, fit
from genodash.train.sequence import (
    PreparedSequences,
    build_sequence_model,
    classification_step,
    prepare_sequences,
    train_sequence_model,
)


class PrimerCNN(nn.Module):
    """The primer's Keras model: Conv1D(32, 12) → MaxPool(4) → Flatten → Dense(16) → Dense(2)."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 32, 12)
        self.pool = nn.MaxPool1d(4)
        self.dense = nn.Linear(32 * ((length - 11) // 4), 16)
        self.out = nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.pool(torch.relu(self.conv(x))).flatten(1)
        return self.out(torch.relu(self.dense(h)))


def bare_primer_training(prepared: PreparedSequences, epochs: int = 25) -> list[tuple]:
    """Train the primer's CNN by hand on train + validation; test accuracy after each epoch."""
    torch.manual_seed(0)
    model = PrimerCNN(prepared.length)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train = np.concatenate([prepared.split.train, prepared.split.val])
    codes = torch.from_numpy(prepared.codes[train])
    targets = torch.from_numpy(prepared.targets[train])
    test = prepared.split.test
    test_x = one_hot_tensor(torch.from_numpy(prepared.codes[test]))
    generator = torch.Generator().manual_seed(0)
    curve, started = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(codes), generator=generator)
        for start in range(0, len(codes), 32):
            index = order[start : start + 32]
            optimizer.zero_grad()
            nn.functional.cross_entropy(
                model(one_hot_tensor(codes[index])), targets[index]
            ).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = float((model(test_x).argmax(1).numpy() == prepared.targets[test]).mean())
        curve.append((epoch, accuracy, time.perf_counter() - started))
    return curve


def genodash_model(prepared: PreparedSequences, name: str) -> dict:
    """Default settings through genodash's loop; test accuracy checked after every epoch
    (bench only), with the checking time left out of the clock."""
    model = build_sequence_model(name, len(prepared.classes), {}, seed=0)
    test = prepared.split.test
    trace: list[tuple[float, float]] = []
    clock = {"start": time.perf_counter(), "checking": 0.0}

    def on_epoch(record: dict) -> None:
        checked = time.perf_counter()
        probabilities = predict_probabilities(model, prepared.codes[test])
        accuracy = float((probabilities.argmax(1) == prepared.targets[test]).mean())
        trace.append((accuracy, checked - clock["start"] - clock["checking"]))
        model.train()
        clock["checking"] += time.perf_counter() - checked

    train, val = prepared.split.train, prepared.split.val
    result = fit(
        model,
        (torch.from_numpy(prepared.codes[train]), torch.from_numpy(prepared.targets[train])),
        (torch.from_numpy(prepared.codes[val]), torch.from_numpy(prepared.targets[val])),
        classification_step,
        config=TrainConfig(),
        callbacks=Callbacks(on_epoch_end=on_epoch),
    )
    final = float(
        (
            predict_probabilities(model, prepared.codes[test]).argmax(1) == prepared.targets[test]
        ).mean()
    )
    reach = next((seconds for accuracy, seconds in trace if accuracy >= 0.98), None)
    return {
        "model": model,
        "accuracy": final,
        "reach_98": reach,
        "epochs": result.epochs_run,
        "seconds": result.seconds - clock["checking"],
    }


def primer_task() -> None:
    data = planted_motif(n=2000, length=50, motif="CGACCGAACTCC", mutation_rate=0.0, seed=0)
    prepared = prepare_sequences(data, test_fraction=0.25, val_fraction=0.15, seed=0)
    sizes = prepared.split.sizes()
    print(
        f"1. Zou et al. planted-motif task: {sizes['train']:,} train, {sizes['val']:,} "
        f"validation, {sizes['test']:,} test sequences of 50 bp"
    )
    curve = bare_primer_training(prepared)
    best = max(a for _, a, _ in curve)
    reach_96 = next((s for _, a, s in curve if a >= 0.96), None)
    total = curve[-1][2]
    print(
        f"   baseline (primer CNN, bare PyTorch, {len(curve)} epochs): best test accuracy "
        f"{best:.1%}; reached 96 % after {reach_96 or float('nan'):.1f} s; total {total:.1f} s"
    )
    for name in ("cnn", "lstm", "transformer"):
        result = genodash_model(prepared, name)
        reach = result["reach_98"]
        ratio = f"{reach / total:.2f}×" if reach is not None else "never"
        print(
            f"   genodash {name:11s}: test accuracy {result['accuracy']:.1%}; ≥ 98 % after "
            f"{reach if reach is not None else float('nan'):.1f} s (ratio to baseline total "
            f"{ratio}); trained {result['epochs']} epochs in {result['seconds']:.1f} s"
        )
        if name == "cnn":
            cnn_model = result["model"]
    motif_class = prepared.classes.index(data.meta["positive_class"])
    positives = prepared.split.test[prepared.targets[prepared.split.test] == motif_class]
    x = one_hot([data.sequences[i] for i in positives], prepared.length)
    scores = interpret.importance(interpret.saliency(cnn_model, x, target=motif_class), x)
    starts = np.array(data.meta["motif_starts"])[positives]
    recovery = interpret.motif_recovery(scores, starts, 12, window=12)
    print(
        f"   saliency of the default CNN: top 12-bp window overlaps the planted motif in "
        f"{recovery:.1%} of {len(positives)} positive test sequences"
    )


def multiclass() -> None:
    data = load_example("metagenomic-reads")
    prepared = prepare_sequences(data, seed=0)
    run = train_sequence_model(prepared, "cnn")
    per_class = run.metrics["test"]["per_class"]
    print(
        f"\n2. metagenomic reads ({data.n_obs:,} reads, {len(prepared.classes)} genomes, "
        f"{data.lengths.min()}–{data.lengths.max()} bp): default CNN test accuracy "
        f"{run.metrics['test_accuracy']:.1%}, macro AUROC {run.metrics['test_auroc']:.3f}; "
        "recall per class " + ", ".join(f"{c} {v['recall']:.1%}" for c, v in per_class.items())
    )


def kmer_counts(sequences: list[str], k: int = 3) -> np.ndarray:
    from itertools import product

    index = {"".join(p): i for i, p in enumerate(product("ACGT", repeat=k))}
    counts = np.zeros((len(sequences), len(index)), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        for j in range(len(sequence) - k + 1):
            column = index.get(sequence[j : j + k])
            if column is not None:
                counts[row, column] += 1
    return counts


def splice_sites() -> None:
    from sklearn.linear_model import LogisticRegression

    data = load_example("splice-sites")
    prepared = prepare_sequences(data, seed=0)
    run = train_sequence_model(prepared, "cnn")
    train = np.concatenate([prepared.split.train, prepared.split.val])
    test = prepared.split.test
    sequences = list(data.sequences)
    scores = {}
    for label, features in (
        ("3-mer counts", kmer_counts(sequences)),
        ("one-hot by position", one_hot(sequences).reshape(len(sequences), -1)),
    ):
        model = LogisticRegression(max_iter=2000, C=1.0).fit(
            features[train], prepared.targets[train]
        )
        scores[label] = model.score(features[test], prepared.targets[test])
    print(
        f"\n3. human 5′ splice sites ({data.n_obs:,} 9-mers, decoy negatives keep GT): default "
        f"CNN test accuracy {run.metrics['test_accuracy']:.1%} (AUROC "
        f"{run.metrics['test_auroc']:.3f}); logistic regression on "
        + "; on ".join(f"{k} {v:.1%}" for k, v in scores.items())
    )


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    primer_task()
    multiclass()
    splice_sites()
