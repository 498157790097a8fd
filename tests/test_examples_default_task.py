"""The planted-motif example's defaults: the task the Train and Compare pages open with is
the one its docstring and teaching text describe (2,000 sequences of 50 bp, half with the
motif, each planted base changed with chance 0.15)."""

from __future__ import annotations

import numpy as np

from genodash.examples import EXAMPLES, ZOU_MOTIF, load_example, planted_motif


def _planted(data) -> list[str]:
    width = data.meta["motif_width"]
    return [
        s[p : p + width]
        for s, p in zip(data.sequences, data.meta["motif_starts"], strict=True)
        if p >= 0
    ]


def test_default_task_has_the_documented_size_length_and_share():
    data = load_example("planted-motif")
    assert EXAMPLES["planted-motif"].defaults()["mutation_rate"] == 0.15
    assert data.n_obs == 2000
    assert set(data.lengths.tolist()) == {50}
    assert data.class_counts() == {"background": 1000, "motif": 1000}
    assert data.meta["params"]["mutation_rate"] == 0.15


def test_default_copies_carry_about_fifteen_percent_changed_bases():
    planted = _planted(planted_motif())
    changed = np.array(
        [sum(a != b for a, b in zip(copy, ZOU_MOTIF, strict=True)) for copy in planted]
    )
    assert 0.12 < changed.mean() / len(ZOU_MOTIF) < 0.18  # 0.15 per base on average
    assert 0.8 < np.mean(changed > 0) < 0.9  # 1 − 0.85¹² ≈ 0.86 of copies are not exact


def test_zero_noise_still_plants_exact_copies():
    planted = _planted(planted_motif(n=200, mutation_rate=0.0))
    assert set(planted) == {ZOU_MOTIF}
