"""The Interpret page's numbers, computed by the library: a toy model that fires on ACGT."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from genodash import interpret
from genodash.data import SequenceSet
from genodash.errors import ConfigError
from genodash.models import build_model
from genodash.train.runs import Run

MOTIF = "ACGT"


class MotifDetector(nn.Module):
    """Class 1 logit = max over positions of an ACGT match score (4 at a match) − 3.5."""

    records_attention = False

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

    def motif_filters(self) -> nn.Conv1d:
        return self.conv


def _run(model: nn.Module, *, length: int = 12, positive: str | None = "motif", **data) -> Run:
    config = {
        "kind": "sequence",
        "model": "cnn",
        "classes": ["background", "motif"],
        "positive_class": positive,
        "encoding": {"length": length, "align": "left"},
    }
    return Run(config, {}, [], data, model)


def _planted() -> SequenceSet:
    """Four 12-bp sequences; ACGT planted at 2 and 6 in the motif class."""
    return SequenceSet(
        ids=("a", "b", "c", "d"),
        sequences=("TTACGTTTTTTT", "TTTTTTACGTTT", "TTTTTTTTTTTT", "GGGGGGGGGGGG"),
        labels=("motif", "motif", "background", "background"),
        name="toy",
        format="example",
        meta={"motif_starts": (2, 6, -1, -1), "motif_width": 4},
    )


def test_default_target_is_the_positive_class_else_the_last():
    assert interpret.default_target(_run(MotifDetector(), positive="background")) == 0
    assert interpret.default_target(_run(MotifDetector(), positive=None)) == 1


def test_planted_window_is_known_only_for_planted_data():
    data = _planted()
    assert interpret.planted_window(data, 1) == (6, 4)
    plain = SequenceSet(("x",), ("ACGT",), None, "t", "example")
    assert interpret.planted_window(plain, 0) == (None, None)


def test_one_sequence_view_scores_every_base_and_peaks_on_the_motif():
    view = interpret.one_sequence_view(_run(MotifDetector()), _planted(), 1, target=1)
    assert list(view.probabilities) == ["background", "motif"]
    assert sum(view.probabilities.values()) == pytest.approx(1.0)
    assert view.probabilities["motif"] > 0.5
    assert list(view.table.columns) == ["seq_id", "position", "base", "saliency", "ism_A",
                                        "ism_C", "ism_G", "ism_T"]  # fmt: skip
    assert view.sequence == "TTTTTTACGTTT" and view.first_position == 0
    assert (view.motif_start, view.motif_width) == (6, 4)
    assert set(np.argsort(view.saliency())[-4:]) == {6, 7, 8, 9}
    assert view.ism_matrix().shape == (4, 12)
    logo = view.saliency_matrix()
    assert logo.shape == (12, 4) and (logo != 0).sum(axis=1).max() == 1


def test_one_sequence_view_keeps_original_positions_of_a_trimmed_sequence():
    run = _run(MotifDetector(), length=8)
    data = SequenceSet(("r",), ("TTTTACGTTTTT",), None, "t", "example")
    run.config["encoding"]["align"] = "right"
    view = interpret.one_sequence_view(run, data, 0, target=1)
    assert view.first_position == 4 and view.sequence == "ACGTTTTT"
    assert view.motif_start is None


@pytest.mark.parametrize("method", ["saliency", "ism"])
def test_profile_view_by_class_and_motif_recovery(method):
    view = interpret.profile_view(
        _run(MotifDetector()), _planted(), [0, 1, 2, 3], method=method, target=1
    )
    assert set(view.profiles) == {"background", "motif"}
    assert all(profile.shape == (12,) for profile in view.profiles.values())
    assert view.recovery == interpret.Recovery(share=1.0, n_planted=2, width=4)
    assert view.n_sequences == 4


def test_profile_view_caps_ism_and_groups_unlabelled_sequences_together(monkeypatch):
    monkeypatch.setattr(interpret, "MAX_ISM_SEQUENCES", 2)
    data = SequenceSet(("a", "b", "c"), ("ACGTTT", "TTACGT", "TTTTTT"), None, "t", "example")
    view = interpret.profile_view(_run(MotifDetector(), length=6), data, [0, 1, 2], method="ism")
    assert list(view.profiles) == ["all"] and view.n_sequences == 2
    assert view.recovery is None


def test_importance_by_class_is_the_mean_magnitude():
    scores = np.array([[1.0, -3.0], [-1.0, 1.0], [2.0, 2.0]])
    groups = interpret.importance_by_class(scores, ["x", "x", "y"])
    assert np.allclose(groups["x"], [1.0, 2.0]) and np.allclose(groups["y"], [2.0, 2.0])


def test_sequences_to_explain_is_the_test_set_of_the_training_data():
    from genodash.train.sequence import fingerprint

    data = _planted()
    split = pd.DataFrame({"subset": ["train", "test", "val", "test"]})
    run = _run(MotifDetector(), fingerprint=fingerprint(data))
    run.tables["split"] = split
    rows, described = interpret.sequences_to_explain(run, data)
    assert rows.tolist() == [1, 3] and "test set" in described
    rows, described = interpret.sequences_to_explain(_run(MotifDetector()), data)
    assert rows.tolist() == [0, 1, 2, 3] and "other data" in described


def test_run_filter_motifs_uses_the_first_rows_only():
    motifs = interpret.run_filter_motifs(_run(MotifDetector()), _planted(), [1, 0], max_sequences=1)
    assert len(motifs) == 1 and motifs[0].n_sites == 1
    assert motifs[0].consensus == MOTIF


def test_run_filter_motifs_needs_a_convolution():
    model = build_model("lstm", n_outputs=2, conv_frontend=False)
    with pytest.raises(ConfigError, match="no convolution"):
        interpret.run_filter_motifs(_run(model), _planted(), [0])


def test_saliency_profiles_are_capped_and_computed_in_chunks(monkeypatch):
    whole = interpret.profile_view(_run(MotifDetector()), _planted(), [0, 1, 2, 3], target=1)
    monkeypatch.setattr(interpret, "MAX_PROFILE_SEQUENCES", 3)
    monkeypatch.setattr(interpret, "PROFILE_CHUNK", 2)
    capped = interpret.profile_view(_run(MotifDetector()), _planted(), [0, 1, 2, 3], target=1)
    assert capped.n_sequences == 3 and whole.n_sequences == 4
    monkeypatch.setattr(interpret, "MAX_PROFILE_SEQUENCES", 4)
    chunked = interpret.profile_view(_run(MotifDetector()), _planted(), [0, 1, 2, 3], target=1)
    for name, profile in whole.profiles.items():
        assert np.allclose(chunked.profiles[name], profile)
