"""Big data in biology: where data sets sit on the plane of samples N and features P."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genodash.curse._common import Result, whole
from genodash.errors import ConfigError

if TYPE_CHECKING:
    from genodash.data import MatrixSet, SequenceSet


@dataclass(frozen=True)
class DataPoint(Result):
    """A data set on the N–P plane: N samples, P features, and its regime."""

    name: str
    description: str
    n: float
    p: float
    product: float
    regime: str
    reference: bool


@dataclass(frozen=True)
class RegimeResult(Result):
    """Reference data sets and the user's on the N–P plane; ``budget`` is the N·P line."""

    points: tuple[DataPoint, ...]
    budget: float


REFERENCES = (
    ("WGS", "whole-genome sequencing: samples × variants", 1e3, 1e6),
    ("scRNA-seq", "single-cell RNA-seq: cells × genes", 1e6, 1e3),
    ("bulk RNA-seq", "a bulk RNA-seq study: samples × genes", 1e2, 2e4),
    ("biobank GWAS", "a biobank GWAS: people × imputed variants", 5e5, 1e7),
)
"""Orders of magnitude of typical biological data sets: (name, description, N, P)."""


def regime(n: float, p: float) -> str:
    """``"P ≫ N"`` when P ≥ 10·N, ``"N ≫ P"`` when N ≥ 10·P, else ``"N ≈ P"``.

    Parameters
    ----------
    n
        Samples N (e.g. people, cells), a positive number.
    p
        Features P measured on each sample (e.g. variants, genes), a positive number.

    Returns
    -------
    str
        One of ``"P ≫ N"``, ``"N ≫ P"`` or ``"N ≈ P"``.
    """
    if p >= 10 * n:
        return "P ≫ N"
    if n >= 10 * p:
        return "N ≫ P"
    return "N ≈ P"


def _point(name: str, description: str, n: float, p: float, *, reference: bool) -> DataPoint:
    n, p = float(n), float(p)
    return DataPoint(name, description, n, p, n * p, regime(n, p), reference)


def data_regimes(
    n: Sequence[int] = (), p: Sequence[int] = (), *, names: Sequence[str] = ()
) -> RegimeResult:
    """Big data in biology: WGS and scRNA-seq have the same N·P, in opposite regimes.

    Parameters
    ----------
    n
        Samples N of your data sets (one per data set).
    p
        Features P of your data sets, in the same order.
    names
        Names of your data sets (default: "data set 1", …).

    Returns
    -------
    RegimeResult
        The reference data sets, then yours, with N·P and regime.

    Raises
    ------
    ConfigError
        Lengths differ, or a size is not from 1 to 10¹².
    """
    if len(n) != len(p) or (names and len(names) != len(n)):
        raise ConfigError(
            f"give one N and one P (and one name, if any) per data set: got {len(n)} N, "
            f"{len(p)} P and {len(names)} names"
        )
    sizes = [
        (whole(a, "n", 1, 10**12), whole(b, "p", 1, 10**12)) for a, b in zip(n, p, strict=True)
    ]
    labels = list(names) or [f"data set {i + 1}" for i in range(len(sizes))]
    points = [_point(*reference, reference=True) for reference in REFERENCES]
    points += [
        _point(str(name), "", a, b, reference=False)
        for name, (a, b) in zip(labels, sizes, strict=True)
    ]
    return RegimeResult(tuple(points), 1e9)


def dataset_shape(dataset: SequenceSet | MatrixSet) -> tuple[int, int]:
    """(N, P) of a data set: sequences × one-hot features (4 × longest), or cells × genes.

    Parameters
    ----------
    dataset
        A loaded sequence set (N sequences, P = 4 one-hot letters × the longest length) or
        expression matrix (N cells, P genes).

    Returns
    -------
    tuple of int
        (N, P): samples and features.
    """
    from genodash.data import SequenceSet

    if isinstance(dataset, SequenceSet):
        return dataset.n_obs, 4 * int(dataset.lengths.max())
    return dataset.n_obs, dataset.n_vars
