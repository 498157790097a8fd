"""The one list of demos: each one's simulation, title, question and theory in words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from genodash.curse._common import Result
from genodash.curse.learning import example_overfitting, overfitting
from genodash.curse.multicollinearity import collinearity
from genodash.curse.regimes import data_regimes
from genodash.curse.regression import (
    MultipleTestingResult,
    extraneous_predictors,
    ml_variance_bias,
    ols_collapse,
)
from genodash.curse.space import (
    SparsityResult,
    distance_concentration,
    genotype_cells,
    sparsity,
)

_SPARSITY_CHANCE = r"\Pr\big(\lVert X-c\rVert\le r\big)=F_{\chi'^2_p(\lambda)}\big(r^2\big),\qquad "
# λ is the squared distance of the point of interest c from the mean, so it depends on where
# c is placed: it grows with p on the diagonal and stays 1.5² when c is kept 1.5 away
_SPARSITY_LAMBDA = {
    "diagonal": r"\lambda=\lVert c\rVert^2=1.5^2\,p",
    "fixed-distance": r"\lambda=\lVert c\rVert^2=1.5^2=2.25\ \text{for every }p",
}
_SPARSITY_NOTE = {
    "diagonal": "X ~ N(0, I_p); c is the point of interest, (1.5, …, 1.5); F is the "
    "distribution function of a noncentral χ² with p degrees of freedom.",
    "fixed-distance": "X ~ N(0, I_p); c is the point of interest, (1.5/√p, …, 1.5/√p): "
    "always 1.5 from the mean, so λ does not grow with p and the share falls more slowly "
    "than for the paper's (1.5, …, 1.5) (whose shares the text quotes), but it still falls. "
    "F is the distribution function of a noncentral χ² with p degrees of freedom.",
}


@dataclass(frozen=True)
class Theory:
    """What a demo explains under its plot.

    ``formula`` is LaTeX; ``meaning`` (Markdown) says what it means for a biologist and
    ``note`` the conditions under which it holds.
    """

    formula: str
    meaning: str
    note: str


@dataclass(frozen=True)
class Demo:
    """One demo: the simulation behind it and how it is introduced and explained.

    ``icon`` is a Material Symbols name. ``part_of`` names the demo that shows this one as
    one of its options (``None`` for a demo of its own).
    """

    simulate: Callable[..., Result]
    title: str
    icon: str
    question: str
    theory: Theory
    part_of: str | None = None


_OVERFITTING = Demo(
    overfitting,
    "Overfitting",
    "trending_up",
    "Does a model that fits the training data perfectly predict new data?",
    Theory(
        r"\operatorname{E}[\text{train}]=\begin{cases}\sigma^2\,\frac{n-p}{n}&p<n\\[2pt]"
        r"0&p\ge n\end{cases},\quad "
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
    ),
)

DEMOS: dict[str, Demo] = {
    "sparsity": Demo(
        sparsity,
        "Sparsity",
        "scatter_plot",
        "How many samples are near a point of interest as we measure more variables?",
        Theory(
            _SPARSITY_CHANCE + _SPARSITY_LAMBDA["diagonal"],
            "Every variable you measure — a gene, a SNP — adds an axis. A neighbourhood that "
            "holds a third of the samples along one axis holds 6–7% in two dimensions and "
            "under 0.2% in four: in high dimension every sample is far from every other. "
            "Methods that average over *similar* samples (nearest neighbours, density "
            "estimates) are left with nobody to average.",
            _SPARSITY_NOTE["diagonal"],
        ),
    ),
    "distances": Demo(
        distance_concentration,
        "Distances",
        "straighten",
        "Are near neighbours still near when every sample has hundreds of features?",
        Theory(
            r"\frac{\operatorname{sd}(D)}{\operatorname{E}D}=\frac{\sqrt{p-\mu_p^2}}{\mu_p},"
            r"\quad \mu_p=\sqrt2\,\frac{\Gamma\big(\frac{p+1}{2}\big)}{\Gamma\big(\frac p2\big)}"
            r"\;\approx\;\frac{1}{\sqrt{2p}}",
            "With many noisy features, the distance between two cells is a sum of many small, "
            "independent differences, so all distances come out nearly the same: the nearest "
            "neighbour is hardly nearer than the farthest. Clustering and k-nearest-neighbour "
            "methods, which rank neighbours by distance, then choose them almost at random — "
            "one reason single-cell pipelines keep a few thousand variable genes and about 50 "
            "principal components before building a neighbour graph.",
            "D is the distance between two independent N(0, I_p) points: √2 times a χ "
            "variable with p degrees of freedom.",
        ),
    ),
    "genotypes": Demo(
        genotype_cells,
        "Genotypes",
        "genetics",
        "How many subjects share a multi-SNP genotype?",
        Theory(
            r"\Pr(\text{cell})=\prod_{j=1}^{m} f_{g_j},\quad f=\big((1-q)^2,\,2q(1-q),\,q^2\big),"
            r"\qquad \operatorname{E}[\text{share empty}]=3^{-m}\sum_{\text{cells}}"
            r"\big(1-\Pr(\text{cell})\big)^{n}",
            "Each SNP has three genotypes, so m SNPs make 3ᵐ combinations: 243 for 5 SNPs, "
            "59,049 for 10. With 1,000 subjects and 10 SNPs nearly every combination is empty "
            "and most subjects are alone in theirs, so there is nobody to compare them with: a "
            "model that estimates an effect for each combination (all interactions) cannot be "
            "fitted. This is why interactions between variants (epistasis) are so hard to "
            "detect.",
            "Genotypes in Hardy–Weinberg proportions, SNPs independent; the sums run over the "
            "3ᵐ cells.",
        ),
    ),
    "ols": Demo(
        ols_collapse,
        "OLS, n ≤ p",
        "functions",
        "What happens to least squares as the predictors catch up with the samples?",
        Theory(
            r"\hat\beta=(X^\top X)^{-1}X^\top y,\qquad \operatorname{Var}\hat\beta_j="
            r"\frac{\sigma^2}{n-p-1},\qquad \operatorname{E}\log\det\tfrac{X^\top X}{n}="
            r"\sum_{i=0}^{p-1}\Big[\psi\big(\tfrac{n-i}{2}\big)+\log\tfrac{2}{n}\Big]",
            "Least squares has to invert XᵀX. As the number of predictors p approaches the "
            "number of samples n, XᵀX becomes nearly singular: its determinant collapses, its "
            "condition number explodes, and so does the variance of every coefficient — at "
            "p = n the fit passes through every point and the coefficients are noise. Ridge "
            "(shrink every coefficient) and lasso (set most to zero) accept a little bias for "
            "a stable answer, which is why genomic prediction uses them.",
            "X has independent N(0, 1) entries and no intercept; 5 predictors have coefficient "
            "1, the rest 0. The variance formula is exact for such random X; the dashed "
            "condition-number line is the large-sample (Marchenko–Pastur) limit, which small "
            "n undershoots. For p > n, OLS shown is the minimum-norm solution.",
        ),
    ),
    "collinearity": Demo(
        collinearity,
        "Collinearity",
        "join_inner",
        "What happens to the coefficients when two predictors rise and fall together?",
        Theory(
            r"\operatorname{Var}\hat\beta_1=\frac{\sigma^2}{n}\,\mathrm{VIF},\qquad "
            r"\mathrm{VIF}=\frac{1}{1-R_1^2}=\frac{1}{1-\rho^2}\ \text{(two predictors)},"
            r"\qquad \Pr\big(\hat\beta_1<0\big)=\Phi\Big(-\frac{\beta_1}"
            r"{\sqrt{\operatorname{Var}\hat\beta_1}}\Big)",
            "When two predictors rise and fall together — two SNPs in linkage "
            "disequilibrium, two genes of one pathway — the data cannot tell which of them "
            "acts. Least squares still gives each its own coefficient, but the variance of "
            "each is multiplied by the variance inflation factor (VIF) 1/(1 − ρ²): 5 at "
            "ρ = 0.9, 50 at ρ = 0.99. The two estimates trade off against each other (their "
            "sum stays well determined), so a predictor with a real positive effect often "
            "gets a negative coefficient. The more variables are measured, the more of them "
            "are strongly correlated: merge or drop them, or use ridge regression, before "
            "reading single coefficients.",
            "Every predictor is standardized (mean 0, variance 1) and every pair has "
            "correlation exactly ρ in the sample, so XᵀX = n·R and Var β̂₁ = σ²·[R⁻¹]₁₁/n "
            "exactly; R₁² is the share of predictor 1 explained by the others. With k "
            "equally correlated predictors VIF = (1 + (k − 2)ρ)/((1 − ρ)(1 + (k − 1)ρ)). One "
            "design per ρ; the fits differ in the N(0, σ²) noise only; every true "
            "coefficient is the same positive effect; no intercept (the predictors are "
            "centred, so it would change nothing). Φ is the standard normal distribution "
            "function.",
        ),
    ),
    "variance": Demo(
        ml_variance_bias,
        "Variance bias",
        "compress",
        "Why divide the residual sum of squares by n − p and not by n?",
        Theory(
            r"\hat\sigma^2_{\mathrm{ML}}=\frac{\mathrm{RSS}}{n},\qquad "
            r"\operatorname{E}\big[\hat\sigma^2_{\mathrm{ML}}\big]=\frac{n-p}{n}\,\sigma^2,"
            r"\qquad \hat\sigma^2=\frac{\mathrm{RSS}}{n-p}\ \text{is unbiased}",
            "Every fitted coefficient soaks up a little of the noise, so the residuals look "
            "smaller than the real noise. The maximum-likelihood estimate RSS/n is too small "
            "by the factor (n − p)/n: 25% too small with 20 samples and 5 coefficients, and "
            "zero at p = n, where the model looks perfect. Dividing by n − p, the residual "
            "degrees of freedom, removes the bias — that is the version regression software "
            "reports.",
            "p counts every fitted coefficient, the intercept included; RSS is the residual "
            "sum of squares; the noise is N(0, σ²).",
        ),
    ),
    "multiple-testing": Demo(
        extraneous_predictors,
        "False positives",
        "rule",
        "How many predictors look significant when none (but one) matter?",
        Theory(  # {alpha} and {k} are filled in by explanation()
            r"\operatorname{E}[\#\,\text{false positives}]=\alpha k,\qquad "
            r"\Pr(\ge 1)=1-(1-\alpha)^{k},\qquad \text{Bonferroni: } P<\frac{\alpha}{k+1}",
            "An extraneous predictor has no effect, yet its P value falls below α = "
            "{alpha:g} in {alpha:.0%} of regressions. With {k} of them a regression expects "
            "{expected:.2g} false positives and {at_least_one:.0%} of regressions have at "
            "least one — and more subjects do not help, because the test gives exactly α "
            "under the null at any n (the paper's Fig. 3). Bonferroni and Benjamini–Hochberg "
            "bring false positives back near zero. Correcting for multiple testing controls "
            "false positives but does not restore power; if anything it costs more: with "
            "{power_n:,} subjects and {power_k} extraneous predictors the true predictor is "
            "found in {power_raw:.0%} of regressions without correction and in "
            "{power_bonferroni:.0%} with Bonferroni ({power_bh:.0%} with Benjamini–Hochberg). "
            "Only more subjects, or fewer predictors tested, give the power back.",
            "Each regression: y = β₀ + slope·x₁ + ε with k uncorrelated extra predictors, all "
            "fitted together; two-sided t-tests of the k + 1 slopes at α = {alpha:g}; "
            "corrections over those k + 1 P values.",
        ),
    ),
    "overfitting": _OVERFITTING,
    "overfitting-expression": replace(
        _OVERFITTING, simulate=example_overfitting, part_of="overfitting"
    ),
    "big-data": Demo(
        data_regimes,
        "Big data",
        "dataset",
        "Is your data set P ≫ N, like a genome, or N ≫ P, like a cell atlas?",
        Theory(
            r"N\cdot P:\quad \underbrace{10^{3}\times10^{6}}_{\text{WGS}}"
            r"=\underbrace{10^{6}\times10^{3}}_{\text{scRNA-seq}}=10^{9}",
            "A genome study and a single-cell atlas can hold the same number of values yet "
            "sit on opposite sides of the diagonal. Whole-genome sequencing has far more "
            "variants than people (P ≫ N), the regime of every other demo here: GWAS copes by "
            "testing one variant at a time against a very strict threshold. Single-cell "
            "RNA-seq has far more cells than genes (N ≫ P): enough samples to train deep "
            "networks, though each cell is sparse and noisy.",
            "For sequences, P counts one-hot features: 4 × the longest sequence. Reference "
            "sizes are orders of magnitude.",
        ),
    ),
}
"""The demos by their command-line name (``python -m genodash demo NAME``), in page order."""


def explanation(name: str, result: Result) -> Theory:
    """A demo's theory in words, with the numbers of ``result`` filled in where it has any.

    Parameters
    ----------
    name
        A key of :data:`DEMOS`.
    result
        The demo's result. The false-positive texts quote its level α and largest k, and
        the power of its hardest design (fewest subjects, then most predictors) without
        and with correction; the sparsity formula follows where its target is placed.

    Returns
    -------
    Theory
        Formula, meaning and note, ready to show.
    """
    theory = DEMOS[name].theory
    if isinstance(result, SparsityResult) and result.placement != "diagonal":
        formula = _SPARSITY_CHANCE + _SPARSITY_LAMBDA[result.placement]
        return replace(theory, formula=formula, note=_SPARSITY_NOTE[result.placement])
    if not isinstance(result, MultipleTestingResult):
        return theory
    alpha, k = result.alpha, max(design.k for design in result.designs)
    hardest = min(result.designs, key=lambda design: (design.n, -design.k))
    values = {
        "alpha": alpha,
        "k": k,
        "expected": alpha * k,
        "at_least_one": 1 - (1 - alpha) ** k,
        "power_n": hardest.n,
        "power_k": hardest.k,
        **{f"power_{method}": share for method, share in hardest.power.items()},
    }
    return replace(
        theory, meaning=theory.meaning.format(**values), note=theory.note.format(**values)
    )
