"""What the Compare and Runs pages show of runs, built by the library from tiny runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from torch import nn

from genodash.models import MODELS
from genodash.train import runs
from genodash.train.runs import Run

ROC = {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}
PR = {"recall": [0.0, 1.0], "precision": [1.0, 0.5]}


def _classifier(model: str, *, roc: dict | None = None) -> Run:
    test = {"roc": {"motif": ROC} if roc is None else roc, "pr": {"motif": PR}}
    config = {"kind": "sequence", "model": model, "classes": ["background", "motif"]}
    data = {"name": "Toy", "n_train": 1200, "n_val": 20, "n_test": 30}
    history = [{"epoch": 1.0, "train_loss": 0.5, "val_loss": 0.6}]
    return Run(config, {"test": test}, history, data, nn.Linear(1, 1))


def test_model_histories_and_curves_by_short_name():
    compared = [_classifier("cnn"), _classifier("lstm")]
    names = [MODELS["cnn"].short, MODELS["lstm"].short]
    assert list(runs.model_histories(compared)) == names
    assert runs.model_curves(compared, "roc") == dict.fromkeys(names, ROC)
    assert runs.model_curves(compared, "pr") == dict.fromkeys(names, PR)


def test_model_curves_leave_out_runs_without_a_curve():
    compared = [_classifier("cnn", roc={}), _classifier("lstm")]
    assert list(runs.model_curves(compared, "roc")) == [MODELS["lstm"].short]


def test_run_description_of_sequence_and_expression_runs():
    text = runs.run_description(_classifier("cnn"))
    assert text == (
        f"{MODELS['cnn'].title}, trained on Toy: 1,200 training, 20 validation, 30 test sequences."
    )
    expression = Run(
        {"kind": "expression", "model": "nope"},
        {"n_cells": 1500, "n_genes": 200},
        [],
        {},
        nn.Linear(1, 1),
    )
    assert runs.run_description(expression) == "nope, trained on : 1,500 cells × 200 genes."


def test_listing_description_shows_the_accuracy():
    listing = runs.RunListing(
        "r", Path("r"), "cnn", "sequence", "", "Toy", {"test_accuracy": 0.875}, "", "My run"
    )
    assert runs.listing_description(listing) == "My run · test accuracy 87.5%"


@pytest.mark.parametrize(
    ("columns", "agreement"),
    [({"label": ["a", "b", "b"]}, 2 / 3), ({}, None)],
)
def test_prediction_summary(columns, agreement):
    table = pd.DataFrame({"predicted": ["a", "b", "a"], **columns})
    summary = runs.prediction_summary(table)
    assert summary.counts == {"a": 2, "b": 1}
    assert summary.agreement == (pytest.approx(agreement) if agreement else None)
