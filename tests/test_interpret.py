"""Attribution on a toy model with known behaviour: one fixed filter that fires on ACGT."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from genodash import interpret
from genodash.encoding import one_hot
from genodash.errors import ConfigError
from genodash.models import build_model

MOTIF = "ACGT"


class MotifDetector(nn.Module):
    """Class 1 logit = max over positions of a perfect ACGT match score (4 at a match)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(4, 1, 4, bias=False)
        with torch.no_grad():
            self.conv.weight.zero_()
            for position, base in enumerate(MOTIF):
                self.conv.weight[0, "ACGT".index(base), position] = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = self.conv(x).amax(dim=-1)[:, 0] - 3.5
        return torch.stack([torch.zeros_like(score), score], dim=1)


def sequences_with_motif_at(starts, length=20, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for start in starts:
        background = list(rng.choice(list("TTGA"), size=length))  # no ACGT by chance
        background[start : start + 4] = list(MOTIF)
        out.append("".join(background))
    return out


@pytest.mark.parametrize("method", ["saliency", "ism"])
def test_attribution_peaks_on_the_motif(method):
    starts = [2, 9, 15]
    x = one_hot(sequences_with_motif_at(starts))
    attribution = interpret.attribute(MotifDetector(), x, method, target=1)
    assert attribution.shape == x.shape
    scores = interpret.importance(attribution, x)
    for row, start in zip(scores, starts, strict=True):
        top = set(np.argsort(row)[-4:])
        assert top == set(range(start, start + 4))
    assert interpret.motif_recovery(scores, np.array(starts), 4) == 1.0


class ConfidentLinear(nn.Module):
    """Logits (0, 50 + w·x): class 1 is all but certain, its log-odds exactly 50 + w·x."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(-1.0, 1.0, 4 * length).reshape(4, length))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = 50.0 + (x * self.weight).sum(dim=(1, 2))
        return torch.stack([torch.zeros_like(score), score], dim=1)


def test_log_odds_are_log_p_over_one_minus_p():
    logits = torch.tensor([[0.3, -1.2, 2.0], [4.0, 0.0, -3.0]])
    targets = torch.tensor([2, 0])
    p = torch.softmax(logits, dim=1)[torch.arange(2), targets]
    expected = torch.log(p / (1 - p))
    torch.testing.assert_close(interpret.target_log_odds(logits, targets), expected)


def test_a_confident_model_keeps_its_attributions():
    """The log-probability of a class at p ≈ 1 is flat (its gradient vanishes); the
    log-odds keep the model's own slope, so saliency shows w at the bases present and ISM
    the change of w between bases."""
    model = ConfidentLinear(10)
    x = one_hot(sequences_with_motif_at([2], length=10))
    weight = model.weight.detach().numpy()
    np.testing.assert_allclose(interpret.saliency(model, x, target=1)[0], weight * x[0], atol=1e-5)
    centred = weight - weight.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(interpret.ism(model, x, target=1)[0], centred, atol=1e-4)


def test_saliency_is_zero_off_the_bases_present():
    x = one_hot(sequences_with_motif_at([5]))
    attribution = interpret.saliency(MotifDetector(), x, target=1)
    assert np.all(attribution[x == 0] == 0)


def test_ism_is_centred_and_skips_padding():
    x = one_hot(sequences_with_motif_at([3], length=12), 16)
    table = interpret.ism(MotifDetector(), x, target=1)[0]
    assert np.allclose(table[:, :12].sum(axis=0), 0, atol=1e-5)
    assert np.all(table[:, 12:] == 0)
    # mutating the motif's C (position 4) away lowers class 1: C is the best base there
    assert table[:, 4].argmax() == "ACGT".index("C")


def test_motif_recovery_counts_overlaps():
    scores = np.zeros((3, 20))
    scores[0, 5:9] = 1  # on the motif at 5
    scores[1, 14:18] = 1  # motif at 2: miss
    scores[2, 0:4] = 1  # no motif planted: ignored
    assert interpret.motif_recovery(scores, np.array([5, 2, -1]), 4) == 0.5


def test_filter_motifs_recover_the_planted_motif(trained_cnn, small_prepared):
    x = one_hot(small_prepared.codes)
    motifs = interpret.filter_motifs(trained_cnn.model, x)
    assert len(motifs) == 16
    assert motifs[0].frequencies.shape == (12, 4)
    assert any("ACGTACGT"[:6] in m.consensus or "CGTACGTA"[:6] in m.consensus for m in motifs[:4])


def test_filters_need_a_convolution():
    model = build_model("lstm", n_outputs=2, conv_frontend=False)
    with pytest.raises(ConfigError, match="no convolution over the DNA"):
        interpret.filter_motifs(model, one_hot(["ACGTACGT"]))


def test_attention_maps_for_the_transformer():
    model = build_model("transformer", n_outputs=2, layers=2, heads=2, stride=4, k=4)
    maps = interpret.attention_maps(model, one_hot(["ACGT" * 10]))
    assert [m.shape for m in maps] == [(2, 10, 10), (2, 10, 10)]
    assert interpret.token_spans(model, 3) == [(0, 4), (4, 8), (8, 12)]
    with pytest.raises(ConfigError, match="only for the Transformer"):
        interpret.attention_maps(build_model("cnn", n_outputs=2), one_hot(["ACGT"]))


def test_attention_tokens_cover_only_the_bases_of_the_sequence():
    from genodash.data import SequenceSet
    from genodash.train.runs import Run

    model = build_model("transformer", n_outputs=2, layers=1, heads=2, stride=4, k=4)
    for align, first in (("left", 0), ("right", 0)):
        config = {"kind": "sequence", "model": "transformer"}
        run = Run({**config, "encoding": {"length": 60, "align": align}}, {}, [], {}, model)
        reads = SequenceSet(("r",), ("ACGT" * 12 + "AC",), None, "reads", "example")
        view = interpret.sequence_attention(run, reads)
        assert len(view.spans) == 13  # 50 bases in tokens of 4: the last holds 2
        assert view.spans[0][0] == first and view.spans[-1][1] == 50
        assert all(0 <= start < end <= 50 for start, end in view.spans)
        assert view.maps[0].shape == (2, 13, 13)


def test_explain_table_uses_original_positions(trained_cnn):
    from dataclasses import replace

    from genodash.data import SequenceSet

    sequences = SequenceSet(
        ids=("a", "b"), sequences=("ACGTACGTAAC", "T" * 40), labels=None, name="t", format="example"
    )
    table = interpret.explain_table(trained_cnn, sequences)
    length = trained_cnn.config["encoding"]["length"]
    assert list(table.columns) == ["seq_id", "position", "base", "score"]
    assert table[table.seq_id == "a"]["position"].tolist() == list(range(11))
    assert len(table[table.seq_id == "b"]) == length  # trimmed at the 3′ end
    right = replace(
        trained_cnn,
        config={
            **trained_cnn.config,
            "encoding": {**trained_cnn.config["encoding"], "align": "right"},
        },
    )
    kept = interpret.explain_table(right, sequences)
    assert kept[kept.seq_id == "b"]["position"].min() == 40 - length
