"""``python -m genodash demo``: one JSON object per run, numbers against theory."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from genodash.curse import DEMOS
from support import run_cli


def demo(*args: str) -> dict:
    result = run_cli("demo", *args)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    return json.loads(line)


def test_sparsity_prints_fractions_and_exact_theory():
    payload = demo("sparsity", "--dims", "1", "2", "3", "--n", "1000", "--seed", "0")
    assert payload["dims"] == [1, 2, 3]
    assert payload["theory"] == pytest.approx([stats.ncx2.cdf(1, p, p * 2.25) for p in (1, 2, 3)])
    for simulated, exact in zip(payload["fraction_within"], payload["theory"], strict=True):
        assert abs(simulated - exact) <= 4 * (exact * (1 - exact) / 1000) ** 0.5 + 1e-3


def test_variance_prints_ml_and_unbiased_against_theory():
    payload = demo("variance", "--n", "20", "--p", "5", "--reps", "2000", "--seed", "0")
    assert payload["theory"] == [0.75]
    assert abs(payload["ml_ratio"][0] - 0.75) <= 4 * payload["ml_ratio_se"][0]
    assert payload["unbiased_ratio"][0] == pytest.approx(1, abs=0.03)


def test_multiple_testing_prints_quartiles_raw_and_corrected():
    payload = demo("multiple-testing", "--n", "100", "--k", "10", "--reps", "100", "--seed", "0")
    (design,) = payload["designs"]
    assert (design["n"], design["k"]) == (100, 10)
    assert set(design["summary"]) == {"raw", "bonferroni", "bh"}
    assert set(design["summary"]["raw"]) == {"mean", "q1", "median", "q3"}
    assert abs(design["summary"]["raw"]["mean"] - 0.5) <= 4 * (0.5 * 0.95 / 100) ** 0.5
    assert design["summary"]["bonferroni"]["mean"] < design["summary"]["raw"]["mean"]


def test_ols_prints_condition_numbers_and_variances():
    payload = demo("ols", "--n", "50", "--p", "10", "20", "40", "49", "--seed", "0")
    assert payload["p"] == [10, 20, 40, 49]
    assert payload["condition_number"] == sorted(payload["condition_number"])
    assert set(payload["variance"]) == {"ols", "ridge", "lasso"}
    assert payload["variance_theory"][:3] == pytest.approx([1 / 39, 1 / 29, 1 / 9])
    assert payload["variance_theory"][3] is None  # infinite: n − p − 1 = 0


def test_collinearity_prints_variance_beside_theory_vif_and_sign_flips():
    payload = demo("collinearity", "--rho", "0", "0.5", "0.9", "0.99", "--seed", "0")
    assert set(payload) == {
        "rho",
        "variance",
        "variance_se",
        "variance_theory",
        "vif",
        "inflation",
        "sign_flips",
        "sign_flips_theory",
        "correlation",
        "correlation_theory",
        "n",
        "predictors",
        "noise",
        "effect",
        "reps",
        "seed",
    }
    rho = [0.0, 0.5, 0.9, 0.99]
    assert payload["rho"] == rho
    assert payload["vif"] == pytest.approx([1 / (1 - r**2) for r in rho])
    n, reps = payload["n"], payload["reps"]
    assert payload["variance_theory"] == pytest.approx([1 / (n * (1 - r**2)) for r in rho])
    for simulated, exact in zip(payload["variance"], payload["variance_theory"], strict=True):
        assert abs(simulated / exact - 1) <= 4 * (2 / (reps - 1)) ** 0.5
    assert payload["variance"] == sorted(payload["variance"])


def test_bad_parameter_is_one_error_line():
    result = run_cli("demo", "sparsity", "--n", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: n must be a whole number from 10 to 100,000, got 0"
    ]


def test_help_lists_every_demo_and_its_parameters():
    result = run_cli("demo", "--help")
    assert result.returncode == 0
    for name in DEMOS:
        assert name in result.stdout
    options = ("--dims", "--placement", "--maf", "--lasso", "--alpha", "--n-train", "--rho")
    for option in options:
        assert option in result.stdout
    assert "demo" in run_cli("--help").stdout
