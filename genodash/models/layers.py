"""Small building blocks shared by the models (torch only)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


class SeededDropout(nn.Module):
    """Dropout that draws from the run's own random generator, not torch's global one.

    Several users may train at once in one server process; with per-run generators each
    run stays reproducible. The training loop sets ``generator``; without one (e.g. in
    plain scripts) it falls back to torch's global generator.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p
        self.generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)


class SameConv1d(nn.Conv1d):
    """A convolution whose output has the input's length, for odd and even widths alike."""

    def __init__(self, in_channels: int, out_channels: int, width: int) -> None:
        super().__init__(in_channels, out_channels, width)
        self.pad = ((width - 1) // 2, width // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, self.pad))


def valid_mask(x: torch.Tensor) -> torch.Tensor:
    """Positions before the trailing padding of one-hot input ``(N, 4, L)``: bool ``(N, L)``.

    Padding is the run of all-zero columns at the 3′ end; an ``N`` inside a read is an
    all-zero column too but is kept, since it is followed by real bases.

    Parameters
    ----------
    x
        One-hot DNA ``float32 (N, 4, L)``, or any ``(N, C, L)`` tensor whose padding columns
        are all zero.
    """
    present = x.abs().sum(dim=1) > 0  # (N, L)
    positions = torch.arange(x.shape[-1], device=x.device)
    last = torch.where(present, positions, -1).max(dim=1).values  # (N,)
    return positions[None, :] <= last[:, None]


def masked_max(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over the last axis of ``(N, C, L)``, ignoring positions where ``mask`` is False.

    Parameters
    ----------
    values
        Layer outputs ``(N, C, L)``: ``C`` channels at ``L`` positions.
    mask
        bool ``(N, L)``, True at the positions to pool over (see :func:`valid_mask`).

    Returns
    -------
    ``(N, C)``; rows with no True position get zeros.
    """
    filled = values.masked_fill(~mask[:, None, :], torch.finfo(values.dtype).min)
    pooled = filled.max(dim=-1).values
    return torch.where(mask.any(dim=1, keepdim=True), pooled, torch.zeros_like(pooled))


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over the last axis of ``(N, C, L)`` at the positions where ``mask`` is True:
    ``(N, C)``, zeros for a row with no True position.

    Parameters
    ----------
    values, mask
        As for :func:`masked_max`.
    """
    keep = mask[:, None, :].to(values.dtype)
    return (values * keep).sum(dim=-1) / keep.sum(dim=-1).clamp(min=1.0)


GLOBAL_POOLS = ("max", "average", "max+average")
_POOL_TITLES = dict(
    zip(
        GLOBAL_POOLS,
        ("Global max-pooling", "Global average pooling", "Global max- and average pooling"),
        strict=True,
    )
)


class GlobalPool(nn.Module):
    """Pooling over the valid positions as a layer, so that layer tables list it: ``max``
    (:func:`masked_max`), ``average`` (:func:`masked_mean`) or ``max+average`` (both,
    side by side): ``(N, C, L)`` → ``(N, C)`` or ``(N, 2C)``; ``title`` names it in layer
    tables."""

    def __init__(self, kind: str = "max") -> None:
        super().__init__()
        self.kind, self.title = kind, _POOL_TITLES[kind]

    def width(self, channels: int) -> int:
        """How many values it gives per sequence from ``channels`` channels."""
        return channels * (2 if self.kind == "max+average" else 1)

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pooled = []
        if self.kind in ("max", "max+average"):
            pooled.append(masked_max(values, mask))
        if self.kind in ("average", "max+average"):
            pooled.append(masked_mean(values, mask))
        return torch.cat(pooled, dim=1)


def pool_mask(mask: torch.Tensor, pool: nn.Module) -> torch.Tensor:
    """Apply a max-pool (or identity) to a mask ``(N, L)``: a pooled position is valid if any
    position in its window is.

    Parameters
    ----------
    mask
        bool ``(N, L)``, True at valid positions.
    pool
        The pooling layer applied to the values (``nn.MaxPool1d`` or ``nn.Identity``).

    Returns
    -------
    bool ``(N, L')`` with ``L'`` the pooled length.
    """
    if isinstance(pool, nn.Identity):
        return mask
    return pool(mask[:, None, :].float())[:, 0, :] > 0


def sinusoidal_positions(length: int, width: int, device: torch.device) -> torch.Tensor:
    """The fixed positional encoding of Vaswani et al. (2017): ``(length, width)``.

    Parameters
    ----------
    length
        Number of positions (tokens).
    width
        Size of each position's vector (the model width).
    device
        Where to create the tensor.

    Returns
    -------
    ``float32 (length, width)``: sines in the even columns, cosines in the odd ones.
    """
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(
        torch.arange(0, width, 2, device=device, dtype=torch.float32) * (-math.log(1e4) / width)
    )
    encoding = torch.zeros(length, width, device=device)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency[: width // 2])
    return encoding


def kmer_width(max_k: int) -> int:
    """How many k-mers there are of every length from 1 to ``max_k``: 4 + 16 + … + 4^max_k.

    Parameters
    ----------
    max_k
        The longest k-mer counted.
    """
    return sum(4**k for k in range(1, max_k + 1))


class _KmerFrequencies(torch.autograd.Function):
    """Frequencies of the k-mers of one-hot DNA, ×4^k so that a uniform sequence gives 1.

    A window counts only where all its k bases are A, C, G or T (not padding, not ``N``).
    The gradient is that of the multilinear form Σ_windows Π_j x[base_j, i + j], which the
    counts equal on one-hot input: moving position p towards base c moves the count of
    each window over p to the k-mer with c at p. So saliency of a k-mer model reads like
    that of any other model.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, k: int) -> torch.Tensor:
        length = x.shape[-1]
        x = nn.functional.pad(x, (0, max(0, k - length)))  # one uncounted window if too short
        codes = x.argmax(dim=1).unfold(1, k, 1)  # (N, W, k)
        place = 4 ** torch.arange(k - 1, -1, -1, device=x.device)
        index = (codes * place).sum(-1)  # (N, W)
        counted = (x.sum(dim=1) > 0).unfold(1, k, 1).all(-1)  # (N, W)
        scale = 4**k / counted.sum(dim=1).clamp(min=1).to(x.dtype)
        out = x.new_zeros(x.shape[0], 4**k).scatter_add_(1, index, counted.to(x.dtype))
        ctx.save_for_backward(index, codes, counted, scale)
        ctx.k, ctx.length = k, length
        return out * scale[:, None]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        index, codes, counted, scale = ctx.saved_tensors
        k, length = ctx.k, ctx.length
        windows = index.shape[1]
        grad_x = grad.new_zeros(grad.shape[0], 4, windows + k - 1)
        per_count = grad * scale[:, None]
        weight = counted.to(grad.dtype)
        for offset in range(k):
            place = 4 ** (k - 1 - offset)
            without = index - codes[:, :, offset] * place
            for base in range(4):
                change = per_count.gather(1, without + base * place) * weight
                grad_x[:, base, offset : offset + windows] += change
        return grad_x[:, :, :length], None


class KmerSpectrum(nn.Module):
    """Frequencies of every k-mer from 1 to ``max_k`` (see :class:`_KmerFrequencies`):
    ``(N, 4, L)`` → ``(N, 4 + 16 + … + 4^max_k)``; with ``both_strands`` each read is
    counted together with its reverse complement (the mean of the two spectra)."""

    def __init__(self, max_k: int, both_strands: bool) -> None:
        super().__init__()
        self.max_k, self.both_strands = max_k, both_strands

    def _spectrum(self, x: torch.Tensor) -> torch.Tensor:
        parts = [_KmerFrequencies.apply(x, k) for k in range(1, self.max_k + 1)]
        return torch.cat(parts, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spectrum = self._spectrum(x)
        if self.both_strands:  # channels A, C, G, T reversed are the complements T, G, C, A
            spectrum = (spectrum + self._spectrum(x.flip(dims=(1, 2)))) / 2
        return spectrum
