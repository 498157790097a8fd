"""Sparse space: points near a target, distances between points, genotype cells.

The first three demos: as p grows a neighbourhood holds ever fewer points, all pairwise
distances become alike, and m SNPs split subjects into 3^m cells that are mostly empty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from genodash.curse._common import Result, check_seed, choice, floats, real, whole, wholes

Placement = Literal["diagonal", "fixed-distance"]
_TARGET = 1.5


# --- 1. sparsity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparsityResult(Result):
    """Share of N(0, I_p) points within ``radius`` of the target point, for each p.

    ``theory`` is the exact probability, P(noncentral χ²_p(λ) ≤ radius²), with λ the squared
    distance of the target from the mean.
    """

    dims: tuple[int, ...]
    fraction_within: tuple[float, ...]
    theory: tuple[float, ...]
    n: int
    radius: float
    placement: str
    seed: int


@dataclass(frozen=True, eq=False)
class SparsitySample(Result):
    """One 2-D sample of the sparsity demo, for the histograms and the scatter.

    ``points`` (n × 2, read-only) is the same draw as the p = 2 point of :func:`sparsity`.
    ``within_x`` and ``within_y`` are the shares within ±radius of the target on one axis;
    ``within_both`` the share inside the circle.
    """

    points: np.ndarray
    target: tuple[float, float]
    radius: float
    within_x: float
    within_y: float
    within_both: float
    theory_1d: float
    theory_2d: float
    seed: int


def target_coordinate(p: int, placement: Placement) -> float:
    """Each coordinate of the target point in p dimensions.

    ``"diagonal"`` is the paper's (1.5, …, 1.5), at distance 1.5·√p from the mean;
    ``"fixed-distance"`` moves it to (1.5/√p, …) so that it stays 1.5 from the mean.

    Parameters
    ----------
    p
        Dimensions (features) of the space, 1 or more.
    placement
        ``"diagonal"`` or ``"fixed-distance"``, as above.

    Returns
    -------
    float
        The value shared by all p coordinates of the target, in standard deviations σ.
    """
    return _TARGET if placement == "diagonal" else _TARGET / math.sqrt(p)


def within_probability(
    dims: Sequence[int], *, radius: float = 1.0, placement: Placement = "diagonal"
) -> np.ndarray:
    """Exact probability that a N(0, I_p) point lies within ``radius`` of the target, per p.

    Parameters
    ----------
    dims
        Dimensions p, one probability each.
    radius
        Radius of the neighbourhood around the target, in standard deviations σ.
    placement
        Where the target sits: ``"diagonal"`` at (1.5, …, 1.5), ``"fixed-distance"`` always
        1.5 from the mean (see :func:`target_coordinate`).

    Returns
    -------
    numpy.ndarray
        One probability (0 to 1) per entry of ``dims``: P(noncentral χ²_p(λ) ≤ radius²).
    """
    p = np.asarray(dims, dtype=float)
    offset = p * np.array([target_coordinate(int(d), placement) ** 2 for d in dims])
    return stats.ncx2.cdf(radius**2, p, offset)


def _gaussian_points(n: int, p: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, p]).standard_normal((n, p))


def sparsity(
    dims: Sequence[int] = tuple(range(1, 11)),
    *,
    n: int = 1000,
    radius: float = 1.0,
    placement: Placement = "diagonal",
    seed: int = 0,
) -> SparsityResult:
    """Data get sparse: the share of normal points near a point of interest, as p grows.

    Parameters
    ----------
    dims
        Dimensions p to simulate (1 to 100).
    n
        Points per dimension (10 to 100,000).
    radius
        Radius of the neighbourhood, in standard deviations σ.
    placement
        ``diagonal``: the target is (1.5, …, 1.5); ``fixed-distance``: it stays 1.5 from the
        mean in every dimension.
    seed
        Seed of the random draws.

    Returns
    -------
    SparsityResult
        Simulated share within the radius and its exact probability, per p.
    """
    dims = wholes(dims, "dims", 1, 100)
    n = whole(n, "n", 10, 100_000)
    radius = real(radius, "radius", 0.05, 10.0)
    choice(placement, "placement", ("diagonal", "fixed-distance"))
    seed = check_seed(seed)
    fractions = []
    for p in dims:
        offsets = _gaussian_points(n, p, seed) - target_coordinate(p, placement)
        fractions.append(np.mean(np.einsum("ij,ij->i", offsets, offsets) <= radius**2))
    theory = within_probability(dims, radius=radius, placement=placement)
    return SparsityResult(dims, floats(fractions), floats(theory), n, radius, placement, seed)


def sparsity_sample(
    n: int = 1000, *, radius: float = 1.0, placement: Placement = "diagonal", seed: int = 0
) -> SparsitySample:
    """The paper's Fig. 1: one 2-D normal sample, its 1-D projections, and the circle.

    Parameters
    ----------
    n
        Points in the sample (10 to 100,000).
    radius
        Radius of the neighbourhood, in standard deviations σ (0.05 to 10).
    placement
        ``diagonal``: the target is (1.5, 1.5); ``fixed-distance``: it is 1.5 from the mean.
    seed
        Seed of the random draw; the same seed gives the p = 2 point of :func:`sparsity`.

    Returns
    -------
    SparsitySample
        The points, the target, and the shares within the radius on each axis and in the
        circle, beside their exact probabilities.
    """
    n = whole(n, "n", 10, 100_000)
    radius = real(radius, "radius", 0.05, 10.0)
    choice(placement, "placement", ("diagonal", "fixed-distance"))
    seed = check_seed(seed)
    points = _gaussian_points(n, 2, seed)
    points.setflags(write=False)
    centre = target_coordinate(2, placement)
    offsets = points - centre
    one_d = stats.norm.cdf(centre + radius) - stats.norm.cdf(centre - radius)
    return SparsitySample(
        points=points,
        target=(centre, centre),
        radius=radius,
        within_x=float(np.mean(np.abs(offsets[:, 0]) <= radius)),
        within_y=float(np.mean(np.abs(offsets[:, 1]) <= radius)),
        within_both=float(np.mean((offsets**2).sum(axis=1) <= radius**2)),
        theory_1d=float(one_d),
        theory_2d=float(within_probability((2,), radius=radius, placement=placement)[0]),
        seed=seed,
    )


# --- 2. distance concentration ----------------------------------------------------------------


@dataclass(frozen=True)
class DistanceResult(Result):
    """How alike all pairwise distances become as p grows, for n N(0, I_p) points.

    Per p: ``relative_contrast`` is (max − min)/min over all pairs; ``nearest_farthest`` the
    mean over points of (nearest distance)/(farthest distance); ``spread`` the standard
    deviation of the distances over their mean, with its exact value ``spread_theory``
    (a distance is √2 times a χ variable with p degrees of freedom); ``lowest``, ``q05``,
    ``q95``, ``highest`` are the smallest, 5th and 95th percentile and largest distance
    divided by the mean distance.
    """

    dims: tuple[int, ...]
    relative_contrast: tuple[float, ...]
    nearest_farthest: tuple[float, ...]
    spread: tuple[float, ...]
    spread_theory: tuple[float, ...]
    lowest: tuple[float, ...]
    q05: tuple[float, ...]
    q95: tuple[float, ...]
    highest: tuple[float, ...]
    n: int
    seed: int


def distance_spread(dims: Sequence[int]) -> np.ndarray:
    """Exact sd/mean of the distance between two independent N(0, I_p) points, per p.

    Parameters
    ----------
    dims
        Dimensions p, 1 or more; one value each.

    Returns
    -------
    numpy.ndarray
        The coefficient of variation of the distance per entry of ``dims``; it shrinks
        towards 0 as p grows, so all distances look alike.
    """
    p = np.asarray(dims, dtype=float)
    mean_chi = np.sqrt(2.0) * np.exp(special.gammaln((p + 1) / 2) - special.gammaln(p / 2))
    return np.sqrt(p - mean_chi**2) / mean_chi


def distance_concentration(
    dims: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), *, n: int = 200, seed: int = 0
) -> DistanceResult:
    """Distances concentrate: nearest and farthest neighbours become alike as p grows.

    Parameters
    ----------
    dims
        Dimensions p to simulate (1 to 10,000).
    n
        Points per dimension (10 to 1,000).
    seed
        Seed of the random draws.

    Returns
    -------
    DistanceResult
        Contrast, nearest/farthest ratio and spread of pairwise distances per p.
    """
    from scipy.spatial.distance import pdist, squareform

    dims = wholes(dims, "dims", 1, 10_000)
    n = whole(n, "n", 10, 1000)
    seed = check_seed(seed)
    rows: list[tuple[float, ...]] = []
    for p in dims:
        distances = pdist(_gaussian_points(n, p, seed))
        square = squareform(distances)
        farthest = square.max(axis=1)
        np.fill_diagonal(square, np.inf)
        nearest = square.min(axis=1)
        mean = distances.mean()
        low, q05, q95, high = np.quantile(distances, (0.0, 0.05, 0.95, 1.0)) / mean
        rows.append(
            (
                (distances.max() - distances.min()) / distances.min(),
                float(np.mean(nearest / farthest)),
                distances.std() / mean,
                low,
                q05,
                q95,
                high,
            )
        )
    contrast, ratio, spread, low, q05, q95, high = (
        floats(column) for column in zip(*rows, strict=True)
    )
    return DistanceResult(
        dims, contrast, ratio, spread, floats(distance_spread(dims)), low, q05, q95, high, n, seed
    )


# --- 3. genotype combinations ----------------------------------------------------------------


@dataclass(frozen=True)
class GenotypeResult(Result):
    """Subjects spread over the 3^m multi-SNP genotype cells, for each number of SNPs m.

    Genotype frequencies follow Hardy–Weinberg, (1 − q)², 2q(1 − q), q² for minor-allele
    frequency q, independently across SNPs. ``subjects_per_cell`` is n/3^m,
    ``commonest_cell`` the expected count in the most frequent cell; ``empty_share`` is the
    simulated share of cells with nobody and ``alone_share`` the share of subjects alone in
    their cell, each beside its exact expectation (``…_theory``).
    """

    snps: tuple[int, ...]
    cells: tuple[int, ...]
    subjects_per_cell: tuple[float, ...]
    commonest_cell: tuple[float, ...]
    empty_share: tuple[float, ...]
    empty_share_theory: tuple[float, ...]
    alone_share: tuple[float, ...]
    alone_share_theory: tuple[float, ...]
    n: int
    maf: float
    seed: int


def genotype_frequencies(maf: float) -> np.ndarray:
    """Hardy–Weinberg frequencies of 0, 1 and 2 minor alleles.

    Parameters
    ----------
    maf
        Minor-allele frequency q, from 0 to 1 (0.5 at most for a true minor allele).

    Returns
    -------
    numpy.ndarray
        The three genotype frequencies (1 − q)², 2q(1 − q) and q², summing to 1.
    """
    return np.array([(1 - maf) ** 2, 2 * maf * (1 - maf), maf**2])


def genotype_cell_theory(m: int, *, n: int, maf: float) -> tuple[float, float]:
    """Exact expected share of empty cells and of subjects alone in their cell, for m SNPs.

    Cells with a genotypes of one kind, b of another and c of the third share one
    probability, so the sums over the 3^m cells run over the (a, b, c) compositions.

    Parameters
    ----------
    m
        SNPs combined, so 3^m genotype cells.
    n
        Subjects, drawn independently.
    maf
        Minor-allele frequency q of every SNP, from 0 to 0.5; genotypes follow
        Hardy–Weinberg (see :func:`genotype_frequencies`).

    Returns
    -------
    tuple of float
        (expected share of the 3^m cells with nobody in them, expected share of the n
        subjects alone in their cell), each from 0 to 1.
    """
    freqs = genotype_frequencies(maf)
    empty = alone = 0.0
    for a in range(m + 1):
        for b in range(m + 1 - a):
            c = m - a - b
            log_cells = (
                special.gammaln(m + 1)
                - special.gammaln(a + 1)
                - special.gammaln(b + 1)
                - special.gammaln(c + 1)
            )
            prob = freqs[0] ** a * freqs[1] ** b * freqs[2] ** c
            log_miss = math.log1p(-prob) if prob < 1 else -math.inf
            empty += math.exp(log_cells + n * log_miss - m * math.log(3))
            alone += math.exp(log_cells + (n - 1) * log_miss) * prob
    return empty, alone


def genotype_cells(
    snps: Sequence[int] = tuple(range(1, 13)), *, n: int = 1000, maf: float = 0.3, seed: int = 0
) -> GenotypeResult:
    """Genotype combinations: how n subjects spread over the 3^m cells of m SNPs.

    Parameters
    ----------
    snps
        Numbers of SNPs m (1 to 20); the first m of the largest set are used.
    n
        Subjects (10 to 1,000,000).
    maf
        Minor-allele frequency q of every SNP (0.01 to 0.5).
    seed
        Seed of the random genotypes.

    Returns
    -------
    GenotypeResult
        Cells, subjects per cell, simulated and expected empty and singleton shares.
    """
    snps = wholes(snps, "snps", 1, 20)
    n = whole(n, "n", 10, 1_000_000)
    maf = real(maf, "maf", 0.01, 0.5)
    seed = check_seed(seed)
    genotypes = np.random.default_rng(seed).binomial(2, maf, size=(n, snps[-1]))
    codes = np.zeros(n, dtype=np.int64)
    empty, alone = [], []
    for m in range(1, snps[-1] + 1):
        codes = codes * 3 + genotypes[:, m - 1]
        if m in snps:
            counts = np.unique(codes, return_counts=True)[1]
            empty.append(1 - counts.size / 3**m)
            alone.append(np.count_nonzero(counts == 1) / n)
    theory = [genotype_cell_theory(m, n=n, maf=maf) for m in snps]
    top = genotype_frequencies(maf).max()
    return GenotypeResult(
        snps=snps,
        cells=tuple(3**m for m in snps),
        subjects_per_cell=tuple(n / 3**m for m in snps),
        commonest_cell=tuple(float(n * top**m) for m in snps),
        empty_share=floats(empty),
        empty_share_theory=floats(t[0] for t in theory),
        alone_share=floats(alone),
        alone_share_theory=floats(t[1] for t in theory),
        n=n,
        maf=maf,
        seed=seed,
    )
