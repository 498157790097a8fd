"""The curse-of-dimensionality simulations agree with their theory within sampling error."""

from __future__ import annotations

import json
import math
import re

import anndata
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from genodash import curse, plotting
from genodash.data import MatrixSet, SequenceSet
from genodash.errors import ConfigError


def binomial_se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n)


# --- 1. sparsity -------------------------------------------------------------------------------


def test_sparsity_theory_is_the_papers_numbers():
    one_d = stats.norm.cdf(2.5) - stats.norm.cdf(0.5)
    theory = curse.within_probability((1, 2, 3, 4))
    assert theory[0] == pytest.approx(one_d)
    # Altman & Krzywinski 2018: ~30% in 1-D, 6% in 2-D, 1.2% at p = 3, 0.2% at p = 4
    assert np.round(theory, 3).tolist() == [0.302, 0.067, 0.012, 0.002]
    moved = curse.within_probability((2, 3, 4), placement="fixed-distance")
    assert np.round(moved, 2).tolist() == [0.16, 0.08, 0.03]  # paper's sample: 14%, 7%, 3%


@pytest.mark.parametrize("placement", ["diagonal", "fixed-distance"])
def test_sparsity_simulation_matches_theory(placement):
    result = curse.sparsity((1, 2, 3, 5), n=20_000, radius=1.5, placement=placement, seed=1)
    for simulated, exact in zip(result.fraction_within, result.theory, strict=True):
        assert abs(simulated - exact) <= 4 * binomial_se(exact, result.n) + 1e-4


def test_sparsity_sample_is_the_two_dimensional_draw():
    sample = curse.sparsity_sample(5000, seed=3)
    curve = curse.sparsity((2,), n=5000, seed=3)
    assert sample.within_both == curve.fraction_within[0]
    assert sample.points.shape == (5000, 2)
    assert not sample.points.flags.writeable
    for share in (sample.within_x, sample.within_y):
        assert abs(share - sample.theory_1d) <= 4 * binomial_se(sample.theory_1d, 5000)


def test_adding_a_dimension_leaves_the_others_unchanged():
    short = curse.sparsity((1, 3), n=500, seed=7)
    long = curse.sparsity((1, 2, 3, 4), n=500, seed=7)
    assert short.fraction_within == (long.fraction_within[0], long.fraction_within[2])


# --- 2. distances ------------------------------------------------------------------------------


def test_distance_spread_matches_theory_and_concentrates():
    result = curse.distance_concentration((1, 10, 100, 1000), n=300, seed=0)
    for simulated, exact in zip(result.spread, result.spread_theory, strict=True):
        assert simulated == pytest.approx(exact, rel=0.1)
    assert result.spread_theory[-1] == pytest.approx(1 / math.sqrt(2 * 1000), rel=0.01)
    assert list(result.nearest_farthest) == sorted(result.nearest_farthest)
    assert list(result.relative_contrast) == sorted(result.relative_contrast, reverse=True)
    assert result.nearest_farthest[-1] > 0.85
    assert all(
        low <= q05 <= 1 <= q95 <= high
        for low, q05, q95, high in zip(
            result.lowest, result.q05, result.q95, result.highest, strict=True
        )
    )


# --- 3. genotypes ------------------------------------------------------------------------------


def test_genotype_theory_exact_cases():
    # one subject fills one cell of 3^m; it is alone in it
    assert curse.genotype_cell_theory(4, n=1, maf=0.3) == pytest.approx((1 - 1 / 81, 1.0))
    freqs = np.array([0.49, 0.42, 0.09])
    empty, alone = curse.genotype_cell_theory(1, n=10, maf=0.3)
    assert empty == pytest.approx(np.mean((1 - freqs) ** 10))
    assert alone == pytest.approx(np.sum(freqs * (1 - freqs) ** 9))


def test_genotype_simulation_matches_theory():
    runs = [curse.genotype_cells((3, 5, 7, 9), n=500, maf=0.25, seed=s) for s in range(10)]
    first = runs[0]
    assert first.cells == (27, 243, 2187, 19683)
    assert first.subjects_per_cell[1] == pytest.approx(500 / 243)
    for key in ("empty_share", "alone_share"):
        simulated = np.mean([getattr(r, key) for r in runs], axis=0)
        assert simulated == pytest.approx(getattr(first, f"{key}_theory"), abs=0.02)


# --- 4. OLS ------------------------------------------------------------------------------------


def test_ols_determinant_and_variance_match_theory():
    result = curse.ols_collapse((5, 20, 40), n=50, reps=300, seed=0)
    assert result.log10_det == pytest.approx(result.log10_det_theory, abs=0.1)
    assert result.variance["ols"] == pytest.approx(result.variance_theory, rel=0.15)
    # shrinkage: ridge and lasso stay stable where OLS explodes
    assert result.variance["ridge"][-1] < result.variance["ols"][-1] / 3
    assert result.variance["lasso"][-1] < result.variance["ols"][-1] / 3


def test_ols_condition_number_approaches_marchenko_pastur():
    result = curse.ols_collapse((100, 200), n=400, reps=20, seed=0)
    assert result.condition_number == pytest.approx(result.condition_theory, rel=0.15)


def test_ols_beyond_n_is_undefined_and_json_safe():
    result = curse.ols_collapse((10, 49, 60), n=50, reps=20, seed=0)
    assert math.isinf(result.condition_number[-1])
    assert math.isinf(result.variance_theory[1])  # n − p − 1 = 0
    payload = result.as_dict()
    assert payload["condition_number"][-1] is None
    assert payload["variance_theory"][1] is None
    json.dumps(payload, allow_nan=False)
    assert result.variance["ols"][-1] < result.variance["ols"][1]  # minimum-norm past p = n


def test_least_squares_is_the_minimum_norm_solution():
    rng = np.random.default_rng(0)
    for shape in ((30, 10), (10, 30)):
        x, y = rng.standard_normal(shape), rng.standard_normal(shape[0])
        assert curse.least_squares(x, y) == pytest.approx(np.linalg.pinv(x) @ y)


# --- 5. variance -------------------------------------------------------------------------------


def test_ml_variance_is_biased_by_n_minus_p_over_n():
    result = curse.ml_variance_bias((1, 5, 15, 19), n=20, reps=4000, seed=0)
    for k, ml, se, unbiased, theory in zip(
        result.p,
        result.ml_ratio,
        result.ml_ratio_se,
        result.unbiased_ratio,
        result.theory,
        strict=True,
    ):
        assert theory == (20 - k) / 20
        assert abs(ml - theory) <= 4 * se
        assert abs(unbiased - 1) <= 4 * se * 20 / (20 - k)


# --- 6. multiple testing -----------------------------------------------------------------------


def test_slope_p_values_agree_with_scipy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(40)
    y = 0.3 * x + rng.standard_normal(40)
    design = np.stack([np.ones(40), x], axis=1)[None]
    p_values = curse.slope_p_values(design, y[None])
    assert p_values[0, 1] == pytest.approx(stats.linregress(x, y).pvalue)


def test_false_positives_grow_with_k_not_with_n():
    result = curse.extraneous_predictors((100, 1000), (10, 50), reps=200, seed=0)
    for design in result.designs:
        raw = np.array(design.false_positives["raw"])
        expected = 0.05 * design.k
        assert design.theory_mean["raw"] == pytest.approx(expected)
        assert abs(raw.mean() - expected) <= 4 * math.sqrt(expected * 0.95 / 200)
        fwer = design.theory_family_wise
        if design.n >= 10 * design.k:  # the k tests are then nearly independent
            assert abs(design.family_wise["raw"] - fwer) <= 4 * binomial_se(fwer, 200)
        else:  # they share the noise estimate and correlated estimates: fewer families hit
            assert design.family_wise["raw"] <= fwer
        # corrections keep the family-wise rate near α and cost power
        assert design.family_wise["bonferroni"] <= 0.05 + 4 * binomial_se(0.05, 200)
        assert design.power["bonferroni"] <= design.power["raw"]
        assert design.summary["raw"]["q1"] <= design.summary["raw"]["median"]


# --- 7. overfitting ----------------------------------------------------------------------------


def test_linear_overfitting_matches_theory_on_both_sides_of_n():
    result = curse.overfitting((3, 10, 25, 60, 120), n=40, reps=50, seed=0)
    assert result.train_error == pytest.approx(result.train_theory, rel=0.15, abs=1e-8)
    assert result.test_error == pytest.approx(result.test_theory, rel=0.15)
    assert result.train_error[-1] < 1e-8  # interpolation past p = n


def test_linear_theory_is_undefined_next_to_n():
    assert all(
        math.isnan(v)
        for p in (39, 40, 41)
        for v in curse.linear_error_theory(p, n=40, noise=1, informative=5)
    )


@pytest.mark.parametrize("model", ["logistic", "mlp"])
def test_classifiers_overfit_when_features_outnumber_samples(model):
    result = curse.overfitting((2, 60), n=30, model=model, reps=1, seed=0)
    assert result.metric == "error rate"
    assert result.train_error[-1] == 0.0
    assert result.test_error[-1] > 0.1
    assert all(math.isnan(v) for v in result.test_theory)


def tiny_matrix(*, labelled: bool = True) -> MatrixSet:
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b"], 40)
    x = rng.standard_normal((80, 30)).astype(np.float32)
    x[labels == "b", :3] += 2.0
    obs = pd.DataFrame({"type": labels}, index=[f"c{i}" for i in range(80)])
    adata = anndata.AnnData(x, obs=obs)
    return MatrixSet(
        adata, "tiny", "example", value_type="signed", label_column="type" if labelled else None
    )


def test_expression_overfitting_on_a_labelled_matrix():
    result = curse.expression_overfitting(tiny_matrix(), (1, 3, 30), n_train=20, reps=2, seed=0)
    assert result.features == (1, 3, 30)
    assert result.n_test == 60
    assert result.train_error[-1] == 0.0
    assert result.test_error[-1] > result.train_error[-1]


# --- 8. big data -------------------------------------------------------------------------------


def test_wgs_and_single_cell_have_the_same_size_in_opposite_regimes():
    result = curse.data_regimes((700,), (765,), names=("pbmc",))
    wgs, cells = result.points[:2]
    assert wgs.product == cells.product == result.budget == 1e9
    assert (wgs.regime, cells.regime) == ("P ≫ N", "N ≫ P")
    assert (result.points[-1].name, result.points[-1].regime) == ("pbmc", "N ≈ P")


def test_dataset_shape_counts_one_hot_features():
    sequences = SequenceSet(("a", "b"), ("ACGT", "ACGTACGT"), None, "s", "fasta")
    assert curse.dataset_shape(sequences) == (2, 32)
    assert curse.dataset_shape(tiny_matrix()) == (80, 30)


# --- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: curse.sparsity(()), "dims needs at least one whole number"),
        (lambda: curse.sparsity(n=0), "n must be a whole number from 10 to 100,000, got 0"),
        (lambda: curse.sparsity(placement="corner"), "placement must be one of diagonal"),
        (lambda: curse.genotype_cells(maf=0.7), "maf must be a number from 0.01 to 0.5"),
        (lambda: curse.ml_variance_bias((20,), n=20), "p must be a whole number from 1 to 19"),
        (lambda: curse.extraneous_predictors((40,), (50,)), "n = 40 must exceed k + 2 = 52"),
        (lambda: curse.overfitting(model="forest"), "model must be one of linear, logistic"),
        (lambda: curse.data_regimes((1, 2), (3,)), "give one N and one P"),
        (lambda: curse.sparsity(seed=-1), "seed must be a whole number"),
        (
            lambda: curse.expression_overfitting(tiny_matrix(labelled=False)),
            "tiny has no cell labels to predict",
        ),
    ],
)
def test_bad_parameters_are_config_errors(call, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        call()


def test_every_demo_is_registered_with_a_summary_and_documented_parameters():
    import inspect

    for name, demo in curse.DEMOS.items():
        function = demo.simulate
        doc = inspect.getdoc(function)
        assert doc.splitlines()[0].endswith("."), name
        for parameter in inspect.signature(function).parameters:
            assert f"\n{parameter}\n" in doc, (name, parameter)


# --- figures -----------------------------------------------------------------------------------


def figure_texts(fig) -> list[str]:
    """Every text a figure puts on screen: title, panel titles, annotations, legend entries."""
    texts = [fig.layout.title.text or ""]
    texts += [a.text or "" for a in fig.layout.annotations]
    texts += [t.name for t in fig.data if t.name and t.showlegend is not False]
    return texts


SMALL = {
    "sparsity sample": lambda: plotting.sparsity_sample_figure(curse.sparsity_sample(200)),
    "sparsity": lambda: plotting.sparsity_figure(curse.sparsity((1, 2, 3), n=200)),
    "distances": lambda: plotting.distance_figure(curse.distance_concentration((1, 10), n=30)),
    "genotypes": lambda: plotting.genotype_figure(curse.genotype_cells((1, 2, 3), n=100)),
    "ols": lambda: plotting.ols_figure(curse.ols_collapse((2, 10, 20), n=20, reps=10)),
    "collinearity": lambda: plotting.curse.collinearity_figure(
        curse.collinearity((0.0, 0.9), n=20, reps=100)
    ),
    "collinearity estimates": lambda: plotting.curse.collinearity_sample_figure(
        curse.collinearity_sample((0.0, 0.9), n=20)
    ),
    "variance": lambda: plotting.variance_figure(
        curse.ml_variance_bias((1, 5, 19), n=20, reps=50), highlight=5
    ),
    "false positives": lambda: plotting.false_positive_figure(
        curse.extraneous_predictors((30,), (5,), reps=10)
    ),
    "overfitting": lambda: plotting.overfitting_figure(
        curse.overfitting((2, 20, 40), n=20, reps=2)
    ),
    "big data": lambda: plotting.regimes_figure(curse.data_regimes((700,), (765,))),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_figures_show_plain_words_and_leave_room_for_their_titles(name):
    fig = SMALL[name]()
    for text in figure_texts(fig):
        # no code leaking onto the screen: snake_case, carets for powers, None
        assert "_" not in text and "^" not in text and "None" not in text, (name, text)
    # every trace a reader can hover over has a name, not plotly's "trace 3"
    assert all(t.name or t.hoverinfo == "skip" or t.hovertemplate for t in fig.data), name
    panel_titles = any(a.yref == "paper" and a.yanchor == "bottom" for a in fig.layout.annotations)
    if panel_titles:  # the figure title sits above the panel titles, not on them
        assert fig.layout.margin.t >= 85, name


def test_overfitting_names_p_equals_n_in_the_legend():
    """The label of the line p = n was cut by the curves beside it ("eatures = …")."""
    fig = plotting.overfitting_figure(curse.overfitting((2, 20, 40), n=20, reps=2))
    assert not [a for a in fig.layout.annotations if "training" in (a.text or "")]
    (line,) = [t for t in fig.data if t.name == "features = training samples (20)"]
    assert line.showlegend is not False
    assert list(line.x) == [20, 20]
    assert line.line.dash == "dot"
    cells = curse.OverfittingResult(
        features=(2, 50, 500),
        train_error=(0.5, 0.0, 0.0),
        test_error=(0.6, 0.4, 0.3),
        train_theory=(math.nan,) * 3,
        test_theory=(math.nan,) * 3,
        metric="error rate",
        model="logistic",
        data="PBMC 68k",
        n_train=60,
        n_test=640,
        reps=1,
        params={},
        seed=0,
    )
    names = [t.name for t in plotting.overfitting_figure(cells).data]
    assert "genes = training cells (60)" in names


def test_false_positive_figure_shows_the_chosen_alpha():
    fig = plotting.false_positive_figure(
        curse.extraneous_predictors((30,), (5,), reps=10, alpha=0.01)
    )
    texts = figure_texts(fig)
    assert not [text for text in texts if "0.05" in text]
    assert "α = 0.01" in fig.layout.title.text
    # escaped in the figure (plotly reads text as HTML), drawn as "P < 0.01"
    assert "P &lt; 0.01" in fig.layout.annotations[0].text
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert all("0.01" in name for name in legend), legend


def test_a_marked_p_is_labelled_on_the_side_with_room():
    result = curse.ml_variance_bias((1, 5, 10, 19), n=20, reps=50)
    for highlight, anchor in ((5, "left"), (19, "right")):  # right edge: label to the left
        fig = plotting.variance_figure(result, highlight=highlight)
        (label,) = [a for a in fig.layout.annotations if a.text == f"p = {highlight}"]
        assert label.xanchor == anchor
        assert label.bgcolor  # a curve through the label does not hide its letters


def test_big_data_labels_sit_on_a_white_backing():
    result = curse.data_regimes((700,), (765,), names=("pbmc",))
    fig = plotting.regimes_figure(result)
    labels = {a.text: a for a in fig.layout.annotations}
    for point in result.points:
        assert labels[point.name].bgcolor
    assert not [t for t in fig.data if t.mode and "text" in t.mode]
