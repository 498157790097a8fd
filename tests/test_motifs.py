from __future__ import annotations

import numpy as np
import pytest

from genodash import motifs
from genodash.errors import ConfigError
from genodash.examples import planted_motif

pytestmark = pytest.mark.skipif(not motifs.jaspar_available(), reason="pyjaspar not installed")


def test_fetch_a_known_motif():
    ctcf = motifs.jaspar_motif("MA0139")
    assert ctcf.name == "CTCF" and ctcf.matrix_id.startswith("MA0139")
    assert np.allclose(ctcf.probabilities.sum(axis=1), 1)
    with pytest.raises(ConfigError, match="is not a JASPAR ID"):
        motifs.jaspar_motif("CTCF")


def test_matching_finds_a_motif_on_either_strand():
    ctcf = motifs.jaspar_motif("MA0139")
    bank = motifs.MotifBank((ctcf, motifs.jaspar_motif("MA0035")))
    best = bank.best_matches(ctcf.probabilities, top=1)[0]
    assert best.name == "CTCF" and best.strand == "+" and best.score == pytest.approx(1.0)
    reverse = ctcf.probabilities[::-1, ::-1][2:12]
    match = bank.best_matches(reverse, top=1)[0]
    assert (match.name, match.strand, match.offset) == ("CTCF", "-", 2)


def test_samples_follow_the_matrix():
    gata = motifs.jaspar_motif("MA0035")
    rng = np.random.default_rng(0)
    draws = [motifs.sample_motif(gata, rng) for _ in range(2000)]
    counts = (
        np.array([[sum(d[i] == b for d in draws) for b in "ACGT"] for i in range(len(draws[0]))])
        / 2000
    )
    assert np.abs(counts - gata.probabilities).max() < 0.05


def test_planted_motif_from_jaspar():
    data = planted_motif(n=100, length=40, motif="MA0139", seed=0)
    assert data.meta["motif_width"] == 15
    assert data.meta["motif"].startswith("MA0139") and "CTCF" in data.meta["motif"]
