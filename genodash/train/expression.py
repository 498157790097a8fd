"""Expression models end to end: prepare a matrix, train, embed every cell, encode new data.

What each model reads: the autoencoder and the Gaussian VAE read the processed values
(``adata.X``, e.g. log-normalized or scaled); the negative-binomial VAE reads raw counts
(``adata.layers["counts"]``, or ``X`` when it holds counts); the two-modality model reads
the processed values and the second modality after a centred log-ratio (CLR) transform
per cell, the usual normalization of antibody counts.

A matrix too large for memory stays on disk (:mod:`genodash.train.backed_expression`): its
inputs are :class:`~genodash.train.stored_cells.StoredCells`, read block by block, and the
autoencoder and the VAE train on its cells in block-shuffled order.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.errors import ConfigError, InputError
from genodash.expression.arrays import dense_float32, raw_counts, second_modality
from genodash.models import build_model, model_spec
from genodash.models.expression import NEGATIVE_BINOMIAL, DataFacts
from genodash.models.memory import MemoryEstimate, estimate_training_memory, meta_model
from genodash.predict import CELL_BATCH, cell_latents, map_batches
from genodash.splits import Split, stratified_split
from genodash.train.faults import check_job_memory
from genodash.train.loop import (
    FitResult,
    Step,
    StepOutput,
    TrainConfig,
    TrainOptions,
    checked_options,
    fit,
)
from genodash.train.runs import Run
from genodash.train.stored_cells import (
    FROM_DISK_MODELS,
    CellRows,
    ShuffledBlocks,
    StoredCells,
    on_disk,
    subset_cells,
)

if TYPE_CHECKING:
    import anndata

    from genodash.data import MatrixSet

DEFAULT_TRAIN_CONFIGS = {
    "autoencoder": TrainConfig(epochs=60, batch_size=128, weight_decay=1e-5, patience=10),
    "vae": TrainConfig(epochs=100, batch_size=128, learning_rate=3e-3, patience=15),
    "scvis": TrainConfig(epochs=100, batch_size=512, learning_rate=3e-3, patience=0),
    "integration": TrainConfig(epochs=60, batch_size=128, weight_decay=1e-5, patience=10),
    "gene-transformer": TrainConfig(epochs=25, batch_size=16, learning_rate=3e-3, patience=0),
}


@dataclass(frozen=True, eq=False)
class PreparedMatrix:
    """A matrix ready for training, with one fixed split shared by every model trained on it.

    Attributes
    ----------
    values
        Dense ``float32`` cells × genes: the processed values the model reads; for a
        matrix on disk, :class:`StoredCells` read block by block.
    counts
        Raw counts of the same genes (``float32``, or :class:`StoredCells`), or ``None``
        when none are available.
    batches
        Batch index of each cell (into ``batch_names``), or ``None``.
    second, second_names
        The second modality (cells × features, CLR-transformed when it holds counts) and
        its feature names, for the two-modality model.
    """

    cell_ids: list[str]
    genes: list[str]
    values: np.ndarray | StoredCells
    counts: np.ndarray | StoredCells | None
    batches: np.ndarray | None
    batch_names: list[str]
    labels: list[str] | None
    split: Split
    source_name: str
    fingerprint: str
    second: np.ndarray | None = None
    second_names: list[str] = field(default_factory=list)
    label_column: str | None = None
    batch_column: str | None = None
    second_transform: str = "none"
    notes: tuple[str, ...] = ()

    @property
    def n_obs(self) -> int:
        return len(self.cell_ids)

    @property
    def n_vars(self) -> int:
        return len(self.genes)

    def split_indices(self) -> dict[str, np.ndarray]:
        """Row indices of the ``train``, ``val`` and ``test`` cells."""
        return {"train": self.split.train, "val": self.split.val, "test": self.split.test}


def prepare_matrix(
    adata: anndata.AnnData,
    *,
    source_name: str,
    label_column: str | None = None,
    batch_column: str | None = None,
    counts_layer: str = "counts",
    second: anndata.AnnData | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
) -> PreparedMatrix:
    """Turn a (processed) matrix into model input and split its cells with ``seed``.

    The split is stratified by label when labels are given and every label has enough
    cells; otherwise it is random (a note says so).

    Parameters
    ----------
    adata
        Cells × genes; ``X`` holds the values the autoencoders read. Raw counts are taken
        from ``adata.layers[counts_layer]``, or from ``X`` when it holds counts.
    source_name
        Display name of the data, stored with every run.
    label_column, batch_column
        Columns of ``adata.obs`` with each cell's label (e.g. cell type) and batch (e.g.
        donor or run); ``None``: none.
    counts_layer
        Name of the layer of ``adata`` that keeps the raw counts (when ``X`` has been
        normalized).
    second
        A second modality of the same cells (cells as rows); every cell of ``adata`` must
        be in it, extra cells are ignored.
    val_fraction, test_fraction
        Shares of the cells held out for validation and for testing, each between 0 and 1
        and together below 1; the rest train.
    seed
        Seed of the split.

    Raises
    ------
    InputError
        Unknown columns, non-finite values, or cells missing from ``second``.
    ConfigError
        Too few cells, or bad split fractions.
    """
    if adata.n_obs < 10:
        raise ConfigError(f"{source_name} has {adata.n_obs} cells; training needs at least 10")
    for role, column in (("label", label_column), ("batch", batch_column)):
        if column is not None and column not in adata.obs.columns:
            available = ", ".join(map(str, adata.obs.columns)) or "none"
            raise InputError(
                f"no {role} column {column!r} in the cell metadata",
                file=source_name,
                hint=f"available columns: {available}",
            )
    values = dense_float32(adata.X)
    if not np.isfinite(values).all():
        raise InputError("the matrix holds NaN or infinite values", file=source_name)
    labels = adata.obs[label_column].astype(str).tolist() if label_column else None
    batches, batch_names = category_codes(adata.obs[batch_column]) if batch_column else (None, [])
    split, stratified = split_cells(labels, adata.n_obs, val_fraction, test_fraction, seed)
    notes = [] if stratified or labels is None else ["labels too small to stratify: random split"]
    second_values, second_names, transform = second_modality(second, adata, source_name, notes)
    return PreparedMatrix(
        cell_ids=[str(c) for c in adata.obs_names],
        labels=labels,
        label_column=label_column,
        batches=batches,
        batch_names=batch_names,
        batch_column=batch_column,
        genes=[str(g) for g in adata.var_names],
        values=values,
        counts=raw_counts(adata, values, counts_layer),
        second=second_values,
        second_names=second_names,
        second_transform=transform,
        fingerprint=_fingerprint(adata, values, second_values),
        source_name=source_name,
        split=split,
        notes=tuple(notes),
    )


def category_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each value's code (int64) and the values in code order (as text, sorted).

    Parameters
    ----------
    column
        One value per cell, e.g. its batch.
    """
    categories = pd.Categorical(column.astype(str))
    return categories.codes.astype(np.int64), [str(c) for c in categories.categories]


def split_cells(
    labels: list[str] | None, n: int, val_fraction: float, test_fraction: float, seed: int
) -> tuple[Split, bool]:
    """The cells' split: stratified by label when the labels allow one, else random; the
    same arguments draw the same split (so a saved run's split can be drawn again).

    Parameters
    ----------
    labels
        Each cell's label, or None.
    n
        Number of cells.
    val_fraction, test_fraction
        Shares of the cells held out for validation and for the test.
    seed
        Seed of the draw.

    Returns
    -------
    The split, and whether it is stratified.
    """
    if labels is not None and len(set(labels)) > 1:
        try:
            split = stratified_split(
                labels, n, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed
            )
            return split, True
        except ValueError:  # a class too small for the subsets; bad fractions fail below
            pass
    split = stratified_split(
        None, n, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed
    )
    return split, False


def _fingerprint(adata: anndata.AnnData, values: np.ndarray, second: np.ndarray | None) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(map(str, adata.obs_names)).encode())
    digest.update("\n".join(map(str, adata.var_names)).encode())
    digest.update(values.tobytes())
    if second is not None:
        digest.update(second.tobytes())
    return digest.hexdigest()


def pair_modalities(
    first: MatrixSet, second: MatrixSet
) -> tuple[anndata.AnnData, anndata.AnnData, list[str]]:
    """The two matrices restricted to their shared cells, in the first one's order.

    Parameters
    ----------
    first
        The main measurement, e.g. RNA counts (cells as rows).
    second
        A second measurement of the same cells, e.g. protein (antibody) counts; cells are
        matched by ID.

    Returns
    -------
    The first and second matrices (copies) and notes on the cells that were dropped.

    Raises
    ------
    InputError
        The two matrices share no cell IDs.
    """
    shared = set(second.adata.obs_names)
    keep = [cell for cell in first.adata.obs_names if cell in shared]
    if not keep:
        raise InputError(
            f"{first.name} and {second.name} share no cell IDs",
            hint=f"e.g. {first.adata.obs_names[0]!r} vs {second.adata.obs_names[0]!r}: both "
            "files must name the same cells the same way",
        )
    notes = [
        f"{matrix.n_obs - len(keep):,} cells of {matrix.name} have no partner and were dropped"
        for matrix in (first, second)
        if matrix.n_obs > len(keep)
    ]
    return first.adata[keep].copy(), second.adata[keep].copy(), notes


def default_likelihood(prepared: PreparedMatrix) -> str:
    """``"negative binomial"`` when raw counts are available, else ``"gaussian"``.

    Parameters
    ----------
    prepared
        Cells and their split, from :func:`prepare_matrix`.
    """
    return NEGATIVE_BINOMIAL if prepared.counts is not None else "gaussian"


def default_train_config(model_name: str, **overrides: Any) -> TrainConfig:
    """Training settings that work well for ``model_name`` (see the quality bench).

    Parameters
    ----------
    model_name
        A registered expression model; any other name gets the general defaults.
    **overrides
        Training settings that replace the defaults, e.g. ``epochs=20``.

    Raises
    ------
    ConfigError
        An override out of range.
    """
    base = DEFAULT_TRAIN_CONFIGS.get(model_name, TrainConfig())
    return TrainConfig(**{**base.as_dict(), **overrides})


# --- training ------------------------------------------------------------------------------


def train_expression_model(
    prepared: PreparedMatrix, model_name: str, **options: Unpack[TrainOptions]
) -> Run:
    """Train ``model_name`` on ``prepared``'s training cells; embed every cell afterwards.

    Settings that come from the data (``n_batches``, ``n_inputs_second``) are filled in
    unless given; ``n_batches=0`` trains a VAE without the batch covariate. Cells on disk
    (from :func:`~genodash.train.backed_expression.prepare_backed_matrix`) train the
    autoencoder or the VAE in block-shuffled order and are tested and embedded block by
    block.

    Parameters
    ----------
    prepared
        Cells and their split, from :func:`prepare_matrix`.
    model_name
        A registered expression model: ``"autoencoder"``, ``"vae"`` or ``"integration"``.
    **options
        ``model_config``, ``train_config`` (``None``: :func:`default_train_config` of the
        model), ``device`` and ``callbacks``: see :class:`~genodash.train.loop.TrainOptions`.

    Returns
    -------
    The unsaved run: model, settings, history, test loss and the latent coordinates of
    every cell.

    Raises
    ------
    ConfigError
        Unknown model or settings, a count likelihood without counts, a batch covariate
        without batches, the two-modality model without a second modality, a model other
        than the autoencoder and the VAE on cells on disk, or a training step that needs
        more memory than one job may use.
    """
    options = checked_options(options)
    if options.get("distributed") is not None:
        raise ConfigError("expression models train in one process; run them without torchrun")
    if isinstance(prepared.values, StoredCells) and model_name not in FROM_DISK_MODELS:
        raise ConfigError(
            f"{model_name} trains on a matrix held in memory; {prepared.source_name} is read "
            f"from disk, where {' and '.join(FROM_DISK_MODELS)} train"
        )
    model_config = options.get("model_config")
    train_config = options.get("train_config") or default_train_config(model_name)
    device = options.get("device", "cpu")
    check_job_memory(
        training_memory(prepared, model_name, model_config, train_config.batch_size), model_name
    )
    model = build_expression_model(prepared, model_name, model_config, seed=train_config.seed)
    inputs = model_inputs(prepared, model)
    train_cells, val_cells = _fit_data(model, inputs, prepared.split, train_config.seed)
    model.seed_sampling(train_config.seed + 2, device)
    step = expression_step(model, train_config, len(prepared.split.train))
    result = fit(
        model,
        train_cells,
        val_cells,
        step,
        config=train_config,
        device=device,
        callbacks=options.get("callbacks"),
    )
    test = evaluate(model, _subset(inputs, prepared.split.test), step, device=device)
    latents = cell_latents(model, inputs, device=device)
    full_config = asdict(model.config)
    return _make_run(prepared, model_name, full_config, model, train_config, result, test, latents)


def build_expression_model(
    prepared: PreparedMatrix,
    name: str,
    config: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    meta: bool = False,
) -> nn.Module:
    """Build registered expression model ``name`` for ``prepared``'s genes; settings that come
    from the data (``n_batches``, ``n_inputs_second``) are filled in unless given. With
    ``meta`` it is built on torch's meta device (shapes only, no memory).

    Parameters
    ----------
    prepared, name, config
        The cells, the model and its settings over its defaults (``None``: all defaults),
        as for :func:`train_expression_model`.
    seed, meta
        As for :func:`genodash.train.sequence.build_sequence_model`.

    Raises
    ------
    ConfigError
        Unknown model, bad settings, or settings the data cannot support (see
        :func:`train_expression_model`).
    """
    config = _complete_config(prepared, name, dict(config or {}))
    if meta:
        return meta_model(name, n_outputs=prepared.n_vars, **config)
    return build_model(name, n_outputs=prepared.n_vars, seed=seed, **config)


def training_memory(
    prepared: PreparedMatrix, name: str, config: dict[str, Any] | None, batch_size: int
) -> MemoryEstimate:
    """Memory one training step of model ``name`` with ``config`` takes on ``prepared``.

    Parameters
    ----------
    prepared, name, config
        As for :func:`build_expression_model`.
    batch_size
        Cells per training step.

    Raises
    ------
    ConfigError
        Unknown model, or settings the data cannot support.
    """
    config = _complete_config(prepared, name, dict(config or {}))
    return estimate_training_memory(
        name,
        example_batch(prepared, name),
        n_outputs=prepared.n_vars,
        batch_size=batch_size,
        config=config,
    )


def example_batch(prepared: PreparedMatrix, name: str) -> tuple[torch.Tensor]:
    """One cell as ``forward`` of model ``name`` takes it (e.g. for a layer table): its
    values, beside its second modality for a model that reads two.

    Parameters
    ----------
    prepared, name
        As for :func:`build_expression_model`.

    Returns
    -------
    A one-tuple holding ``float32 (1, G)`` (or ``(1, G + features)`` with a second modality).
    """
    row = prepared.values[:1]
    if model_spec(name, "expression").needs_second_modality and prepared.second is not None:
        row = np.concatenate([row, prepared.second[:1]], axis=1)
    return (torch.from_numpy(np.ascontiguousarray(row)),)


def _complete_config(
    prepared: PreparedMatrix, model_name: str, config: dict[str, Any]
) -> dict[str, Any]:
    complete = model_spec(model_name, "expression").complete_config
    if complete is None:
        return config
    facts = DataFacts(
        name=prepared.source_name,
        n_batches=len(prepared.batch_names) if prepared.batches is not None else 0,
        has_counts=prepared.counts is not None,
        n_second=len(prepared.second_names) if prepared.second is not None else 0,
    )
    return complete(config, facts)


def model_inputs(prepared: PreparedMatrix, model: nn.Module) -> tuple[np.ndarray, ...]:
    """The arrays ``model.loss`` takes (those its ``inputs`` name), for every cell in
    ``prepared``'s order.

    Parameters
    ----------
    prepared
        Cells and their split, from :func:`prepare_matrix`.
    model
        A built expression model; its ``inputs`` lists what it reads (``values``,
        ``counts``, ``second``, ``batches``).

    Returns
    -------
    One array per name in ``model.inputs``, each with one row per cell; without batches,
    every cell gets batch 0.
    """
    arrays = {
        "values": prepared.values,
        "counts": prepared.counts,
        "second": prepared.second,
        "batches": (
            prepared.batches if prepared.batches is not None else np.zeros(prepared.n_obs, np.int64)
        ),
    }
    return tuple(arrays[name] for name in model.inputs)


def _subset(arrays: tuple[Any, ...], index: np.ndarray) -> tuple[Any, ...]:
    """The rows ``index`` of every input: tensors, or cells that stay on disk."""
    if on_disk(arrays):
        return subset_cells(arrays, index)
    return tuple(torch.from_numpy(np.ascontiguousarray(a[index])) for a in arrays)


def _fit_data(
    model: nn.Module, inputs: tuple[Any, ...], split: Split, seed: int
) -> tuple[Any, Any]:
    """What :func:`fit` trains and validates on: the cells' tensors (after the model takes
    its settings from the training cells), or for cells on disk, the training cells in
    block-shuffled order (seeded by ``seed``) and the validation cells read in order."""
    train, val = _subset(inputs, split.train), _subset(inputs, split.val)
    if on_disk(inputs):
        return ShuffledBlocks(train, seed=seed + 3), CellRows(val)
    model.adapt_to_cells(*train)
    return train, val


def expression_step(model: nn.Module, config: TrainConfig, n_train: int) -> Step:
    """The training step: mean of ``model.loss``; the VAE's KL term warms up over epochs.

    Validation and testing (eval mode) always use the full KL weight, so their loss is the
    true negative ELBO and comparable across epochs.

    Parameters
    ----------
    model
        The expression model to train (its ``kl_warmup_epochs`` sets the warm-up).
    config
        The training settings (their batch size turns epochs into steps).
    n_train
        Number of training cells.

    Returns
    -------
    A ``step`` for :func:`genodash.train.loop.fit`.
    """
    warmup_epochs = model.kl_warmup_epochs
    warmup_steps = warmup_epochs * math.ceil(n_train / config.batch_size)
    seen = {"steps": 0}

    def step(model: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
        terms = model.loss(*batch)
        total = terms.total
        if terms.kl is not None and model.training:
            seen["steps"] += 1
            weight = min(1.0, seen["steps"] / warmup_steps) if warmup_steps else 1.0
            total = terms.total - (1 - weight) * terms.kl  # other terms (scvis) stay
        sums = {"reconstruction": terms.reconstruction.sum()}
        if terms.kl is not None:
            sums["kl"] = terms.kl.sum()
        return StepOutput(loss=total.mean(), sums=sums)

    return step


def evaluate(
    model: nn.Module, tensors: tuple[torch.Tensor, ...], step: Step, *, device: str = "cpu"
) -> dict[str, float]:
    """Mean loss and per-cell loss terms of ``step`` over ``tensors`` (eval mode).

    Parameters
    ----------
    model
        A trained expression model.
    tensors
        The model's inputs for the cells to score (e.g. the test cells), one row per cell.
    step
        The step used in training, from :func:`expression_step`.
    device
        Where to run the model: ``"cpu"``, ``"cuda"`` or ``"mps"``.

    Returns
    -------
    ``loss`` and each loss term (e.g. ``reconstruction``, ``kl``), averaged over the cells.
    """

    def sums(model: nn.Module, batch: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        output = step(model, batch)
        totals = {"loss": output.loss.detach() * batch[0].shape[0], **output.sums}
        return {key: value.detach().reshape(1) for key, value in totals.items()}

    n = tensors[0].shape[0]
    per_batch = map_batches(model, tensors, sums, device=device, batch_size=CELL_BATCH)
    return {key: float(values.sum()) / max(n, 1) for key, values in per_batch.items()}


def latent_table(cell_ids: list[str], latent: np.ndarray) -> pd.DataFrame:
    """``cell`` then ``z1 … zK``.

    Parameters
    ----------
    cell_ids
        One ID per cell, in the order of the rows of ``latent``.
    latent
        Latent coordinates ``(N, K)``.
    """
    table = pd.DataFrame(latent, columns=[f"z{i + 1}" for i in range(latent.shape[1])])
    table.insert(0, "cell", cell_ids)
    return table


def _make_run(
    prepared: PreparedMatrix,
    model_name: str,
    full_config: dict[str, Any],
    model: nn.Module,
    train_config: TrainConfig,
    result: FitResult,
    test: dict[str, float],
    latents: dict[str, np.ndarray],
) -> Run:
    metrics = {
        "test_loss": test["loss"],
        "latent_dim": int(latents["latent"].shape[1]),
        "n_cells": prepared.n_obs,
        "n_genes": prepared.n_vars,
        **result.metrics(model),
        "test": test,
    }
    sizes = prepared.split.sizes()
    return Run(
        config={
            "kind": "expression",
            **result.run_config(model_name, train_config, prepared.split),
            "model_config": full_config,
            "n_outputs": prepared.n_vars,
            "genes": prepared.genes,
            "input": "counts" if "counts" in model.inputs else "values",
            "batch_names": prepared.batch_names,
            "label_column": prepared.label_column,
            "batch_column": prepared.batch_column,
            "second_names": prepared.second_names,
            "second_transform": prepared.second_transform,
        },
        metrics=metrics,
        history=result.history,
        data={
            "name": prepared.source_name,
            "fingerprint": prepared.fingerprint,
            "n": prepared.n_obs,
            "n_genes": prepared.n_vars,
            "n_train": sizes["train"],
            "n_val": sizes["val"],
            "n_test": sizes["test"],
            "labels": _label_counts(prepared.labels),
            "batches": prepared.batch_names,
            "notes": list(prepared.notes),
        },
        model=model,
        tables={name: latent_table(prepared.cell_ids, latent) for name, latent in latents.items()},
    )


def _label_counts(labels: list[str] | None) -> dict[str, int]:
    if labels is None:
        return {}
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts, strict=True)}
