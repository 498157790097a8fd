"""The ancient-DNA example and the read-end analyses: damage where it should be, a baseline
that reads the ends, saliency mass at the ends, and calls on samples of many reads."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genodash import interpret
from genodash.encoding import one_hot
from genodash.errors import ConfigError
from genodash.examples import DAMAGE_SPAN, _deaminate, ancient_dna, damage_rates

C, G, T, A = 1, 2, 3, 0


def test_damage_rates_fall_geometrically_over_ten_bases():
    rates = damage_rates(0.35)
    assert len(rates) == DAMAGE_SPAN == 10
    assert rates[0] == pytest.approx(0.35)
    assert np.all(np.diff(rates) < 0)
    assert rates[-1] < 0.05


def test_deamination_turns_c_to_t_at_the_5prime_end_and_g_to_a_at_the_3prime_end():
    rng = np.random.default_rng(0)
    rates = damage_rates(0.6)
    all_c = np.stack([_deaminate(np.full(40, C, np.uint8), rates, rng) for _ in range(3000)])
    all_g = np.stack([_deaminate(np.full(40, G, np.uint8), rates, rng) for _ in range(3000)])
    c_to_t = (all_c == T).mean(axis=0)  # by position from the 5′ end
    g_to_a = (all_g == A).mean(axis=0)[::-1]  # by position from the 3′ end
    assert c_to_t[:10] == pytest.approx(rates, abs=0.03)
    assert g_to_a[:10] == pytest.approx(rates, abs=0.03)
    assert c_to_t[10:].max() == 0 and g_to_a[10:].max() == 0  # no damage beyond ten bases
    assert set(np.unique(all_c)) == {C, T} and set(np.unique(all_g)) == {G, A}


def _first_and_middle(data, label, base, *, from_3prime=False):
    """Share of ``base`` at the end base, and at bases 21-30, of the reads of ``label``."""
    pairs = zip(data.sequences, data.labels, strict=True)
    reads = np.array([list(s[::-1] if from_3prime else s) for s, lab in pairs if lab == label])
    share = (reads == base).mean(axis=0)
    return share[0], share[20:30].mean()


def test_the_example_damages_ancient_reads_only_and_gives_no_length_clue():
    data = ancient_dna(n=4000, damage=0.5, seed=2)
    assert set(data.lengths) == {50}  # the default: every read 50 bp
    assert data.meta["positive_class"] == "ancient"
    for base, three in (("T", False), ("A", True)):
        first, middle = _first_and_middle(data, "ancient", base, from_3prime=three)
        assert first > middle + 0.06  # C→T (G→A) adds about 0.205 × 0.5 at the end base
        first, middle = _first_and_middle(data, "modern", base, from_3prime=three)
        assert abs(first - middle) < 0.04  # modern reads are undamaged


def test_unticking_same_length_gives_ancient_reads_their_short_length():
    data = ancient_dna(n=1000, same_length=False)
    labels = np.array(data.labels)
    assert data.lengths[labels == "ancient"].mean() < data.lengths[labels == "modern"].mean() - 30


@pytest.mark.parametrize(
    ("params", "message"), [({"damage": 1.5}, "damage"), ({"length": 12}, "length")]
)
def test_bad_settings_are_refused(params, message):
    with pytest.raises(ConfigError, match=message):
        ancient_dna(n=100, **params)


def test_end_composition_shows_the_t_and_a_excess_at_the_ends():
    composition = interpret.end_composition(ancient_dna(n=3000, damage=0.6), span=20)
    t, a = composition.t_from_5prime, composition.a_from_3prime
    assert set(t) == set(a) == {"ancient", "modern"}
    assert len(t["ancient"]) == 20
    for shares in (t, a):
        assert shares["ancient"][0] > shares["modern"][0] + 0.08
        assert abs(shares["ancient"][15:].mean() - shares["modern"][15:].mean()) < 0.03


def test_the_end_baseline_beats_chance_on_strong_damage_and_not_without_it():
    strong = interpret.end_baseline(ancient_dna(n=4000, damage=0.8))
    assert strong.accuracy > 0.6
    assert (strong.n_train, strong.n_test, strong.span) == (3000, 1000, 10)
    none = interpret.end_baseline(ancient_dna(n=4000, damage=0.0))
    assert none.accuracy < 0.56
    data = ancient_dna(n=400)
    with pytest.raises(ConfigError, match="two classes"):
        interpret.end_baseline(data, test_rows=np.arange(400))


def test_end_features_read_the_first_and_last_bases():
    features = interpret.end_features(["AAAACCCCGG", "TT"], span=2)
    assert features.shape == (2, 16)
    five, three = features[0].reshape(4, 4)[:, :2], features[0].reshape(4, 4)[:, 2:]
    assert five.argmax(axis=0).tolist() == [0, 0]  # AA at the 5′ end
    assert three.argmax(axis=0).tolist() == [2, 2]  # GG at the 3′ end


class EndWeights(nn.Module):
    """Class 1 logit = Σ weight(position) over the bases present: 1 at the first and last five
    positions of a read of ``length`` bp, 0.1 in between (the same for every base)."""

    def __init__(self, length: int, ends: int = 5) -> None:
        super().__init__()
        weight = torch.full((4, length), 0.1)
        weight[:, :ends] = weight[:, -ends:] = 1.0
        self.weight = nn.Parameter(weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = (x * self.weight).sum(dim=(1, 2))
        return torch.stack([torch.zeros_like(score), score], dim=1)


def test_end_saliency_sits_at_the_ends_of_a_model_that_reads_them():
    rng = np.random.default_rng(0)
    x = one_hot(["".join(rng.choice(list("ACGT"), 30)) for _ in range(8)])
    profile = interpret.end_saliency(EndWeights(30), x, target=1)
    assert profile.ratio == pytest.approx(10.0)  # 1 per base at the ends, 0.1 in the middle
    assert profile.from_5prime[:5] == pytest.approx([1.0] * 5)
    assert profile.from_3prime[:5] == pytest.approx([1.0] * 5)
    assert profile.from_5prime[12] == pytest.approx(0.1)
    assert len(profile.from_5prime) == len(profile.from_3prime) == 15  # half of 30 bp
    assert (profile.ends, profile.n_reads) == (5, 8)


def test_end_profile_lines_reads_of_any_length_up_at_their_own_ends():
    reads = ["ACGTACGTACGTACGTACGT", "ACGTACGTACGTAC"]  # 20 and 14 bp, padded to 20
    for align in ("left", "right", "center"):
        x = one_hot(reads, 20, align=align)
        present = x.sum(axis=1) > 0
        scores = np.where(present, 0.5, 0.0)
        for row in range(2):
            columns = np.flatnonzero(present[row])
            scores[row, columns[:3]] = scores[row, columns[-3:]] = 2.0
        profile = interpret.end_profile(scores, x, ends=3)
        assert profile.ratio == pytest.approx(4.0), align
        assert profile.from_5prime[:3] == pytest.approx([2.0] * 3)
        assert profile.from_3prime[:3] == pytest.approx([2.0] * 3)
        assert len(profile.from_5prime) == 10  # half the longest read: each its own end


def test_each_end_profile_shows_its_own_end_not_the_whole_read_mirrored():
    x = one_hot(["ACGT" * 12 + "AC"] * 3)  # 50 bp
    scores = np.tile(np.linspace(5.0, 0.1, 50), (3, 1))  # high at the 5′ end, low at the 3′
    profile = interpret.end_profile(scores, x, ends=5)
    assert len(profile.from_5prime) == len(profile.from_3prime) == 2 * interpret.END_SPAN
    assert profile.from_5prime == pytest.approx(scores[0, :20])
    assert profile.from_3prime == pytest.approx(scores[0, ::-1][:20])
    assert profile.from_5prime.min() > profile.from_3prime.max()
    assert len(interpret.end_profile(scores, x, span=40).from_5prime) == 25  # half of 50
    with pytest.raises(ConfigError, match="span"):
        interpret.end_profile(scores, x, span=0)


def test_a_model_looking_in_the_middle_has_a_ratio_below_one():
    weight_middle = EndWeights(30)
    with torch.no_grad():
        weight_middle.weight.copy_(1.1 - weight_middle.weight)  # 0.1 at the ends, 1 between
    x = one_hot(["ACGT" * 7 + "AC"])
    assert interpret.end_saliency(weight_middle, x, target=1).ratio < 1
    with pytest.raises(ConfigError, match="ends"):
        interpret.end_profile(np.zeros((1, 30)), x, ends=0)


def test_many_reads_separate_samples_that_one_read_cannot():
    rng = np.random.default_rng(1)
    labels = np.array(["ancient", "modern"] * 2000)
    other = np.where(labels == "ancient", "modern", "ancient")
    weak = np.where(rng.random(len(labels)) < 0.58, labels, other)  # 58 % right per read
    samples = interpret.sample_calls(weak, labels, called="ancient", n_samples=200)
    ancient, modern = samples.shares["ancient"], samples.shares["modern"]
    assert ancient.shape == modern.shape == (200,)
    assert ancient.mean() == pytest.approx(0.58, abs=0.02)
    assert modern.mean() == pytest.approx(0.42, abs=0.02)
    assert ancient.min() > modern.max()
    assert samples.misassigned() == 0.0
    coin = np.where(rng.random(len(labels)) < 0.5, labels, other)
    assert interpret.sample_calls(coin, labels, called="ancient").misassigned() > 0.2
    with pytest.raises(ConfigError, match="calls for"):
        interpret.sample_calls(weak[:10], labels, called="ancient")


def test_read_ends_view_of_a_trained_cnn():
    from genodash.train.loop import TrainConfig
    from genodash.train.sequence import EncodingConfig, prepare_sequences, train_sequence_model

    data = ancient_dna(n=600, damage=0.8)
    prepared = prepare_sequences(data, encoding=EncodingConfig(augment_rc=True), seed=0)
    run = train_sequence_model(
        prepared,
        "cnn",
        model_config={"filters": 8, "kernel_width": 11, "blocks": 1, "dense": 0},
        train_config=TrainConfig(epochs=2, batch_size=64),
    )
    test = prepared.split.test
    view = interpret.read_ends_view(run, data, test, target=run.classes.index("ancient"))
    assert view.model_accuracy == pytest.approx(run.metrics["test_accuracy"])
    assert view.baseline.n_test == len(test) and view.baseline.n_train == 600 - len(test)
    assert view.saliency.n_reads == len(test) and np.isfinite(view.saliency.ratio)
    assert set(view.samples.shares) == {"ancient", "modern"}
    assert view.samples.called == "ancient"
    assert set(view.median_probability) == {"ancient", "modern"}
    assert all(0 <= p <= 1 for p in view.median_probability.values())


class TwoClassRun:
    classes = ("ancient", "modern")


class ThreeClassRun:
    classes = ("a", "b", "c")


def test_read_ends_are_offered_for_reads_only():
    import dataclasses

    from genodash.examples import crp_sites, planted_motif

    ancient = ancient_dna(n=200)
    assert interpret.offers_read_ends(TwoClassRun(), ancient)
    assert not interpret.offers_read_ends(ThreeClassRun(), ancient)
    assert not interpret.offers_read_ends(TwoClassRun(), planted_motif(n=100))
    assert not interpret.offers_read_ends(TwoClassRun(), crp_sites())
    uploaded = dataclasses.replace(ancient, format="fastq", meta={})
    assert interpret.offers_read_ends(TwoClassRun(), uploaded)
    assert not interpret.offers_read_ends(TwoClassRun(), dataclasses.replace(uploaded, labels=None))
