"""Deep-learning gene selection (Huang et al. 2023, Genome Biology): rank genes by how much
a neural classifier of the cell labels relies on them, beside highly variable genes.

Small dense classifiers (:class:`~genodash.models.cell_classifier.CellClassifier`, three by
default, from different seeds, whose importances are averaged: one alone ranks noisily)
learn the labels from the processed values with the one training loop, on the training
cells of one fixed split (validation cells for early stopping; test cells untouched). Its inputs are
each gene's values standardized on the training cells, so that one unit is one standard
deviation for every gene. Then, on the training cells (at most :data:`MAX_IMPORTANCE_CELLS`
of them):

- **gradient importance**: the mean over cells of |∂ logit of the cell's own class / ∂
  gene| — the plain gradient (saliency, Simonyan et al. 2014), not gradient × input, taken
  on the logit (before the softmax, which saturates in a confident model);
- **perturbation importance**: the drop in the mean log-likelihood of the true classes when
  the gene's values are shuffled between cells (permutation importance, averaged over a
  few shuffles), so the gene carries no information while its distribution stays the same.

Each ranking is then judged by :func:`genodash.expression.gene_selection.accuracy_curve`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.errors import ConfigError, InputError
from genodash.expression.gene_selection import (
    RANKING_TITLES,
    GeneSelection,
    accuracy_curve,
    choose_ks,
    fit_and_score,
    ranking_order,
    variability_scores,
)
from genodash.models.cell_classifier import CellClassifier
from genodash.settings import param
from genodash.train.callbacks import Callbacks, Progress
from genodash.train.expression import PreparedMatrix, prepare_matrix
from genodash.train.loop import StepOutput, TrainConfig, fit

if TYPE_CHECKING:
    from genodash.data import MatrixSet
    from genodash.expression.preprocess import ProcessedMatrix

MAX_IMPORTANCE_CELLS = 2000
_CHUNK_VALUES = 4_000_000  # first-layer values per batch of perturbed genes
# shares of the progress bar: training, importances, then the logistic regressions
_TRAINING, _IMPORTANCE = 0.6, 0.1


@dataclass(frozen=True)
class SelectionConfig:
    """Settings of the classifier and of the importances."""

    hidden: int = param(64, "Hidden units", 4, 2048, "Width of the classifier's hidden layer")
    dropout: float = param(0.5, "Dropout", 0.0, 0.8)
    classifiers: int = param(
        3, "Classifiers", 1, 10, "Importances are averaged over classifiers from different seeds"
    )
    epochs: int = param(60, "Epochs (at most)", 1, 1000)
    learning_rate: float = param(1e-3, "Learning rate", 1e-5, 1.0)
    weight_decay: float = param(1e-4, "Weight decay", 0.0, 1.0)
    patience: int = param(10, "Early-stopping patience (epochs)", 0, 1000)
    shuffles: int = param(3, "Shuffles per gene", 1, 50, "Perturbation importance: averaged over")
    perturbation: bool = param(True, "Perturbation importance", help="Also rank by shuffling")
    test_fraction: float = param(0.25, "Test share", 0.05, 0.5)
    val_fraction: float = param(0.15, "Validation share", 0.05, 0.4)
    seed: int = param(0, "Seed", 0, 2**32 - 1, "Seed of the split, the weights and the shuffles")


Report = Callable[[float, str], None]


def select_genes(
    processed: ProcessedMatrix,
    *,
    label_column: str | None,
    source: MatrixSet | None = None,
    ks: Sequence[int] | None = None,
    config: SelectionConfig | None = None,
    device: str = "cpu",
    on_progress: Report | None = None,
) -> GeneSelection:
    """Rank the genes of ``processed`` by variability and by their importance to a
    classifier of ``label_column``, and score a classifier on the top ``k`` of each.

    Parameters
    ----------
    processed
        The preprocessed matrix; the classifier reads its values (``X``).
    label_column
        Column of ``processed.adata.obs`` holding each cell's label (e.g. cell type).
        Cells without a label are left out (a note says how many).
    source
        The matrix ``processed`` was made from, for the variability ranking of scaled
        values (see :func:`~genodash.expression.gene_selection.variability_scores`).
    ks
        Numbers of top genes to keep; ``None``: 10, 20, 50, 100, 200, 500 up to the
        number of genes.
    config
        Classifier and importance settings; ``None``: the defaults.
    device
        ``"cpu"``, ``"cuda"`` or ``"mps"``.
    on_progress
        Called now and then with the fraction done (0 to 1) and what is happening.

    Returns
    -------
    GeneSelection
        The rankings, the accuracy of each ranking's top genes, and how they were made.

    Raises
    ------
    InputError
        No label column, or one the matrix does not have.
    ConfigError
        Fewer than two labels, too few cells, or a ``k`` the matrix has no genes for.
    """
    config = config or SelectionConfig()
    report = on_progress or (lambda fraction, message: None)
    started = time.perf_counter()
    adata, notes = _labelled_cells(processed, label_column)
    chosen_ks = choose_ks(adata.n_vars, ks)
    prepared = prepare_matrix(
        adata,
        source_name=processed.source_name,
        label_column=label_column,
        val_fraction=config.val_fraction,
        test_fraction=config.test_fraction,
        seed=config.seed,
    )
    notes += list(prepared.notes)
    data = _ClassifierData.of(prepared)
    models, classifier = _train_classifiers(data, config, device, report)
    cells = _importance_cells(data.train, config.seed)
    scores = _importances(models, data.x[cells], data.y[cells], config, report)
    hvg, how = variability_scores(processed, source)
    if hvg is not None:
        scores = {"hvg": hvg, **scores}
    notes.append(f"highly variable genes: {how}")
    table = pd.DataFrame(scores, index=prepared.genes)
    curve, all_genes = _judge(prepared, data, table, chosen_ks, report)
    sizes = prepared.split.sizes()
    return GeneSelection(
        genes=prepared.genes,
        scores=table,
        curve=curve,
        ks=chosen_ks,
        all_genes_accuracy=all_genes,
        classifier=classifier,
        params={
            "label_column": label_column,
            "classes": sorted(set(prepared.labels)),
            "n_cells": prepared.n_obs,
            "n_genes": prepared.n_vars,
            "n_train": sizes["train"],
            "n_val": sizes["val"],
            "n_test": sizes["test"],
            "n_importance_cells": len(cells),
            "methods": {name: RANKING_TITLES[name] for name in table.columns},
            "config": asdict(config),
            "seconds": round(time.perf_counter() - started, 3),
        },
        notes=tuple(notes),
    )


def _labelled_cells(processed: ProcessedMatrix, label_column: str | None) -> tuple[object, list]:
    """The processed cells that have a label, and a note on those left out."""
    adata = processed.adata
    columns = [str(c) for c in adata.obs.columns]
    if label_column is None or label_column not in columns:
        problem = (
            "gene selection needs a label column (e.g. cell type)"
            if label_column is None
            else f"no label column {label_column!r} in the cell metadata"
        )
        raise InputError(
            problem, file=processed.source_name, hint=f"columns: {', '.join(columns) or 'none'}"
        )
    labels = adata.obs[label_column]
    present = labels.notna().to_numpy() & (labels.astype(str).str.strip() != "").to_numpy()
    classes = labels[present].astype(str).unique()
    if len(classes) < 2:
        raise ConfigError(
            f"{processed.source_name}: column {label_column!r} has "
            f"{len(classes)} label{'s' if len(classes) != 1 else ''}; a classifier needs at "
            "least two classes"
        )
    notes = []
    if not present.all():
        notes.append(f"{int((~present).sum()):,} cells without a label were left out")
        adata = adata[present].copy()
    return adata, notes


@dataclass(frozen=True)
class _ClassifierData:
    """Standardized values and class indices of every cell, and the split."""

    x: torch.Tensor
    y: torch.Tensor
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    n_classes: int

    @classmethod
    def of(cls, prepared: PreparedMatrix) -> _ClassifierData:
        train = prepared.split.train
        mean = prepared.values[train].mean(axis=0)
        spread = prepared.values[train].std(axis=0)
        spread[spread == 0] = 1.0  # a gene constant in training cells stays 0
        values = ((prepared.values - mean) / spread).astype(np.float32)
        classes, codes = np.unique(np.asarray(prepared.labels), return_inverse=True)
        return cls(
            x=torch.from_numpy(values),
            y=torch.from_numpy(codes.astype(np.int64)),
            train=train,
            val=prepared.split.val,
            test=prepared.split.test,
            n_classes=len(classes),
        )


def _train_classifiers(
    data: _ClassifierData, config: SelectionConfig, device: str, report: Report
) -> tuple[list[CellClassifier], dict]:
    """``config.classifiers`` classifiers from seeds ``seed``, ``seed + 1``…, and their
    mean test accuracy."""
    models, results = [], []
    for index in range(config.classifiers):
        share = _TRAINING / config.classifiers

        def on_batch(progress: Progress, index: int = index, share: float = share) -> None:
            report(
                share * (index + progress.fraction),
                f"training classifier {index + 1} of {config.classifiers}, epoch {progress.epoch}",
            )

        model, result = _train_classifier(data, config, config.seed + index, device, on_batch)
        models.append(model)
        results.append(result)
    return models, {
        "test_accuracy": float(np.mean([r["test_accuracy"] for r in results])),
        "n_classifiers": len(results),
        "best_epochs": [r["best_epoch"] for r in results],
        "stop_reasons": sorted({r["stop_reason"] for r in results}),
        "seconds": round(sum(r["seconds"] for r in results), 3),
    }


def _train_classifier(
    data: _ClassifierData,
    config: SelectionConfig,
    seed: int,
    device: str,
    on_batch: Callable[[Progress], None],
) -> tuple[CellClassifier, dict]:
    model = CellClassifier(
        data.x.shape[1], data.n_classes, hidden=(config.hidden,), dropout=config.dropout, seed=seed
    )
    train_config = TrainConfig(
        epochs=config.epochs,
        batch_size=64,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        patience=config.patience,
        seed=seed,
    )

    def step(model: nn.Module, batch: Sequence[torch.Tensor]) -> StepOutput:
        x, y = batch
        logits = model(x)
        correct = (logits.argmax(dim=1) == y).sum().float()
        return StepOutput(nn.functional.cross_entropy(logits, y), {"correct": correct})

    result = fit(
        model,
        (data.x[data.train], data.y[data.train]),
        (data.x[data.val], data.y[data.val]),
        step,
        config=train_config,
        device=device,
        callbacks=Callbacks(on_batch_end=on_batch),
    )
    model = model.cpu()
    with torch.no_grad():
        predicted = model(data.x[data.test]).argmax(dim=1)
    return model, {
        "test_accuracy": float((predicted == data.y[data.test]).float().mean()),
        "best_epoch": result.best_epoch,
        "stop_reason": result.stop_reason,
        "seconds": result.seconds,
    }


def _importances(
    models: list[CellClassifier],
    x: torch.Tensor,
    y: torch.Tensor,
    config: SelectionConfig,
    report: Report,
) -> dict[str, np.ndarray]:
    """Gradient (and perturbation) importance of every gene, averaged over ``models``."""
    report(_TRAINING, "gradient importance")
    scores = {"gradient": np.mean([gradient_importance(m, x, y) for m in models], axis=0)}
    if config.perturbation:
        report(_TRAINING + _IMPORTANCE / 2, "perturbation importance")
        scores["perturbation"] = np.mean(
            [
                perturbation_importance(m, x, y, shuffles=config.shuffles, seed=config.seed + i)
                for i, m in enumerate(models)
            ],
            axis=0,
        )
    return scores


def _judge(
    prepared: PreparedMatrix,
    data: _ClassifierData,
    table: pd.DataFrame,
    ks: tuple[int, ...],
    report: Report,
) -> tuple[pd.DataFrame, float]:
    """The accuracy curve of every ranking in ``table``, and the accuracy on all genes; the
    cells outside the test set fit, the test cells score."""
    split = (np.concatenate([data.train, data.val]), data.test)
    labels = np.asarray(prepared.labels)
    orders = {name: ranking_order(table[name].to_numpy()) for name in table.columns}
    start, share = _TRAINING + _IMPORTANCE, 1 - _TRAINING - _IMPORTANCE
    report(start, "logistic regressions on the top genes")
    curve = accuracy_curve(
        prepared.values,
        labels,
        split,
        orders,
        ks,
        on_fit=lambda done, total: report(
            start + share * done / (total + 1),
            f"logistic regressions on the top genes, fit {done} of {total + 1}",
        ),
    )
    all_genes = fit_and_score(prepared.values, labels, split)
    report(1.0, "done")
    return curve, all_genes


def _importance_cells(train: np.ndarray, seed: int) -> np.ndarray:
    if len(train) <= MAX_IMPORTANCE_CELLS:
        return train
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(train, MAX_IMPORTANCE_CELLS, replace=False))


def gradient_importance(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """Mean over cells of |∂ logit of the cell's class / ∂ gene value|, per gene.

    Parameters
    ----------
    model
        A trained classifier of cells ``(N, G) → (N, C)`` logits, in eval mode.
    x
        The cells' inputs ``float32 (N, G)``, as the model reads them.
    y
        Each cell's class index ``int64 (N,)``.

    Returns
    -------
    numpy.ndarray
        One importance per gene ``(G,)``, float64.
    """
    model.eval()
    total = torch.zeros(x.shape[1], dtype=torch.float64)
    for start in range(0, x.shape[0], 1024):
        batch = x[start : start + 1024].clone().requires_grad_(True)
        logits = model(batch)  # (n, C)
        own = logits.gather(1, y[start : start + 1024, None]).sum()
        (gradient,) = torch.autograd.grad(own, batch)
        total += gradient.abs().sum(dim=0).double()
    return (total / max(x.shape[0], 1)).numpy()


@torch.no_grad()
def perturbation_importance(
    model: CellClassifier, x: torch.Tensor, y: torch.Tensor, *, shuffles: int = 3, seed: int = 0
) -> np.ndarray:
    """Drop in the mean log-likelihood of the cells' classes when one gene's values are
    shuffled between the cells, per gene (averaged over ``shuffles`` shuffles).

    Shuffling gene ``g`` changes only the first layer's output, by ``(x_shuffled[:, g] -
    x[:, g]) ⊗ W[:, g]``; adding that to the output of the unshuffled cells is exact and
    spares a pass through the first layer per gene.

    Parameters
    ----------
    model
        A trained :class:`CellClassifier`.
    x
        The cells' inputs ``float32 (N, G)``, as the model reads them.
    y
        Each cell's class index ``int64 (N,)``.
    shuffles
        Independent shuffles per gene.
    seed
        Seed of the shuffles.

    Returns
    -------
    numpy.ndarray
        One importance per gene ``(G,)``, float64: positive when shuffling hurts.
    """
    model.eval()
    n, n_genes = x.shape
    rng = np.random.default_rng(seed)
    first = model.input_layer(x)  # (N, H)
    weights = model.input_layer.weight.T  # (G, H)
    rows = torch.arange(n)
    baseline = torch.log_softmax(model.rest(first), dim=1)[rows, y].mean().item()
    chunk = max(1, _CHUNK_VALUES // max(n * first.shape[1], 1))
    drops = np.zeros(n_genes)
    for _ in range(shuffles):
        for start in range(0, n_genes, chunk):
            genes = torch.arange(start, min(start + chunk, n_genes))
            order = torch.from_numpy(np.stack([rng.permutation(n) for _ in genes]))  # (c, N)
            column = x[:, genes].T  # (c, N)
            delta = torch.gather(column, 1, order) - column  # (c, N)
            shifted = first[None] + delta[:, :, None] * weights[genes][:, None, :]  # (c, N, H)
            logp = torch.log_softmax(model.rest(shifted), dim=2)  # (c, N, C)
            likelihood = logp[:, rows, y].mean(dim=1)  # (c,)
            drops[genes.numpy()] += baseline - likelihood.double().numpy()
    return drops / shuffles
