"""What an embedding is computed on: the data, its principal components, a run's latent
space or a sequence model's features, named by short keys.

An input key is ``"data"`` (the processed matrix), ``"pca"`` (its first
:data:`INPUT_PCS` principal components), ``"run:<run name>"`` (the latent space of a
saved expression run) or ``"run:<run name>:first"`` / ``":second"`` (a two-modality run's
latent of one modality alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genodash.expression.embed import METHOD_TITLES, pca_coordinates
from genodash.expression.export import embedding_table
from genodash.expression.scores import embed_and_score

if TYPE_CHECKING:
    import anndata
    import pandas as pd

    from genodash.data import SequenceSet
    from genodash.expression.embed import Embedding, EmbeddingConfig
    from genodash.expression.preprocess import ProcessedMatrix
    from genodash.train.runs import Run

INPUT_PCS = 50
LATENT_TABLES = {"": "latent", "first": "latent_first", "second": "latent_second"}
_MODALITY_NAMES = {
    "": "",
    "first": " (first modality alone)",
    "second": " (second modality alone)",
}
# the course figure: (what, method) per panel, "latent" standing for a run's latent space
COURSE_PANELS = (("pca", "pca"), ("latent", "pca"), ("pca", "tsne"), ("latent", "tsne"))


@dataclass(frozen=True)
class EmbeddingInput:
    """One thing an embedding can be computed on, as offered in a menu.

    Attributes
    ----------
    key
        Its input key (see the module's docstring).
    label
        What a menu shows, e.g. ``"PCA of the data (50 components)"``.
    model_short
        The run's model as legends name it (``"Autoencoder"``); empty for data and PCA.
    latent_dim
        Dimensions of a run's latent space (0 for data and PCA, or when not recorded).
    """

    key: str
    label: str
    model_short: str = ""
    latent_dim: int = 0

    @property
    def run_name(self) -> str | None:
        """The run whose latent this is; ``None`` for the data and its PCA."""
        return _run_parts(self.key)[0] if self.key.startswith("run:") else None

    @property
    def modality(self) -> str:
        """``"first"`` or ``"second"`` for one modality's own latent, else empty."""
        return _run_parts(self.key)[1] if self.key.startswith("run:") else ""


def _run_parts(key: str) -> tuple[str, str]:
    name, _, modality = key.removeprefix("run:").partition(":")
    return name, modality


def is_latent(key: str) -> bool:
    """Whether the input key names a run's latent space.

    Parameters
    ----------
    key
        An input key.

    Returns
    -------
    bool
        ``True`` for ``"run:…"`` keys.
    """
    return key.startswith("run:")


def embedding_inputs(runs_dir: Path, data_name: str) -> dict[str, EmbeddingInput]:
    """Everything an embedding of a matrix can be computed on: the data, its PCA, and the
    latent of each saved expression run (for a two-modality run also each modality's own).

    Parameters
    ----------
    runs_dir
        The folder of saved runs.
    data_name
        The matrix's source name: runs trained on it come first.

    Returns
    -------
    dict
        Input key -> :class:`EmbeddingInput`, in menu order.
    """
    from genodash.models import MODELS
    from genodash.train.runs import list_runs

    inputs = [
        EmbeddingInput("data", "Processed data"),
        EmbeddingInput("pca", f"PCA of the data ({INPUT_PCS} components)"),
    ]
    runs = [r for r in list_runs(runs_dir) if r.kind == "expression"]
    for listing in sorted(runs, key=lambda r: r.data_name != data_name):
        model = MODELS[listing.model].short if listing.model in MODELS else listing.model
        modalities = LATENT_TABLES if listing.model == "integration" else {"": "latent"}
        for modality in modalities:
            key = f"run:{listing.name}{f':{modality}' if modality else ''}"
            label = f"Latent of {model} run “{listing.title}”{_MODALITY_NAMES[modality]}"
            dims = int(listing.metrics.get("latent_dim") or 0)
            inputs.append(EmbeddingInput(key, label, model, dims))
    return {source.key: source for source in inputs}


def input_matrix(
    processed: ProcessedMatrix, key: str, *, runs_dir: Path, batch_column: str | None = None
) -> Any:
    """The matrix an input key stands for, one row per cell of ``processed``.

    Parameters
    ----------
    processed
        The preprocessed matrix.
    key
        An input key (see the module's docstring).
    runs_dir
        The folder of saved runs, for ``"run:…"`` keys.
    batch_column
        Each cell's batch, for a run whose model needs it to encode cells anew.

    Returns
    -------
    array or sparse matrix
        Cells × features: the data, its principal components or the run's latent.
    """
    from genodash.train.runs import load_run

    if key == "data":
        return processed.adata.X
    if key == "pca":
        return pca_coordinates(processed.adata.X, min(INPUT_PCS, *processed.adata.shape) - 1)
    name, modality = _run_parts(key)
    run = load_run(runs_dir / name)
    latent, _ = run_latent(
        run, processed.adata, table=LATENT_TABLES[modality], batch_column=batch_column
    )
    return latent


def run_latent(
    run: Run,
    adata: anndata.AnnData,
    *,
    table: str = "latent",
    batch_column: str | None = None,
    on_encode: Callable[[], None] | None = None,
) -> tuple[np.ndarray, bool]:
    """Latent coordinates of ``adata``'s cells under an expression run.

    Parameters
    ----------
    run
        A saved expression run.
    adata
        The cells, processed as the run's training data was.
    table
        Which saved latent: ``"latent"``, or ``"latent_first"`` / ``"latent_second"`` of
        a two-modality run.
    batch_column
        Each cell's batch, for a model with a batch covariate (default: the run's).
    on_encode
        Called before the cells are encoded anew (when the run did not save them all).

    Returns
    -------
    tuple of numpy.ndarray and bool
        Cells × latent dimensions (float32), and whether they were saved with the run
        (``False``: the cells were encoded anew by its model).
    """
    from genodash import predict

    saved = predict.saved_latent(run, [str(c) for c in adata.obs_names], table=table)
    if saved is not None:
        return saved, True
    if on_encode is not None:
        on_encode()
    encoded = predict.latent_for_run(run, adata, batch_column=batch_column)
    return np.asarray(encoded, dtype=np.float32), False


def embedding_title(source: EmbeddingInput, method: str) -> str:
    """A short title: ``"PCA"``, ``"UMAP of PCA"``, ``"t-SNE of the Autoencoder latent"``.

    Parameters
    ----------
    source
        What was embedded.
    method
        ``"pca"``, ``"tsne"`` or ``"umap"``.

    Returns
    -------
    str
        The method's display name and what it was computed on.
    """
    if source.key in ("pca", "data") and method == "pca":
        return "PCA"
    name = METHOD_TITLES[method]
    if source.key == "pca":
        return f"{name} of PCA"
    if source.key == "data":
        return f"{name} of the data"
    latent = f"{source.model_short} latent{_MODALITY_NAMES[source.modality]}"
    if method == "pca" and source.latent_dim == 2:
        return f"The {latent} (2-D, drawn directly)"
    return f"{name} of the {latent}"


def download_stem(method: str, key: str) -> str:
    """A file name stem for an embedding: ``"tsne_run_ae-1"``.

    Parameters
    ----------
    method
        The embedding's method.
    key
        Its input key.

    Returns
    -------
    str
        Method and input key, with ``:`` replaced by ``_``.
    """
    return f"{method}_{key.replace(':', '_')}"


def course_panels(inputs: dict[str, EmbeddingInput]) -> list[tuple[str, str]]:
    """The course figure's panels: PCA | a run's latent | t-SNE on PCA | t-SNE on the latent.

    As in the course, the second panel is a 2-D bottleneck drawn directly when a run has one
    (PCA of two dimensions only turns it), and the fourth is t-SNE of the widest latent.

    Parameters
    ----------
    inputs
        What :func:`embedding_inputs` offers; among runs of equal standing the first (runs on
        this data first) is the one shown.

    Returns
    -------
    list of tuple
        ``(input key, method)`` per panel; empty when there is no run latent to show.
    """
    latents = [source for key, source in inputs.items() if is_latent(key)]
    if not latents:
        return []
    flat = next((s for s in latents if s.latent_dim == 2), latents[0])
    widest = max(latents, key=lambda s: s.latent_dim)
    chosen = {"pca": flat.key, "tsne": widest.key}
    return [(chosen[how] if what == "latent" else what, how) for what, how in COURSE_PANELS]


def sequence_features_embedding(
    run: Run, sequences: SequenceSet, config: EmbeddingConfig
) -> tuple[Embedding, dict[str, Any]]:
    """Embed what a trained sequence model computes for each sequence, and score it.

    Parameters
    ----------
    run
        A saved sequence run.
    sequences
        The sequences (their labels, when known, are used for the scores).
    config
        How to embed the features.

    Returns
    -------
    tuple of Embedding and dict
        The embedding of the penultimate-layer features (input name
        ``"features:<model>"``) and its scores on sequences.
    """
    from genodash.predict import sequence_features

    features = sequence_features(run, sequences)
    labels = None if sequences.labels is None else np.asarray(sequences.labels, dtype=str)
    return embed_and_score(
        features,
        config,
        input_name=f"features:{run.config['model']}",
        labels=labels,
        unit="sequences",
    )


def sequence_features_table(sequences: SequenceSet, embedding: Embedding) -> pd.DataFrame:
    """The coordinates CSV of an embedding of sequence features, with each class if known.

    Parameters
    ----------
    sequences
        The sequences embedded by :func:`sequence_features_embedding`.
    embedding
        Its embedding.

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (the sequence ID), ``x``, ``y`` (``z``), then ``class`` where the
        sequences have labels.
    """
    extra = None if sequences.labels is None else {"class": [str(x) for x in sequences.labels]}
    coords, method = embedding.coords, embedding.method
    return embedding_table(list(sequences.ids), coords, method=method, extra=extra)
