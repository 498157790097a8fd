"""The k-mer baseline on the leaderboard: genodash's models against a k-mer logistic regression.

For each built-in example (on one split, seed 0, default training settings):

- genodash's k-mer baseline (the registry's ``kmer``: frequencies of every 1- to 4-mer, both
  strands counted together, then logistic regression trained by genodash's loop);
- the reference for it: scikit-learn's ``LogisticRegression`` on the same frequencies
  (train and validation cells pooled, as sklearn has no early stopping), to check that the
  baseline trained by the deep-learning loop reaches what a standard solver does;
- the default CNN (global max-pooling), the same CNN with global average pooling, and with
  both side by side.

Printed per example: test accuracy, epochs and seconds of each, and each model's accuracy
minus the k-mer baseline's (in points).

Run: python bench/baselines.py [--examples planted-motif metagenomic-reads ...] [--reads N]
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

from genodash.encoding import one_hot_tensor
from genodash.examples import load_example
from genodash.models.layers import KmerSpectrum
from genodash.train.sequence import PreparedSequences, prepare_sequences, train_sequence_model

EXAMPLES = ("planted-motif", "metagenomic-reads", "splice-sites", "ancient-dna")
MODELS = (
    ("k-mer baseline", "kmer", {}),
    ("CNN, max-pooling (default)", "cnn", {}),
    ("CNN, average pooling", "cnn", {"global_pool": "average"}),
    ("CNN, max + average", "cnn", {"global_pool": "max+average"}),
)


def sklearn_reference(prepared: PreparedSequences) -> float:
    """Test accuracy of scikit-learn's logistic regression on genodash's k-mer frequencies."""
    from sklearn.linear_model import LogisticRegression

    spectrum = KmerSpectrum(4, both_strands=True)
    with torch.no_grad():
        features = torch.cat(
            [
                spectrum(one_hot_tensor(torch.from_numpy(prepared.codes[start : start + 4096])))
                for start in range(0, len(prepared.codes), 4096)
            ]
        ).numpy()
    train = np.concatenate([prepared.split.train, prepared.split.val])
    test = prepared.split.test
    model = LogisticRegression(max_iter=5000).fit(features[train], prepared.targets[train])
    return float(model.score(features[test], prepared.targets[test]))


def leaderboard(key: str, reads: int | None) -> None:
    params = {"n": reads} if reads and key != "splice-sites" else {}
    data = load_example(key, **params)
    prepared = prepare_sequences(data, seed=0)
    print(
        f"\n{data.name}: {data.n_obs:,} sequences, {len(prepared.classes)} classes, test set "
        f"{len(prepared.split.test):,}",
        flush=True,
    )
    baseline = None
    for title, name, settings in MODELS:
        started = time.perf_counter()
        run = train_sequence_model(prepared, name, model_config=settings)
        seconds = time.perf_counter() - started
        accuracy = run.metrics["test_accuracy"]
        baseline = accuracy if baseline is None else baseline
        print(
            f"  {title:30s} test accuracy {accuracy:6.1%}  ({run.metrics['epochs_run']:2d} "
            f"epochs, {seconds:5.1f} s)  {100 * (accuracy - baseline):+5.1f} points vs k-mer",
            flush=True,
        )
    reference = sklearn_reference(prepared)
    print(
        f"  {'scikit-learn reference':30s} test accuracy {reference:6.1%}  "
        f"(LogisticRegression, same 1-4-mer frequencies)  {100 * (reference - baseline):+5.1f} "
        "points vs k-mer",
        flush=True,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", nargs="+", default=list(EXAMPLES), choices=EXAMPLES)
    parser.add_argument(
        "--reads", type=int, default=None, help="number of sequences (default: each example's)"
    )
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for key in args.examples:
        leaderboard(key, args.reads)
