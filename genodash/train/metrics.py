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
    classes = list(classes)
    predicted = probabilities.argmax(axis=1)
    n_classes = len(classes)
    confusion = np.bincount(
        np.asarray(targets, dtype=np.int64) * n_classes + predicted, minlength=n_classes**2
    ).reshape(n_classes, n_classes)
    curves_for = _curve_classes(classes, positive_class)
    roc, pr, aurocs, auprcs = {}, {}, [], []
    for index in curves_for:
        truth = np.asarray(targets) == index
        if truth.all() or not truth.any():
            continue  # a class absent from the test set has no curve
        curves = _curves(truth, probabilities[:, index])
        roc[classes[index]] = {"fpr": _thin(curves["fpr"]), "tpr": _thin(curves["tpr"])}
        pr[classes[index]] = {
            "recall": _thin(curves["recall"]),
            "precision": _thin(curves["precision"]),
        }
        aurocs.append(curves["auroc"])
        auprcs.append(curves["auprc"])
    return {
        "accuracy": float((predicted == targets).mean()),
        "auroc": float(np.mean(aurocs)) if aurocs else float("nan"),
        "auprc": float(np.mean(auprcs)) if auprcs else float("nan"),
        "average": "binary" if len(classes) == 2 else "macro",
        "positive_class": classes[curves_for[0]] if len(classes) == 2 else None,
        "n": len(targets),
        "classes": classes,
        "confusion": confusion.tolist(),
        "per_class": _per_class(confusion, classes),
        "roc": roc,
        "pr": pr,
    }


EXACT_CURVES_UP_TO = 500_000  # examples; beyond, curves come from binned scores
SCORE_BINS = 1 << 16


def _per_class(confusion: np.ndarray, classes: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each class, from the confusion matrix (0 where
    a ratio has nothing to divide by, as scikit-learn's ``zero_division=0``)."""
    hits = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1)
    called = confusion.sum(axis=0)
    precision = np.divide(hits, called, out=np.zeros_like(hits), where=called > 0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    return {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for name, p, r, f, n in zip(classes, precision, recall, f1, support, strict=True)
    }


def _curves(truth: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    """ROC and precision-recall curves and their areas of one class against the rest:
    scikit-learn's, exact, for up to :data:`EXACT_CURVES_UP_TO` examples; beyond, from
    scores binned in :data:`SCORE_BINS` bins, whose memory does not grow with the data."""
    if len(truth) <= EXACT_CURVES_UP_TO:
        from sklearn import metrics

        fpr, tpr, _ = metrics.roc_curve(truth, score)
        precision, recall, _ = metrics.precision_recall_curve(truth, score)
        return {
            "fpr": fpr,
            "tpr": tpr,
            "precision": precision,
            "recall": recall,
            "auroc": float(metrics.roc_auc_score(truth, score)),
            "auprc": float(metrics.average_precision_score(truth, score)),
        }
    bins = np.minimum(
        (np.asarray(score, dtype=np.float64) * SCORE_BINS).astype(np.int64), SCORE_BINS - 1
    )
    positives = np.bincount(bins[truth], minlength=SCORE_BINS)[::-1]
    negatives = np.bincount(bins[~truth], minlength=SCORE_BINS)[::-1]
    used = (positives + negatives) > 0  # thresholds from the highest score down
    tp = np.cumsum(positives)[used]
    fp = np.cumsum(negatives)[used]
    tpr = np.concatenate([[0.0], tp / tp[-1]])
    fpr = np.concatenate([[0.0], fp / fp[-1]])
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return {
        "fpr": fpr,
        "tpr": tpr,
        "precision": np.concatenate([precision[::-1], [1.0]]),
        "recall": np.concatenate([recall[::-1], [0.0]]),
        "auroc": float(np.trapezoid(tpr, fpr)),
        "auprc": float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision)),
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
