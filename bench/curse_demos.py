"""How long each curse-of-dimensionality demo takes to update, as the page calls it.

Prints, for each demo, the seconds to simulate and to build its figure — at the page's
default settings, then with every slider at its most expensive value. The page caches
results, so these are the times of the first visit to a setting; a revisit is instant.
pbmc68k is loaded once before timing (the page keeps it in the cache too).

Run: python bench/curse_demos.py
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash import curse, plotting
from genodash.examples import load_example

Case = tuple[str, Callable[[], Any]]


def cases(largest: bool) -> list[Case]:
    pbmc = load_example("pbmc68k")
    top = {"n": 10_000, "dims": 30} if largest else {"n": 1000, "dims": 10}

    def sparsity() -> Any:
        plotting.sparsity_sample_figure(curse.sparsity_sample(top["n"]))
        return plotting.sparsity_figure(curse.sparsity(range(1, top["dims"] + 1), n=top["n"]))

    dims = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) + ((2000, 5000) if largest else ())
    fp = {"n": (100, 250, 500, 1000), "k": (5, 10, 20, 50), "reps": 200} if largest else {}
    cells = 300 if largest else 60
    rhos = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99) if largest else (0.0, 0.5, 0.9, 0.95, 0.99)
    k, reps = (10, 5000) if largest else (2, 2000)
    return [
        ("1 sparsity", sparsity),
        (
            "2 distances",
            lambda: plotting.distance_figure(
                curse.distance_concentration(dims, n=500 if largest else 200)
            ),
        ),
        (
            "3 genotypes",
            lambda: plotting.genotype_figure(
                curse.genotype_cells(range(1, 21 if largest else 13), n=10**5 if largest else 1000)
            ),
        ),
        (
            "4 ols",
            lambda: plotting.ols_figure(curse.ols_collapse(n=100 if largest else 50, reps=100)),
        ),
        (
            "5 collinearity",
            lambda: (
                plotting.curse.collinearity_figure(
                    curse.collinearity(rhos, n=500 if largest else 50, predictors=k, reps=reps)
                ),
                plotting.curse.collinearity_sample_figure(
                    curse.collinearity_sample(rhos, n=500 if largest else 50, predictors=k)
                ),
            ),
        ),
        (
            "6 variance",
            lambda: plotting.variance_figure(
                curse.ml_variance_bias(n=50 if largest else 20, reps=5000 if largest else 2000)
            ),
        ),
        (
            "7 multiple testing",
            lambda: plotting.false_positive_figure(curse.extraneous_predictors(**fp)),
        ),
        *[
            (
                f"8 overfitting, {model}",
                lambda model=model: plotting.overfitting_figure(
                    curse.overfitting(n=200 if largest else 50, model=model)
                ),
            )
            for model in ("linear", "logistic", "mlp")
        ],
        *[
            (
                f"8 overfitting, pbmc68k {model}",
                lambda model=model: plotting.overfitting_figure(
                    curse.expression_overfitting(pbmc, n_train=cells, model=model)
                ),
            )
            for model in ("logistic", "mlp")
        ],
        ("9 big data", lambda: plotting.regimes_figure(curse.data_regimes((700,), (765,)))),
    ]


def main() -> None:
    for largest in (False, True):
        print("most expensive settings:" if largest else "default settings:")
        for name, call in cases(largest):
            started = time.perf_counter()
            call()
            print(f"  {name:32s} {time.perf_counter() - started:6.2f} s")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
