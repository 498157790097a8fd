"""Multicollinearity: the simulated variance of a coefficient against its exact theory, and the
text fixes of the curse-of-dimensionality demos (power, λ, train error, carriers, p > n)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from genodash import curse, plotting
from genodash.errors import ConfigError
from genodash.plotting.curse import collinearity_figure, collinearity_sample_figure

RHOS = (0.0, 0.5, 0.9, 0.99)


@pytest.fixture(scope="module")
def result() -> curse.CollinearityResult:
    return curse.collinearity(RHOS, n=50, reps=4000, seed=0)


def correlation_matrix(rho: float, k: int) -> np.ndarray:
    return np.full((k, k), rho) + (1 - rho) * np.eye(k)


# --- theory ------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, 0.99])
def test_vif_and_estimate_correlation_are_the_inverse_correlation_matrix(rho, k):
    inverse = np.linalg.inv(correlation_matrix(rho, k))
    assert curse.variance_inflation(rho, k) == pytest.approx(inverse[0, 0])
    assert curse.estimate_correlation(rho, k) == pytest.approx(inverse[0, 1] / inverse[0, 0])


def test_two_predictors_give_the_textbook_formula(result):
    for rho, vif, theory, corr in zip(
        result.rho, result.vif, result.variance_theory, result.correlation_theory, strict=True
    ):
        assert vif == pytest.approx(1 / (1 - rho**2))
        assert theory == pytest.approx(1 / (50 * (1 - rho**2)))  # σ²/(n(1 − ρ²)), σ = 1
        assert corr == pytest.approx(-rho, abs=1e-15)


# --- simulation against theory -----------------------------------------------------------------


def test_simulated_variance_matches_theory_within_monte_carlo_error(result):
    # β̂₁ is exactly normal, so (reps − 1)·s²/Var ~ χ² with reps − 1 degrees of freedom:
    # s²/Var has standard deviation √(2/(reps − 1))
    tolerance = 4 * math.sqrt(2 / (result.reps - 1))
    for simulated, exact, se in zip(
        result.variance, result.variance_theory, result.variance_se, strict=True
    ):
        assert abs(simulated / exact - 1) <= tolerance
        assert se == pytest.approx(simulated * math.sqrt(2 / (result.reps - 1)))
    assert result.inflation == pytest.approx(result.vif, rel=tolerance)


def test_small_n_tells_the_exact_design_formula_from_the_random_design_one():
    # with a design redrawn for every fit the variance would be σ²·VIF/(n − k − 1): at
    # n = 12 that is 33% above σ²·VIF/n, far outside the Monte Carlo tolerance here (4%)
    small = curse.collinearity((0.0, 0.9), n=12, reps=20_000, seed=3)
    tolerance = 4 * math.sqrt(2 / (small.reps - 1))
    for simulated, vif in zip(small.variance, small.vif, strict=True):
        assert abs(simulated / (vif / 12) - 1) <= tolerance
        assert abs(simulated / (vif / (12 - 3)) - 1) > tolerance


def test_sign_flips_and_estimate_correlation_match_theory(result):
    for share, exact in zip(result.sign_flips, result.sign_flips_theory, strict=True):
        assert abs(share - exact) <= 4 * math.sqrt(exact * (1 - exact) / result.reps) + 1e-3
    for corr, exact in zip(result.correlation, result.correlation_theory, strict=True):
        assert abs(corr - exact) <= 4 * (1 - exact**2) / math.sqrt(result.reps) + 1e-3
    assert result.sign_flips_theory[-1] == pytest.approx(0.309, abs=0.001)  # Φ(−0.5/√1.005)


def test_more_correlation_gives_more_variance_and_more_wrong_signs(result):
    assert list(result.variance) == sorted(result.variance)
    assert result.variance[-1] > 30 * result.variance[0]
    assert list(result.sign_flips) == sorted(result.sign_flips)
    assert result.sign_flips[0] < 0.01 < 0.2 < result.sign_flips[-1]


def test_more_predictors_inflate_more():
    two = curse.collinearity((0.9,), predictors=2, reps=500, seed=1)
    five = curse.collinearity((0.9,), predictors=5, reps=500, seed=1)
    assert five.vif[0] > two.vif[0]
    assert five.variance[0] > two.variance[0]


def test_the_sample_is_the_same_draws_and_a_new_rho_leaves_the_others():
    both = curse.collinearity_sample((0.0, 0.9), n=30, seed=2)
    one = curse.collinearity_sample((0.9,), n=30, seed=2)
    assert both.estimates.shape == (2, 200, 2)
    assert np.array_equal(both.estimates[1], one.estimates[0])
    assert not both.estimates.flags.writeable
    spread = both.estimates.std(axis=1)[:, 0]
    assert spread[1] > 1.5 * spread[0]
    assert curse.collinearity((0.9,), n=30, reps=200, seed=2).variance[0] == pytest.approx(
        one.estimates[0, :, 0].var(ddof=1)
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: curse.collinearity((1.0,)), "rho must be a number from 0 to 0.999, got 1.0"),
        (lambda: curse.collinearity(()), "rho needs at least one number from 0 to 0.999"),
        (lambda: curse.collinearity(predictors=1), "predictors must be a whole number from 2"),
        (lambda: curse.collinearity(n=5000, reps=10_000), "reps × n = 50,000,000 is too large"),
        (lambda: curse.collinearity_sample(effect=0), "effect must be a number from 0.01"),
    ],
)
def test_bad_parameters_are_config_errors(call, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        call()


def test_the_result_is_json_ready_and_records_its_settings(result):
    payload = result.as_dict()
    assert payload["rho"] == list(RHOS)
    assert (payload["n"], payload["predictors"], payload["reps"], payload["seed"]) == (
        50,
        2,
        4000,
        0,
    )
    assert payload["correlation_theory"][0] == 0.0  # not −0.0


def test_collinearity_is_a_registered_demo_after_ols():
    names = list(curse.DEMOS)
    assert names.index("collinearity") == names.index("ols") + 1
    demo = curse.DEMOS["collinearity"]
    assert demo.simulate is curse.collinearity
    assert r"\frac{1}{1-\rho^2}" in demo.theory.formula
    assert "variance inflation factor" in demo.theory.meaning


def test_collinearity_headline_at_both_ends(result):
    shown = {h.label: (h.value, h.note) for h in curse.collinearity_headline(result)}
    assert shown["variance of β̂₁, ρ = 0"][1] == "theory 0.02"
    assert shown["variance of β̂₁, ρ = 0.99"][1] == "theory 1.01"
    assert shown["variance inflation, ρ = 0.99"][1] == "VIF 50.3"
    assert shown["sign of β̂₁ wrong, ρ = 0.99"][1] == "expected 30.9%"


# --- figures -----------------------------------------------------------------------------------


def test_collinearity_figure_sets_simulation_beside_the_vif(result):
    fig = collinearity_figure(result)
    names = [t.name for t in fig.data]
    assert names == [
        "theory (exact): VIF: 1/(1 − ρ²)",
        "simulated (4,000 fits, ± 2 SE)",
        "wrong sign, theory (exact)",
        "wrong sign (simulated)",
    ]
    assert list(fig.data[0].y) == pytest.approx(result.vif)
    assert list(fig.data[1].y) == pytest.approx(result.inflation)
    assert list(fig.data[3].y) == pytest.approx(result.sign_flips)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.margin.t >= 85  # the title clears the two-line panel titles


def test_collinearity_sample_figure_has_one_cloud_per_rho_and_the_truth():
    sample = curse.collinearity_sample((0.0, 0.9), n=30, effect=0.7, seed=0)
    fig = collinearity_sample_figure(sample)
    # the wider cloud is drawn first, under the narrower one; the legend lists ρ upwards
    assert [t.name for t in fig.data] == ["ρ = 0.9", "ρ = 0", "true coefficients (0.7, 0.7)"]
    assert [t.legendrank for t in fig.data[:2]] == [1, 0]
    assert list(fig.data[0].x) == pytest.approx(sample.estimates[1, :, 0])
    assert fig.layout.xaxis.zeroline and fig.layout.yaxis.zeroline


def test_the_minimum_norm_caveat_is_written_on_the_ols_plot():
    past = plotting.ols_figure(curse.ols_collapse((10, 20, 30), n=20, reps=10))
    notes = [t.name for t in past.data if "minimum-norm" in (t.name or "")]
    assert notes == ["shaded: p &gt; n, no unique OLS fit; shown: the minimum-norm one"]  # escaped
    short = plotting.ols_figure(curse.ols_collapse((5, 10), n=20, reps=10))
    assert not [t for t in short.data if "minimum-norm" in (t.name or "")]


# --- texts -------------------------------------------------------------------------------------


def test_power_before_and_after_correction_is_quoted_from_the_result():
    result = curse.extraneous_predictors((100, 250), (10, 50), reps=100, seed=0)
    (hardest,) = [d for d in result.designs if (d.n, d.k) == (100, 50)]
    meaning = curse.explanation("multiple-testing", result).meaning
    assert "controls false positives but does not restore power" in meaning
    assert (
        f"with 100 subjects and 50 extraneous predictors the true predictor is found in "
        f"{hardest.power['raw']:.0%} of regressions without correction and in "
        f"{hardest.power['bonferroni']:.0%} with Bonferroni "
        f"({hardest.power['bh']:.0%} with Benjamini–Hochberg)" in meaning
    )
    assert hardest.power["bonferroni"] < hardest.power["raw"]


def test_sparsity_lambda_follows_the_placement():
    diagonal = curse.explanation("sparsity", curse.sparsity((1, 2), n=50))
    assert r"\lambda=\lVert c\rVert^2=1.5^2\,p" in diagonal.formula
    moved = curse.explanation("sparsity", curse.sparsity((1, 2), n=50, placement="fixed-distance"))
    assert r"1.5^2=2.25\ \text{for every }p" in moved.formula
    assert r"1.5^2\,p" not in moved.formula
    assert "(1.5/√p, …, 1.5/√p)" in moved.note
    # the formula is what the simulation computes: λ = 2.25 at every p
    exact = curse.within_probability((1, 4, 9), placement="fixed-distance")
    assert exact == pytest.approx(stats.ncx2.cdf(1.0, [1, 4, 9], 2.25))


def test_training_error_formula_is_given_only_below_p_equals_n():
    formula = curse.DEMOS["overfitting"].theory.formula
    train = formula.split(r"\operatorname{E}[\text{test}]")[0]
    assert r"\sigma^2\,\frac{n-p}{n}&p<n" in train
    assert r"0&p\ge n" in train


def test_carrier_table_is_the_papers_example():
    rows = curse.carrier_table(1000)
    assert rows == [
        {"carriers of": "a", "expected among 1,000 subjects": "100"},
        {"carriers of": "a and b", "expected among 1,000 subjects": "10"},
        {"carriers of": "a, b and c", "expected among 1,000 subjects": "1"},
    ]
    assert curse.carrier_table(300)[-1]["expected among 300 subjects"] == "0.3"
