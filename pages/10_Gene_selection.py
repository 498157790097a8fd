"""Gene selection: rank genes by a classifier's importance, beside highly variable genes."""

from __future__ import annotations

import dataclasses

import streamlit as st

import ui
from genodash.data import MatrixSet
from genodash.errors import GenodashError
from genodash.expression.gene_selection import RANKING_TITLES, GeneSelection
from genodash.plotting.files import figure_bytes
from genodash.plotting.genes import accuracy_curve_figure, overlap_figure, ranking_bars_figure
from genodash.train.gene_selection import SelectionConfig, select_genes
from ui.figures import show_figure

ABOUT = """
Which genes matter? The usual answer in single-cell analysis is **highly variable genes**
(HVGs): the genes whose expression varies most between cells, found without looking at the
cell labels. **Deep-learning feature selection** (Huang et al. 2023, *Genome Biology*)
asks a different question: which genes does a **classifier of the cell labels** rely on?

- **Gradient importance**: how much the classifier's score for a cell's own type changes
  when one gene changes a little (the gradient of the score before the softmax), averaged
  over the training cells.
- **Perturbation importance**: how much worse the classifier gets at the right type when
  one gene's values are shuffled between cells, so that the gene says nothing any more.

Each ranking is then tested the same way: a simple classifier (logistic regression) sees
only the top 10, 20, 50… genes and is scored on test cells it never saw, with the same
split for every ranking.
"""

COURSE_NOTE = """
**What the course says.** Variability is not relevance: a gene can vary a lot for reasons
that have nothing to do with cell type (cell cycle, stress, noise), and a quiet gene can be
the one that tells two types apart. A classifier's importances point at the genes that
carry the labels, so a few of them should classify as well as many HVGs.

**What you see.** The curve shows test accuracy against the number of genes kept: the
ranking whose curve rises fastest needs the fewest genes. On the PBMC example, gradient
importance puts B-cell and monocyte markers (CD79A, MS4A1, LYZ, CST3) near the top, while
perturbation importance favours the genes that separate the most similar types (the CD8
T-cell subsets), which is where the classifier loses most when a gene is shuffled. The
importances depend on the classifier and on the labels, and the test set is small: rerun
with another seed before trusting small differences.
"""

SETTINGS = ("classifiers", "hidden", "epochs", "perturbation", "seed")
MAX_CLASSES = 50
ROW_HEIGHT = 35  # pixels per row of st.dataframe, header included


def label_choice(processed: object, dataset: MatrixSet) -> str | None:
    obs = processed.adata.obs
    columns = [str(c) for c in obs.columns if 2 <= obs[c].nunique() <= MAX_CLASSES]
    if not columns:
        st.info(
            "This matrix has no column of cell labels (2 to 50 different values) in its "
            "metadata, so there is nothing for a classifier to learn.",
            icon=":material/info:",
        )
        return None
    default = dataset.label_column if dataset.label_column in columns else columns[0]
    return st.selectbox(
        "Cell label column (what the classifier learns)",
        columns,
        key=ui.setting("genes-label", default, columns),
    )


def config_choice() -> SelectionConfig:
    fields = {f.name: f for f in dataclasses.fields(SelectionConfig)}
    values = {}
    with st.expander("Classifier settings", icon=":material/tune:"):
        columns = st.columns(len(SETTINGS))
        for column, name in zip(columns, SETTINGS, strict=True):
            with column:
                values[name] = ui.control_widget(fields[name], key=f"genes-{name}")
    return SelectionConfig(**values)


def run_selection(
    processed: object, dataset: MatrixSet, label: str, config: SelectionConfig
) -> None:
    bar = st.progress(0.0, text="Starting…")
    with st.spinner("Training the classifiers and ranking the genes…"):
        result = select_genes(
            processed,
            label_column=label,
            source=dataset,
            config=config,
            on_progress=lambda done, what: bar.progress(min(done, 1.0), text=what.capitalize()),
        )
    bar.empty()
    st.session_state["genes-result"] = (processed, (label, config), result)


def kept_result(processed: object, label: str, config: SelectionConfig) -> GeneSelection | None:
    kept = st.session_state.get("genes-result")
    if kept is None or kept[0] is not processed or kept[1] != (label, config):
        return None
    return kept[2]


def headline(result: GeneSelection) -> None:
    params = result.params
    columns = st.columns(4)
    columns[0].metric("Cells (train / test)", f"{params['n_train']:,} / {params['n_test']:,}")
    columns[1].metric("Classes", len(params["classes"]))
    columns[2].metric("Classifier test accuracy", f"{result.classifier['test_accuracy']:.3f}")
    columns[3].metric("Logistic regression, all genes", f"{result.all_genes_accuracy:.3f}")
    if result.notes:
        st.markdown(ui.notes_markdown(result.notes))


def curve_section(result: GeneSelection) -> None:
    st.subheader("Accuracy against the number of genes kept")
    figure = accuracy_curve_figure(result.curve, all_genes=result.all_genes_accuracy)
    show_figure(figure, key="genes-curve")
    table = result.curve.pivot(index="k", columns="ranking", values="accuracy")
    table = table[result.rankings].rename(columns=RANKING_TITLES).rename_axis("genes kept")
    st.dataframe(table.style.format("{:.3f}"), width="stretch")
    n_test = result.params["n_test"]
    st.caption(
        f"Accuracy is measured on {n_test:,} test cells, so one cell more or less classified "
        f"right moves it by {1 / n_test:.3f}: equal values at different numbers of genes come "
        "from different genes and different predictions that happen to get as many cells right."
    )
    # besides the slide export: the interactive figure, which opens offline
    ui.download(
        st,
        "Figure (HTML)",
        lambda: figure_bytes(figure, "html"),
        "gene_selection_accuracy.html",
        "genes-dl-curve-html",
        help="The interactive figure, works offline; use your browser to save it as an image",
    )


def genes_section(result: GeneSelection) -> None:
    st.subheader("The top genes of each ranking")
    top = st.slider("Genes shown", 5, 40, key=ui.setting("genes-top", 15, low=5, high=40))
    show_figure(ranking_bars_figure(result.scores, top=top), key="genes-bars")
    markers = result.marker_ranks()
    if len(markers):
        st.markdown(
            "**Where known blood-cell markers rank** (1 = first; T cells CD3E/CD3D/IL7R/CD8A, "
            "B cells MS4A1/CD79A, NK cells NKG7/GNLY, monocytes LYZ/CD14/FCGR3A, dendritic "
            "cells CST3/FCER1A, platelets PPBP):"
        )
        st.dataframe(
            markers.rename(columns=RANKING_TITLES),
            hide_index=True,
            width="stretch",
            height=ROW_HEIGHT * (len(markers) + 1) + 3,
        )
    st.subheader("Overlap of the top lists")
    show_figure(overlap_figure(result.overlap(), n_genes=len(result.genes)), key="genes-overlap")
    st.caption(
        "The dotted line is the overlap two random lists of the same length would have: "
        "rankings that agree sit well above it."
    )


def downloads(result: GeneSelection) -> None:
    columns = st.columns(3)
    ui.download(
        columns[0],
        "Rankings (CSV)",
        lambda: result.table().to_csv(index=False),
        "gene_rankings.csv",
        "genes-dl-rankings",
        help="Every gene with its rank and score under each ranking",
    )
    ui.download(
        columns[1],
        "Accuracy curve (CSV)",
        lambda: result.curve.to_csv(index=False),
        "gene_selection_accuracy.csv",
        "genes-dl-accuracy",
    )
    ui.download(
        columns[2],
        "Overlap (CSV)",
        lambda: result.overlap().to_csv(index=False),
        "gene_selection_overlap.csv",
        "genes-dl-overlap",
    )


def selection_view(dataset: MatrixSet) -> None:
    processed = ui.processed_or_error(dataset)
    if processed is None:
        return
    ui.processed_caption(dataset)
    st.info(COURSE_NOTE, icon=":material/school:")
    label = label_choice(processed, dataset)
    if label is None:
        return
    config = config_choice()
    if st.button("Rank genes", type="primary", icon=":material/play_arrow:", key="genes-run"):
        try:
            run_selection(processed, dataset, label, config)
        except GenodashError as error:
            ui.show_error(error, context="The genes cannot be ranked")
            return
    result = kept_result(processed, label, config)
    if result is None:
        st.caption("Press **Rank genes**: on the PBMC example it takes seconds to a minute.")
        return
    headline(result)
    curve_section(result)
    genes_section(result)
    downloads(result)


with ui.page("Gene selection", ":material/filter_alt:", ABOUT):
    dataset = ui.current_dataset()
    if ui.require_matrix(dataset):
        selection_view(dataset)
