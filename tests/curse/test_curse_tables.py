"""The demos' list, texts, tables and headline numbers, on tiny simulations."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from genodash import curse
from genodash.errors import ConfigError


def headline(headlines: list[curse.Headline]) -> dict[str, tuple[str, str | None]]:
    return {h.label: (h.value, h.note) for h in headlines}


# --- the list of demos -------------------------------------------------------------------------


def test_every_demo_has_a_title_a_question_and_a_theory():
    for name, demo in curse.DEMOS.items():
        assert demo.title and demo.icon, name
        assert demo.question.endswith("?"), name
        assert demo.theory.formula and demo.theory.meaning and demo.theory.note, name
        assert demo.part_of is None or curse.DEMOS[demo.part_of].part_of is None, name


def test_only_the_expression_variant_shares_another_demos_place():
    shared = {name: demo.part_of for name, demo in curse.DEMOS.items() if demo.part_of}
    assert shared == {"overfitting-expression": "overfitting"}
    assert curse.DEMOS["overfitting-expression"].simulate is curse.example_overfitting


def test_explanation_quotes_the_level_and_largest_k_of_the_false_positive_result():
    result = curse.extraneous_predictors((100,), (5, 20), reps=10, alpha=0.01, seed=0)
    theory = curse.explanation("multiple-testing", result)
    assert "below α = 0.01 in 1% of regressions" in theory.meaning
    assert "With 20 of them a regression expects 0.2 false positives" in theory.meaning
    assert f"{1 - 0.99**20:.0%} of regressions have at least one" in theory.meaning
    assert "slopes at α = 0.01;" in theory.note
    assert "{" not in theory.meaning + theory.note


def test_other_explanations_are_the_demos_theory_unchanged():
    result = curse.distance_concentration((1, 10), n=30)
    assert curse.explanation("distances", result) is curse.DEMOS["distances"].theory
    for name, demo in curse.DEMOS.items():
        if name != "multiple-testing":
            assert "{" not in demo.theory.meaning + demo.theory.note, name


# --- 1. sparsity -------------------------------------------------------------------------------


def test_paper_numbers_are_near_the_exact_theory():
    for placement, shares in curse.PAPER_SPARSITY.items():
        dims = [int(key[0]) for key in shares]
        exact = curse.within_probability(dims, placement=placement)
        for (key, paper), theory in zip(shares.items(), exact, strict=True):
            assert paper == pytest.approx(theory, abs=0.025), (placement, key)


def test_sparsity_table_sets_simulation_theory_and_paper_side_by_side():
    sample = curse.sparsity_sample(200, seed=0)
    rows = curse.sparsity_table(sample, curse.sparsity((1, 2, 3, 4, 5), n=200, seed=0))
    assert [row["dimensions"] for row in rows] == ["1-D, x", "1-D, y", "2-D", "3-D", "4-D"]
    assert [row["the paper (Fig. 1)"] for row in rows] == ["31.0%", "30.0%", "6.0%", "1.2%", "0.2%"]
    assert rows[2]["this simulation"] == f"{sample.within_both:.1%}"
    assert rows[3]["theory (exact)"] == f"{curse.within_probability((3,))[0]:.1%}"


def test_sparsity_table_has_no_paper_numbers_the_paper_did_not_report():
    sample = curse.sparsity_sample(200, placement="fixed-distance", seed=0)
    short = curse.sparsity((1, 2), n=200, placement="fixed-distance", seed=0)
    rows = curse.sparsity_table(sample, short)
    assert [row["the paper (Fig. 1)"] for row in rows] == ["—", "—", "14.0%"]
    wide = curse.sparsity((1, 2), n=200, radius=1.5, seed=0)
    assert curse.paper_sparsity(wide) == {}
    assert {row["the paper (Fig. 1)"] for row in curse.sparsity_table(sample, wide)} == {"—"}


# --- 2.–5. -------------------------------------------------------------------------------------


def test_a_small_distance_ratio_keeps_two_significant_digits():
    result = curse.distance_concentration((1, 10), n=30, seed=0)
    shown = headline(curse.distance_headline(replace(result, nearest_farthest=(0.0021, 0.5))))
    assert shown["nearest ÷ farthest, p = 1"] == ("0.0021", None)
    assert shown["nearest ÷ farthest, p = 10"] == ("0.50", None)
    assert shown["sd ÷ mean of distances, p = 10"][1].startswith("theory 0.")


def test_genotype_headline_is_at_ten_snps_or_the_most():
    many = headline(curse.genotype_headline(curse.genotype_cells(range(1, 13), n=100)))
    assert many["cells for 10 SNPs"] == ("59,049", None)
    few = headline(curse.genotype_headline(curse.genotype_cells((1, 2, 3), n=100)))
    assert few["cells for 3 SNPs"] == ("27", None)
    assert few["subjects per cell"] == (f"{100 / 27:.3g}", None)
    assert few["empty cells"][1].startswith("expected ")


def test_ols_headline_is_at_the_largest_p_up_to_n_minus_two():
    result = curse.ols_collapse((2, 10, 19), n=20, reps=10, seed=0)
    shown = headline(curse.ols_headline(result))
    assert list(shown) == [
        "condition number, p = 10",
        "OLS variance, p = 10",
        "ridge, p = 10",
        "lasso, p = 10",
    ]
    assert shown["OLS variance, p = 10"][1] == f"theory {1 / 9:.3g}"
    assert "p = 19" in curse.ols_headline(replace(result, p=(19, 20, 21)))[0].label


def test_variance_headline_needs_a_simulated_p():
    result = curse.ml_variance_bias((1, 5), n=20, reps=10, seed=0)
    shown = headline(curse.variance_headline(result, 5))
    assert shown["theory (n − p)/n"] == ("0.750", None)
    assert shown["mean RSS/(n − p) ÷ σ²"][1] == "theory 1"
    with pytest.raises(ConfigError, match=r"p = 3 was not simulated: choose one of \[1, 5\]"):
        curse.variance_headline(result, 3)


# --- 6. false positives ------------------------------------------------------------------------


def test_false_positive_tables_have_one_row_per_design():
    result = curse.extraneous_predictors((100,), (5, 10), reps=10, alpha=0.01, seed=0)
    counts = curse.false_positive_counts(result)
    assert [(row["n"], row["k"]) for row in counts] == [(100, 5), (100, 10)]
    assert counts[1]["expected: 0.01 × k"] == "0.10"
    raw = result.designs[0].summary["raw"]
    assert counts[0]["quartiles"] == f"{raw['q1']:g} / {raw['median']:g} / {raw['q3']:g}"
    shares = curse.false_positive_shares(result)
    assert list(shares[0]) == [
        "n",
        "k",
        "≥ 1 false positive",
        "≥ 1, Bonferroni",
        "true predictor found",
        "found, Bonferroni",
    ]
    assert all(value.endswith("%") for value in list(shares[0].values())[2:])


# --- 7.–8. -------------------------------------------------------------------------------------


def overfitting_result(test_error: tuple[float, ...], metric: str) -> curse.OverfittingResult:
    features = tuple(range(1, len(test_error) + 1))
    return curse.OverfittingResult(
        features=features,
        train_error=(1.0,) * (len(features) - 1) + (1e-12,),
        test_error=test_error,
        train_theory=(math.nan,) * len(features),
        test_theory=(math.nan,) * len(features),
        metric=metric,
        model="linear",
        data="simulated",
        n_train=2,
        n_test=10,
        reps=1,
        params={},
        seed=0,
    )


def test_overfitting_headline_shows_squared_errors_and_error_rates():
    shown = headline(curse.overfitting_headline(overfitting_result((2.0, 1.5, 12345.0), "mse")))
    assert shown["lowest test error"] == ("1.5", "with 2 features")
    assert shown["training error, 3 features"] == ("0", None)
    assert shown["highest test error"] == ("12,345", None)
    rates = headline(curse.overfitting_headline(overfitting_result((0.5, 0.25), "error rate")))
    assert rates["test error, 2 features"] == ("25.0%", None)


def test_regime_headline_labels_the_last_data_sets():
    result = curse.data_regimes(n=(700, 1000), p=(765, 10**5), names=("mine", "planned"))
    shown = headline(curse.regime_headline(result, ("loaded", "your study")))
    assert shown == {
        "loaded": ("N ≈ P", "N·P = 535,500"),
        "your study": ("P ≫ N", "N·P = 100,000,000"),
    }
