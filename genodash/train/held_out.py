"""Train on part of the cells, place the rest: which cells an expression run trained on,
and how well a learned picture places the cells it never saw, beside t-SNE and UMAP.

A run keeps its split as fractions and a seed (``config.json``) and its cells in the order
it read them (the ``cell`` column of ``latent.csv``); with the label column it was
stratified by, that split is drawn again exactly as training drew it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from genodash.errors import ConfigError
from genodash.expression.scores import embedding_scores, knn_accuracy
from genodash.train.expression import split_cells
from genodash.train.runs import Run

TRAINING, HELD_OUT = "training cell", "held-out cell"


def cell_roles(run: Run, obs: pd.DataFrame) -> np.ndarray:
    """``"training cell"`` or ``"held-out cell"`` (validation or test) for each cell of
    ``obs``, as the run split its cells.

    Parameters
    ----------
    run
        A saved expression run with its latent table.
    obs
        The cells to label (one row per cell, indexed by cell ID), with the run's label
        column when it had one.

    Raises
    ------
    ConfigError
        The run has no latent table, or its cells are not the cells of ``obs``.
    """
    table = run.tables.get("latent")
    if table is None:
        raise ConfigError(f"run {run.config.get('model')} saved no latent table")
    cells = table["cell"].astype(str).tolist()
    known = set(map(str, obs.index))
    if len(cells) != len(known) or not known.issuperset(cells):
        raise ConfigError(
            f"the run trained on {len(cells):,} cells, not on these {len(known):,}: "
            "choose a run trained on this matrix"
        )
    column = run.config.get("label_column")
    labels = None
    if column and column in obs.columns:
        labels = obs[column].astype(str).reindex(cells).tolist()
    split = run.config["split"]
    drawn, _ = split_cells(
        labels, len(cells), split["val_fraction"], split["test_fraction"], split["seed"]
    )
    roles = pd.Series(HELD_OUT, index=cells)
    roles.iloc[drawn.train] = TRAINING
    return roles.reindex(obs.index.astype(str)).to_numpy()


def held_out_accuracy(
    coords: np.ndarray, labels: Sequence[Any], roles: np.ndarray, k: int = 15
) -> float:
    """Share of held-out cells whose ``k`` nearest *training* cells in the picture mostly
    share their label: how well the picture places cells it never saw.

    Parameters
    ----------
    coords
        Every cell's place in the picture ``(N, 2)``.
    labels
        Every cell's label.
    roles
        Every cell's role, from :func:`cell_roles`.
    k
        Neighbours that vote.
    """
    from sklearn.neighbors import KNeighborsClassifier

    train, held = roles == TRAINING, roles == HELD_OUT
    labels = np.asarray(labels, dtype=object).astype(str)
    k = max(1, min(k, int(train.sum())))
    classifier = KNeighborsClassifier(n_neighbors=k).fit(coords[train], labels[train])
    return float(np.mean(classifier.predict(coords[held]) == labels[held]))


def mapping_scores(
    reference: Any,
    pictures: Mapping[str, np.ndarray],
    labels: Sequence[Any],
    roles: np.ndarray,
    *,
    mapped: str,
) -> pd.DataFrame:
    """kNN accuracy and trustworthiness of several pictures of the same cells, all against
    the same reference, and the held-out accuracy of the one that maps new cells.

    Parameters
    ----------
    reference
        The data every picture should reflect (cells × features, e.g. 50 PCs).
    pictures
        Title -> coordinates ``(N, 2)`` of the same cells.
    labels
        Every cell's label.
    roles
        Every cell's role, from :func:`cell_roles`.
    mapped
        The title of the picture made by an encoder (the only one that can place new
        cells); the others get no held-out accuracy.

    Returns
    -------
    One row per picture: ``picture``, ``kNN accuracy``, ``trustworthiness``, ``held-out
    kNN accuracy`` (empty for pictures that cannot place new cells).
    """
    rows = []
    for title, coords in pictures.items():
        scores = embedding_scores(reference, coords, labels=labels)
        held = held_out_accuracy(coords, labels, roles) if title == mapped else np.nan
        rows.append(
            {
                "picture": title,
                "kNN accuracy": scores["knn_accuracy"],
                "trustworthiness": scores["trustworthiness"],
                "held-out kNN accuracy": held,
            }
        )
    return pd.DataFrame(rows)


def loses_to_pca(
    latent: np.ndarray, pcs: np.ndarray, labels: Sequence[Any], *, margin: float = 0.0
) -> tuple[bool, float, float]:
    """Whether a learned latent separates the labels worse than PCA with as many components.

    Parameters
    ----------
    latent
        A run's latent coordinates ``(N, K)``.
    pcs
        The principal components of the same cells ``(N, ≥ K)``; the first ``K`` are used.
    labels
        Every cell's label.
    margin
        How much lower the latent's kNN accuracy may be before it counts as losing.

    Returns
    -------
    Whether it loses, the latent's kNN accuracy and PCA's.
    """
    dims = latent.shape[1]
    ours, theirs = knn_accuracy(latent, labels), knn_accuracy(pcs[:, :dims], labels)
    return ours < theirs - margin, ours, theirs
