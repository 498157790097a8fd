"""One processed matrix's embeddings, each computed once: their inputs, coordinates, scores
and Leiden clusters, remembered by what they were computed from."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genodash.expression.cluster import leiden_clusters
from genodash.expression.embed import Embedding, EmbeddingConfig, embed
from genodash.expression.embedding_inputs import (
    EmbeddingInput,
    download_stem,
    embedding_inputs,
    embedding_title,
    input_matrix,
    is_latent,
)
from genodash.expression.export import embedding_table, processed_anndata
from genodash.expression.scores import embedding_scores

if TYPE_CHECKING:
    import anndata
    import pandas as pd

    from genodash.expression.preprocess import ProcessedMatrix

# (title, coordinates, scores) of one panel of a side-by-side comparison
Panel = tuple[str, np.ndarray, dict[str, Any]]
_TABLE_OBS_COLUMNS = 8


class EmbeddingWorkbench:
    """Embeddings of one processed matrix, each input, embedding, score set and clustering
    computed once and kept (the last ``size`` of each kind).

    Parameters
    ----------
    processed
        The preprocessed matrix; never modified.
    runs_dir
        The folder of saved runs, whose latent spaces can be embedded.
    size
        How many results of each kind to keep.
    """

    def __init__(self, processed: ProcessedMatrix, runs_dir: Path, *, size: int = 12) -> None:
        self.processed = processed
        self.runs_dir = Path(runs_dir)
        self._size = size
        self._memos: dict[str, OrderedDict[Hashable, Any]] = {}

    def _memo(self, kind: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        memo = self._memos.setdefault(kind, OrderedDict())
        if key in memo:
            memo.move_to_end(key)
            return memo[key]
        value = memo[key] = compute()
        while len(memo) > self._size:
            memo.popitem(last=False)
        return value

    def inputs(self) -> dict[str, EmbeddingInput]:
        """What an embedding can be computed on (read afresh: runs come and go).

        Returns
        -------
        dict
            Input key -> :class:`~genodash.expression.embedding_inputs.EmbeddingInput`.
        """
        return embedding_inputs(self.runs_dir, self.processed.source_name)

    def cell_ids(self) -> list[str]:
        """Each cell's ID, as text, in the matrix's order."""
        return self.processed.adata.obs_names.astype(str).tolist()

    def obs_columns(self) -> list[str]:
        """The names of the cells' metadata columns, as text."""
        return [str(column) for column in self.processed.adata.obs.columns]

    def gene_names(self) -> list[str]:
        """Each gene's name, as text, in the matrix's order."""
        return [str(gene) for gene in self.processed.adata.var_names]

    def gene_values(self, gene: str) -> np.ndarray:
        """One gene's preprocessed value in each cell.

        Parameters
        ----------
        gene
            A gene name (see :meth:`gene_names`).

        Returns
        -------
        numpy.ndarray
            One float per cell.
        """
        return self.processed.adata.obs_vector(gene).astype(float)

    def obs_text(self, column: str | None) -> np.ndarray | None:
        """A column of the cells' metadata as text.

        Parameters
        ----------
        column
            A column of ``obs``; ``None`` for none.

        Returns
        -------
        numpy.ndarray or None
            One string per cell; ``None`` when ``column`` is ``None``.
        """
        if column is None:
            return None
        return self.processed.adata.obs[column].astype(str).to_numpy()

    def matrix(self, key: str, batch: str | None = None) -> Any:
        """The matrix an input key stands for.

        Parameters
        ----------
        key
            An input key (see :mod:`genodash.expression.embedding_inputs`).
        batch
            The batch column, for a run that encodes the cells anew.

        Returns
        -------
        array or sparse matrix
            Cells × features.
        """
        return self._memo(
            "inputs",
            (key, batch),
            lambda: input_matrix(self.processed, key, runs_dir=self.runs_dir, batch_column=batch),
        )

    def embedding(self, key: str, config: EmbeddingConfig, batch: str | None = None) -> Embedding:
        """The embedding of one input with these settings.

        Parameters
        ----------
        key
            An input key.
        config
            How to embed it.
        batch
            The batch column, for a run that encodes the cells anew.

        Returns
        -------
        Embedding
            The same object for the same key, settings and batch column.
        """
        return self._memo(
            "embeddings",
            (key, config, batch),
            lambda: embed(self.matrix(key, batch), config, input_name=key),
        )

    def scores(
        self,
        key: str,
        config: EmbeddingConfig,
        *,
        label: str | None = None,
        batch: str | None = None,
    ) -> dict[str, Any]:
        """The scores of :meth:`embedding`.

        Parameters
        ----------
        key, config
            Which embedding.
        label, batch
            Columns of ``obs`` with each cell's label and batch (``None``: none).

        Returns
        -------
        dict
            As :func:`~genodash.expression.scores.embedding_scores` returns them.
        """
        return self._memo(
            "scores", (key, config, label, batch), lambda: self._scored(key, config, label, batch)
        )

    def _scored(
        self, key: str, config: EmbeddingConfig, label: str | None, batch: str | None
    ) -> dict[str, Any]:
        data = self.matrix(key, batch)
        scores = embedding_scores(
            data,
            self.embedding(key, config, batch).coords,
            labels=self.obs_text(label),
            batches=self.obs_text(batch),
        )
        if config.method == "pca" and data.shape[1] <= config.n_components:
            scores["trustworthiness"] = float("nan")  # the picture is its input, turned: 1 always
        return scores

    def clusters(self, key: str, resolution: float) -> np.ndarray:
        """Leiden clusters of the cells in one input.

        Parameters
        ----------
        key
            An input key.
        resolution
            Leiden resolution (higher: more, smaller clusters).

        Returns
        -------
        numpy.ndarray
            One cluster name per cell.
        """
        return self._memo(
            "clusters",
            (key, resolution),
            lambda: leiden_clusters(self.matrix(key), resolution=resolution),
        )

    def panels(
        self,
        chosen: Sequence[tuple[str, str]],
        *,
        label: str | None = None,
        batch: str | None = None,
    ) -> list[Panel]:
        """Side-by-side panels, each embedded with the default settings of its method.

        Parameters
        ----------
        chosen
            ``(input key, method)`` per panel.
        label, batch
            Columns of ``obs`` for the scores.

        Returns
        -------
        list of tuple
            ``(title, coordinates, scores)`` per panel.
        """
        inputs = self.inputs()
        panels = []
        for key, method in chosen:
            config = EmbeddingConfig(method=method)
            scores = self.scores(key, config, label=label, batch=batch)
            title = embedding_title(inputs[key], method)
            panels.append((title, self.embedding(key, config, batch).coords, scores))
        return panels

    def coordinates_table(
        self, embedding: Embedding, *, clusters: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """The coordinates CSV: each cell's coordinates and its first metadata columns.

        Parameters
        ----------
        embedding
            The embedding of this matrix.
        clusters
            Each cell's Leiden cluster, added as column ``leiden`` when given.

        Returns
        -------
        pandas.DataFrame
            Columns ``cell``, ``x``, ``y`` (``z``), then up to eight metadata columns.
        """
        obs = self.processed.adata.obs
        extra: dict[str, Any] = {
            str(c): obs[c].astype(str).tolist() for c in obs.columns[:_TABLE_OBS_COLUMNS]
        }
        if clusters is not None:
            extra["leiden"] = clusters
        return embedding_table(
            self.cell_ids(), embedding.coords, method=embedding.method, extra=extra
        )

    def export_anndata(
        self,
        key: str,
        embedding: Embedding,
        *,
        batch: str | None = None,
        clusters: Sequence[Any] | None = None,
    ) -> anndata.AnnData:
        """The processed matrix with one embedding of it, for an ``.h5ad`` download.

        Parameters
        ----------
        key
            The input key the embedding was computed on; a run's latent space is stored too.
        embedding
            The embedding, stored as ``obsm["X_<stem>"]`` (the stem from
            :func:`~genodash.expression.embedding_inputs.download_stem`).
        batch
            The batch column the latent space was computed with.
        clusters
            Each cell's Leiden cluster, stored as ``obs["leiden"]`` when given.

        Returns
        -------
        anndata.AnnData
            As :func:`~genodash.expression.export.processed_anndata` makes it.
        """
        return processed_anndata(
            self.processed,
            embeddings={download_stem(embedding.method, key): embedding.coords},
            latent=self.matrix(key, batch) if is_latent(key) else None,
            clusters=clusters,
        )
