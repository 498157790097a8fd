"""Expression models end to end: prepare a matrix, train, embed every cell, encode new data.

What each model reads: the autoencoder and the Gaussian VAE read the processed values
(``adata.X``, e.g. log-normalized or scaled); the negative-binomial VAE reads raw counts
(``adata.layers["counts"]``, or ``X`` when it holds counts); the two-modality model reads
the processed values and the second modality after a centred log-ratio (CLR) transform
per cell, the usual normalization of antibody counts.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.errors import ConfigError, InputError
from genodash.limits import Limits
from genodash.models import MODELS, build_model, count_parameters
from genodash.models.expression import NEGATIVE_BINOMIAL, VAE, Integration
from genodash.models.memory import (
    MemoryEstimate,
    check_training_memory,
    estimate_training_memory,
    meta_model,
)
from genodash.splits import Split, stratified_split
from genodash.train.loop import Callbacks, FitResult, Step, StepOutput, TrainConfig, fit
from genodash.train.runs import Run

if TYPE_CHECKING:
    import anndata

    from genodash.data import MatrixSet

DEFAULT_TRAIN_CONFIGS = {
    "autoencoder": TrainConfig(epochs=60, batch_size=128, weight_decay=1e-5, patience=10),
    "vae": TrainConfig(epochs=100, batch_size=128, learning_rate=3e-3, patience=15),
    "integration": TrainConfig(epochs=60, batch_size=128, weight_decay=1e-5, patience=10),
}
_ENCODE_BATCH = 2048


@dataclass(frozen=True, eq=False)
class PreparedMatrix:
    """A matrix ready for training, with one fixed split shared by every model trained on it.

    Attributes
    ----------
    values
        Dense ``float32`` cells × genes: the processed values the model reads.
    counts
        Raw counts of the same genes (``float32``), or ``None`` when none are available.
    batches
        Batch index of each cell (into ``batch_names``), or ``None``.
    second, second_names
        The second modality (cells × features, CLR-transformed when it holds counts) and
        its feature names, for the two-modality model.
    """

    cell_ids: list[str]
    genes: list[str]
    values: np.ndarray
    counts: np.ndarray | None
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
    def n_cells(self) -> int:
        return len(self.cell_ids)

    @property
    def n_genes(self) -> int:
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
        Columns of ``adata.obs``.
    second
        A second modality of the same cells (cells as rows); every cell of ``adata`` must
        be in it, extra cells are ignored.

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
    batches, batch_names = _category_codes(adata.obs[batch_column]) if batch_column else (None, [])
    split, stratified = _split(labels, adata.n_obs, val_fraction, test_fraction, seed)
    notes = [] if stratified or labels is None else ["labels too small to stratify: random split"]
    second_values, second_names, transform = _second_modality(second, adata, source_name, notes)
    counts = _counts(adata, values, counts_layer)
    return PreparedMatrix(
        cell_ids=[str(c) for c in adata.obs_names],
        genes=[str(g) for g in adata.var_names],
        values=values,
        counts=counts,
        batches=batches,
        batch_names=batch_names,
        labels=labels,
        split=split,
        source_name=source_name,
        fingerprint=_fingerprint(adata, values, second_values),
        second=second_values,
        second_names=second_names,
        label_column=label_column,
        batch_column=batch_column,
        second_transform=transform,
        notes=tuple(notes),
    )


def dense_float32(matrix: Any) -> np.ndarray:
    """A dense, C-ordered ``float32`` copy of a (possibly sparse) matrix."""
    import scipy.sparse

    if scipy.sparse.issparse(matrix):
        matrix = matrix.toarray()
    return np.ascontiguousarray(np.asarray(matrix), dtype=np.float32)


def _is_counts(matrix: np.ndarray) -> bool:
    return bool((matrix >= 0).all() and (matrix == np.round(matrix)).all())


def _counts(adata: anndata.AnnData, values: np.ndarray, layer: str) -> np.ndarray | None:
    if layer in adata.layers:
        counts = dense_float32(adata.layers[layer])
        return counts if _is_counts(counts) else None
    return values if _is_counts(values) else None


def _category_codes(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    categories = pd.Categorical(column.astype(str))
    return categories.codes.astype(np.int64), [str(c) for c in categories.categories]


def _split(
    labels: list[str] | None, n: int, val_fraction: float, test_fraction: float, seed: int
) -> tuple[Split, bool]:
    """A stratified split when the labels allow one, else a random one."""
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


def centred_log_ratio(matrix: np.ndarray) -> np.ndarray:
    """CLR per cell: ``log1p(x)`` minus the cell's mean ``log1p`` over features."""
    logged = np.log1p(matrix)
    return (logged - logged.mean(axis=1, keepdims=True)).astype(np.float32)


def _second_modality(
    second: anndata.AnnData | None,
    adata: anndata.AnnData,
    source_name: str,
    notes: list[str],
) -> tuple[np.ndarray | None, list[str], str]:
    if second is None:
        return None, [], "none"
    index = pd.Index(second.obs_names)
    if not index.is_unique:
        raise InputError("the second modality repeats cell IDs", file=source_name)
    positions = index.get_indexer(adata.obs_names)
    if (positions < 0).any():
        missing = list(adata.obs_names[positions < 0])
        raise InputError(
            f"{len(missing):,} cells are missing from the second modality "
            f"(e.g. {', '.join(missing[:3])})",
            file=source_name,
            hint="pair the two matrices by cell ID first",
        )
    if second.n_obs > adata.n_obs:
        notes.append(f"{second.n_obs - adata.n_obs} cells of the second modality ignored")
    values = dense_float32(second.X)[positions]
    if not np.isfinite(values).all():
        raise InputError("the second modality holds NaN or infinite values", file=source_name)
    transform = "clr" if (values >= 0).all() else "none"
    if transform == "clr":
        values = centred_log_ratio(values)
    return values, [str(v) for v in second.var_names], transform


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
    """``"negative binomial"`` when raw counts are available, else ``"gaussian"``."""
    return NEGATIVE_BINOMIAL if prepared.counts is not None else "gaussian"


def default_train_config(model_name: str, **overrides: Any) -> TrainConfig:
    """Training settings that work well for ``model_name`` (see the quality bench)."""
    base = DEFAULT_TRAIN_CONFIGS.get(model_name, TrainConfig())
    return TrainConfig(**{**base.as_dict(), **overrides})


# --- training ------------------------------------------------------------------------------


def train_expression_model(
    prepared: PreparedMatrix,
    model_name: str,
    *,
    model_config: dict[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    device: str = "cpu",
    callbacks: Callbacks | None = None,
) -> Run:
    """Train ``model_name`` on ``prepared``'s training cells; embed every cell afterwards.

    Settings that come from the data (``n_batches``, ``n_inputs_second``) are filled in
    unless given; ``n_batches=0`` trains a VAE without the batch covariate.

    Raises
    ------
    ConfigError
        Unknown model or settings, a count likelihood without counts, a batch covariate
        without batches, or the two-modality model without a second modality.
    """
    train_config = train_config or default_train_config(model_name)
    check_training_memory(
        training_memory(prepared, model_name, model_config, train_config.batch_size),
        Limits.from_env().max_job_memory_bytes,
        model=MODELS[model_name].short if model_name in MODELS else model_name,
    )
    model = build_expression_model(prepared, model_name, model_config, seed=train_config.seed)
    inputs = model_inputs(prepared, model)
    if isinstance(model, VAE):
        model.generator = torch.Generator(device=device).manual_seed(train_config.seed + 2)
    step = expression_step(model, train_config, len(prepared.split.train))
    result = fit(
        model,
        _subset(inputs, prepared.split.train),
        _subset(inputs, prepared.split.val),
        step,
        config=train_config,
        device=device,
        callbacks=callbacks,
    )
    test = evaluate(model, _subset(inputs, prepared.split.test), step, device=device)
    latents = encode_all(model, inputs, device=device)
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

    Raises
    ------
    ConfigError
        Unknown model, bad settings, or settings the data cannot support (see
        :func:`train_expression_model`).
    """
    _check_expression_model(name)
    config = _complete_config(prepared, name, dict(config or {}))
    if meta:
        return meta_model(name, n_outputs=prepared.n_genes, **config)
    return build_model(name, n_outputs=prepared.n_genes, seed=seed, **config)


def training_memory(
    prepared: PreparedMatrix, name: str, config: dict[str, Any] | None, batch_size: int
) -> MemoryEstimate:
    """Memory one training step of model ``name`` with ``config`` takes on ``prepared``."""
    _check_expression_model(name)
    config = _complete_config(prepared, name, dict(config or {}))
    return estimate_training_memory(
        name,
        example_batch(prepared, name),
        n_outputs=prepared.n_genes,
        batch_size=batch_size,
        config=config,
    )


def _check_expression_model(name: str) -> None:
    spec = MODELS.get(name)
    if spec is None or spec.kind != "expression":
        names = [n for n, s in MODELS.items() if s.kind == "expression"]
        raise ConfigError(f"unknown expression model {name!r}; choose one of {', '.join(names)}")


def example_batch(prepared: PreparedMatrix, name: str) -> tuple[torch.Tensor]:
    """One cell as ``forward`` of model ``name`` takes it (e.g. for a layer table)."""
    if name == "integration" and prepared.second is not None:
        row = np.concatenate([prepared.values[:1], prepared.second[:1]], axis=1)
    elif name == "vae" and prepared.counts is not None:
        row = prepared.counts[:1]
    else:
        row = prepared.values[:1]
    return (torch.from_numpy(np.ascontiguousarray(row)),)


def _complete_config(
    prepared: PreparedMatrix, model_name: str, config: dict[str, Any]
) -> dict[str, Any]:
    if model_name == "vae":
        available = len(prepared.batch_names) if prepared.batches is not None else 0
        config.setdefault("n_batches", available)
        if config["n_batches"] not in (0, available):
            raise ConfigError(
                f"n_batches={config['n_batches']} but the data has "
                + (f"{available} batches" if available else "no batch column")
            )
        if config.get("likelihood", NEGATIVE_BINOMIAL) == NEGATIVE_BINOMIAL and (
            prepared.counts is None
        ):
            raise ConfigError(
                f"the negative-binomial likelihood models raw counts, but {prepared.source_name} "
                "has none (its values are normalized or scaled); choose the gaussian likelihood"
            )
    if model_name == "integration":
        if prepared.second is None:
            raise ConfigError(
                "the two-modality model needs a second modality (e.g. protein counts) of the "
                "same cells"
            )
        config.setdefault("n_inputs_second", len(prepared.second_names))
    return config


def model_inputs(prepared: PreparedMatrix, model: nn.Module) -> tuple[np.ndarray, ...]:
    """The arrays ``model.loss`` takes, for every cell (rows in ``prepared``'s order)."""
    if isinstance(model, VAE):
        x = prepared.counts if model.counts else prepared.values
        batches = prepared.batches if prepared.batches is not None else np.zeros(len(x), np.int64)
        return x, batches
    if isinstance(model, Integration):
        return prepared.values, prepared.second
    return (prepared.values,)


def _subset(arrays: tuple[np.ndarray, ...], index: np.ndarray) -> tuple[torch.Tensor, ...]:
    return tuple(torch.from_numpy(np.ascontiguousarray(a[index])) for a in arrays)


def expression_step(model: nn.Module, config: TrainConfig, n_train: int) -> Step:
    """The training step: mean of ``model.loss``; the VAE's KL term warms up over epochs.

    Validation and testing (eval mode) always use the full KL weight, so their loss is the
    true negative ELBO and comparable across epochs.
    """
    warmup_epochs = model.config.kl_warmup_epochs if isinstance(model, VAE) else 0
    warmup_steps = warmup_epochs * math.ceil(n_train / config.batch_size)
    seen = {"steps": 0}

    def step(model: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
        terms = model.loss(*batch)
        total = terms.total
        if terms.kl is not None and model.training:
            seen["steps"] += 1
            weight = min(1.0, seen["steps"] / warmup_steps) if warmup_steps else 1.0
            total = terms.reconstruction + weight * terms.kl
        sums = {"reconstruction": terms.reconstruction.sum()}
        if terms.kl is not None:
            sums["kl"] = terms.kl.sum()
        return StepOutput(loss=total.mean(), sums=sums)

    return step


@torch.no_grad()
def evaluate(
    model: nn.Module, tensors: tuple[torch.Tensor, ...], step: Step, *, device: str = "cpu"
) -> dict[str, float]:
    """Mean loss and per-cell loss terms of ``step`` over ``tensors`` (eval mode)."""
    model = model.to(device).eval()
    n = tensors[0].shape[0]
    totals: dict[str, float] = {}
    for start in range(0, n, _ENCODE_BATCH):
        batch = [t[start : start + _ENCODE_BATCH].to(device) for t in tensors]
        output = step(model, batch)
        size = batch[0].shape[0]
        totals["loss"] = totals.get("loss", 0.0) + float(output.loss) * size
        for key, value in output.sums.items():
            totals[key] = totals.get(key, 0.0) + float(value)
    return {key: value / max(n, 1) for key, value in totals.items()}


@torch.no_grad()
def encode_all(
    model: nn.Module, inputs: tuple[np.ndarray, ...], *, device: str = "cpu"
) -> dict[str, np.ndarray]:
    """Latent coordinates of every cell: ``{"latent": (N, K)}``, plus ``latent_first`` and
    ``latent_second`` for the two-modality model."""
    model = model.to(device).eval()
    parts: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(inputs[0]), _ENCODE_BATCH):
        batch = [torch.from_numpy(a[start : start + _ENCODE_BATCH]).to(device) for a in inputs]
        for key, z in _encodings(model, batch).items():
            parts.setdefault(key, []).append(z.float().cpu().numpy())
    return {key: np.concatenate(chunks) for key, chunks in parts.items()}


def _encodings(model: nn.Module, batch: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    if isinstance(model, Integration):
        if len(batch) == 1:
            return {"latent": model.encode_first(batch[0])}
        first, second = model.encode_first(batch[0]), model.encode_second(batch[1])
        return {"latent": (first + second) / 2, "latent_first": first, "latent_second": second}
    return {"latent": model.encode(*batch)}


def latent_table(cell_ids: list[str], latent: np.ndarray) -> pd.DataFrame:
    """``cell`` then ``z1 … zK``."""
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
    latent_dim = int(latents["latent"].shape[1])
    epochs = max(result.epochs_run, 1)
    metrics = {
        "test_loss": test["loss"],
        "latent_dim": latent_dim,
        "n_cells": prepared.n_cells,
        "n_genes": prepared.n_genes,
        "train_seconds": result.seconds,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "seconds_per_epoch": result.seconds / epochs,
        "samples_per_second": result.samples_per_second,
        "parameters": count_parameters(model),
        "device": result.device,
        "stop_reason": result.stop_reason,
        "message": result.message,
        "test": test,
    }
    sizes = prepared.split.sizes()
    reads_counts = isinstance(model, VAE) and model.counts
    return Run(
        config={
            "kind": "expression",
            "model": model_name,
            "model_config": full_config,
            "n_outputs": prepared.n_genes,
            "genes": prepared.genes,
            "input": "counts" if reads_counts else "values",
            "batch_names": prepared.batch_names,
            "label_column": prepared.label_column,
            "batch_column": prepared.batch_column,
            "second_names": prepared.second_names,
            "second_transform": prepared.second_transform,
            "train_config": train_config.as_dict(),
            "seed": train_config.seed,
            "split": {
                "val_fraction": prepared.split.val_fraction,
                "test_fraction": prepared.split.test_fraction,
                "seed": prepared.split.seed,
            },
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": result.stop_reason,
        },
        metrics=metrics,
        history=result.history,
        data={
            "name": prepared.source_name,
            "fingerprint": prepared.fingerprint,
            "n": prepared.n_cells,
            "n_genes": prepared.n_genes,
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


# --- reuse a trained run -------------------------------------------------------------------


def saved_latent(run: Run, cell_ids: list[str], *, table: str = "latent") -> np.ndarray | None:
    """The latent coordinates saved with the run (``table``: ``latent``, or
    ``latent_first``/``latent_second`` of a two-modality run) for ``cell_ids``, in that
    order; ``None`` when the run did not save every one of them."""
    saved = run.tables.get(table)
    if saved is None or "cell" not in saved or not set(cell_ids) <= set(saved["cell"].astype(str)):
        return None
    indexed = saved.assign(cell=saved["cell"].astype(str)).drop_duplicates("cell")
    indexed = indexed.set_index("cell")
    columns = [c for c in indexed.columns if str(c).startswith("z")]
    return indexed.loc[cell_ids, columns].to_numpy(dtype=np.float32)


def cells_latent(
    run: Run, adata: anndata.AnnData, *, table: str = "latent", batch_column: str | None = None
) -> np.ndarray:
    """Latent coordinates of ``adata``'s cells: saved with the run when it has them all
    (see :func:`saved_latent`), else encoded anew with :func:`latent_for_run`."""
    saved = saved_latent(run, [str(c) for c in adata.obs_names], table=table)
    if saved is not None:
        return saved
    return np.asarray(latent_for_run(run, adata, batch_column=batch_column), dtype=np.float32)


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
    run's by name (order does not matter, extra genes are ignored). A VAE with a batch
    covariate needs each cell's batch (``batch_column``, default: the run's), from the
    batches it was trained on. For the two-modality model, ``second`` (same cells) gives
    the joint latent; without it, the first modality's own latent.

    Raises
    ------
    InputError
        Genes of the run missing from ``adata``, no counts where the model reads counts,
        or unknown batches.
    ConfigError
        The run is not an expression model.
    """
    if run.kind != "expression":
        raise ConfigError(f"run of a {run.kind} model cannot embed an expression matrix")
    positions = _gene_positions(adata, run.config["genes"])
    if run.config.get("input") == "counts":
        source = adata.layers.get(counts_layer, adata.X)
        x = dense_float32(source[:, positions])
        if not _is_counts(x):
            raise InputError(
                "this run's model reads raw counts, but the matrix holds none",
                hint=f"give a matrix with counts in X or in layers[{counts_layer!r}]",
            )
    else:
        x = dense_float32(adata.X[:, positions])
    inputs: tuple[np.ndarray, ...] = (x,)
    if run.model_name == "vae":
        inputs = (x, _batch_codes(run, adata, batch_column))
    elif second is not None:
        values = _second_modality(second, adata, "second modality", [])[0]
        if values is None or values.shape[1] != len(run.config["second_names"]):
            raise InputError(
                f"the second modality must have the run's {len(run.config['second_names'])} "
                "features"
            )
        inputs = (x, values)
    return encode_all(run.model, inputs, device=device)["latent"]


def _gene_positions(adata: anndata.AnnData, genes: list[str]) -> np.ndarray:
    names = pd.Index(adata.var_names.astype(str))
    if not names.is_unique:
        raise InputError("the matrix repeats gene names", hint="make gene names unique first")
    positions = names.get_indexer(genes)
    missing = [gene for gene, p in zip(genes, positions, strict=True) if p < 0]
    if missing:
        raise InputError(
            f"{len(missing):,} of the run's {len(genes):,} genes are missing from the matrix "
            f"(e.g. {', '.join(missing[:5])})",
            hint="encode a matrix with the genes the model was trained on, processed the same way",
        )
    return positions


def _batch_codes(run: Run, adata: anndata.AnnData, batch_column: str | None) -> np.ndarray:
    n_batches = int(run.config["model_config"].get("n_batches", 0))
    if n_batches == 0:
        return np.zeros(adata.n_obs, dtype=np.int64)
    column = batch_column or run.config.get("batch_column")
    if column not in adata.obs.columns:
        raise InputError(
            f"this VAE corrects for batches, but the matrix has no batch column {column!r}",
            hint=f"available columns: {', '.join(map(str, adata.obs.columns)) or 'none'}",
        )
    known = {name: i for i, name in enumerate(run.config["batch_names"])}
    names = adata.obs[column].astype(str)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise InputError(
            f"batches {', '.join(unknown[:5])} were not in the training data",
            hint=f"the model knows {', '.join(known)}",
        )
    return names.map(known).to_numpy(dtype=np.int64)
