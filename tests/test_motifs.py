from __future__ import annotations

import numpy as np
import pytest

from genodash import motifs
from genodash.errors import ConfigError
from genodash.examples import ZOU_MOTIF, planted_motif

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


def _one_hot(consensus: str, sharpness: float = 0.85) -> np.ndarray:
    matrix = np.full((len(consensus), 4), (1 - sharpness) / 3)
    matrix[np.arange(len(consensus)), ["ACGT".index(b) for b in consensus]] = sharpness
    return matrix


def test_banks_hold_one_taxon_and_refuse_unknown_ones():
    vertebrates = motifs.jaspar_bank("vertebrates")
    assert {m.tax_group for m in vertebrates.motifs} == {"vertebrates"}
    assert len(motifs.jaspar_bank("all").motifs) > len(vertebrates.motifs)
    with pytest.raises(ConfigError, match="unknown taxon 'mammals'"):
        motifs.jaspar_bank("mammals")


def test_a_real_motif_is_significant_and_a_made_up_one_is_not():
    bank = motifs.jaspar_bank("vertebrates")
    gata = motifs.jaspar_motif("MA0035").probabilities
    made_up = _one_hot(ZOU_MOTIF)
    width = min(len(gata), len(made_up))
    found = motifs.match_filters(bank, [gata[:width], made_up[:width]], shuffles=40)
    assert found[0].match.name == "GATA1" and found[0].significant
    assert found[0].p_value == pytest.approx(1 / (1 + 2 * 40))
    assert found[0].q_value == pytest.approx(2 * found[0].p_value)  # BH: p · 2 tests / rank 1
    assert not found[1].significant and found[1].q_value >= found[1].p_value > 0.2


def test_significance_is_reproducible_and_follows_the_seed():
    bank = motifs.jaspar_bank("vertebrates")
    filters = np.stack([_one_hot("ACGTTGCAAC"), _one_hot("GGGATTACAT")])
    first = bank.significance(filters, shuffles=10, seed=1)
    assert np.array_equal(first, bank.significance(filters, shuffles=10, seed=1))
    assert ((first > 0) & (first <= 1)).all()
    assert motifs.match_filters(bank, []) == []


def test_only_a_made_up_planted_motif_is_synthetic():
    assert motifs.planted_motif_is_synthetic(planted_motif(n=8, length=20).meta)
    assert not motifs.planted_motif_is_synthetic(planted_motif(n=8, length=20, motif="MA0035").meta)
    assert not motifs.planted_motif_is_synthetic({"params": {"motif": "ACGT"}})
