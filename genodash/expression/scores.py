"""How good is an embedding? Four numbers, each answering one question.

- :func:`knn_accuracy`: do a cell's nearest neighbours share its label? (0-1, higher better)
- :func:`silhouette`: are the labelled groups compact and apart? (-1 to 1, higher better)
- :func:`trustworthiness`: are the neighbours in the picture also neighbours in the data?
  (0-1, higher better)
- :func:`batch_mixing`: are batches mixed among a cell's neighbours, as they are in the
  whole data set? (0 = batches separated, 1 = as mixed as the whole data set)

:func:`embedding_scores` computes them on one random subsample so that they stay fast
(trustworthiness needs all pairwise distances) and comparable between embeddings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.data import is_sparse
from genodash.errors import ConfigError
from genodash.expression.display import UNDEFINED, DisplayColumn, DisplayTable

if TYPE_CHECKING:
    from genodash.expression.embed import Embedding, EmbeddingConfig

# score key -> its label on screen, and its column in the compare table (and scores CSV)
SCORE_LABELS = {
    "knn_accuracy": "kNN accuracy",
    "silhouette": "Silhouette",
    "trustworthiness": "Trustworthiness",
    "batch_mixing": "Batch mixing",
}
SCORE_COLUMNS = {
    "knn_accuracy": "kNN accuracy",
    "silhouette": "silhouette",
    "trustworthiness": "trustworthiness",
    "batch_mixing": "batch mixing",
}
_UNDEFINED_NOTE = f"; {UNDEFINED} = undefined here (see each score’s help)"


def _codes(labels: Sequence[Any] | np.ndarray, n: int, name: str) -> np.ndarray:
    """Integer codes of ``labels`` (missing values form their own group)."""
    values = np.asarray([str(v) for v in labels])
    if len(values) != n:
        raise ConfigError(f"{name} has {len(values):,} entries for {n:,} cells")
    return np.unique(values, return_inverse=True)[1]


def _neighbors(coords: np.ndarray, k: int) -> np.ndarray:
    """Indices of each point's ``k`` nearest other points, nearest first."""
    from sklearn.neighbors import NearestNeighbors

    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    if not 1 <= k < n:
        raise ConfigError(f"k must lie between 1 and the number of cells - 1 ({n - 1}), got {k}")
    index = NearestNeighbors(n_neighbors=k).fit(coords)
    return index.kneighbors(return_distance=False)


def knn_accuracy(coords: np.ndarray, labels: Sequence[Any] | np.ndarray, k: int = 15) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of the labels in the embedding.

    Each cell's label is predicted by a majority vote of its ``k`` nearest other cells;
    a tie goes to the tied label whose nearest member is closest. The score is the share
    of cells predicted correctly.

    Parameters
    ----------
    coords
        Cells × dimensions.
    labels
        One label per cell.
    k
        Number of neighbours (at most cells - 1).

    Returns
    -------
    float
        The share of cells whose label is predicted correctly, from 0 to 1.

    Raises
    ------
    ConfigError
        ``labels`` does not have one entry per cell, or ``k`` is out of range.
    """
    codes = _codes(labels, len(coords), "labels")
    neighbour_codes = codes[_neighbors(coords, k)]  # (n, k)
    n_classes = int(codes.max()) + 1
    votes = np.zeros((len(codes), n_classes))
    first = np.full((len(codes), n_classes), k)
    rows = np.arange(len(codes))
    for rank in range(k - 1, -1, -1):
        column = neighbour_codes[:, rank]
        np.add.at(votes, (rows, column), 1)
        first[rows, column] = rank
    # more votes first; among equal votes, the class met earliest in neighbour order
    predicted = np.argmax(votes * (k + 1) + (k - first), axis=1)
    return float(np.mean(predicted == codes))


def silhouette(coords: np.ndarray, labels: Sequence[Any] | np.ndarray) -> float:
    """Mean silhouette width of the labelled groups (scikit-learn's ``silhouette_score``).

    For each cell, (b - a) / max(a, b) with a its mean distance to its own group and b to
    the nearest other group. NaN with fewer than 2 groups or no group of 2 or more cells.

    Parameters
    ----------
    coords
        Cells × dimensions: the embedding's coordinates.
    labels
        One label per cell (e.g. cell type); compared as text, so missing values form a
        group of their own.

    Returns
    -------
    float
        The mean silhouette width, from -1 (cells nearer another group) to 1 (compact,
        well-separated groups); NaN when there are fewer than 2 groups, or as many groups
        as cells.

    Raises
    ------
    ConfigError
        ``labels`` does not have one entry per cell.
    """
    from sklearn.metrics import silhouette_score

    codes = _codes(labels, len(coords), "labels")
    n_groups = len(np.unique(codes))
    if not 2 <= n_groups <= len(codes) - 1:
        return float("nan")
    return float(silhouette_score(coords, codes))


def trustworthiness(X_high: Any, coords: np.ndarray, k: int = 15) -> float:
    """Trustworthiness of the embedding (scikit-learn): 1 when every cell's ``k`` nearest
    neighbours in the picture are also among its nearest neighbours in ``X_high``.

    Neighbours in the picture that are far away in the data lower the score in
    proportion to their rank in the data. Needs ``k < cells / 2``; costs all pairwise
    distances, so subsample large data (see :func:`embedding_scores`).

    Parameters
    ----------
    X_high
        The data the embedding should reflect: cells × features, dense or sparse, the same
        cells in the same order as ``coords``.
    coords
        Cells × dimensions: the embedding's coordinates.
    k
        Neighbours compared per cell, from 1 to below half the number of cells.

    Returns
    -------
    float
        The trustworthiness, from 0 to 1 (higher is better).

    Raises
    ------
    ConfigError
        ``k`` is out of range.
    """
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness

    n = coords.shape[0]
    if not 1 <= k < n / 2:
        raise ConfigError(f"trustworthiness needs 1 ≤ k < cells / 2 ({n / 2:g}), got {k}")
    high = X_high if is_sparse(X_high) else np.asarray(X_high, dtype=np.float64)
    return float(sklearn_trustworthiness(high, np.asarray(coords, np.float64), n_neighbors=k))


def batch_mixing(coords: np.ndarray, batches: Sequence[Any] | np.ndarray, k: int = 50) -> float:
    """How well batches mix among each cell's neighbours, from 0 (separate) to 1 (mixed).

    For each cell, the Shannon entropy of the batch labels among its ``k`` nearest other
    cells is computed; the mean of these entropies is divided by the entropy of the batch
    proportions in the whole data set. 1 means neighbourhoods are as mixed as the data set
    as a whole (what a perfect batch correction gives), 0 means every neighbourhood holds
    one batch only. Finite ``k`` makes random neighbourhoods score slightly below 1, and
    unequal batch sizes can push a score slightly above 1. NaN with a single batch.

    Parameters
    ----------
    coords
        Cells × dimensions: the embedding's coordinates.
    batches
        One batch label per cell (e.g. sample, donor or sequencing run); compared as
        text, so missing values form a batch of their own.
    k
        Neighbours per cell, from 1 to cells - 1.

    Returns
    -------
    float
        The mixing score, about 0 (batches separated) to 1 (as mixed as the whole data
        set); NaN with a single batch.

    Raises
    ------
    ConfigError
        ``batches`` does not have one entry per cell, or ``k`` is not between 1 and cells - 1.
    """
    codes = _codes(batches, len(coords), "batches")
    global_entropy = _entropy(np.bincount(codes) / len(codes))
    if global_entropy == 0:
        return float("nan")
    neighbour_codes = codes[_neighbors(coords, k)]
    n_batches = int(codes.max()) + 1
    counts = np.zeros((len(codes), n_batches))
    rows = np.repeat(np.arange(len(codes)), neighbour_codes.shape[1])
    np.add.at(counts, (rows, neighbour_codes.ravel()), 1)
    local = _entropy(counts / neighbour_codes.shape[1])
    return float(np.mean(local) / global_entropy)


def _entropy(proportions: np.ndarray) -> Any:
    """Shannon entropy (natural log) along the last axis."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(proportions > 0, proportions * np.log(proportions), 0.0)
    return -terms.sum(axis=-1)


def embedding_scores(
    X_high: Any,
    coords: np.ndarray,
    *,
    labels: Sequence[Any] | np.ndarray | None = None,
    batches: Sequence[Any] | np.ndarray | None = None,
    max_cells: int = 3000,
    seed: int = 0,
    k: int = 15,
    k_batch: int = 50,
    unit: str = "cells",
) -> dict[str, Any]:
    """All applicable scores on one random subsample of at most ``max_cells`` cells.

    Parameters
    ----------
    X_high
        The data the embedding should reflect (cells × features, dense or sparse).
    coords
        Cells × dimensions.
    labels, batches
        Optional per-cell labels and batches.
    max_cells
        Subsample size (the same cells for every score).
    seed
        Seed of the subsample.
    k, k_batch
        Neighbours for kNN accuracy / trustworthiness and for batch mixing (capped for
        small data).
    unit
        What the rows are, plural (``"cells"``, ``"sequences"``), for error messages.

    Returns
    -------
    dict
        ``trustworthiness``, ``knn_accuracy`` and ``silhouette`` (with labels),
        ``batch_mixing`` (with batches), ``n_scored`` (of ``n_total``) and the ``k`` used.
    """
    coords = np.asarray(coords)
    n = coords.shape[0]
    if X_high.shape[0] != n:
        raise ConfigError(f"data have {X_high.shape[0]:,} {unit} but the embedding {n:,}")
    if n < 4:
        raise ConfigError(f"scores need at least 4 {unit}, got {n}")
    chosen = np.sort(np.random.default_rng(seed).choice(n, size=min(n, max_cells), replace=False))
    sub = coords[chosen]
    k = max(1, min(k, (len(chosen) - 1) // 2))
    scores: dict[str, Any] = {
        "trustworthiness": trustworthiness(X_high[chosen], sub, k=k),
        "n_scored": len(chosen),
        "n_total": n,
        "k": k,
    }
    if labels is not None:
        picked = np.asarray(labels, dtype=object)[chosen]
        scores["knn_accuracy"] = knn_accuracy(sub, picked, k=k)
        scores["silhouette"] = silhouette(sub, picked)
    if batches is not None:
        k_batch = max(1, min(k_batch, len(chosen) - 1))
        scores["batch_mixing"] = batch_mixing(
            sub, np.asarray(batches, dtype=object)[chosen], k=k_batch
        )
        scores["k_batch"] = k_batch
    return scores


def scored_on(scores: dict[str, Any], unit: str = "cells") -> str:
    """Which rows the scores were computed on, in words: all of them, or a random subsample.

    Parameters
    ----------
    scores
        Scores as :func:`embedding_scores` returns them; only ``n_scored`` and, if present,
        ``n_total`` are read.
    unit
        What the rows are, plural (``"cells"``, ``"sequences"``).

    Returns
    -------
    str
        For example ``"Scores on a random 3,000 of the 68,579 cells"``.
    """
    n_scored, n_total = scores["n_scored"], scores.get("n_total", scores["n_scored"])
    if n_scored >= n_total:
        return f"Scores on all {n_total:,} {unit}"
    return f"Scores on a random {n_scored:,} of the {n_total:,} {unit}"


def embed_and_score(
    X: Any,
    config: EmbeddingConfig,
    *,
    input_name: str = "data",
    reference: Any = None,
    labels: Sequence[Any] | np.ndarray | None = None,
    batches: Sequence[Any] | np.ndarray | None = None,
    max_cells: int = 3000,
    seed: int = 0,
    unit: str = "cells",
) -> tuple[Embedding, dict[str, Any]]:
    """Embed ``X`` and score the picture, in one call.

    Parameters
    ----------
    X
        What to embed (rows × features, dense or sparse).
    config
        How to embed it.
    input_name
        What ``X`` is, recorded with the embedding (``"data"``, ``"pca"``,
        ``"latent:<run>"``, ``"features:<model>"``).
    reference
        The data the picture should reflect, for trustworthiness (same rows); ``None``:
        ``X`` itself.
    labels, batches
        Optional per-row labels and batches.
    max_cells
        Rows in the random subsample that is scored.
    seed
        Seed of that subsample.
    unit
        What the rows are, plural (``"cells"``, ``"sequences"``).

    Returns
    -------
    tuple of Embedding and dict
        The embedding, and its scores as :func:`embedding_scores` returns them.
    """
    from genodash.expression.embed import embed

    embedding = embed(X, config, input_name=input_name)
    scores = embedding_scores(
        X if reference is None else reference,
        embedding.coords,
        labels=labels,
        batches=batches,
        max_cells=max_cells,
        seed=seed,
        unit=unit,
    )
    return embedding, scores


# --- the scores for people --------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreMetric:
    """One score as a headline number: its label, its value as text and a one-line help."""

    label: str
    value: str
    help: str


def score_help(scores: Mapping[str, Any], unit: str = "cells") -> dict[str, str]:
    """One line per score: what it measures, its range, which way is better.

    Parameters
    ----------
    scores
        What :func:`embedding_scores` returned (its ``k`` and ``k_batch`` appear in the
        lines; 15 and 50 when missing).
    unit
        What the rows are, plural (``"cells"``, ``"sequences"``).

    Returns
    -------
    dict
        Score key -> help line.
    """
    one = unit.removesuffix("s")
    k, k_batch = scores.get("k", 15), scores.get("k_batch", 50)
    return {
        "knn_accuracy": f"Share of {unit} whose {k} nearest neighbours in the picture mostly "
        "share their label (0 to 1, higher is better)",
        "silhouette": "How compact and apart the labelled groups are (−1 to 1, higher is "
        "better; undefined with fewer than 2 groups)",
        "trustworthiness": f"Whether each {one}'s {k} nearest neighbours in the picture "
        "were near it in the data too (0 to 1, higher is better; undefined when the picture "
        "is its input turned, e.g. PCA of a 2-D latent)",
        "batch_mixing": f"Whether {unit} of different batches mix among each {one}'s "
        f"{k_batch} neighbours: 0 = apart, 1 = as mixed as the whole data set (undefined "
        "with one batch)",
    }


def score_metrics(scores: Mapping[str, Any], unit: str = "cells") -> list[ScoreMetric]:
    """The computed scores as headline numbers (three decimals, "—" where undefined).

    Parameters
    ----------
    scores
        What :func:`embedding_scores` returned.
    unit
        What the rows are, plural, for the help lines.

    Returns
    -------
    list of ScoreMetric
        One per score that was computed, in the order of ``SCORE_LABELS``.
    """
    helps = score_help(scores, unit)
    return [
        ScoreMetric(SCORE_LABELS[key], _three_decimals(scores[key]), helps[key])
        for key in SCORE_LABELS
        if scores.get(key) is not None
    ]


def scores_caption(scores: Mapping[str, Any], unit: str = "cells") -> str:
    """The line under the headline numbers: which rows were scored, what "—" means.

    Parameters
    ----------
    scores
        What :func:`embedding_scores` returned.
    unit
        What the rows are, plural.

    Returns
    -------
    str
        For example ``"Scores on all 700 cells."``.
    """
    return f"{scored_on(scores, unit)}{_UNDEFINED_NOTE if _any_undefined([scores]) else ''}."


def scores_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """One row per embedding: its title, then each computed score (as in the scores CSV).

    Parameters
    ----------
    rows
        ``(title, scores)`` pairs, scores as :func:`embedding_scores` returned them.

    Returns
    -------
    pandas.DataFrame
        Columns ``embedding`` and the ``SCORE_COLUMNS`` names of the computed scores;
        an undefined score is NaN.
    """
    return pd.DataFrame(
        [
            {"embedding": title, **{SCORE_COLUMNS[k]: s[k] for k in SCORE_COLUMNS if k in s}}
            for title, s in rows
        ]
    )


def scores_display(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> DisplayTable:
    """The table of :func:`scores_table` for people: labels, help lines, "—" where a score
    is undefined, and a note saying which cells were scored with how many neighbours.

    Parameters
    ----------
    rows
        ``(title, scores)`` pairs, all scored on the same cells; at least one.

    Returns
    -------
    DisplayTable
        Score columns with an undefined value become text (three decimals, "—").
    """
    frame = scores_table(rows)
    first = rows[0][1]
    helps = score_help(first)
    columns = {"embedding": DisplayColumn("Embedding", "What was embedded, and how")}
    for key, name in SCORE_COLUMNS.items():
        if name not in frame:
            continue
        undefined = bool(frame[name].isna().any())
        if undefined:
            frame[name] = [_three_decimals(v) for v in frame[name]]
        columns[name] = DisplayColumn(SCORE_LABELS[key], helps[key], None if undefined else "%.3f")
    undefined_note = _UNDEFINED_NOTE if _any_undefined([s for _, s in rows]) else ""
    note = f"{scored_on(first)}, k = {first['k']} neighbours{undefined_note}."
    return DisplayTable(frame=frame[list(columns)], columns=columns, note=note)


def _three_decimals(value: Any) -> str:
    return UNDEFINED if pd.isna(value) or not np.isfinite(value) else f"{value:.3f}"


def _any_undefined(all_scores: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        s.get(k) is not None and not np.isfinite(s[k]) for s in all_scores for k in SCORE_LABELS
    )
