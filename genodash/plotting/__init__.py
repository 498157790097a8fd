"""Figure builders: pure functions from computed results to plotly figures.

They compute nothing beyond what drawing needs, and every figure shares one look
(:mod:`genodash.plotting._style`), which also escapes every user text in them (plotly
draws text as HTML): compose genodash's own markup with :func:`markup`. One module per
part of the app.
"""

from __future__ import annotations

from genodash.plotting._style import (
    BASE_COLORS,
    CLASS_COLORS,
    Html,
    class_color,
    enlarged,
    escape,
    markup,
    style,
)
from genodash.plotting.curse import (
    collinearity_figure,
    collinearity_sample_figure,
    distance_figure,
    false_positive_figure,
    genotype_figure,
    ols_figure,
    overfitting_figure,
    regimes_figure,
    sparsity_figure,
    sparsity_sample_figure,
    variance_figure,
)
from genodash.plotting.data import (
    base_composition_figure,
    category_counts_figure,
    class_balance_figure,
    distribution_figure,
    gc_content_figure,
    length_histogram_figure,
    motif_position_figure,
    top_genes_figure,
)

__all__ = [
    "BASE_COLORS",
    "CLASS_COLORS",
    "Html",
    "base_composition_figure",
    "category_counts_figure",
    "class_balance_figure",
    "class_color",
    "collinearity_figure",
    "collinearity_sample_figure",
    "distance_figure",
    "distribution_figure",
    "enlarged",
    "escape",
    "false_positive_figure",
    "gc_content_figure",
    "genotype_figure",
    "length_histogram_figure",
    "markup",
    "motif_position_figure",
    "ols_figure",
    "overfitting_figure",
    "regimes_figure",
    "sparsity_figure",
    "sparsity_sample_figure",
    "style",
    "top_genes_figure",
    "variance_figure",
]
