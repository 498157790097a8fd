from __future__ import annotations

import numpy as np

from genodash.plotting.expression import gene_attention_figure


def test_gene_attention_heatmap_has_one_row_and_column_per_gene():
    weights = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    fig = gene_attention_figure(
        weights, ["CD3E", "<b>MS4A1</b>", "NKG7"], label="B cells", n_cells=42
    )
    heatmap = fig.data[0]
    assert heatmap.type == "heatmap"
    np.testing.assert_allclose(np.asarray(heatmap.z), weights)
    assert list(heatmap.x) == list(heatmap.y) and len(heatmap.x) == 3
    assert "<b>" not in heatmap.x[1]  # gene names are shown as text, not markup
    assert "B cells" in fig.layout.title.text and "42 cells" in fig.layout.title.text
    assert fig.layout.yaxis.autorange == "reversed"  # first gene on top, as in a table
