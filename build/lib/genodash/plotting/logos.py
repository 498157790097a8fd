"""Sequence logos drawn by logomaker (matplotlib figures, the one exception to plotly here:
logomaker is the well-kept library for logos)."""

from __future__ import annotations

import numpy as np

from genodash.plotting._style import BASE_COLORS


def logo_figure(
    matrix: np.ndarray,
    *,
    title: str = "",
    kind: str = "information",
    width: float = 4.0,
    height: float = 1.6,
) -> object:
    """A logo of a ``(width, 4)`` matrix (A, C, G, T columns).

    ``kind="information"`` draws base probabilities scaled to bits; ``"weight"`` draws
    signed values as they are (e.g. importance scores: up raises the class, down lowers it).

    Parameters
    ----------
    matrix
        One row per position, columns A, C, G, T: base probabilities (each row summing to 1)
        for ``"information"``, any signed scores for ``"weight"``.
    title
        Title above the logo.
    kind
        ``"information"`` (y axis in bits, 0–2) or ``"weight"`` (y axis in the scores).
    width, height
        Size of the figure in inches.

    Returns
    -------
    A matplotlib figure (save it with :func:`genodash.plotting.files.figure_bytes`).
    """
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(np.asarray(matrix, dtype=float), columns=list("ACGT"))
    if kind == "information":
        frame = logomaker.transform_matrix(
            frame.clip(lower=1e-6), from_type="probability", to_type="information"
        )
    figure, axes = plt.subplots(figsize=(width, height), dpi=110)
    logomaker.Logo(frame, ax=axes, color_scheme=BASE_COLORS, font_name="DejaVu Sans")
    axes.set_title(title, fontsize=9, loc="left")
    axes.set_ylabel("bits" if kind == "information" else "score", fontsize=8)
    axes.tick_params(labelsize=7)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if kind == "information":
        axes.set_ylim(0, 2)
    figure.tight_layout()
    return figure
