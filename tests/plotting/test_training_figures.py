"""Figures of training and evaluation (genodash.plotting.training): traces and labels.

tests/test_summaries.py covers whole-epoch ticks and the legend below the
learning curves; tests/plotting/test_plotting_escape.py the confusion matrix's cell text.
"""

from __future__ import annotations

import numpy as np
import pytest

from genodash.plotting import CLASS_COLORS
from genodash.plotting.training import (
    confusion_matrix_figure,
    leaderboard_figure,
    pr_figure,
    roc_figure,
    training_curves_figure,
)
from support import annotation_texts, as_list, axis_titles, title, traces


def _history(epochs: int = 3, *, metric: bool = True) -> list[dict[str, float]]:
    rows = []
    for e in range(1, epochs + 1):
        row = {"epoch": e, "train_loss": 1 / e, "val_loss": 1.5 / e}
        if metric:
            row |= {"train_accuracy": 0.5 + e / 10, "val_accuracy": 0.4 + e / 10}
        rows.append(row)
    return rows


CURVE = {"fpr": [0, 0.2, 1], "tpr": [0, 0.7, 1], "recall": [0, 0.6, 1], "precision": [1, 0.9, 0.5]}


def test_learning_curves_plot_loss_and_metric_per_model_and_split():
    fig = training_curves_figure({"CNN": _history(), "LSTM": _history(2)})
    names = [
        f"{model} · {split}" for model in ("CNN", "LSTM") for split in ("training", "validation")
    ]
    # per model: loss (train, val) in the left panel, then accuracy (train, val) in the right
    assert traces(fig) == [
        ("scatter", name) for model in (names[:2], names[2:]) for name in model * 2
    ]
    assert [t.xaxis for t in fig.data] == ["x", "x", "x2", "x2"] * 2
    assert [t.showlegend for t in fig.data] == [True, True, False, False] * 2
    assert [t.line.dash for t in fig.data[:2]] == ["dot", "solid"]  # training dotted
    assert {t.line.color for t in fig.data[:4]} == {CLASS_COLORS[0]}
    assert {t.line.color for t in fig.data[4:]} == {CLASS_COLORS[1]}
    cnn_val_loss, cnn_train_accuracy = fig.data[1], fig.data[2]
    assert as_list(cnn_val_loss.x) == [1, 2, 3]
    np.testing.assert_allclose(cnn_val_loss.y, [1.5, 0.75, 0.5])
    np.testing.assert_allclose(cnn_train_accuracy.y, [0.6, 0.7, 0.8])
    assert annotation_texts(fig) == ["Loss", "Accuracy"]
    assert title(fig) == "Learning curves (dotted: training, solid: validation)"
    assert axis_titles(fig, "x") == ["epoch", "epoch"]
    assert fig.layout.yaxis2.tickformat == ".0%"


def test_learning_curves_name_the_metric_asked_for():
    history = [
        {"epoch": 1, "train_loss": 1.0, "val_loss": 1.0, "train_auroc": 0.6, "val_auroc": 0.7}
    ]
    fig = training_curves_figure({"CNN": history}, metric="auroc")
    assert annotation_texts(fig) == ["Loss", "Auroc"]
    np.testing.assert_allclose(fig.data[3].y, [0.7])


def test_learning_curves_without_the_metric_have_only_the_loss_panel():
    fig = training_curves_figure({"VAE": _history(metric=False)})
    assert traces(fig) == [("scatter", "VAE · training"), ("scatter", "VAE · validation")]
    assert annotation_texts(fig) == ["Loss"]
    assert axis_titles(fig, "x") == ["epoch"]


def test_confusion_matrix_colours_row_shares_true_down_predicted_across():
    fig = confusion_matrix_figure([[3, 1], [0, 0]], ["pos", "neg"])
    assert traces(fig) == [("heatmap", None)]
    heat = fig.data[0]
    np.testing.assert_allclose(heat.z, [[0.75, 0.25], [0.0, 0.0]])  # an empty row: no NaN
    assert as_list(heat.x) == as_list(heat.y) == ["pos", "neg"]
    assert (heat.zmin, heat.zmax) == (0, 1)
    assert heat.text[1][0] == "0<br>0%"
    assert title(fig) == "Confusion matrix (test set)"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "predicted class",
        "true class",
    )
    assert fig.layout.yaxis.autorange == "reversed"  # the first class on top


def test_roc_figure_has_the_chance_line_then_one_curve_each():
    fig = roc_figure({"pos": CURVE, "neg": CURVE})
    assert traces(fig) == [("scatter", "chance"), ("scatter", "pos"), ("scatter", "neg")]
    assert as_list(fig.data[0].x) == [0, 1] and fig.data[0].line.dash == "dash"
    assert as_list(fig.data[1].x) == CURVE["fpr"] and as_list(fig.data[1].y) == CURVE["tpr"]
    assert title(fig) == "ROC curve"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "false-positive rate",
        "true-positive rate",
    )
    assert title(roc_figure({}, title="ROC by model")) == "ROC by model"


def test_pr_figure_has_one_curve_each_recall_across():
    fig = pr_figure({"CNN": CURVE, "LSTM": CURVE})
    assert traces(fig) == [("scatter", "CNN"), ("scatter", "LSTM")]
    assert as_list(fig.data[0].x) == CURVE["recall"]
    assert as_list(fig.data[0].y) == CURVE["precision"]
    assert title(fig) == "Precision–recall curve"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("recall", "precision")
    assert title(pr_figure({}, title="PR by model")) == "PR by model"


def test_leaderboard_groups_three_scores_per_model():
    rows = [
        {"Model": "CNN", "Test accuracy": 0.9, "Test AUROC": 0.95, "Test AUPRC": 0.93},
        {"Model": "LSTM", "Test accuracy": 0.8, "Test AUROC": 0.85, "Test AUPRC": 0.8123},
    ]
    fig = leaderboard_figure(rows)
    assert traces(fig) == [("bar", "accuracy"), ("bar", "AUROC"), ("bar", "AUPRC")]
    assert all(as_list(t.x) == ["CNN", "LSTM"] for t in fig.data)
    assert [as_list(t.y) for t in fig.data] == [[0.9, 0.8], [0.95, 0.85], [0.93, 0.8123]]
    assert as_list(fig.data[2].text) == ["0.930", "0.812"]
    assert fig.layout.barmode == "group"
    assert title(fig) == "Test scores by model"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("model", "score")


@pytest.mark.parametrize("builder", [roc_figure, pr_figure])
def test_curves_share_the_unit_square(builder):
    fig = builder({"a": CURVE})
    assert list(fig.layout.xaxis.range) == [0, 1] and list(fig.layout.yaxis.range) == [0, 1.02]
