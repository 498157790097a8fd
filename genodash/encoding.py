"""Sequence → model input, the one home: base codes, one-hot (numpy and torch), reverse
complement, and the window of a sequence that an encoding keeps.

Conventions, used everywhere in genodash:

- base codes: ``uint8 (N, L)`` with A=0, C=1, G=2, T=3, N=4 and padding=5;
- one-hot: ``float32 (N, 4, L)``, channels in the order A, C, G, T; N and padding are
  all-zero columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch

ALPHABET = "ACGT"
N_CODE = 4
PAD_CODE = 5
_LOOKUP = np.full(256, N_CODE, dtype=np.uint8)
for _code, _base in enumerate(ALPHABET):
    _LOOKUP[ord(_base)] = _code
    _LOOKUP[ord(_base.lower())] = _code

Align = Literal["left", "right", "center"]
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")
_CODE_COMPLEMENT = np.array([3, 2, 1, 0, N_CODE, PAD_CODE], dtype=np.uint8)


def reverse_complement(sequence: str) -> str:
    """The reverse complement of ``sequence`` (A↔T, C↔G, N stays N; case kept).

    Parameters
    ----------
    sequence
        Bases in the alphabet ``ACGTN`` (either case).
    """
    return sequence.translate(_COMPLEMENT)[::-1]


def encode_codes(
    sequences: Sequence[str],
    length: int | None = None,
    *,
    align: Align = "left",
) -> np.ndarray:
    """Base codes of ``sequences`` in an ``(N, length)`` uint8 array.

    Shorter sequences are padded with :data:`PAD_CODE`; longer ones are trimmed.
    ``align="left"`` keeps the 5′ start (pad and trim at the 3′ end), ``"right"`` keeps
    the 3′ end, ``"center"`` keeps the middle. ``length`` defaults to the longest sequence.

    Parameters
    ----------
    sequences
        ``N`` DNA sequences (ASCII strings); A, C, G, T in either case, any other letter
        becomes N (code 4).
    length
        Width ``L`` of the output in bases; ``None`` for the longest sequence.
    align
        Which part of each sequence to keep and where to pad: ``"left"``, ``"right"`` or
        ``"center"``.

    Returns
    -------
    ``uint8 (N, L)`` codes: A=0, C=1, G=2, T=3, N=4, padding=5.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    length = int(lengths.max(initial=0)) if length is None else length
    flat = _LOOKUP[np.frombuffer("".join(sequences).encode("ascii"), dtype=np.uint8)]
    if len(sequences) and (lengths == length).all():
        return flat.reshape(len(sequences), length)
    return pack_codes(flat, np.cumsum(lengths) - lengths, lengths, length, align=align)


def pack_codes(
    flat: np.ndarray, starts: np.ndarray, lengths: np.ndarray, length: int, *, align: Align = "left"
) -> np.ndarray:
    """Rows of ``length`` codes cut from one long array of codes, padded or trimmed as
    :func:`encode_codes` does (e.g. a batch of reads from a memory-mapped file of codes).

    Parameters
    ----------
    flat
        Base codes of many sequences one after another (``uint8``; a NumPy memory map is read
        only where the rows are).
    starts, lengths
        Where each sequence starts in ``flat`` and how many codes it has.
    length
        Width ``L`` of each output row.
    align
        ``"left"``, ``"right"`` or ``"center"``: which part to keep, as in :func:`encode_codes`.

    Returns
    -------
    ``uint8 (N, L)`` codes, padded with :data:`PAD_CODE`.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    out = np.full((len(lengths), length), PAD_CODE, dtype=np.uint8)
    keep = np.minimum(lengths, length)
    source_skip, target_skip = _offsets(lengths, keep, length, align)
    row = np.repeat(np.arange(len(lengths)), keep)
    within = np.arange(int(keep.sum())) - np.repeat(np.cumsum(keep) - keep, keep)
    out[row, within + np.repeat(target_skip, keep)] = flat[
        np.repeat(np.asarray(starts, dtype=np.int64) + source_skip, keep) + within
    ]
    return out


def _offsets(
    lengths: np.ndarray, keep: np.ndarray, length: int, align: Align
) -> tuple[np.ndarray, np.ndarray]:
    """Where each kept stretch starts in its source sequence and in the output row."""
    excess = lengths - keep
    room = length - keep
    if align == "left":
        return np.zeros_like(keep), np.zeros_like(keep)
    if align == "right":
        return excess, room
    return excess // 2, room // 2


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Base codes ``(N, L)`` of the reverse complements of coded sequences (padding stays
    padding and moves to the other end).

    Parameters
    ----------
    codes
        Base codes ``uint8 (N, L)``, as from :func:`encode_codes`.
    """
    return _CODE_COMPLEMENT[codes[:, ::-1]]


def opposite_align(align: Align) -> Align:
    """The alignment whose window, reverse-complemented, is the window that ``align`` keeps
    of the reverse complement (exact for ``"left"`` and ``"right"``; ``"center"`` may differ
    by one base when the excess is odd).

    Parameters
    ----------
    align
        ``"left"``, ``"right"`` or ``"center"``.
    """
    return {"left": "right", "right": "left", "center": "center"}[align]  # type: ignore[return-value]


def kept_window(sequence_length: int, length: int, align: Align) -> tuple[int, int, int]:
    """For one sequence: where the kept stretch starts in the sequence and in the encoded row,
    and how many bases it has (the inverse map of :func:`encode_codes`).

    Parameters
    ----------
    sequence_length
        Length of the sequence in bases.
    length
        Width of the encoded row in bases.
    align
        ``"left"``, ``"right"`` or ``"center"``, as given to :func:`encode_codes`.

    Returns
    -------
    ``(start in the sequence, start in the encoded row, number of bases kept)``, all 0-based.
    """
    keep = min(sequence_length, length)
    source, target = _offsets(np.array([sequence_length]), np.array([keep]), length, align)
    return int(source[0]), int(target[0]), keep


def window(sequence: str, length: int, align: Align) -> str:
    """The bases of ``sequence`` that an encoding at ``length`` keeps, in order.

    Parameters
    ----------
    sequence
        One DNA sequence.
    length
        Width of the encoding in bases.
    align
        ``"left"``, ``"right"`` or ``"center"``, as given to :func:`encode_codes`.
    """
    source, _, count = kept_window(len(sequence), length, align)
    return sequence[source : source + count]


def one_hot(
    sequences: Sequence[str] | np.ndarray, length: int | None = None, *, align: Align = "left"
) -> np.ndarray:
    """One-hot encoding, ``float32 (N, 4, L)``; N and padding are all-zero columns.

    Parameters
    ----------
    sequences
        ``N`` DNA sequences, or base codes ``uint8 (N, L)`` from :func:`encode_codes`
        (then ``length`` and ``align`` are ignored).
    length
        Width ``L`` in bases; ``None`` for the longest sequence.
    align
        ``"left"``, ``"right"`` or ``"center"``: which part to keep, as in
        :func:`encode_codes`.

    Returns
    -------
    ``float32 (N, 4, L)``, channels in the order A, C, G, T.
    """
    codes = (
        sequences
        if isinstance(sequences, np.ndarray)
        else encode_codes(sequences, length, align=align)
    )
    out = np.empty((codes.shape[0], 4, codes.shape[1]), dtype=np.float32)
    for code in range(4):
        np.equal(codes, code, out=out[:, code, :])
    return out


def one_hot_tensor(codes: torch.Tensor) -> torch.Tensor:
    """:func:`one_hot` on the codes' own device: base codes ``(N, L)`` to ``float32 (N, 4, L)``.

    Parameters
    ----------
    codes
        Base codes as a torch tensor (e.g. a batch already on the training device).
    """
    import torch

    bases = torch.arange(4, device=codes.device, dtype=codes.dtype)
    return (codes[:, None, :] == bases[None, :, None]).float()
