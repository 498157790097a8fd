"""Curse of dimensionality: eight simulations of why P ≫ N breaks statistics, with theory."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import streamlit as st

import ui
from genodash import curse, plotting
from genodash.data import MatrixSet
from genodash.errors import GenodashError

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

KEEP = {"persist_state": "page"}  # a demo's settings survive switching to another demo


@st.cache_data(show_spinner="Simulating…", max_entries=256)
def run(function: str, **params: Any) -> Any:
    """A library simulation by name; results are small, immutable and keyed by parameters."""
    return getattr(curse, function)(**params)


def columns() -> tuple[Any, Any]:
    """Controls on the left, the plot on the right."""
    left, right = st.columns([1, 3], gap="large")
    return left.container(border=True), right


def seed_input(demo: str) -> int:
    return int(
        st.number_input(
            "Random seed",
            0,
            1_000_000,
            0,
            key=f"{demo}-seed",
            help="Change it to draw another sample",
            **KEEP,
        )
    )


def chart(figure: Any, key: str) -> None:
    st.plotly_chart(figure, key=f"chart-{key}", config={"displaylogo": False})


def explain(formula: str, text: str, note: str) -> None:
    """The formula with its conditions, then what it means, under the plot."""
    with st.container(border=True):
        st.markdown("**The theory**")
        st.latex(formula)
        st.caption(note)
        st.markdown("**What it means**")
        st.markdown(text)


def download(result: Any, name: str) -> None:
    st.download_button(
        "Download the numbers (JSON)",
        json.dumps(result.as_dict(), indent=1, ensure_ascii=False),
        file_name=f"curse-{name}.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
        key=f"download-{name}",
    )


def metrics(values: dict[str, tuple[str, str | None]]) -> None:
    """A row of metrics: label → (value, note under it)."""
    for column, (label, (value, note)) in zip(st.columns(len(values)), values.items(), strict=True):
        column.metric(label, value, note, delta_color="off", delta_arrow="off")


# --- the demos -----------------------------------------------------------------------------

PAPER_SPARSITY = {
    "diagonal": {"1-D, x": 0.31, "1-D, y": 0.30, "2-D": 0.06, "3-D": 0.012, "4-D": 0.002},
    "fixed-distance": {"2-D": 0.14, "3-D": 0.07, "4-D": 0.03},
}


def sparsity_demo() -> None:
    controls, plot = columns()
    with controls:
        top = st.slider("Dimensions up to p =", 2, 30, 10, key="sparsity-top", **KEEP)
        n = st.select_slider(
            "Points n", [100, 300, 1000, 3000, 10_000], 1000, key="sparsity-n", **KEEP
        )
        radius = st.slider("Radius (σ)", 0.25, 3.0, 1.0, 0.25, key="sparsity-radius", **KEEP)
        placement = st.radio(
            "Point of interest",
            ["diagonal", "fixed-distance"],
            format_func={
                "diagonal": "(1.5, …, 1.5): the paper's",
                "fixed-distance": "always 1.5 from the mean",
            }.get,
            key="sparsity-placement",
            **KEEP,
        )
        seed = seed_input("sparsity")
    params = {"n": n, "radius": radius, "placement": placement, "seed": seed}
    sample = run("sparsity_sample", **params)
    result = run("sparsity", dims=tuple(range(1, top + 1)), **params)
    with plot:
        chart(plotting.sparsity_sample_figure(sample), "sparsity-sample")
        chart(plotting.sparsity_figure(result), "sparsity")
    sparsity_table(sample, result)
    explain(
        r"\Pr\big(\lVert X-c\rVert\le r\big)=F_{\chi'^2_p(\lambda)}\big(r^2\big),"
        r"\qquad \lambda=\lVert c\rVert^2=1.5^2\,p",
        "Every variable you measure — a gene, a SNP — adds an axis. A neighbourhood that "
        "holds a third of the samples along one axis holds 6–7% in two dimensions and under "
        "0.2% in four: in high dimension every sample is far from every other. Methods that "
        "average over *similar* samples (nearest neighbours, density estimates) are left with "
        "nobody to average.",
        "X ~ N(0, I_p); c is the point of interest; F is the distribution function of a "
        "noncentral χ² with p degrees of freedom.",
    )
    download(result, "sparsity")


def sparsity_table(sample: curse.SparsitySample, result: curse.SparsityResult) -> None:
    ours = {"1-D, x": sample.within_x, "1-D, y": sample.within_y, "2-D": sample.within_both}
    theory = {"1-D, x": sample.theory_1d, "1-D, y": sample.theory_1d, "2-D": sample.theory_2d}
    for p, simulated, exact in zip(result.dims, result.fraction_within, result.theory, strict=True):
        if p in (3, 4):
            ours[f"{p}-D"], theory[f"{p}-D"] = simulated, exact
    paper = PAPER_SPARSITY[result.placement] if result.radius == 1.0 else {}
    rows = [
        {
            "dimensions": key,
            "this simulation": f"{ours[key]:.1%}",
            "theory (exact)": f"{theory[key]:.1%}",
            "the paper (Fig. 1)": f"{paper[key]:.1%}" if key in paper else "—",
        }
        for key in ours
    ]
    with st.expander("Compared with the paper", icon=":material/menu_book:", expanded=True):
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(
            "The paper drew one sample of 1,000 points; its numbers vary from sample to "
            "sample like ours do (change the seed). "
            + ("" if paper else "It reports radius 1σ only.")
        )


def distances_demo() -> None:
    controls, plot = columns()
    with controls:
        n = st.slider("Points n", 20, 500, 200, 10, key="distances-n", **KEEP)
        top = st.select_slider(
            "Dimensions up to p =", [10, 100, 1000, 5000], 1000, key="distances-top", **KEEP
        )
        seed = seed_input("distances")
    dims = tuple(d for d in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if d <= top)
    result = run("distance_concentration", dims=dims, n=n, seed=seed)
    with plot:
        chart(plotting.distance_figure(result), "distances")
        metrics(
            {
                f"nearest ÷ farthest, p = {dims[0]}": (_ratio(result.nearest_farthest[0]), None),
                f"nearest ÷ farthest, p = {dims[-1]:,}": (
                    _ratio(result.nearest_farthest[-1]),
                    None,
                ),
                f"sd ÷ mean of distances, p = {dims[-1]:,}": (
                    f"{result.spread[-1]:.3f}",
                    f"theory {result.spread_theory[-1]:.3f}",
                ),
            }
        )
    explain(
        r"\frac{\operatorname{sd}(D)}{\operatorname{E}D}=\frac{\sqrt{p-\mu_p^2}}{\mu_p},"
        r"\quad \mu_p=\sqrt2\,\frac{\Gamma\big(\frac{p+1}{2}\big)}{\Gamma\big(\frac p2\big)}"
        r"\;\approx\;\frac{1}{\sqrt{2p}}",
        "With many noisy features, the distance between two cells is a sum of many small, "
        "independent differences, so all distances come out nearly the same: the nearest "
        "neighbour is hardly nearer than the farthest. Clustering and k-nearest-neighbour "
        "methods, which rank neighbours by distance, then choose them almost at random — one "
        "reason single-cell pipelines keep a few thousand variable genes and about 50 "
        "principal components before building a neighbour graph.",
        "D is the distance between two independent N(0, I_p) points: √2 times a χ variable "
        "with p degrees of freedom.",
    )
    download(result, "distances")


def _ratio(value: float) -> str:
    """Two decimals, or two significant digits below 0.1, so a small ratio never reads 0.00."""
    return f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


def genotypes_demo() -> None:
    controls, plot = columns()
    with controls:
        top = st.slider("SNPs up to m =", 2, 20, 12, key="genotypes-m", **KEEP)
        n = st.select_slider(
            "Subjects n",
            [100, 300, 1000, 3000, 10_000, 100_000],
            1000,
            key="genotypes-n",
            **KEEP,
        )
        maf = st.slider(
            "Minor-allele frequency q", 0.05, 0.5, 0.3, 0.05, key="genotypes-maf", **KEEP
        )
        seed = seed_input("genotypes")
    result = run("genotype_cells", snps=tuple(range(1, top + 1)), n=n, maf=maf, seed=seed)
    with plot:
        chart(plotting.genotype_figure(result), "genotypes")
        tenth = min(10, top) - 1
        metrics(
            {
                f"cells for {result.snps[tenth]} SNPs": (f"{result.cells[tenth]:,}", None),
                "subjects per cell": (f"{result.subjects_per_cell[tenth]:.3g}", None),
                "empty cells": (
                    f"{result.empty_share[tenth]:.1%}",
                    f"expected {result.empty_share_theory[tenth]:.1%}",
                ),
                "subjects alone in their cell": (
                    f"{result.alone_share[tenth]:.1%}",
                    f"expected {result.alone_share_theory[tenth]:.1%}",
                ),
            }
        )
    explain(
        r"\Pr(\text{cell})=\prod_{j=1}^{m} f_{g_j},\quad f=\big((1-q)^2,\,2q(1-q),\,q^2\big),"
        r"\qquad \operatorname{E}[\text{share empty}]=3^{-m}\sum_{\text{cells}}"
        r"\big(1-\Pr(\text{cell})\big)^{n}",
        "Each SNP has three genotypes, so m SNPs make 3ᵐ combinations: 243 for 5 SNPs, "
        "59,049 for 10. With 1,000 subjects and 10 SNPs nearly every combination is empty and "
        "most subjects are alone in theirs, so there is nobody to compare them with: a model "
        "that estimates an effect for each combination (all interactions) cannot be fitted. "
        "This is why interactions between variants (epistasis) are so hard to detect.",
        "Genotypes in Hardy–Weinberg proportions, SNPs independent; the sums run over the "
        "3ᵐ cells.",
    )
    download(result, "genotypes")


def ols_demo() -> None:
    controls, plot = columns()
    with controls:
        n = st.slider("Samples n", 20, 100, 50, 10, key="ols-n", **KEEP)
        noise = st.slider("Noise σ", 0.1, 5.0, 1.0, 0.1, key="ols-noise", **KEEP)
        ridge = st.select_slider(
            "Ridge penalty λ", [0.1, 1.0, 5.0, 20.0, 100.0], 5.0, key="ols-ridge", **KEEP
        )
        lasso = st.select_slider(
            "Lasso penalty α", [0.01, 0.05, 0.1, 0.2, 0.5], 0.1, key="ols-lasso", **KEEP
        )
        reps = st.select_slider("Data sets per p", [30, 100, 300], 100, key="ols-reps", **KEEP)
        seed = seed_input("ols")
    result = run("ols_collapse", n=n, noise=noise, reps=reps, ridge=ridge, lasso=lasso, seed=seed)
    with plot:
        chart(plotting.ols_figure(result), "ols")
        near = result.p.index(n - 2)
        metrics(
            {
                f"condition number, p = {n - 2}": (f"{result.condition_number[near]:,.0f}", None),
                f"OLS variance, p = {n - 2}": (
                    f"{result.variance['ols'][near]:.3g}",
                    f"theory {result.variance_theory[near]:.3g}",
                ),
                f"ridge, p = {n - 2}": (f"{result.variance['ridge'][near]:.3g}", None),
                f"lasso, p = {n - 2}": (f"{result.variance['lasso'][near]:.3g}", None),
            }
        )
    explain(
        r"\hat\beta=(X^\top X)^{-1}X^\top y,\qquad \operatorname{Var}\hat\beta_j="
        r"\frac{\sigma^2}{n-p-1},\qquad \operatorname{E}\log\det\tfrac{X^\top X}{n}="
        r"\sum_{i=0}^{p-1}\Big[\psi\big(\tfrac{n-i}{2}\big)+\log\tfrac{2}{n}\Big]",
        "Least squares has to invert XᵀX. As the number of predictors p approaches the number "
        "of samples n, XᵀX becomes nearly singular: its determinant collapses, its condition "
        "number explodes, and so does the variance of every coefficient — at p = n the fit "
        "passes through every point and the coefficients are noise. Ridge (shrink every "
        "coefficient) and lasso (set most to zero) accept a little bias for a stable answer, "
        "which is why genomic prediction uses them.",
        "X has independent N(0, 1) entries and no intercept; 5 predictors have coefficient 1, "
        "the rest 0. The variance formula is exact for such random X; the dashed "
        "condition-number line is the large-sample (Marchenko–Pastur) limit, which small n "
        "undershoots. For p > n, OLS shown is the minimum-norm solution.",
    )
    download(result, "ols")


def variance_demo() -> None:
    controls, plot = columns()
    with controls:
        n = st.slider("Samples n", 5, 50, 20, key="variance-n", **KEEP)
        p = st.slider("Fitted coefficients p", 1, n - 1, min(5, n - 1), key="variance-p", **KEEP)
        reps = st.select_slider(
            "Data sets", [200, 1000, 2000, 5000], 2000, key="variance-reps", **KEEP
        )
        seed = seed_input("variance")
    result = run("ml_variance_bias", n=n, reps=reps, seed=seed)
    with plot:
        chart(plotting.variance_figure(result, highlight=p), "variance")
        i = result.p.index(p)
        metrics(
            {
                f"mean RSS/n ÷ σ², p = {p}": (
                    f"{result.ml_ratio[i]:.3f}",
                    f"± {2 * result.ml_ratio_se[i]:.3f} (2 SE)",
                ),
                "theory (n − p)/n": (f"{result.theory[i]:.3f}", None),
                "mean RSS/(n − p) ÷ σ²": (f"{result.unbiased_ratio[i]:.3f}", "theory 1"),
            }
        )
    explain(
        r"\hat\sigma^2_{\mathrm{ML}}=\frac{\mathrm{RSS}}{n},\qquad "
        r"\operatorname{E}\big[\hat\sigma^2_{\mathrm{ML}}\big]=\frac{n-p}{n}\,\sigma^2,"
        r"\qquad \hat\sigma^2=\frac{\mathrm{RSS}}{n-p}\ \text{is unbiased}",
        "Every fitted coefficient soaks up a little of the noise, so the residuals look "
        "smaller than the real noise. The maximum-likelihood estimate RSS/n is too small by "
        "the factor (n − p)/n: 25% too small with 20 samples and 5 coefficients, and zero at "
        "p = n, where the model looks perfect. Dividing by n − p, the residual degrees of "
        "freedom, removes the bias — that is the version regression software reports.",
        "p counts every fitted coefficient, the intercept included; RSS is the residual sum "
        "of squares; the noise is N(0, σ²).",
    )
    download(result, "variance")


def multiple_testing_demo() -> None:
    controls, plot = columns()
    with controls:
        # rounded: the browser's float steps give values such as 0.060000000000000005
        alpha = round(
            st.slider("Significance level α", 0.01, 0.10, 0.05, 0.01, key="fp-alpha", **KEEP), 2
        )
        sizes = st.multiselect(
            "Subjects n", [100, 250, 500, 1000], [100, 250, 1000], key="fp-n", **KEEP
        )
        extras = st.multiselect(
            "Extraneous predictors k", [5, 10, 20, 50], [10, 50], key="fp-k", **KEEP
        )
        effect = st.slider("True slope (noise SDs)", 0.0, 0.5, 0.2, 0.05, key="fp-effect", **KEEP)
        reps = st.select_slider(
            "Regressions per design", [50, 100, 200], 100, key="fp-reps", **KEEP
        )
        seed = seed_input("fp")
    result = run(
        "extraneous_predictors",
        n=tuple(sizes),
        k=tuple(extras),
        reps=reps,
        alpha=alpha,
        effect=effect,
        seed=seed,
    )
    with plot:
        chart(plotting.false_positive_figure(result), "false-positives")
    false_positive_tables(result)
    explain(
        r"\operatorname{E}[\#\,\text{false positives}]=\alpha k,\qquad "
        r"\Pr(\ge 1)=1-(1-\alpha)^{k},\qquad \text{Bonferroni: } P<\frac{\alpha}{k+1}",
        false_positive_meaning(alpha, max(result.designs, key=lambda d: d.k).k),
        "Each regression: y = β₀ + slope·x₁ + ε with k uncorrelated extra predictors, all "
        f"fitted together; two-sided t-tests of the k + 1 slopes at α = {alpha:g}; "
        "corrections over those k + 1 P values.",
    )
    download(result, "multiple-testing")


def false_positive_tables(result: curse.MultipleTestingResult) -> None:
    """The numbers behind the plot, in two tables narrow enough to show every column."""
    alpha = f"{result.alpha:g}"
    counts = [
        {
            "n": d.n,
            "k": d.k,
            "mean": f"{d.summary['raw']['mean']:.2f}",
            f"expected: {alpha} × k": f"{d.theory_mean['raw']:.2f}",
            "quartiles": _quartiles(d.summary["raw"]),
            "mean, Bonferroni": f"{d.summary['bonferroni']['mean']:.2f}",
            "mean, Benjamini–Hochberg": f"{d.summary['bh']['mean']:.2f}",
        }
        for d in result.designs
    ]
    shares = [
        {
            "n": d.n,
            "k": d.k,
            "≥ 1 false positive": f"{d.family_wise['raw']:.0%}",
            "≥ 1, Bonferroni": f"{d.family_wise['bonferroni']:.0%}",
            "true predictor found": f"{d.power['raw']:.0%}",
            "found, Bonferroni": f"{d.power['bonferroni']:.0%}",
        }
        for d in result.designs
    ]
    st.markdown(f"**False positives per regression** (P < {alpha}, no correction unless named)")
    st.dataframe(counts, hide_index=True, width="stretch")
    st.markdown(f"**Share of regressions** (α = {alpha})")
    st.dataframe(shares, hide_index=True, width="stretch")


def false_positive_meaning(alpha: float, k: int) -> str:
    """What the demo shows, in words, with the chosen level α and the largest k."""
    many = 1 - (1 - alpha) ** k
    return (
        f"An extraneous predictor has no effect, yet its P value falls below α = {alpha:g} "
        f"in {alpha:.0%} of regressions. With {k} of them a regression expects "
        f"{alpha * k:.2g} false positives and {many:.0%} of regressions have at least one "
        "— and more subjects do not help, because the test gives exactly α under the null "
        "at any n (the paper's Fig. 3). Bonferroni and Benjamini–Hochberg bring false "
        "positives back near zero, but with few subjects the true predictor is then found "
        "far less often: correction controls errors, it does not create power."
    )


def _quartiles(summary: dict[str, float]) -> str:
    return f"{summary['q1']:g} / {summary['median']:g} / {summary['q3']:g}"


def overfitting_demo() -> None:
    dataset = ui.current_dataset()
    sources = {"simulated": "simulated data", "pbmc68k": "PBMC 68k: 700 real blood cells"}
    if isinstance(dataset, MatrixSet) and dataset.label_column:
        sources["loaded"] = f"the loaded matrix ({ui.escape_markdown(dataset.name)})"
    controls, plot = columns()
    with controls:
        source = st.radio(
            "Data", list(sources), format_func=sources.get, key="overfit-data", **KEEP
        )
        simulated = source == "simulated"
        models = ["linear", "logistic", "mlp"] if simulated else ["logistic", "mlp"]
        model = st.radio(
            "Model",
            models,
            format_func={
                "linear": "linear regression",
                "logistic": "logistic regression",
                "mlp": "small neural network",
            }.get,
            key=f"overfit-model-{simulated}",
            **KEEP,
        )
        if simulated:
            n = st.slider("Training samples n", 20, 200, 50, 10, key="overfit-n", **KEEP)
            noise = st.slider("Noise σ", 0.0, 3.0, 1.0, 0.1, key="overfit-noise", **KEEP)
        else:
            n = st.slider("Training cells", 20, 300, 60, 10, key="overfit-cells", **KEEP)
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
    with plot:
        chart(plotting.overfitting_figure(result), "overfitting")
        best = min(range(len(result.features)), key=lambda i: result.test_error[i])
        shown = _percent if result.metric == "error rate" else _error
        metrics(
            {
                "lowest test error": (
                    shown(result.test_error[best]),
                    f"with {result.features[best]:,} features",
                ),
                f"training error, {result.features[-1]:,} features": (
                    shown(result.train_error[-1]),
                    None,
                ),
                f"test error, {result.features[-1]:,} features": (
                    shown(result.test_error[-1]),
                    None,
                ),
                "highest test error": (shown(max(result.test_error)), None),
            }
        )
    explain(
        r"\operatorname{E}[\text{train}]=\sigma^2\,\frac{n-p}{n},\quad "
        r"\operatorname{E}[\text{test}]=\begin{cases}\sigma^2\big(1+\frac{p}{n-p-1}\big)"
        r"& p<n-1\\[2pt] \sigma^2+\lVert\beta\rVert^2\big(1-\frac np\big)+\frac{\sigma^2 n}"
        r"{p-n-1} & p>n+1\end{cases}",
        "With as many parameters as samples a model can fit its training data perfectly — "
        "the training error falls to zero — while its error on new samples grows, peaking "
        "where features equal samples. On real cells more genes can still lower the test "
        "error, because many genes carry cell-type signal, but the training error is zero "
        "long before: a perfect training score says nothing. Judge a model only on samples "
        "it has not seen.",
        "Least squares with independent N(0, 1) features, 5 of them informative "
        "(‖β‖² = 5; left-out informative features count as noise), minimum-norm when "
        "p > n; exact expectations (Hastie et al., Ann. Stat. 2022). The classifiers have "
        "no simple theory. Errors are averages over several training sets; 1,000 test "
        "samples (cells: up to 2,000 not used for training).",
    )
    download(result, "overfitting")


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _error(value: float) -> str:
    """A mean squared error: 0 when it is zero up to rounding, thousands with separators."""
    if abs(value) < 1e-9:
        return "0"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def big_data_demo() -> None:
    dataset = ui.current_dataset()
    loaded = curse.dataset_shape(dataset)
    powers = [10**k for k in range(0, 10)]
    controls, plot = columns()
    with controls:
        st.markdown(f"**The loaded data set** · {ui.escape_markdown(dataset.name)}")
        st.caption(f"N = {loaded[0]:,}, P = {loaded[1]:,}")
        st.markdown("**Place a study you plan**")
        n = st.select_slider(
            "Samples N", powers, 1000, format_func=_thousands, key="bigdata-n", **KEEP
        )
        p = st.select_slider(
            "Features P", powers, 10**5, format_func=_thousands, key="bigdata-p", **KEEP
        )
    result = run(
        "data_regimes",
        n=(loaded[0], n),
        p=(loaded[1], p),
        names=(f"loaded: {dataset.name}", "your planned study"),
    )
    with plot:
        chart(plotting.regimes_figure(result), "big-data")
        mine, planned = result.points[-2:]
        metrics(
            {
                "loaded data set": (mine.regime, f"N·P = {mine.product:,.0f}"),
                "your planned study": (planned.regime, f"N·P = {planned.product:,.0f}"),
            }
        )
    explain(
        r"N\cdot P:\quad \underbrace{10^{3}\times10^{6}}_{\text{WGS}}"
        r"=\underbrace{10^{6}\times10^{3}}_{\text{scRNA-seq}}=10^{9}",
        "A genome study and a single-cell atlas can hold the same number of values yet sit on "
        "opposite sides of the diagonal. Whole-genome sequencing has far more variants than "
        "people (P ≫ N), the regime of every other demo here: GWAS copes by testing one "
        "variant at a time against a very strict threshold. Single-cell RNA-seq has far more "
        "cells than genes (N ≫ P): enough samples to train deep networks, though each cell is "
        "sparse and noisy.",
        "For sequences, P counts one-hot features: 4 × the longest sequence. Reference sizes "
        "are orders of magnitude.",
    )
    download(result, "big-data")


def _thousands(value: int) -> str:
    return f"{value:,}"


DEMOS: dict[str, tuple[str, str, Callable[[], None]]] = {
    "sparsity": ("Sparsity", ":material/scatter_plot:", sparsity_demo),
    "distances": ("Distances", ":material/straighten:", distances_demo),
    "genotypes": ("Genotypes", ":material/genetics:", genotypes_demo),
    "ols": ("OLS, n ≤ p", ":material/functions:", ols_demo),
    "variance": ("Variance bias", ":material/compress:", variance_demo),
    "multiple-testing": ("False positives", ":material/rule:", multiple_testing_demo),
    "overfitting": ("Overfitting", ":material/trending_up:", overfitting_demo),
    "big-data": ("Big data", ":material/dataset:", big_data_demo),
}

QUESTIONS = {
    "sparsity": "How many samples are near a point of interest as we measure more variables?",
    "distances": "Are near neighbours still near when every sample has hundreds of features?",
    "genotypes": "How many subjects share a multi-SNP genotype?",
    "ols": "What happens to least squares as the predictors catch up with the samples?",
    "variance": "Why divide the residual sum of squares by n − p and not by n?",
    "multiple-testing": "How many predictors look significant when none (but one) matter?",
    "overfitting": "Does a model that fits the training data perfectly predict new data?",
    "big-data": "Is your data set P ≫ N, like a genome, or N ≫ P, like a cell atlas?",
}


with ui.page("Curse of dimensionality", ":material/scatter_plot:", ABOUT):
    if "demo" not in st.session_state:  # first run: a link such as ?demo=ols names the demo
        linked = st.query_params.get("demo")
        st.session_state["demo"] = linked if linked in DEMOS else "sparsity"
    choice = st.segmented_control(
        "Demo",
        list(DEMOS),
        required=True,
        format_func=lambda key: f"{list(DEMOS).index(key) + 1} · {DEMOS[key][0]}",
        key="demo",
        label_visibility="collapsed",
        width="stretch",
    )
    title, icon, show = DEMOS[choice]
    st.subheader(f"{icon} {list(DEMOS).index(choice) + 1}. {title}")
    st.markdown(f"*{QUESTIONS[choice]}*")
    try:
        show()
    except GenodashError as error:
        ui.show_error(error, context="These settings cannot be simulated")
