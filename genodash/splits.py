"""Stratified train / validation / test splits with a seed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genodash.errors import ConfigError

LEAN_ABOVE = 2_000_000  # rows; larger data sets are split without scikit-learn (memory)


@dataclass(frozen=True)
class Split:
    """Row indices of each subset, and the fractions and seed that made them."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    val_fraction: float
    test_fraction: float
    seed: int

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def subset_of(self, n: int) -> np.ndarray:
        """``"train"``/``"val"``/``"test"`` for each of ``n`` rows."""
        names = np.empty(n, dtype=object)
        for name in ("train", "val", "test"):
            names[getattr(self, name)] = name
        return names


def stratified_split(
    labels: Sequence[str] | np.ndarray | None,
    n: int,
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.25,
    seed: int = 0,
    data_name: str | None = None,
    class_names: Sequence[str] | None = None,
) -> Split:
    """Split ``n`` rows so that each subset keeps the class proportions of ``labels``.

    Parameters
    ----------
    labels
        One class per row (names, or indices into ``class_names``), or None for a plain
        random split.
    n
        Number of rows.
    val_fraction, test_fraction
        Shares of the rows for validation and test.
    seed
        Seed of the split.
    data_name
        Name of the data set, for messages.
    class_names
        The class names, when ``labels`` are indices into them (for messages); sorted, so
        that the split is the one the names themselves would give.

    Returns
    -------
    The row indices of each subset.

    Raises
    ------
    ConfigError
        Fractions out of range, or a class too small to appear in every subset.
    """
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ConfigError(
            f"validation ({val_fraction}) and test ({test_fraction}) fractions must be "
            "between 0 and 1 and leave rows for training"
        )
    from sklearn.model_selection import train_test_split

    strata = np.asarray(labels) if labels is not None else None
    if strata is not None:
        _check_class_sizes(strata, data_name, class_names)
        if n > LEAN_ABOVE:
            return _lean_split(strata, val_fraction, test_fraction, seed)
    index = np.arange(n)
    rest, test = train_test_split(
        index, test_size=test_fraction, random_state=seed, stratify=strata
    )
    val_share = val_fraction / (1 - test_fraction)
    train, val = train_test_split(
        rest,
        test_size=val_share,
        random_state=seed,
        stratify=strata[rest] if strata is not None else None,
    )
    return Split(np.sort(train), np.sort(val), np.sort(test), val_fraction, test_fraction, seed)


def _lean_split(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int) -> Split:
    """A stratified split of millions of rows in a fraction of scikit-learn's memory: each
    class's rows are shuffled with ``seed`` and cut by the fractions (rounded per class)."""
    rng = np.random.default_rng(seed)
    index_type = np.int32 if len(labels) < 2**31 else np.int64
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value).astype(index_type)
        rng.shuffle(rows)
        n_test = round(len(rows) * test_fraction)
        n_val = round(len(rows) * val_fraction)
        parts["test"].append(rows[:n_test])
        parts["val"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])
    subsets = {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}
    return Split(
        subsets["train"], subsets["val"], subsets["test"], val_fraction, test_fraction, seed
    )


def _check_class_sizes(
    labels: np.ndarray, data_name: str | None, class_names: Sequence[str] | None
) -> None:
    values, sizes = np.unique(labels, return_counts=True)
    names = [class_names[v] if class_names is not None else v.item() for v in values]
    counts = Counter(dict(zip(names, sizes.tolist(), strict=True)))
    prefix = f"{data_name}: " if data_name else ""
    if len(counts) < 2:
        raise ConfigError(
            f"{prefix}all {len(labels):,} examples have the same label {next(iter(counts))!r}: a "
            "classifier needs at least two classes"
        )
    small = {label: count for label, count in counts.items() if count < 5}
    if small:
        listed = ", ".join(f"{label!r} ({count})" for label, count in sorted(small.items()))
        raise ConfigError(
            f"{prefix}classes with fewer than 5 examples cannot be split into train, "
            f"validation and test sets: {listed}; add examples or remove these classes"
        )
