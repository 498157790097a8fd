"""The k-mer baseline (counts of every k-mer, then logistic regression) and the CNN's
global pooling choice."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from genodash.data import SequenceSet
from genodash.encoding import one_hot, reverse_complement
from genodash.models import build_model
from genodash.models.layers import GLOBAL_POOLS, KmerSpectrum, kmer_width
from genodash.train.loop import TrainConfig
from genodash.train.sequence import prepare_sequences, train_sequence_model

READS = ["ACGTTGCA", "GGGCCNAT", "AC", "TTTTTTTT"]


def _counted(read: str, k: int) -> np.ndarray:
    """Frequencies ×4^k of the k-mers of ``read``, windows with N left out, written plainly."""
    kmers = ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    windows = [read[i : i + k] for i in range(len(read) - k + 1)]
    windows = [w for w in windows if set(w) <= set("ACGT")]
    counts = np.array([windows.count(kmer) for kmer in kmers], dtype=np.float32)
    return counts * 4**k / max(1, len(windows))


def test_spectrum_counts_every_kmer_and_skips_n_and_padding():
    x = torch.from_numpy(one_hot(READS, 10))  # padded to 10 columns
    spectrum = KmerSpectrum(3, both_strands=False)(x).numpy()
    expected = np.stack([np.concatenate([_counted(r, k) for k in (1, 2, 3)]) for r in READS])
    assert spectrum.shape == (len(READS), kmer_width(3)) == (4, 4 + 16 + 64)
    np.testing.assert_allclose(spectrum, expected, rtol=1e-6)


def test_both_strands_give_a_read_and_its_reverse_complement_one_spectrum():
    read = "AACGTGGGCATTA"
    spectrum = KmerSpectrum(4, both_strands=True)
    forward = spectrum(torch.from_numpy(one_hot([read], 20)))
    backward = spectrum(torch.from_numpy(one_hot([reverse_complement(read)], 20)))
    torch.testing.assert_close(forward, backward)
    single = KmerSpectrum(4, both_strands=False)(torch.from_numpy(one_hot([read], 20)))
    assert not torch.allclose(forward, single)


def test_gradient_is_that_of_the_multilinear_count():
    """On one-hot input the count of k-mer m is Σ_i Π_j x[m_j, i + j]; the gradient must be
    that product's, so saliency of the baseline means what it means for other models."""
    k, reads = 2, ["ACGGT", "TGNCA"]
    x = torch.from_numpy(one_hot(reads, 6))
    weights = torch.randn(len(reads), 4**k, generator=torch.Generator().manual_seed(0))
    layer_x = x.clone().requires_grad_(True)
    (KmerSpectrum(k, both_strands=False)(layer_x)[:, 4:] * weights).sum().backward()

    product_x = x.clone().requires_grad_(True)
    present = x.sum(dim=1) > 0
    total = torch.zeros(())
    for row in range(len(reads)):
        starts = [i for i in range(x.shape[-1] - k + 1) if present[row, i : i + k].all()]
        for m, (a, b) in enumerate(itertools.product(range(4), repeat=k)):
            for i in starts:
                term = product_x[row, a, i] * product_x[row, b, i + 1]
                total = total + weights[row, m] * 4**k / len(starts) * term
    total.backward()
    torch.testing.assert_close(layer_x.grad, product_x.grad)


def test_the_baseline_learns_composition():
    rng = np.random.default_rng(0)
    rich = ["".join(rng.choice(list("ACGT"), 40, p=[0.2, 0.3, 0.3, 0.2])) for _ in range(150)]
    poor = ["".join(rng.choice(list("ACGT"), 40, p=[0.3, 0.2, 0.2, 0.3])) for _ in range(150)]
    data = SequenceSet(
        ids=tuple(f"r{i}" for i in range(300)),
        sequences=tuple(rich + poor),
        labels=("GC-rich",) * 150 + ("AT-rich",) * 150,
        name="composition",
        format="test",
    )
    config = TrainConfig(epochs=15, batch_size=32, learning_rate=0.01, patience=0)
    run = train_sequence_model(prepare_sequences(data, seed=0), "kmer", train_config=config)
    assert run.history[-1]["train_loss"] < run.history[0]["train_loss"]
    assert run.metrics["test_accuracy"] >= 0.9


@pytest.mark.parametrize("pool", GLOBAL_POOLS)
def test_cnn_global_pooling_ignores_padding(pool):
    model = build_model("cnn", n_outputs=2, global_pool=pool).eval()
    reads = ["ACGTAGGCTTAACG", "TTGACCA"]
    short = torch.from_numpy(one_hot(reads, 14))
    padded = torch.from_numpy(one_hot(reads, 40))
    torch.testing.assert_close(model(short), model(padded))
    width = 2 * 64 if pool == "max+average" else 64
    assert model.features(short).shape == (2, width)


def test_layer_tables_say_which_global_pooling():
    from genodash.models import layer_table

    model = build_model("cnn", n_outputs=2, global_pool="average")
    titles = [row.title for row in layer_table(model, torch.from_numpy(one_hot(["ACGT" * 5])))]
    assert "Global average pooling" in titles and "Global max-pooling" not in titles
