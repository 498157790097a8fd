"""Interpret a model: which bases drive its decisions, what its filters learned, attention."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

import ui
from genodash import interpret
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.plotting import interpret as plots
from genodash.plotting.files import figure_bytes
from genodash.plotting.logos import logo_figure
from genodash.train.runs import list_runs, listing_description, load_run
from ui.ancient import read_ends
from ui.figures import show_figure
from ui.motifs import filter_gallery

ABOUT = """
A model that scores well may still be right for the wrong reasons. Here you look inside.

- **Saliency** (gradient × input, Shrikumar et al. 2016; Simonyan et al. 2014 used the plain
  gradient): how much each base pushes the model towards a class.
  Tall bars are the bases the decision rests on. Both maps explain the class's *log-odds*,
  taken before the softmax, so a model that is already sure still shows its reasons.
- **In-silico mutagenesis (ISM)**: every base at every position is changed in turn and the
  model asked again; red cells raise the class, blue cells lower it. Slower, but it measures
  the effect directly.
- **Filters** (CNN): each first-layer filter is drawn as a motif logo from the stretches of
  DNA that activate it most, with the most similar known motif from JASPAR and a p-value
  that says whether the likeness is more than chance.
- **Attention** (Transformer): which parts of the sequence each token looked at.
- **Read ends** (two classes): the model against the best rule on the bases at the read
  ends, where its saliency sits, and the base composition there — made for the ancient-DNA
  example, whose damage sits at the ends.

On generated planted-motif data the true motif position is known: the page shades it and
reports how often the model's top-scoring window falls on it.
"""


def choose_run() -> object | None:
    runs = [r for r in list_runs(ui.workspace_dir()) if r.kind == "sequence"]
    if not runs:
        st.info("No trained sequence models yet. Train one first.", icon=":material/info:")
        st.page_link("pages/3_Train.py", label="Train a model", icon=":material/model_training:")
        return None
    listing = ui.run_selector(
        "Model (run)",
        runs,
        key="interpret-run",
        describe=listing_description,
    )
    path = listing.path
    try:
        return ui.session_cached("interpret-loaded", None, lambda: load_run(path), key=str(path))
    except GenodashError as error:
        ui.show_error(error, context="This run cannot be loaded")
        return None


def target_choice(run: object) -> int:
    classes = run.classes
    default = classes[interpret.default_target(run)]
    name = st.selectbox(
        "Explain the score of class",
        classes,
        key=ui.setting("interpret-target", default, classes),
    )
    return classes.index(name)


def sequence_choice(dataset: SequenceSet, index: Sequence[int], *, key: str) -> int:
    """A picker of one of the sequences at ``index``, each shown with its class."""
    ids = [dataset.ids[i] for i in index]
    return st.selectbox(
        "Sequence",
        range(len(index)),
        key=key,
        format_func=lambda k: (
            f"{ids[k]}" + (f" · {dataset.labels[index[k]]}" if dataset.labels else "")
        ),
    )


def one_sequence(run: object, dataset: SequenceSet, index: Sequence[int]) -> None:
    target = target_choice(run)
    chosen = sequence_choice(dataset, index, key="interpret-seq")
    view = interpret.one_sequence_view(run, dataset, int(index[chosen]), target=target)
    st.caption(
        "Model's probabilities: "
        + ", ".join(f"{ui.escape_markdown(c)} {p:.1%}" for c, p in view.probabilities.items())
    )
    motif = {"motif_start": view.motif_start, "motif_width": view.motif_width}
    show_figure(
        plots.importance_figure(
            view.saliency(),
            view.sequence,
            title=f"Saliency for class {run.classes[target]}",
            first_position=view.first_position,
            **motif,
        ),
        key="interpret-saliency",
    )
    if len(view.sequence) <= 200:
        with st.expander("Saliency as a logo"):
            figure = logo_figure(
                view.saliency_matrix(),
                kind="weight",
                width=min(14.0, 0.14 * len(view.sequence) + 2),
                height=2.0,
            )
            st.image(figure_bytes(figure, "png"), width="stretch")
    show_figure(
        plots.ism_figure(
            view.ism_matrix(), view.sequence, first_position=view.first_position, **motif
        ),
        key="interpret-ism",
    )
    st.download_button(
        "Download scores (CSV)",
        view.table.to_csv(index=False),
        file_name=f"scores_{dataset.ids[int(index[chosen])]}.csv",
        on_click="ignore",
        icon=":material/download:",
        help="One row per base: position (0-based, in the original sequence), base, "
        "saliency and the in-silico mutagenesis effect of each base",
    )


def across_sequences(run: object, dataset: SequenceSet, index: Sequence[int]) -> None:
    target = target_choice(run)
    method = st.radio(
        "Method",
        ["saliency", "ism"],
        horizontal=True,
        help=ui.lessons.term_help("Saliency", ui.lessons.term_help("In silico mutagenesis")),
        key=ui.setting("interpret-method", "saliency", ["saliency", "ism"]),
        format_func={
            "saliency": f"saliency (first {interpret.MAX_PROFILE_SEQUENCES:,} sequences)",
            "ism": f"ISM (first {interpret.MAX_ISM_SEQUENCES} sequences)",
        }.get,
    )
    view = ui.session_cached(
        "interpret-many",
        run,
        lambda: interpret.profile_view(run, dataset, index, method=method, target=target),
        key=(method, target, tuple(index[:5]), len(index), id(dataset)),
    )
    show_figure(
        plots.importance_profile_figure(
            view.profiles,
            title="Where the model looks: mean |importance| along the sequence, by true class",
            y="mean |importance|",
        ),
        key="interpret-profile",
    )
    if view.n_sequences < len(index):
        st.caption(f"Profiles of the first {view.n_sequences:,} of {len(index):,} sequences.")
    if view.recovery is not None:
        ui.lessons.record_result("motif-recovery", view.recovery.share)
        st.metric(
            "Top-scoring window on the planted motif",
            f"{view.recovery.share:.1%}",
            help=f"Share of the {view.recovery.n_planted:,} sequences with a planted "
            f"motif whose highest-scoring {view.recovery.width}-bp window "
            "overlaps it",
        )


def attention(run: object, dataset: SequenceSet, index: Sequence[int]) -> None:
    if not run.model.records_attention:
        st.info("Attention maps exist for the Transformer only.", icon=":material/info:")
        return
    chosen = sequence_choice(dataset, index, key="interpret-att-seq")
    view = interpret.sequence_attention(run, dataset.subset([int(index[chosen])]))
    maps = view.maps
    left, right = st.columns(2)
    layer = left.selectbox(
        "Layer", range(len(maps)), format_func=lambda i: f"layer {i + 1}", key="interpret-layer"
    )
    head = right.selectbox(
        "Head",
        range(maps[layer].shape[0]),
        format_func=lambda i: f"head {i + 1}",
        key="interpret-head",
    )
    show_figure(
        plots.attention_figure(
            maps[layer][head], view.spans, title=f"Attention, layer {layer + 1}, head {head + 1}"
        ),
        key="interpret-attention",
    )


def ends(run: object, dataset: SequenceSet, index: Sequence[int]) -> None:
    read_ends(run, dataset, index, target=target_choice(run))


with ui.page("Interpret a model", ":material/insights:", ABOUT):
    dataset = ui.current_dataset()
    if not isinstance(dataset, SequenceSet):
        st.info(
            "The loaded data is an expression matrix. Load sequences on the Data page.",
            icon=":material/info:",
        )
    else:
        run = choose_run()
        if run is not None:
            index, described = ui.session_cached(
                "explain-rows",
                run,
                lambda: interpret.sequences_to_explain(run, dataset),
                key=id(dataset),
            )
            st.caption(f"Explaining {len(index):,} sequences: {described}.")
            views = {
                "One sequence": one_sequence,
                "Across sequences": across_sequences,
                "Filters as motifs": filter_gallery,
                "Attention": attention,
            }
            if interpret.offers_read_ends(run, dataset):
                views["Read ends"] = ends
            first = "Read ends" if "damage_rates" in dataset.meta else "One sequence"
            view = (
                st.segmented_control(
                    "View",
                    list(views),
                    key=ui.setting("interpret-view", first, list(views)),
                )
                or first
            )
            views[view](run, dataset, index)
