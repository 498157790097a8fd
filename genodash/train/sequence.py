"""Sequence classification end to end: encode, split, train, evaluate, predict.

Pad/trim policy: every sequence is encoded at one length ``L`` (default: the longest, at
most :data:`MAX_DEFAULT_LENGTH`). With ``align="left"`` (the default) sequences keep their
5′ start; shorter ones get empty (all-zero) positions at the 3′ end, which the models mask
out, and longer ones are trimmed at the 3′ end. ``"right"`` keeps the 3′ end instead and
``"center"`` the middle.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.data import SequenceSet
from genodash.encoding import Align, encode_codes, one_hot
from genodash.errors import ConfigError
from genodash.limits import Limits
from genodash.models import MODELS, build_model, count_parameters
from genodash.models.memory import (
    MemoryEstimate,
    check_training_memory,
    estimate_training_memory,
    meta_model,
)
from genodash.splits import Split, stratified_split
from genodash.train.loop import Callbacks, FitResult, StepOutput, TrainConfig, fit
from genodash.train.metrics import classification_metrics
from genodash.train.runs import Run

MAX_DEFAULT_LENGTH = 1000
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@dataclass(frozen=True)
class EncodingConfig:
    """How sequences become model input (see the module docstring for the policy)."""

    length: int | None = None
    align: Align = "left"
    augment_rc: bool = False


@dataclass(frozen=True)
class PreparedSequences:
    """Encoded sequences, class indices and one fixed split, shared by every model trained
    on them (so that comparisons use the same split)."""

    codes: np.ndarray  # uint8 (N, L)
    targets: np.ndarray  # int64 (N,)
    classes: list[str]
    split: Split
    encoding: EncodingConfig
    length: int
    source: SequenceSet
    fingerprint: str

    @property
    def positive_class(self) -> str | None:
        return self.source.meta.get("positive_class") if len(self.classes) == 2 else None

    def split_sizes(self) -> dict[str, dict[str, int]]:
        """Sequences per class in each subset."""
        sizes = {}
        for subset in ("train", "val", "test"):
            counts = np.bincount(
                self.targets[getattr(self.split, subset)], minlength=len(self.classes)
            )
            sizes[subset] = {c: int(n) for c, n in zip(self.classes, counts, strict=True)}
        return sizes


def prepare_sequences(
    sequences: SequenceSet,
    *,
    encoding: EncodingConfig | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> PreparedSequences:
    """Encode labelled ``sequences`` and split them, stratified by class, with ``seed``.

    Raises
    ------
    ConfigError
        Unlabelled data, a single class, classes too small to split, or a bad length.
    """
    encoding = encoding or EncodingConfig()
    if sequences.labels is None:
        raise ConfigError(
            f"{sequences.name} has no labels; a classifier needs labelled sequences "
            "(label=X in FASTA headers, a LAB column, or one file per class)"
        )
    longest = int(sequences.lengths.max())
    length = encoding.length or min(longest, MAX_DEFAULT_LENGTH)
    if length < 1:
        raise ConfigError(f"sequence length must be at least 1, got {length}")
    if length > longest:
        raise ConfigError(
            f"length {length:,} is longer than the longest sequence of {sequences.name} "
            f"({longest:,} bp): the extra positions would only be padding; choose at most "
            f"{longest:,}"
        )
    classes = sequences.classes
    index = {label: i for i, label in enumerate(classes)}
    split = stratified_split(
        sequences.labels,
        sequences.n,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        seed=seed,
        data_name=sequences.name,
    )
    return PreparedSequences(
        codes=encode_codes(sequences.sequences, length, align=encoding.align),
        targets=np.array([index[label] for label in sequences.labels], dtype=np.int64),
        classes=classes,
        split=split,
        encoding=encoding,
        length=length,
        source=sequences,
        fingerprint=fingerprint(sequences),
    )


def fingerprint(sequences: SequenceSet) -> str:
    """SHA-256 over sequences and labels: identical data gives the identical fingerprint."""
    digest = hashlib.sha256()
    labels = sequences.labels or ("",) * sequences.n
    for sequence, label in zip(sequences.sequences, labels, strict=True):
        digest.update(f"{sequence}\t{label}\n".encode())
    return digest.hexdigest()


def one_hot_tensor(codes: torch.Tensor) -> torch.Tensor:
    """Base codes ``(N, L)`` to one-hot ``float32 (N, 4, L)`` on the codes' device."""
    bases = torch.arange(4, device=codes.device, dtype=codes.dtype)
    return (codes[:, None, :] == bases[None, :, None]).float()


def example_batch(prepared: PreparedSequences) -> tuple[torch.Tensor]:
    """One sequence as ``forward`` of a sequence model takes it (e.g. for a layer table)."""
    return (torch.from_numpy(one_hot(prepared.codes[:1])),)


def classification_step(model: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
    codes, targets = batch
    logits = model(one_hot_tensor(codes))
    loss = nn.functional.cross_entropy(logits.float(), targets)
    correct = (logits.argmax(dim=1) == targets).sum().float()
    return StepOutput(loss=loss, sums={"accuracy": correct})


def _training_codes(prepared: PreparedSequences) -> tuple[np.ndarray, np.ndarray]:
    train = prepared.split.train
    codes, targets = prepared.codes[train], prepared.targets[train]
    if not prepared.encoding.augment_rc:
        return codes, targets
    reverse = [prepared.source.sequences[i].translate(_COMPLEMENT)[::-1] for i in train]
    rc_codes = encode_codes(reverse, prepared.length, align=prepared.encoding.align)
    return np.concatenate([codes, rc_codes]), np.concatenate([targets, targets])


def train_sequence_model(
    prepared: PreparedSequences,
    model_name: str,
    *,
    model_config: dict[str, Any] | None = None,
    train_config: TrainConfig | None = None,
    device: str = "cpu",
    callbacks: Callbacks | None = None,
) -> Run:
    """Train ``model_name`` on ``prepared``'s training set and evaluate it on its test set.

    Raises
    ------
    ConfigError
        Unknown model or settings.
    """
    model_config = dict(model_config or {})
    train_config = train_config or TrainConfig()
    check_training_memory(
        training_memory(prepared, model_name, model_config, train_config.batch_size),
        Limits.from_env().max_job_memory_bytes,
        model=MODELS[model_name].short if model_name in MODELS else model_name,
    )
    model = build_sequence_model(
        model_name, len(prepared.classes), model_config, seed=train_config.seed
    )
    train_codes, train_targets = _training_codes(prepared)
    val = prepared.split.val
    result = fit(
        model,
        (torch.from_numpy(train_codes), torch.from_numpy(train_targets)),
        (torch.from_numpy(prepared.codes[val]), torch.from_numpy(prepared.targets[val])),
        classification_step,
        config=train_config,
        device=device,
        callbacks=callbacks,
    )
    test = prepared.split.test
    probabilities = predict_probabilities(model, prepared.codes[test], device=device)
    metrics = classification_metrics(
        prepared.targets[test],
        probabilities,
        prepared.classes,
        positive_class=prepared.positive_class,
    )
    return _make_run(prepared, model_name, model_config, train_config, model, result, metrics)


def build_sequence_model(
    name: str, n_classes: int, config: dict[str, Any], *, seed: int, meta: bool = False
) -> nn.Module:
    """Build a registered sequence model, turning bad names or settings into ConfigError.

    With ``meta`` the model is built on torch's meta device: its shapes and parameter count
    for a layer table, without memory (pages never build a real model).
    """
    _check_sequence_model(name)
    if meta:
        return meta_model(name, n_outputs=n_classes, **config)
    return build_model(name, n_outputs=n_classes, seed=seed, **config)


def _check_sequence_model(name: str) -> None:
    spec = MODELS.get(name)
    if spec is None or spec.kind != "sequence":
        names = [n for n, s in MODELS.items() if s.kind == "sequence"]
        raise ConfigError(f"unknown sequence model {name!r}; choose one of {', '.join(names)}")


def training_memory(
    prepared: PreparedSequences, name: str, config: dict[str, Any], batch_size: int
) -> MemoryEstimate:
    """Memory one training step of model ``name`` with ``config`` takes on ``prepared``."""
    _check_sequence_model(name)
    return estimate_training_memory(
        name,
        example_batch(prepared),
        n_outputs=len(prepared.classes),
        batch_size=batch_size,
        config=config,
    )


def _make_run(
    prepared: PreparedSequences,
    model_name: str,
    model_config: dict[str, Any],
    train_config: TrainConfig,
    model: nn.Module,
    result: FitResult,
    metrics: dict[str, Any],
) -> Run:
    spec = MODELS[model_name]
    full_config = asdict(spec.config(**model_config))
    epochs = max(result.epochs_run, 1)
    summary = {
        "test_accuracy": metrics["accuracy"],
        "test_auroc": metrics["auroc"],
        "test_auprc": metrics["auprc"],
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "train_seconds": result.seconds,
        "seconds_per_epoch": result.seconds / epochs,
        "samples_per_second": result.samples_per_second,
        "parameters": count_parameters(model),
        "device": result.device,
        "stop_reason": result.stop_reason,
        "message": result.message,
    }
    sizes = prepared.split.sizes()
    split_table = pd.DataFrame(
        {
            "seq_id": prepared.source.ids,
            "subset": prepared.split.subset_of(prepared.source.n),
            "label": prepared.source.labels,
        }
    )
    return Run(
        config={
            "kind": "sequence",
            "model": model_name,
            "model_config": full_config,
            "n_outputs": len(prepared.classes),
            "classes": prepared.classes,
            "encoding": {**asdict(prepared.encoding), "length": prepared.length},
            "train_config": train_config.as_dict(),
            "seed": train_config.seed,
            "split": {
                "val_fraction": prepared.split.val_fraction,
                "test_fraction": prepared.split.test_fraction,
                "seed": prepared.split.seed,
            },
            "positive_class": prepared.positive_class,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": result.stop_reason,
        },
        metrics={**summary, "test": metrics},
        history=result.history,
        data={
            "name": prepared.source.name,
            "fingerprint": prepared.fingerprint,
            "n": prepared.source.n,
            "n_train": sizes["train"],
            "n_val": sizes["val"],
            "n_test": sizes["test"],
            "classes": prepared.split_sizes(),
            "augmented_train": prepared.encoding.augment_rc,
        },
        model=model,
        tables={"split": split_table},
    )


@torch.no_grad()
def predict_probabilities(
    model: nn.Module, codes: np.ndarray, *, device: str | None = None, batch_size: int = 512
) -> np.ndarray:
    """Class probabilities ``(N, classes)`` for base codes ``(N, L)``.

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
    if device is not None:
        model.to(device)
    device = next(model.parameters()).device
    model.eval()
    parts = []
    for start in range(0, len(codes), batch_size):
        batch = torch.from_numpy(codes[start : start + batch_size]).to(device)
        parts.append(torch.softmax(model(one_hot_tensor(batch)).float(), dim=1).cpu().numpy())
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(parts)


def encode_for_run(run: Run, sequences: SequenceSet) -> np.ndarray:
    """Encode new sequences exactly as ``run``'s training data was."""
    encoding = run.config["encoding"]
    return encode_codes(sequences.sequences, int(encoding["length"]), align=encoding["align"])


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
    length, align = int(run.config["encoding"]["length"]), run.config["encoding"]["align"]
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


def one_hot_for_run(run: Run, sequences: SequenceSet) -> np.ndarray:
    """One-hot ``float32 (N, 4, L)`` of new sequences, encoded as ``run``'s training data."""
    return one_hot(encode_for_run(run, sequences))


@torch.no_grad()
def sequence_features(
    run: Run, sequences: SequenceSet, *, device: str = "cpu", batch_size: int = 512
) -> np.ndarray:
    """Penultimate-layer features ``(N, D)`` of ``sequences`` under ``run``'s model.

    Sequences are encoded exactly as the training data was; these vectors are what the
    classifier's last layer sees, so they can be embedded (PCA, UMAP) like expression.
    """
    if run.kind != "sequence":
        raise ConfigError(f"run of a {run.kind} model has no sequence features")
    codes = encode_for_run(run, sequences)
    model = run.model.to(device).eval()
    parts = []
    for start in range(0, len(codes), batch_size):
        batch = torch.from_numpy(codes[start : start + batch_size]).to(device)
        parts.append(model.features(one_hot_tensor(batch)).float().cpu().numpy())
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def predict_sequences(run: Run, sequences: SequenceSet, *, device: str = "cpu") -> pd.DataFrame:
    """One row per sequence: ``seq_id``, ``predicted`` class and ``p_<class>`` probabilities.

    When ``sequences`` are labelled, a ``label`` column is added for comparison.
    """
    if run.kind != "sequence":
        raise ConfigError(f"run of a {run.kind} model cannot classify sequences")
    probabilities = predict_probabilities(run.model, encode_for_run(run, sequences), device=device)
    classes = run.config["classes"]
    table = pd.DataFrame(
        {"seq_id": sequences.ids, "predicted": [classes[i] for i in probabilities.argmax(axis=1)]}
    )
    if sequences.labels is not None:
        table["label"] = sequences.labels
    for i, name in enumerate(classes):
        table[f"p_{name}"] = probabilities[:, i].round(6)
    return table
