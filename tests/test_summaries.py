from __future__ import annotations

import plotly.graph_objects as go
import pytest

from genodash import plotting
from genodash.data import SequenceSet
from genodash.examples import load_example
from genodash.expression.qc import matrix_qc
from genodash.io import read_matrix
from genodash.summaries import sequence_profile


def _set(sequences, labels=None):
    return SequenceSet(
        ids=tuple(map(str, range(len(sequences)))),
        sequences=tuple(sequences),
        labels=tuple(labels) if labels else None,
        name="t",
        format="example",
    )


def test_profile_gc_and_composition_by_hand():
    profile = sequence_profile(_set(["GGCC", "AATT", "GANN"], ["x", "y", "x"]))
    assert profile.gc.tolist() == [1.0, 0.0, 0.5]
    x = profile.composition["x"]
    assert x[0].tolist() == [0.0, 0.0, 1.0, 0.0]  # G, G
    assert x[1].tolist() == [0.5, 0.0, 0.5, 0.0]  # G, A
    assert x[2].tolist() == [0.0, 1.0, 0.0, 0.0]  # C (the N does not count)
    assert profile.composition["y"][3].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_profile_subsamples_large_sets():
    data = load_example("planted-motif", n=3000)
    profile = sequence_profile(data, max_sequences=1000)
    assert (profile.n_profiled, profile.n_total) == (1000, 3000)
    assert profile.lengths.shape == (1000,)


def test_matrix_qc_by_hand(data_dir):
    qc = matrix_qc(read_matrix(data_dir / "matrix.csv"), top=2)
    assert qc.totals[0] == 11  # 2 + 0 + 7 + 1 + 1
    assert qc.detected[0] == 4
    assert len(qc.top_genes) == 2 and qc.top_shares[0] >= qc.top_shares[1]


@pytest.mark.parametrize("layout", ["csr", "csc", "dense"])
def test_data_page_and_preprocessing_count_detected_genes_alike(layout):
    """A stored zero is not a detected gene, on the Data page as in preprocessing."""
    import anndata
    import numpy as np
    import scipy.sparse

    from genodash.data import MatrixSet
    from genodash.expression.qc import qc_metrics

    X = scipy.sparse.csr_matrix(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]], dtype=np.float32))
    X.data[1] = 0.0  # an explicit zero, stored
    X = {"csr": X, "csc": X.tocsc(), "dense": X.toarray()}[layout]
    matrix = MatrixSet(anndata.AnnData(X), "stored zero", "example")
    assert matrix_qc(matrix).detected.tolist() == [1, 1]
    assert qc_metrics(matrix)["n_genes"].tolist() == [1, 1]


def test_sequence_figures_have_one_trace_per_class():
    data = load_example("metagenomic-reads", n=300)
    profile = sequence_profile(data)
    assert len(plotting.length_histogram_figure(profile).data) == 3
    assert len(plotting.gc_content_figure(profile).data) == 3
    composition = plotting.base_composition_figure(profile)
    assert len(composition.data) == 3 * 4
    balance = plotting.class_balance_figure(data.class_counts())
    assert list(balance.data[0].x) == data.classes


def test_motif_position_figure_counts_only_planted():
    fig = plotting.motif_position_figure([-1, 0, 5, 5], 12, 50)
    assert sorted(fig.data[0].x.tolist()) == [1, 6, 6]


@pytest.mark.parametrize("log_x", [False, True])
def test_matrix_figures(data_dir, log_x):
    qc = matrix_qc(read_matrix(data_dir / "matrix.csv"))
    assert isinstance(
        plotting.distribution_figure(qc.totals, title="t", x="x", log_x=log_x), go.Figure
    )
    assert list(plotting.top_genes_figure(qc).data[0].y)[-1] == qc.top_genes[0]


def test_whole_numbers_get_whole_number_bins_and_real_values_on_log_axes():
    import numpy as np

    same_length = plotting.length_histogram_figure(
        sequence_profile(_set(["ACGTACGTA", "GGCCGGCCA", "TTTTAAAAC"], ["x", "y", "x"]))
    )
    bins = same_length.data[0].xbins
    assert (bins.start, bins.end, bins.size) == (8.5, 9.5, 1)  # one bar at 9 bp, not 8.6–9.4
    assert same_length.layout.barmode == "stack"
    genes = plotting.distribution_figure(
        np.array([763.0, 764.0, 765.0, 765.0]), title="t", x="genes"
    )
    assert genes.data[0].xbins.size == 1
    counts = plotting.distribution_figure(
        np.array([120.0, 400.0, 980.0, 2500.0]), title="t", x="counts", log_x=True
    )
    assert "1,000" in counts.layout.xaxis.ticktext and "500" in counts.layout.xaxis.ticktext
    assert counts.layout.xaxis.title.text == "counts"  # not "log10 counts"
    median = counts.layout.annotations[0]
    assert median.text == "median 690" and median.xanchor in ("left", "right")


def test_learning_curves_count_whole_epochs():
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1 / e} for e in (1, 2, 3)]
    figure = (
        plotting.training_curves_figure({"CNN": history})
        if hasattr(plotting, "training_curves_figure")
        else __import__("genodash.plotting.training", fromlist=["x"]).training_curves_figure(
            {"CNN": history}
        )
    )
    assert figure.layout.xaxis.dtick == 1 and figure.layout.xaxis.tickformat == "d"
    legend = figure.layout.legend
    assert legend.y < 0  # below the panels, where it cannot cover their titles
    assert [trace.name for trace in figure.data][:2] == ["CNN · training", "CNN · validation"]
