"""Curse of dimensionality: nine simulations of why P ≫ N breaks statistics, with theory."""

from __future__ import annotations

import streamlit as st

import ui
from genodash import curse, plotting
from genodash.data import MatrixSet
from genodash.errors import GenodashError
from genodash.plotting.curse import collinearity_figure, collinearity_sample_figure
from ui.curse import (
    chart,
    choose,
    controls,
    download,
    explain,
    run,
    seed_input,
    several,
    short_metrics,
    show,
    slider,
    steps,
)

ABOUT = """
Genomics measures far more variables (genes, SNPs, variants) than it has samples — P ≫ N.
This page shows, one demo at a time, what that does to statistics and machine learning.
The demos follow Altman & Krzywinski, *The curse(s) of dimensionality*, Nature Methods
15, 399–400 (2018).

- Pick a demo with the buttons, move the sliders on the left: the plot follows within
  about a second.
- **Markers are simulations, grey lines are theory** (exact, unless the legend says
  *large n*). Where the two agree, the simulation is doing what the mathematics predicts.
- Under each plot: the formula, what it means for a biologist, and the numbers behind the
  plot to download. `python -m genodash demo NAME` prints the same numbers.
- To open the page on one demo, add its command-line name to the link, e.g.
  `/Curse_of_dimensionality?demo=ols`.
"""

# --- the demos -----------------------------------------------------------------------------


PLACEMENTS = {
    "diagonal": "(1.5, …, 1.5): the paper's",
    "fixed-distance": "always 1.5 from the mean",
}


def sparsity_demo() -> curse.Result:
    with controls() as plot:
        top = slider("Dimensions up to p =", "sparsity-top", 2, 30, 10)
        n = steps("Points n", "sparsity-n", [100, 300, 1000, 3000, 10_000], 1000)
        radius = slider("Radius (σ)", "sparsity-radius", 0.25, 3.0, 1.0, 0.25)
        placement = choose("Point of interest", "sparsity-placement", PLACEMENTS)
        seed = seed_input("sparsity")
    params = {"n": n, "radius": radius, "placement": placement, "seed": seed}
    sample = run("sparsity_sample", **params)
    result = run("sparsity", dims=tuple(range(1, top + 1)), **params)
    ui.lessons.record_sparsity(result)
    with plot:
        chart(plotting.sparsity_sample_figure(sample), "sparsity-sample")
        chart(plotting.sparsity_figure(result), "sparsity")
    with st.expander("Compared with the paper", icon=":material/menu_book:", expanded=True):
        st.dataframe(curse.sparsity_table(sample, result), hide_index=True, width="stretch")
        st.caption(
            "The paper drew one sample of 1,000 points; its numbers vary from sample to "
            "sample like ours do (change the seed). "
            + ("" if curse.paper_sparsity(result) else "It reports radius 1σ only.")
        )
    return result


def distances_demo() -> curse.Result:
    with controls() as plot:
        n = slider("Points n", "distances-n", 20, 500, 200, 10)
        top = steps("Dimensions up to p =", "distances-top", [10, 100, 1000, 5000], 1000)
        seed = seed_input("distances")
    dims = tuple(d for d in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if d <= top)
    result = run("distance_concentration", dims=dims, n=n, seed=seed)
    ui.lessons.record_result("distance-ratio", result.nearest_farthest[-1])
    show(plot, plotting.distance_figure(result), "distances", curse.distance_headline(result))
    return result


def genotypes_demo() -> curse.Result:
    with controls() as plot:
        top = slider("SNPs up to m =", "genotypes-m", 2, 20, 12)
        n = steps("Subjects n", "genotypes-n", [100, 300, 1000, 3000, 10_000, 100_000], 1000)
        maf = slider("Minor-allele frequency q", "genotypes-maf", 0.05, 0.5, 0.3, 0.05)
        seed = seed_input("genotypes")
    result = run("genotype_cells", snps=tuple(range(1, top + 1)), n=n, maf=maf, seed=seed)
    show(plot, plotting.genotype_figure(result), "genotypes", curse.genotype_headline(result))
    with st.expander("The paper's example: carriers", icon=":material/menu_book:", expanded=True):
        st.dataframe(curse.carrier_table(1000), hide_index=True, width="content")
        st.caption(
            "Each variant carried by 10% of the subjects, independently: every variant you "
            "add keeps a tenth of the group, so an effect of the combination abc rests on "
            "one person."
        )
    return result


def ols_demo() -> curse.Result:
    with controls() as plot:
        n = slider("Samples n", "ols-n", 20, 100, 50, 10)
        noise = slider("Noise σ", "ols-noise", 0.1, 5.0, 1.0, 0.1)
        ridge = steps("Ridge penalty λ", "ols-ridge", [0.1, 1.0, 5.0, 20.0, 100.0], 5.0)
        lasso = steps("Lasso penalty α", "ols-lasso", [0.01, 0.05, 0.1, 0.2, 0.5], 0.1)
        reps = steps("Data sets per p", "ols-reps", [30, 100, 300], 100)
        seed = seed_input("ols")
    result = run("ols_collapse", n=n, noise=noise, reps=reps, ridge=ridge, lasso=lasso, seed=seed)
    show(plot, plotting.ols_figure(result), "ols", curse.ols_headline(result))
    return result


def collinearity_demo() -> curse.Result:
    rhos = [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
    with controls() as plot:
        rho = several("Correlations ρ", "collinearity-rho", rhos, [0.0, 0.5, 0.9, 0.95, 0.99])
        n = slider("Samples n", "collinearity-n", 20, 500, 50, 10)
        k = slider("Predictors", "collinearity-k", 2, 10, 2)
        effect = round(
            slider("True coefficient (noise SDs)", "colin-effect", 0.1, 2.0, 0.5, 0.1), 2
        )
        reps = steps("Fits per ρ", "collinearity-reps", [500, 2000, 5000], 2000)
        seed = seed_input("collinearity")
    params = {"rho": rho, "n": n, "predictors": k, "effect": effect, "seed": seed}
    result = run("collinearity", reps=reps, **params)
    with plot:
        chart(collinearity_figure(result), "collinearity")
    low, high = f"ρ = {result.rho[0]:g}", f"ρ = {result.rho[-1]:g}"
    short_metrics(
        plot,
        curse.collinearity_headline(result),
        [
            (f"Var β̂₁, {low}", "its variance over the fits at the weakest correlation"),
            (f"Var β̂₁, {high}", "its variance over the fits at the strongest correlation"),
            (f"inflation, {high}", "that variance ÷ σ²/n, beside the VIF of the theory"),
            (f"wrong sign, {high}", "share of fits with β̂₁ < 0 although the effect is positive"),
        ],
    )
    with plot:
        chart(collinearity_sample_figure(run("collinearity_sample", **params)), "estimates")
        st.caption(
            "Each point is one fit. The stronger the correlation, the longer the cloud along "
            "the line β̂₁ + β̂₂ = constant: the data pin down the sum of the two effects, not "
            "how it splits between them."
        )
    return result


def variance_demo() -> curse.Result:
    with controls() as plot:
        n = slider("Samples n", "variance-n", 5, 50, 20)
        p = slider("Fitted coefficients p", "variance-p", 1, n - 1, min(5, n - 1))
        reps = steps("Data sets", "variance-reps", [200, 1000, 2000, 5000], 2000)
        seed = seed_input("variance")
    result = run("ml_variance_bias", n=n, reps=reps, seed=seed)
    show(
        plot,
        plotting.variance_figure(result, highlight=p),
        "variance",
        curse.variance_headline(result, p),
    )
    return result


def multiple_testing_demo() -> curse.Result:
    with controls() as plot:
        # rounded: the browser's float steps give values such as 0.060000000000000005
        alpha = round(slider("Significance level α", "fp-alpha", 0.01, 0.10, 0.05, 0.01), 2)
        n = several("Subjects n", "fp-n", [100, 250, 500, 1000], [100, 250, 1000])
        k = several("Extraneous predictors k", "fp-k", [5, 10, 20, 50], [10, 50])
        effect = slider("True slope (noise SDs)", "fp-effect", 0.0, 0.5, 0.2, 0.05)
        reps = steps("Regressions per design", "fp-reps", [50, 100, 200], 100)
        seed = seed_input("fp")
    params = {"reps": reps, "alpha": alpha, "effect": effect, "seed": seed}
    result = run("extraneous_predictors", n=n, k=k, **params)
    with plot:
        chart(plotting.false_positive_figure(result), "false-positives")
    st.markdown(f"**False positives per regression** (P < {alpha:g}, no correction unless named)")
    st.dataframe(curse.false_positive_counts(result), hide_index=True, width="stretch")
    st.markdown(f"**Share of regressions** (α = {alpha:g})")
    st.dataframe(curse.false_positive_shares(result), hide_index=True, width="stretch")
    return result


MODELS = {
    "linear": "linear regression",
    "logistic": "logistic regression",
    "mlp": "small neural network",
}


def overfitting_demo() -> curse.Result:
    dataset = ui.current_dataset()
    sources = {"simulated": "simulated data", "pbmc68k": "PBMC 68k: 700 real blood cells"}
    if isinstance(dataset, MatrixSet) and dataset.label_column:
        sources["loaded"] = f"the loaded matrix ({ui.escape_markdown(dataset.name)})"
    with controls() as plot:
        source = choose("Data", "overfit-data", sources)
        simulated = source == "simulated"
        models = {m: MODELS[m] for m in MODELS if simulated or m != "linear"}
        model = choose("Model", f"overfit-model-{simulated}", models)
        if simulated:
            n = slider("Training samples n", "overfit-n", 20, 200, 50, 10)
            noise = slider("Noise σ", "overfit-noise", 0.0, 3.0, 1.0, 0.1)
        else:
            n = slider("Training cells", "overfit-cells", 20, 300, 60, 10)
        seed = seed_input("overfit")
    if simulated:
        result = run("overfitting", n=n, model=model, noise=noise, seed=seed)
    elif source == "pbmc68k":
        result = run("example_overfitting", example="pbmc68k", n_train=n, model=model, seed=seed)
    else:
        result = ui.session_cached(
            f"overfit-{model}-{n}-{seed}",
            dataset,
            lambda: curse.expression_overfitting(dataset, n_train=n, model=model, seed=seed),
        )
    figure = plotting.overfitting_figure(result)
    ui.lessons.record_overfitting(result)
    show(plot, figure, "overfitting", curse.overfitting_headline(result))
    return result


def big_data_demo() -> curse.Result:
    dataset = ui.current_dataset()
    loaded = curse.dataset_shape(dataset)
    powers = [10**k for k in range(0, 10)]
    with controls() as plot:
        st.markdown(f"**The loaded data set** · {ui.escape_markdown(dataset.name)}")
        st.caption(f"N = {loaded[0]:,}, P = {loaded[1]:,}")
        st.markdown("**Place a study you plan**")
        n = steps("Samples N", "bigdata-n", powers, 1000, format_func="{:,}".format)
        p = steps("Features P", "bigdata-p", powers, 10**5, format_func="{:,}".format)
    names = (f"loaded: {dataset.name}", "your planned study")
    result = run("data_regimes", n=(loaded[0], n), p=(loaded[1], p), names=names)
    headlines = curse.regime_headline(result, ("loaded data set", "your planned study"))
    show(plot, plotting.regimes_figure(result), "big-data", headlines)
    return result


# how each demo of genodash.curse.DEMOS with a place of its own is shown
SHOW = {
    "sparsity": sparsity_demo,
    "distances": distances_demo,
    "genotypes": genotypes_demo,
    "ols": ols_demo,
    "collinearity": collinearity_demo,
    "variance": variance_demo,
    "multiple-testing": multiple_testing_demo,
    "overfitting": overfitting_demo,
    "big-data": big_data_demo,
}
ON_PAGE = [name for name, demo in curse.DEMOS.items() if demo.part_of is None]


with ui.page("Curse of dimensionality", ":material/scatter_plot:", ABOUT):
    choice = st.segmented_control(
        "Demo",
        ON_PAGE,
        required=True,
        format_func=lambda key: f"{ON_PAGE.index(key) + 1} · {curse.DEMOS[key].title}",
        key=ui.setting("demo", "sparsity", ON_PAGE),
        label_visibility="collapsed",
        width="stretch",
    )
    demo = curse.DEMOS[choice]
    st.subheader(f":material/{demo.icon}: {ON_PAGE.index(choice) + 1}. {demo.title}")
    st.markdown(f"*{demo.question}*")
    try:
        result = SHOW[choice]()
        explain(choice, result)
        download(result, choice)
    except GenodashError as error:
        ui.show_error(error, context="These settings cannot be simulated")
