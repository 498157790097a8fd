"""Classification metrics: accuracy, AUROC, AUPRC, confusion matrix, curves, per-class scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def classification_metrics(
    targets: np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[str],
    *,
    positive_class: str | None = None,
) -> dict[str, Any]:
    """Scores of predicted class probabilities against true class indices.

    Binary tasks report AUROC and AUPRC for ``positive_class`` (default: the second class);
    multi-class tasks report their macro averages (one class against the rest).

    Parameters
    ----------
    targets
        True class index of each example ``(N,)``, integers from 0 to ``C - 1``.
    probabilities
        Predicted probabilities ``(N, C)``, one column per class.
    classes
        The ``C`` class names, in the order of the columns.
    positive_class
        For two classes, the one whose curves and areas are reported; ignored otherwise.

    Returns
    -------
    A JSON-ready dict: ``accuracy``, ``auroc``, ``auprc``, ``confusion`` (rows = true class),
    ``per_class`` (precision, recall, f1, support), ``roc`` and ``pr`` curve points per class.
    A class absent from the targets has no curve; with no curve at all the areas are NaN.
    """
    from sklearn import metrics

    classes = list(classes)
    predicted = probabilities.argmax(axis=1)
    labels = list(range(len(classes)))
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        targets, predicted, labels=labels, zero_division=0
    )
    curves_for = _curve_classes(classes, positive_class)
    roc, pr, aurocs, auprcs = {}, {}, [], []
    for index in curves_for:
        truth = (targets == index).astype(int)
        if truth.min() == truth.max():
            continue  # a class absent from the test set has no curve
        score = probabilities[:, index]
        fpr, tpr, _ = metrics.roc_curve(truth, score)
        precision_curve, recall_curve, _ = metrics.precision_recall_curve(truth, score)
        roc[classes[index]] = {"fpr": _thin(fpr), "tpr": _thin(tpr)}
        pr[classes[index]] = {"recall": _thin(recall_curve), "precision": _thin(precision_curve)}
        aurocs.append(metrics.roc_auc_score(truth, score))
        auprcs.append(metrics.average_precision_score(truth, score))
    return {
        "accuracy": float((predicted == targets).mean()),
        "auroc": float(np.mean(aurocs)) if aurocs else float("nan"),
        "auprc": float(np.mean(auprcs)) if auprcs else float("nan"),
        "average": "binary" if len(classes) == 2 else "macro",
        "positive_class": classes[curves_for[0]] if len(classes) == 2 else None,
        "n": len(targets),
        "classes": classes,
        "confusion": metrics.confusion_matrix(targets, predicted, labels=labels).tolist(),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
        "roc": roc,
        "pr": pr,
    }


def _curve_classes(classes: list[str], positive_class: str | None) -> list[int]:
    if len(classes) != 2:
        return list(range(len(classes)))
    if positive_class in classes:
        return [classes.index(positive_class)]
    return [1]


def _thin(values: np.ndarray, most: int = 400) -> list[float]:
    """Curve points, thinned to at most ``most`` for storage and plotting."""
    if len(values) > most:
        values = values[np.linspace(0, len(values) - 1, most).round().astype(int)]
    return [round(float(v), 5) for v in values]
