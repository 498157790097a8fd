"""Gene rankings compared by what they are worth to a classifier (Huang et al. 2023).

A ranking orders the genes, best first: by variability (highly variable genes, no labels
used) or by the importance of each gene to a neural classifier of the cell labels
(:mod:`genodash.train.gene_selection` trains it). Each ranking is judged the same way: a
logistic regression is fitted on the top ``k`` genes only, on the cells outside the test
set, and scored on the test cells, for each ``k``; the same split serves every ranking
and every ``k``. This module holds that judging, the variability ranking, and the result
(:class:`GeneSelection`); it needs no torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genodash.errors import ConfigError
from genodash.expression.preprocess import gene_moments, seurat_dispersions

if TYPE_CHECKING:
    from genodash.data import MatrixSet
    from genodash.expression.preprocess import ProcessedMatrix

DEFAULT_KS = (10, 20, 50, 100, 200, 500)
RANKING_TITLES = {
    "hvg": "highly variable genes",
    "gradient": "gradient importance",
    "perturbation": "perturbation importance",
}
# classic PBMC markers: T cells, B cells, NK cells, monocytes and dendritic cells, platelets
KNOWN_MARKERS = (
    "CD3E", "CD3D", "IL7R", "CD8A", "MS4A1", "CD79A", "CD79B", "NKG7", "GNLY", "LYZ",
    "CD14", "FCGR3A", "CST3", "FCER1A", "PPBP",
)  # fmt: skip


def choose_ks(n_genes: int, ks: Sequence[int] | None = None) -> tuple[int, ...]:
    """The numbers of genes to keep: ``ks`` as given, or those of :data:`DEFAULT_KS` that
    the matrix has genes for.

    Parameters
    ----------
    n_genes
        Genes in the matrix.
    ks
        Numbers of genes asked for; ``None``: the defaults (10 to 500) up to ``n_genes``.

    Raises
    ------
    ConfigError
        A ``k`` below 1 or above ``n_genes``, or a matrix with fewer genes than the
        smallest default.
    """
    if ks is None:
        chosen = tuple(k for k in DEFAULT_KS if k <= n_genes)
        if not chosen:
            raise ConfigError(
                f"the matrix has {n_genes} genes; gene selection keeps at least "
                f"{DEFAULT_KS[0]}, so it needs more genes"
            )
        return chosen
    bad = [k for k in ks if not 1 <= k <= n_genes]
    if bad or not ks:
        raise ConfigError(
            f"numbers of genes to keep must lie between 1 and the {n_genes:,} genes of the "
            f"matrix, got {', '.join(map(str, bad)) or 'none'}"
        )
    return tuple(sorted(set(int(k) for k in ks)))


def variability_scores(
    processed: ProcessedMatrix, source: MatrixSet | None = None
) -> tuple[np.ndarray | None, str]:
    """Each gene's normalized dispersion, as genodash ranks highly variable genes (scanpy's
    Seurat flavour), and how it was computed.

    Parameters
    ----------
    processed
        The preprocessed matrix. When its highly-variable-genes step ran, the dispersions
        it computed are used; on log-normalized values they are computed the same way; on
        scaled values (every gene has variance 1) they come from the log-normalized values
        the source keeps in ``.raw``, if it has them.
    source
        The matrix ``processed`` was made from (for its ``.raw``); ``None``: none.

    Returns
    -------
    One score per gene of ``processed`` (higher: more variable; NaN for a gene that never
    varies), or ``None`` when the values cannot rank genes by variability; and a sentence
    saying which values were used, or why there is no ranking.
    """
    adata = processed.adata
    if processed.gene_stats is not None:
        stats = processed.gene_stats.loc[adata.var_names, "dispersions_norm"]
        return stats.to_numpy(dtype=float), "normalized dispersion from the preprocessing step"
    if processed.value_type != "signed":
        log_values = processed.value_type == "non-negative"
        how = "the log-normalized values" if log_values else "the values as given"
        return _dispersions(adata.X, exponentiate=log_values), f"normalized dispersion of {how}"
    raw = _log_values_kept(processed, source)
    if raw is None:
        return None, (
            "the values are scaled (every gene has variance about 1) and no log-normalized "
            "copy is kept, so variability cannot rank the genes"
        )
    return _dispersions(raw, exponentiate=True), (
        "normalized dispersion of the log-normalized values kept before scaling (.raw)"
    )


def _dispersions(X: Any, *, exponentiate: bool) -> np.ndarray:
    mean, var = gene_moments(X, exponentiate=exponentiate)
    return seurat_dispersions(mean, var, n_top_genes=1)["dispersions_norm"].to_numpy(dtype=float)


def _log_values_kept(processed: ProcessedMatrix, source: MatrixSet | None) -> Any:
    """The source's ``.raw`` values of the processed cells and genes, or None."""
    raw = getattr(source.adata, "raw", None) if source is not None else None
    if raw is None:
        return None
    rows = source.adata.obs_names.get_indexer(processed.adata.obs_names)
    columns = raw.var_names.get_indexer(processed.adata.var_names)
    if (rows < 0).any() or (columns < 0).any():
        return None
    return raw.X[rows][:, columns]


def ranking_order(scores: np.ndarray) -> np.ndarray:
    """Gene positions from the highest score to the lowest; NaN last; ties keep the
    genes' order.

    Parameters
    ----------
    scores
        One score per gene.
    """
    keyed = np.where(np.isnan(scores), -np.inf, scores)
    return np.argsort(-keyed, kind="stable")


def accuracy_curve(
    values: np.ndarray,
    labels: np.ndarray,
    split: tuple[np.ndarray, np.ndarray],
    orders: Mapping[str, np.ndarray],
    ks: Sequence[int],
    *,
    on_fit: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Test accuracy of a logistic regression on the top ``k`` genes of each ranking.

    Parameters
    ----------
    values
        Cells × genes, the values the rankings were made on.
    labels
        One label per cell.
    split
        Row indices of the cells to fit on and of the test cells; the same for every
        ranking and every ``k``.
    orders
        Ranking name → gene positions, best first (from :func:`ranking_order`).
    ks
        Numbers of top genes to keep.
    on_fit
        Called after each fit with the number of fits done and the number of fits in all.

    Returns
    -------
    pandas.DataFrame
        One row per ranking and ``k``: ``ranking``, ``k``, ``accuracy``.
    """
    rows = []
    total = len(orders) * len(ks)
    for done, (name, k) in enumerate(itertools.product(orders, ks), 1):
        accuracy = fit_and_score(values[:, orders[name][:k]], labels, split)
        rows.append({"ranking": name, "k": int(k), "accuracy": accuracy})
        if on_fit is not None:
            on_fit(done, total)
    return pd.DataFrame(rows, columns=["ranking", "k", "accuracy"])


def fit_and_score(
    features: np.ndarray, labels: np.ndarray, split: tuple[np.ndarray, np.ndarray]
) -> float:
    """Test accuracy of a logistic regression (on standardized features) fitted on the
    first cells of ``split`` and scored on the second.

    Parameters
    ----------
    features
        Cells × features.
    labels
        One label per cell.
    split
        Row indices of the cells to fit on and of the test cells.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    fit_rows, test_rows = split
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(features[fit_rows], labels[fit_rows])
    return float(np.mean(model.predict(features[test_rows]) == labels[test_rows]))


@dataclass(frozen=True, eq=False)
class GeneSelection:
    """Gene rankings and what a classifier on their top genes achieves.

    Attributes
    ----------
    genes
        The genes of the matrix, in its order.
    scores
        One row per gene (index: gene names), one column per ranking (``hvg``,
        ``gradient``, ``perturbation``; only those that were built): higher is better.
    curve
        ``ranking``, ``k``, ``accuracy``: test accuracy of a logistic regression on the
        top ``k`` genes of each ranking.
    ks
        The numbers of genes kept.
    all_genes_accuracy
        Test accuracy of the same logistic regression on every gene.
    classifier
        The neural classifiers whose importances rank the genes: ``test_accuracy`` (their
        mean), ``n_classifiers``, ``best_epochs``, ``stop_reasons``, ``seconds``.
    params
        How the result was made (label column, seed, split sizes, classes, methods).
    notes
        Remarks in plain words (e.g. why a ranking is missing).
    """

    genes: list[str]
    scores: pd.DataFrame
    curve: pd.DataFrame
    ks: tuple[int, ...]
    all_genes_accuracy: float
    classifier: dict[str, Any]
    params: dict[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def rankings(self) -> list[str]:
        return list(self.scores.columns)

    def order(self, ranking: str) -> list[str]:
        """The genes of ``ranking``, best first.

        Parameters
        ----------
        ranking
            One of :attr:`rankings`.
        """
        positions = ranking_order(self.scores[ranking].to_numpy(dtype=float))
        return [self.genes[i] for i in positions]

    def accuracies(self, ranking: str) -> list[float]:
        """Test accuracy for each of :attr:`ks` with the top genes of ``ranking``.

        Parameters
        ----------
        ranking
            One of :attr:`rankings`.
        """
        rows = self.curve[self.curve["ranking"] == ranking].set_index("k")
        return [float(rows.loc[k, "accuracy"]) for k in self.ks]

    def table(self) -> pd.DataFrame:
        """Every gene with its rank (1 = best) and score under each ranking, ordered by
        the first importance ranking (or the first ranking)."""
        table = pd.DataFrame({"gene": self.genes})
        for name in self.rankings:
            ranks = np.empty(len(self.genes), dtype=np.int64)
            ranks[ranking_order(self.scores[name].to_numpy(dtype=float))] = np.arange(
                1, len(self.genes) + 1
            )
            table[f"{name}_rank"] = ranks
            table[f"{name}_score"] = self.scores[name].to_numpy(dtype=float)
        first = next((n for n in ("gradient", "perturbation") if n in self.rankings), None)
        first = first or self.rankings[0]
        return table.sort_values(f"{first}_rank", kind="stable").reset_index(drop=True)

    def overlap(self) -> pd.DataFrame:
        """For each ``k`` and pair of rankings: ``k``, ``first``, ``second``, ``shared``
        (genes in both top-``k`` lists) and ``fraction`` (shared / k)."""
        rows = []
        for k in self.ks:
            tops = {name: set(self.order(name)[:k]) for name in self.rankings}
            for first, second in itertools.combinations(self.rankings, 2):
                shared = len(tops[first] & tops[second])
                rows.append(
                    {"k": k, "first": first, "second": second, "shared": shared,
                     "fraction": shared / k}
                )  # fmt: skip
        return pd.DataFrame(rows, columns=["k", "first", "second", "shared", "fraction"])

    def marker_ranks(self, markers: Sequence[str] = KNOWN_MARKERS) -> pd.DataFrame:
        """The rank (1 = best) of each of ``markers`` that the matrix has, under each
        ranking.

        Parameters
        ----------
        markers
            Gene names to look up (default: classic PBMC markers).
        """
        table = self.table().set_index("gene")
        present = [m for m in markers if m in table.index]
        columns = [f"{name}_rank" for name in self.rankings]
        ranks = table.loc[present, columns]
        ranks.columns = self.rankings
        return ranks.rename_axis("gene").reset_index()

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready: ``ks``, the test accuracies of each ranking (one per ``k``), the
        accuracy on all genes, the top genes of each ranking, the overlap of the top-``k``
        lists, the classifier's scores and how it was made.

        Parameters
        ----------
        top
            How many top genes of each ranking to list.
        """
        overlap = self.overlap()
        return {
            "ks": list(self.ks),
            **{name: [round(a, 4) for a in self.accuracies(name)] for name in self.rankings},
            "all_genes": round(self.all_genes_accuracy, 4),
            "top_genes": {name: self.order(name)[:top] for name in self.rankings},
            "overlap": {
                f"{first}/{second}": [int(v) for v in rows["shared"]]
                for (first, second), rows in overlap.groupby(["first", "second"], sort=False)
            },
            "classifier": {
                key: round(value, 4) if isinstance(value, float) else value
                for key, value in self.classifier.items()
            },
            **self.params,
            "notes": list(self.notes),
        }
