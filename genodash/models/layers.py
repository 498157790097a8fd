"""Small building blocks shared by the models (torch only)."""

from __future__ import annotations

import math

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


class GlobalMaxPool(nn.Module):
    """:func:`masked_max` as a layer, so that layer tables list it: ``(N, C, L)`` → ``(N, C)``."""

    def forward(self, values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return masked_max(values, mask)


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
