"""Predictions of trained models, the one home: the batched forward pass on one device,
class probabilities and last-layer features of sequence models, latent coordinates of cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.data import SequenceSet
from genodash.encoding import encode_codes, one_hot, one_hot_tensor
from genodash.errors import ConfigError, InputError
from genodash.expression.arrays import dense_float32, gene_positions, is_counts, second_modality
from genodash.io.read_store import ReadStore
from genodash.train.runs import Run

if TYPE_CHECKING:
    import anndata

Forward = Callable[[nn.Module, list[torch.Tensor]], dict[str, torch.Tensor]]
SEQUENCE_BATCH = 512
CELL_BATCH = 2048


@torch.no_grad()
def map_batches(
    model: nn.Module,
    arrays: Sequence[np.ndarray | torch.Tensor],
    forward: Forward,
    *,
    device: str | None = None,
    batch_size: int = SEQUENCE_BATCH,
) -> dict[str, np.ndarray]:
    """``forward`` over the rows of ``arrays`` in batches, in eval mode, without gradients.

    Parameters
    ----------
    model
        The model (moved to ``device``).
    arrays
        Arrays with one row per item; batch ``i`` of each is given to ``forward`` together.
    forward
        ``(model, batch tensors on the device) → {name: tensor with one row per item}``.
    device
        Where to compute; default: where the model's weights are.
    batch_size
        Rows per forward pass.

    Returns
    -------
    dict
        Each name of ``forward``'s output → its rows over every batch, as ``float32`` numpy
        arrays; empty when ``arrays`` have no rows.
    """
    if device is not None:
        model.to(device)
    place = next(model.parameters()).device
    model.eval()
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(arrays[0]), batch_size):
        batch = [torch.as_tensor(a[start : start + batch_size]).to(place) for a in arrays]
        for name, value in forward(model, batch).items():
            parts.setdefault(name, []).append(value.float().cpu().numpy())
    return {name: np.concatenate(chunks) for name, chunks in parts.items()}


# --- sequence models ---------------------------------------------------------------------


def predict_probabilities(
    model: nn.Module,
    codes: np.ndarray,
    *,
    device: str | None = None,
    batch_size: int = SEQUENCE_BATCH,
) -> np.ndarray:
    """Class probabilities ``(N, classes)`` of a sequence classifier for base codes ``(N, L)``.

    Parameters
    ----------
    model
        A sequence classifier.
    codes
        Base codes ``uint8 (N, L)``.
    device
        Where to compute (the model is moved there); default: where the model is.
    batch_size
        Sequences per forward pass.
    """
    out = map_batches(
        model,
        [codes],
        lambda m, b: {"p": torch.softmax(m(one_hot_tensor(b[0])).float(), dim=1)},
        device=device,
        batch_size=batch_size,
    )
    return out.get("p", np.zeros((0, 0), dtype=np.float32))


def encode_for_run(run: Run, sequences: SequenceSet) -> np.ndarray:
    """Base codes of new sequences, encoded exactly as ``run``'s training data was.

    Parameters
    ----------
    run
        A sequence run (its encoding: length and alignment).
    sequences
        The sequences to encode.
    """
    return encode_codes(sequences.sequences, run.encoding.length, align=run.encoding.align)


def one_hot_for_run(run: Run, sequences: SequenceSet) -> np.ndarray:
    """One-hot ``float32 (N, 4, L)`` of new sequences, encoded as ``run``'s training data.

    Parameters
    ----------
    run
        A sequence run.
    sequences
        The sequences to encode.
    """
    return one_hot(encode_for_run(run, sequences))


def encoding_notes(run: Run, sequences: SequenceSet) -> list[str]:
    """What encoding ``sequences`` as ``run``'s training data was does to them, in words.

    Parameters
    ----------
    run
        A sequence run (its encoding: length and alignment).
    sequences
        New sequences to predict or explain.

    Returns
    -------
    One note each for sequences trimmed and padded to the run's length; none when every
    sequence has that length.
    """
    length, align = run.encoding.length, run.encoding.align
    lengths = sequences.lengths
    kept = {"left": "5′ start", "right": "3′ end", "center": "middle"}[align]
    notes = []
    if (longer := int((lengths > length).sum())) > 0:
        notes.append(
            f"{longer:,} sequences longer than the model's {length:,} bp were trimmed to it "
            f"(the {kept} kept)"
        )
    if (shorter := int((lengths < length).sum())) > 0:
        notes.append(
            f"{shorter:,} sequences shorter than {length:,} bp were padded with empty positions, "
            "which the model ignores"
        )
    return notes


def sequence_features(
    run: Run, sequences: SequenceSet, *, device: str = "cpu", batch_size: int = SEQUENCE_BATCH
) -> np.ndarray:
    """Last-layer features ``(N, D)`` of ``sequences`` under ``run``'s model.

    Sequences are encoded exactly as the training data was; these vectors are what the
    classifier's last layer sees, so they can be embedded (PCA, UMAP) like expression.

    Parameters
    ----------
    run
        A sequence run.
    sequences
        The sequences to describe.
    device
        Where to compute.
    batch_size
        Sequences per forward pass.

    Raises
    ------
    ConfigError
        ``run`` is not a sequence model.
    """
    _check_kind(run, "sequence", "has no sequence features")
    out = map_batches(
        run.model,
        [encode_for_run(run, sequences)],
        lambda m, b: {"features": m.features(one_hot_tensor(b[0]))},
        device=device,
        batch_size=batch_size,
    )
    return out.get("features", np.zeros((0, 0), dtype=np.float32))


def _check_kind(run: Run, kind: str, cannot: str) -> None:
    """Refuse a run of another ``kind`` than the task needs, saying what it ``cannot`` do."""
    if run.kind != kind:
        raise ConfigError(f"run of a {run.kind} model {cannot}")


def predict_sequences(run: Run, sequences: SequenceSet, *, device: str = "cpu") -> pd.DataFrame:
    """One row per sequence: ``seq_id``, ``predicted`` class and ``p_<class>`` probabilities.

    When ``sequences`` are labelled, a ``label`` column is added for comparison.

    Parameters
    ----------
    run, sequences, device
        As for :func:`sequence_features` (and the same ``ConfigError`` for a run that is
        not a sequence model); here ``sequences`` are the ones to classify.
    """
    _check_kind(run, "sequence", "cannot classify sequences")
    probabilities = predict_probabilities(run.model, encode_for_run(run, sequences), device=device)
    return _prediction_table(run.classes, sequences.ids, sequences.labels, probabilities)


def predict_stored_reads(
    run: Run, store: ReadStore, *, device: str = "cpu", chunk: int = 100_000
) -> Iterator[pd.DataFrame]:
    """:func:`predict_sequences` for a converted read file of any size: its tables of up to
    ``chunk`` reads, in file order (``seq_id`` ``read1``, ``read2``, …), so that memory does
    not grow with the file.

    Parameters
    ----------
    run
        A sequence run.
    store
        The converted read file (see :func:`genodash.io.read_store.open_read_store`).
    device
        Where to compute.
    chunk
        Reads per table.

    Raises
    ------
    ConfigError
        ``run`` is not a sequence model.
    """
    _check_kind(run, "sequence", "cannot classify sequences")
    length, align = run.encoding.length, run.encoding.align
    for start in range(0, store.n_reads, chunk):
        rows = np.arange(start, min(start + chunk, store.n_reads))
        probabilities = predict_probabilities(
            run.model, store.view(rows, length, align), device=device
        )
        labels = None
        if store.labels is not None:
            labels = [store.classes[i] for i in store.labels[rows]]
        ids = [f"read{row + 1}" for row in rows]
        yield _prediction_table(run.classes, ids, labels, probabilities)


def _prediction_table(
    classes: list[str],
    ids: Sequence[str],
    labels: Sequence[str] | None,
    probabilities: np.ndarray,
) -> pd.DataFrame:
    table = pd.DataFrame(
        {"seq_id": ids, "predicted": [classes[i] for i in probabilities.argmax(axis=1)]}
    )
    if labels is not None:
        table["label"] = labels
    for i, name in enumerate(classes):
        table[f"p_{name}"] = probabilities[:, i].round(6)
    return table


# --- expression models -------------------------------------------------------------------


def cell_latents(
    model: nn.Module, inputs: Sequence[np.ndarray], *, device: str | None = None
) -> dict[str, np.ndarray]:
    """Latent coordinates of every cell: ``{"latent": (N, K)}``, plus ``latent_first`` and
    ``latent_second`` for the two-modality model given both modalities.

    Parameters
    ----------
    model
        An expression model (see :class:`genodash.models.expression.ExpressionModel`).
    inputs
        The arrays the model's ``latents`` takes, one row per cell.
    device
        Where to compute; default: where the model is.
    """
    return map_batches(
        model, inputs, lambda m, b: m.latents(*b), device=device, batch_size=CELL_BATCH
    )


def saved_latent(run: Run, cell_ids: list[str], *, table: str = "latent") -> np.ndarray | None:
    """The latent coordinates saved with the run for ``cell_ids``, in that order.

    Parameters
    ----------
    run
        An expression run.
    cell_ids
        The cells wanted.
    table
        ``latent``, or ``latent_first``/``latent_second`` of a two-modality run.

    Returns
    -------
    The coordinates, or ``None`` when the run did not save every one of the cells.
    """
    saved = run.tables.get(table)
    if saved is None or "cell" not in saved or not set(cell_ids) <= set(saved["cell"].astype(str)):
        return None
    indexed = saved.assign(cell=saved["cell"].astype(str)).drop_duplicates("cell")
    indexed = indexed.set_index("cell")
    columns = [c for c in indexed.columns if str(c).startswith("z")]
    return indexed.loc[cell_ids, columns].to_numpy(dtype=np.float32)


def latent_for_run(
    run: Run,
    adata: anndata.AnnData,
    *,
    batch_column: str | None = None,
    counts_layer: str = "counts",
    second: anndata.AnnData | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Latent coordinates ``(cells, latent_dim)`` of a new matrix under a trained run.

    ``adata`` must be processed as the training data was; its genes are matched to the
    run's by name (order does not matter, extra genes are ignored). A model that reads each
    cell's batch (a VAE with a batch covariate) takes it from ``batch_column`` (default: the
    run's), among the batches it was trained on. For the two-modality model, ``second``
    (same cells) gives the joint latent; without it, the first modality's own latent.

    Parameters
    ----------
    run
        An expression run.
    adata
        The cells.
    batch_column
        Column of ``adata.obs`` with each cell's batch.
    counts_layer
        Layer with raw counts, for a model that reads counts.
    second
        The second modality of the same cells, for the two-modality model.
    device
        Where to compute.

    Raises
    ------
    InputError
        Genes of the run missing from ``adata``, no counts where the model reads counts,
        or unknown batches.
    ConfigError
        The run is not an expression model.
    """
    _check_kind(run, "expression", "cannot embed an expression matrix")
    positions = gene_positions(adata, run.genes)
    if "counts" in run.model.inputs:
        source = adata.layers.get(counts_layer, adata.X)
        x = dense_float32(source[:, positions])
        if not is_counts(x):
            raise InputError(
                "this run's model reads raw counts, but the matrix holds none",
                hint=f"give a matrix with counts in X or in layers[{counts_layer!r}]",
            )
    else:
        x = dense_float32(adata.X[:, positions])
    inputs: tuple[np.ndarray, ...] = (x,)
    if "batches" in run.model.inputs:
        inputs = (x, batch_codes(run, adata, batch_column))
    elif second is not None:
        values = second_modality(second, adata, "second modality", [])[0]
        if values is None or values.shape[1] != len(run.second_names):
            raise InputError(
                f"the second modality must have the run's {len(run.second_names)} features"
            )
        inputs = (x, values)
    return cell_latents(run.model, inputs, device=device)["latent"]


def batch_codes(run: Run, adata: anndata.AnnData, batch_column: str | None) -> np.ndarray:
    """Each cell's batch as the run's batch code (all 0 for a run without batches).

    Parameters
    ----------
    run
        The trained run (its batch names and column).
    adata
        The cells; only ``obs`` is read.
    batch_column
        The cells' batch column, or ``None`` for the run's own.

    Raises
    ------
    InputError
        The column is missing, or holds batches the run never saw.
    """
    n_batches = int(run.model_config.get("n_batches", 0))
    if n_batches == 0:
        return np.zeros(adata.n_obs, dtype=np.int64)
    column = batch_column or run.batch_column
    if column not in adata.obs.columns:
        raise InputError(
            f"this VAE corrects for batches, but the matrix has no batch column {column!r}",
            hint=f"available columns: {', '.join(map(str, adata.obs.columns)) or 'none'}",
        )
    known = {name: i for i, name in enumerate(run.batch_names)}
    names = adata.obs[column].astype(str)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise InputError(
            f"batches {', '.join(unknown[:5])} were not in the training data",
            hint=f"the model knows {', '.join(known)}",
        )
    return names.map(known).to_numpy(dtype=np.int64)
