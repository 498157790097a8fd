from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import ConfigError
from genodash.examples import (
    EXAMPLES,
    ZOU_MOTIF,
    dinucleotide_shuffle,
    load_example,
    planted_motif,
)

SMALL = {
    "planted-motif": {"n": 200},
    "metagenomic-reads": {"n": 300},
    "ancient-dna": {"n": 200},
    "splice-sites": {"n": 400},
    "crp-sites": {},
    "pbmc68k": {},
    "simulated-counts": {"n_cells": 300},
    "simulated-cite-seq": {"n_cells": 300},
}


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_example_loads_and_describes_itself(key):
    example = EXAMPLES[key]
    dataset = load_example(key, **SMALL[key])
    expected = SequenceSet if example.kind == "sequences" else MatrixSet
    assert isinstance(dataset, expected)
    assert len(example.teaches.split()) > 40
    summary = dataset.summary()
    assert summary["kind"] == example.kind
    assert dataset.notes


@pytest.mark.parametrize(
    "key", ["planted-motif", "metagenomic-reads", "ancient-dna", "splice-sites"]
)
def test_generated_examples_are_reproducible(key):
    first, second = load_example(key, **SMALL[key]), load_example(key, **SMALL[key])
    assert first.sequences == second.sequences
    other = load_example(key, **{**SMALL[key], "seed": 1})
    assert other.sequences != first.sequences


def test_planted_motif_records_where_it_planted():
    data = planted_motif(n=300, length=60, mutation_rate=0.0, seed=3)
    starts = data.meta["motif_starts"]
    for sequence, label, start in zip(data.sequences, data.labels, starts, strict=True):
        if label == "motif":
            assert sequence[start : start + len(ZOU_MOTIF)] == ZOU_MOTIF
        else:
            assert start == -1
    assert data.class_counts() == {"background": 150, "motif": 150}


def test_planted_motif_controls():
    data = planted_motif(
        n=400, length=30, motif="TGASTCA", positive_fraction=0.25, mutation_rate=0.0, seed=0
    )
    assert data.class_counts() == {"background": 300, "motif": 100}
    planted = {
        s[p : p + 7]
        for s, p in zip(data.sequences, data.meta["motif_starts"], strict=True)
        if p >= 0
    }
    assert planted == {"TGACTCA", "TGAGTCA"}
    noisy = planted_motif(n=400, mutation_rate=0.3, seed=0)
    mutated = [
        s[p : p + 12] != ZOU_MOTIF
        for s, p in zip(noisy.sequences, noisy.meta["motif_starts"], strict=True)
        if p >= 0
    ]
    assert 0.9 < np.mean(mutated) <= 1.0  # 1 - 0.7**12 ≈ 0.986


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"motif": "CGXX"}, "motif 'CGXX' must use"),
        ({"length": 10}, "does not fit"),
        ({"positive_fraction": 1.0}, "positive_fraction"),
    ],
)
def test_planted_motif_rejects_bad_controls(params, message):
    with pytest.raises(ConfigError, match=message):
        planted_motif(**params)


def test_unknown_example_and_parameter():
    with pytest.raises(ConfigError, match="unknown example 'nope'; choose one of planted-motif"):
        load_example("nope")
    with pytest.raises(ConfigError, match="has no parameter colour"):
        load_example("crp-sites", colour="red")


def test_dinucleotide_shuffle_keeps_dinucleotides():
    rng = np.random.default_rng(0)
    sequence = "ACGTTGCAAGCTAGCTAGGATCCATTTGACG"
    shuffled = {dinucleotide_shuffle(sequence, rng) for _ in range(20)}
    assert len(shuffled) > 5
    for s in shuffled:
        assert Counter(itertools.pairwise(s)) == Counter(itertools.pairwise(sequence))
        assert s[0] == sequence[0] and s[-1] == sequence[-1]


def test_ancient_reads_are_shorter_and_damaged_at_the_ends():
    data = load_example("ancient-dna", n=2000, damage=0.5, same_length=False)
    labels = np.array(data.labels)
    lengths = data.lengths
    assert lengths[labels == "ancient"].mean() < lengths[labels == "modern"].mean() - 30

    def first_base_t(label):
        return np.mean(
            [s[0] == "T" for s, lab in zip(data.sequences, labels, strict=True) if lab == label]
        )

    # background T share is 0.295; C→T at the 5' end adds about 0.205 * 0.5
    assert first_base_t("ancient") > first_base_t("modern") + 0.06
    same = load_example("ancient-dna", n=2000, same_length=True)
    same_labels = np.array(same.labels)
    gap = abs(
        same.lengths[same_labels == "ancient"].mean() - same.lengths[same_labels == "modern"].mean()
    )
    assert gap < 5


def test_metagenomic_sources_differ_in_gc():
    data = load_example("metagenomic-reads", n=1500)
    gc = {}
    for label in data.classes:
        reads = [s for s, lab in zip(data.sequences, data.labels, strict=True) if lab == label]
        gc[label] = np.mean([(s.count("G") + s.count("C")) / len(s) for s in reads])
    assert gc["genome_A"] < gc["genome_B"] < gc["genome_C"]
    assert data.lengths.min() >= 60 and data.lengths.max() <= 150


def test_simulated_counts_have_types_batches_and_counts():
    data = load_example("simulated-counts", n_cells=500)
    assert data.value_type == "counts"
    assert data.label_column == "cell_type" and data.batch_column == "batch"
    assert data.adata.obs["cell_type"].nunique() == 6
    assert data.adata.obs["batch"].nunique() == 2
    values = data.adata.X.data
    assert np.array_equal(values, np.round(values))
    assert data.adata.uns["generator"]["n_cells"] == 500


def test_real_examples_have_the_documented_sizes():
    assert load_example("crp-sites").class_counts() == {"crp_site": 358, "shuffled": 358}
    pbmc = load_example("pbmc68k")
    assert (pbmc.n_obs, pbmc.n_vars) == (700, 765)
    assert pbmc.adata.obs["bulk_labels"].nunique() == 10
    splice = load_example("splice-sites", n=1000)
    positives = [
        s for s, lab in zip(splice.sequences, splice.labels, strict=True) if lab == "splice_site"
    ]
    assert all(s[3] == "G" for s in positives)


def test_examples_are_capped_by_the_servers_budget():
    from genodash.errors import ConfigError
    from genodash.examples import load_example
    from genodash.limits import Limits

    with pytest.raises(ConfigError, match="would hold 500,000,000 values .cells × genes.") as error:
        load_example("simulated-counts", n_cells=100_000, n_genes=5000)
    assert "at most 20,000,000" in str(error.value)
    small = Limits(max_example_values=10_000)
    with pytest.raises(ConfigError, match="sequences × length"):
        load_example("planted-motif", limits=small, n=1000, length=50)
    assert load_example("planted-motif", limits=small, n=100, length=50).n_obs == 100
