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
from typing import Any, Unpack

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.data import SequenceSet
from genodash.encoding import (
    Align,
    encode_codes,
    one_hot,
    one_hot_tensor,
    opposite_align,
    reverse_complement,
    reverse_complement_codes,
)
from genodash.errors import ConfigError
from genodash.io.read_store import EncodedReads, ReadStore
from genodash.models import MODELS, build_model, model_spec
from genodash.models.memory import MemoryEstimate, estimate_training_memory, meta_model
from genodash.predict import predict_probabilities
from genodash.splits import Split, stratified_split
from genodash.train.faults import check_job_memory
from genodash.train.loop import (
    FitResult,
    StepOutput,
    TrainConfig,
    TrainOptions,
    checked_options,
    fit,
)
from genodash.train.metrics import classification_metrics
from genodash.train.runs import Run

MAX_DEFAULT_LENGTH = 1000


@dataclass(frozen=True)
class EncodingConfig:
    """How sequences become model input (see the module docstring for the policy)."""

    length: int | None = None
    align: Align = "left"
    augment_rc: bool = False


@dataclass(frozen=True)
class PreparedSequences:
    """Encoded sequences, class indices and one fixed split, shared by every model trained
    on them (so that comparisons use the same split).

    From a :class:`~genodash.io.read_store.ReadStore` (a read file of any size), ``codes``
    are encoded batch by batch from the memory-mapped file and ``targets`` are mapped too.
    """

    codes: np.ndarray | EncodedReads  # uint8 (N, L)
    targets: np.ndarray  # class indices (N,)
    classes: list[str]
    split: Split
    encoding: EncodingConfig
    length: int
    source: SequenceSet | ReadStore

    @property
    def fingerprint(self) -> str:
        """The :func:`fingerprint` of the source data (a read file's SHA-256)."""
        if isinstance(self.source, ReadStore):
            return self.source.sha256
        return fingerprint(self.source)

    @property
    def n_obs(self) -> int:
        return len(self.targets)

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

    Parameters
    ----------
    sequences
        Labelled DNA sequences with at least two classes.
    encoding
        Length, alignment and reverse-complement augmentation; ``None`` for the defaults
        (the longest sequence, at most :data:`MAX_DEFAULT_LENGTH` bp, kept from the 5′ start).
    val_fraction, test_fraction
        Shares of the sequences (between 0 and 1, together below 1) held out for validation
        (early stopping) and for the final test.
    seed
        Seed of the split; the same seed gives the same split.

    Raises
    ------
    ConfigError
        Unlabelled data, a single class, classes too small to split, or a bad length.
    """
    encoding = encoding or EncodingConfig()
    if sequences.labels is None:
        raise _unlabelled(sequences.name)
    length = _encoding_length(encoding, int(sequences.lengths.max()), sequences.name)
    classes = sequences.classes
    index = {label: i for i, label in enumerate(classes)}
    split = stratified_split(
        sequences.labels,
        sequences.n_obs,
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
    )


def prepare_reads(
    store: ReadStore,
    *,
    encoding: EncodingConfig | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> PreparedSequences:
    """:func:`prepare_sequences` for a converted read file of any size: the same split and
    codes as for the same file read into memory, encoded batch by batch from disk.

    Parameters
    ----------
    store
        A converted read file with labels (see :func:`genodash.io.read_store.open_read_store`).
    encoding, val_fraction, test_fraction, seed
        As for :func:`prepare_sequences`.

    Raises
    ------
    ConfigError
        As for :func:`prepare_sequences`.
    """
    encoding = encoding or EncodingConfig()
    if store.labels is None:
        raise _unlabelled(store.name)
    length = _encoding_length(encoding, int(store.summary["max_length"]), store.name)
    split = stratified_split(
        store.labels,
        store.n_reads,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        seed=seed,
        data_name=store.name,
        class_names=store.classes,
    )
    return PreparedSequences(
        codes=store.view(None, length, encoding.align),
        targets=store.labels,
        classes=store.classes,
        split=split,
        encoding=encoding,
        length=length,
        source=store,
    )


def _unlabelled(name: str) -> ConfigError:
    return ConfigError(
        f"{name} has no labels; a classifier needs labelled sequences "
        "(label=X in FASTA headers, a LAB column, or one file per class)"
    )


def _encoding_length(encoding: EncodingConfig, longest: int, name: str) -> int:
    """The length sequences are encoded at: the one asked for, checked, else the longest
    (at most :data:`MAX_DEFAULT_LENGTH`)."""
    length = encoding.length or min(longest, MAX_DEFAULT_LENGTH)
    if length < 1:
        raise ConfigError(f"sequence length must be at least 1, got {length}")
    if length > longest:
        raise ConfigError(
            f"length {length:,} is longer than the longest sequence of {name} "
            f"({longest:,} bp): the extra positions would only be padding; choose at most "
            f"{longest:,}"
        )
    return length


def fingerprint(sequences: SequenceSet) -> str:
    """SHA-256 over sequences and labels: identical data gives the identical fingerprint.

    Parameters
    ----------
    sequences
        The data set; IDs, name and notes do not change the fingerprint.

    Returns
    -------
    64 hexadecimal characters.
    """
    digest = hashlib.sha256()
    labels = sequences.labels or ("",) * sequences.n_obs
    for sequence, label in zip(sequences.sequences, labels, strict=True):
        digest.update(f"{sequence}\t{label}\n".encode())
    return digest.hexdigest()


def example_batch(prepared: PreparedSequences) -> tuple[torch.Tensor]:
    """One sequence as ``forward`` of a sequence model takes it (e.g. for a layer table).

    Parameters
    ----------
    prepared
        Encoded sequences with their classes and split, from :func:`prepare_sequences`.

    Returns
    -------
    A one-tuple holding one-hot ``float32 (1, 4, L)`` of the first sequence.
    """
    return (torch.from_numpy(one_hot(prepared.codes[:1])),)


def classification_step(model: nn.Module, batch: list[torch.Tensor]) -> StepOutput:
    """Cross-entropy loss and number of correct predictions of one batch (the ``step`` of
    :func:`genodash.train.loop.fit` for sequence classifiers).

    Parameters
    ----------
    model
        A sequence classifier returning one logit per class ``(N, C)``.
    batch
        ``[codes, targets]``: base codes ``uint8 (N, L)`` and class indices ``int64 (N,)``.

    Returns
    -------
    The mean loss, and ``sums["accuracy"]``: how many of the ``N`` were right.
    """
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
    reverse = [reverse_complement(prepared.source.sequences[i]) for i in train]
    rc_codes = encode_codes(reverse, prepared.length, align=prepared.encoding.align)
    return np.concatenate([codes, rc_codes]), np.concatenate([targets, targets])


@dataclass(frozen=True)
class StoredReads:
    """Training or validation rows read batch by batch from a converted read file (the
    ``Rows`` that :func:`~genodash.train.loop.fit` takes), one-hot encoded on the device by
    the training step.

    With ``reverse_complements`` the rows are the reads and then their reverse complements,
    as :func:`prepare_sequences` augments data held in memory.
    """

    store: ReadStore
    rows: np.ndarray
    targets: np.ndarray
    length: int
    align: Align
    reverse_complements: bool = False

    @property
    def n_rows(self) -> int:
        return len(self.rows) * (2 if self.reverse_complements else 1)

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        """Codes and class indices of the rows at ``index``, on ``device``."""
        wanted = index.numpy()
        n = len(self.rows)
        reads = self.rows[wanted % n]
        flipped = wanted >= n
        codes = np.empty((len(wanted), self.length), dtype=np.uint8)
        codes[~flipped] = self.store.encode(reads[~flipped], self.length, self.align)
        if flipped.any():
            opposite = self.store.encode(reads[flipped], self.length, opposite_align(self.align))
            codes[flipped] = reverse_complement_codes(opposite)
        targets = np.asarray(self.targets[reads], dtype=np.int64)
        return [torch.from_numpy(codes).to(device), torch.from_numpy(targets).to(device)]


def fit_data(prepared: PreparedSequences) -> tuple[Any, Any]:
    """What :func:`~genodash.train.loop.fit` trains and validates on: tensors, or rows read
    from disk batch by batch for a converted read file.

    Parameters
    ----------
    prepared
        Encoded sequences with their classes and split.

    Returns
    -------
    The training data (with reverse complements when the encoding asks for them), then the
    validation data.
    """
    split = prepared.split
    if isinstance(prepared.source, ReadStore):

        def rows(subset: np.ndarray, augment: bool = False) -> StoredReads:
            return StoredReads(
                prepared.source,  # type: ignore[arg-type]
                subset,
                prepared.targets,
                prepared.length,
                prepared.encoding.align,
                augment,
            )

        return rows(split.train, prepared.encoding.augment_rc), rows(split.val)
    train_codes, train_targets = _training_codes(prepared)
    val_codes, val_targets = prepared.codes[split.val], prepared.targets[split.val]
    return (
        (torch.from_numpy(train_codes), torch.from_numpy(train_targets)),
        (torch.from_numpy(val_codes), torch.from_numpy(val_targets)),
    )


def train_sequence_model(
    prepared: PreparedSequences, model_name: str, **options: Unpack[TrainOptions]
) -> Run:
    """Train ``model_name`` on ``prepared``'s training set and evaluate it on its test set.

    Parameters
    ----------
    prepared
        Encoded sequences with their classes and split, from :func:`prepare_sequences`.
    model_name
        A registered sequence model: ``"cnn"``, ``"lstm"`` or ``"transformer"``.
    **options
        ``model_config``, ``train_config`` (``None``: the defaults of :class:`TrainConfig`),
        ``device`` and ``callbacks``: see :class:`~genodash.train.loop.TrainOptions`.

    Returns
    -------
    The unsaved run: model, settings, history, test metrics and the split of each sequence.

    Raises
    ------
    ConfigError
        Unknown model or settings, or a training step that needs more memory than one job
        may use.
    """
    options = checked_options(options)
    model_config = dict(options.get("model_config") or {})
    train_config = options.get("train_config") or TrainConfig()
    device = options.get("device", "cpu")
    check_job_memory(
        training_memory(prepared, model_name, model_config, train_config.batch_size), model_name
    )
    model = build_sequence_model(
        model_name, len(prepared.classes), model_config, seed=train_config.seed
    )
    train_data, val_data = fit_data(prepared)
    result = fit(
        model,
        train_data,
        val_data,
        classification_step,
        config=train_config,
        device=device,
        callbacks=options.get("callbacks"),
        distributed=options.get("distributed"),
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

    Parameters
    ----------
    name, n_classes, config
        A registered sequence model (see :func:`train_sequence_model`), the number of
        classes it predicts, and its settings over its defaults.
    seed
        Seed of the initial weights (ignored with ``meta``).
    meta
        Whether to build on the meta device (shapes only, no weights).

    Raises
    ------
    ConfigError
        Not a sequence model, unknown setting, or a value out of range.
    """
    model_spec(name, "sequence")
    if meta:
        return meta_model(name, n_outputs=n_classes, **config)
    return build_model(name, n_outputs=n_classes, seed=seed, **config)


def training_memory(
    prepared: PreparedSequences, name: str, config: dict[str, Any], batch_size: int
) -> MemoryEstimate:
    """Memory one training step of model ``name`` with ``config`` takes on ``prepared``.

    Parameters
    ----------
    prepared, name, config
        The data, the model and its settings, as for :func:`train_sequence_model`.
    batch_size
        Sequences per training step.

    Raises
    ------
    ConfigError
        Not a sequence model, or invalid settings.
    """
    model_spec(name, "sequence")
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
    full_config = asdict(MODELS[model_name].config(**model_config))
    summary = {
        "test_accuracy": metrics["accuracy"],
        "test_auroc": metrics["auroc"],
        "test_auprc": metrics["auprc"],
        **result.metrics(model),
    }
    sizes = prepared.split.sizes()
    return Run(
        config={
            "kind": "sequence",
            **result.run_config(model_name, train_config, prepared.split),
            "model_config": full_config,
            "n_outputs": len(prepared.classes),
            "classes": prepared.classes,
            "encoding": {**asdict(prepared.encoding), "length": prepared.length},
            "positive_class": prepared.positive_class,
        },
        metrics={**summary, "test": metrics},
        history=result.history,
        data={
            "name": prepared.source.name,
            "fingerprint": prepared.fingerprint,
            "n": prepared.n_obs,
            "n_train": sizes["train"],
            "n_val": sizes["val"],
            "n_test": sizes["test"],
            "classes": prepared.split_sizes(),
            "augmented_train": prepared.encoding.augment_rc,
        },
        model=model,
        tables=_split_table(prepared),
    )


def _split_table(prepared: PreparedSequences) -> dict[str, pd.DataFrame]:
    """Each sequence's subset, saved with the run; not for a converted read file (millions
    of rows; its split is redrawn from the file, the seed and the fractions)."""
    source = prepared.source
    if isinstance(source, ReadStore):
        return {}
    table = pd.DataFrame(
        {
            "seq_id": source.ids,
            "subset": prepared.split.subset_of(source.n_obs),
            "label": source.labels,
        }
    )
    return {"split": table}
