"""Interpret a model: which bases drive its decisions, what its filters learned, attention."""

from __future__ import annotations

import numpy as np
import streamlit as st

import ui
from genodash import interpret
from genodash.data import SequenceSet
from genodash.encoding import ALPHABET, one_hot
from genodash.errors import GenodashError
from genodash.motifs import jaspar_available, jaspar_bank
from genodash.plotting import interpret as plots
from genodash.plotting.logos import figure_bytes, logo_figure
from genodash.train.runs import list_runs, load_run
from genodash.train.sequence import (
    encode_for_run,
    fingerprint,
    one_hot_for_run,
    predict_probabilities,
)

ABOUT = """
A model that scores well may still be right for the wrong reasons. Here you look inside.

- **Saliency** (gradient × input): how much each base pushes the model towards a class.
  Tall bars are the bases the decision rests on.
- **In-silico mutagenesis (ISM)**: every base at every position is changed in turn and the
  model asked again; red cells raise the class, blue cells lower it. Slower, but it measures
  the effect directly.
- **Filters** (CNN): each first-layer filter is drawn as a motif logo from the stretches of
  DNA that activate it most, with the most similar known motif from JASPAR.
- **Attention** (Transformer): which parts of the sequence each token looked at.

On generated planted-motif data the true motif position is known: the page shades it and
reports how often the model's top-scoring window falls on it.
"""

MAX_ISM = 100


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
        describe=lambda r: (
            f"{r.title} · test accuracy {r.metrics.get('test_accuracy', float('nan')):.1%}"
        ),
    )
    path = listing.path
    try:
        return ui.session_cached("interpret-loaded", None, lambda: load_run(path), key=str(path))
    except GenodashError as error:
        ui.show_error(error, context="This run cannot be loaded")
        return None


def sequences_to_explain(run: object, dataset: SequenceSet) -> tuple[np.ndarray, str]:
    """Indices of the sequences to explain: the run's test set when it was trained on this data."""
    if run.data.get("fingerprint") == fingerprint(dataset) and "split" in run.tables:
        subsets = run.tables["split"]["subset"].to_numpy()
        return np.flatnonzero(subsets == "test"), "its test set (sequences it never saw)"
    return np.arange(dataset.n), "all loaded sequences (the model was trained on other data)"


def target_choice(run: object) -> int:
    classes = run.config["classes"]
    default = (
        classes.index(run.config["positive_class"])
        if run.config.get("positive_class") in classes
        else len(classes) - 1
    )
    name = st.selectbox(
        "Explain the score of class",
        classes,
        key=ui.setting("interpret-target", classes[default], classes),
    )
    return classes.index(name)


def sequence_choice(dataset: SequenceSet, index: np.ndarray, *, key: str) -> int:
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


def one_sequence(run: object, dataset: SequenceSet, index: np.ndarray) -> None:
    target = target_choice(run)
    ids = [dataset.ids[i] for i in index]
    chosen = sequence_choice(dataset, index, key="interpret-seq")
    row = int(index[chosen])
    one = dataset.subset([row])
    codes = encode_for_run(run, one)
    x = one_hot(codes)
    classes = run.config["classes"]
    probabilities = predict_probabilities(run.model, codes)
    st.caption(
        "Model's probabilities: "
        + ", ".join(
            f"{ui.escape_markdown(c)} {p:.1%}"
            for c, p in zip(classes, probabilities[0], strict=True)
        )
    )
    saliency = interpret.saliency(run.model, x, target)
    ism = interpret.ism(run.model, x, target)
    table = interpret.score_table(
        run,
        one,
        {
            "saliency": interpret.importance(saliency, x),
            **{f"ism_{base}": ism[:, k, :] for k, base in enumerate(ALPHABET)},
        },
    )
    start, width = _planted(dataset, row)
    sequence = "".join(table["base"])
    first = int(table["position"].iloc[0]) if len(table) else 0
    st.plotly_chart(
        plots.importance_figure(
            table["saliency"].to_numpy(),
            sequence,
            title=f"Saliency for class {classes[target]}",
            first_position=first,
            motif_start=start,
            motif_width=width,
        ),
        key="interpret-saliency",
    )
    if len(sequence) <= 200:
        with st.expander("Saliency as a logo"):
            figure = logo_figure(
                interpret.base_matrix(table, "saliency"),
                kind="weight",
                width=min(14.0, 0.14 * len(sequence) + 2),
                height=2.0,
            )
            st.image(figure_bytes(figure), width="stretch")
    st.plotly_chart(
        plots.ism_figure(
            table[[f"ism_{base}" for base in ALPHABET]].to_numpy().T,
            sequence,
            first_position=first,
            motif_start=start,
            motif_width=width,
        ),
        key="interpret-ism",
    )
    st.download_button(
        "Download scores (CSV)",
        table.to_csv(index=False),
        file_name=f"scores_{ids[chosen]}.csv",
        on_click="ignore",
        icon=":material/download:",
        help="One row per base: position (0-based, in the original sequence), base, "
        "saliency and the in-silico mutagenesis effect of each base",
    )


def across_sequences(run: object, dataset: SequenceSet, index: np.ndarray) -> None:
    target = target_choice(run)
    method = st.radio(
        "Method",
        ["saliency", "ism"],
        horizontal=True,
        key=ui.setting("interpret-method", "saliency"),
        format_func={"saliency": "saliency (fast)", "ism": f"ISM (first {MAX_ISM} sequences)"}.get,
    )
    chosen = index if method == "saliency" else index[:MAX_ISM]
    x = one_hot_for_run(run, dataset.subset(chosen))
    scores = ui.session_cached(
        "interpret-many",
        run,
        lambda: interpret.importance(interpret.attribute(run.model, x, method, target), x),
        key=(method, target, tuple(chosen[:5]), len(chosen), id(dataset)),
    )
    labels = np.array([dataset.labels[i] for i in chosen]) if dataset.labels else None
    groups = (
        {c: np.abs(scores[labels == c]).mean(axis=0) for c in np.unique(labels)}
        if labels is not None
        else {"all": np.abs(scores).mean(axis=0)}
    )
    st.plotly_chart(
        plots.importance_profile_figure(
            groups,
            title="Where the model looks: mean |importance| along the sequence, by true class",
            y="mean |importance|",
        ),
        key="interpret-profile",
    )
    starts = dataset.meta.get("motif_starts")
    if starts is not None:
        planted = np.array([starts[i] for i in chosen])
        recovery = interpret.motif_recovery(scores, planted, dataset.meta["motif_width"])
        st.metric(
            "Top-scoring window on the planted motif",
            f"{recovery:.1%}",
            help=f"Share of the {int((planted >= 0).sum()):,} sequences with a planted "
            f"motif whose highest-scoring {dataset.meta['motif_width']}-bp window "
            "overlaps it",
        )


def filters(run: object, dataset: SequenceSet, index: np.ndarray) -> None:
    x = one_hot_for_run(run, dataset.subset(index[:2000]))
    try:
        motifs = ui.session_cached(
            "interpret-filters",
            run,
            lambda: interpret.filter_motifs(run.model, x),
            key=(len(index), id(dataset)),
        )
    except GenodashError as error:
        st.info(str(error), icon=":material/info:")
        return
    shown = st.slider(
        "Filters to show (most informative first)",
        4,
        min(48, len(motifs)),
        min(12, len(motifs)),
        4,
        key="interpret-nfilters",
    )
    bank = _bank()
    logos = ui.session_cached(
        "interpret-logos", motifs, lambda: [_filter_logo(m) for m in motifs[:48]]
    )
    columns = st.columns(3)
    for k, motif in enumerate(motifs[:shown]):
        with columns[k % 3].container(border=True):
            st.image(logos[k], width="stretch")
            kmers = ", ".join(f"{kmer} ({count})" for kmer, count in motif.top_kmers[:3])
            st.caption(f"Top k-mers: {kmers or '—'}")
            if bank is not None and motif.n_sites:
                match = bank.best_matches(motif.frequencies, top=1)[0]
                st.caption(
                    f"Closest JASPAR motif: **{ui.escape_markdown(match.name)}** "
                    f"({match.matrix_id}, r = {match.score:.2f}, strand {match.strand})"
                )
    if bank is None:
        st.caption("Install pyjaspar to name filters after known motifs.")
    else:
        st.caption(
            f"Each filter's closest motif among the {len(bank.motifs):,} JASPAR CORE motifs of "
            "every taxon, by the mean correlation of aligned columns (r, 1 = identical): a "
            "lead to follow, not a test of significance. Filters are numbered from 1."
        )


def _filter_logo(motif: interpret.FilterMotif) -> bytes:
    return figure_bytes(
        logo_figure(
            motif.frequencies,
            title=f"filter {motif.index + 1} · {motif.information:.1f} bits · "
            f"{motif.n_sites:,} sites",
        )
    )


def _bank() -> object | None:
    if not jaspar_available():
        return None
    with st.spinner("Loading JASPAR motifs (once per server)…"):
        return jaspar_bank()


def attention(run: object, dataset: SequenceSet, index: np.ndarray) -> None:
    if run.model_name != "transformer":
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
    st.plotly_chart(
        plots.attention_figure(
            maps[layer][head], view.spans, title=f"Attention, layer {layer + 1}, head {head + 1}"
        ),
        key="interpret-attention",
    )


def _planted(dataset: SequenceSet, row: int) -> tuple[int | None, int | None]:
    starts = dataset.meta.get("motif_starts")
    if starts is None:
        return None, None
    return int(starts[row]), dataset.meta["motif_width"]


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
            index, described = sequences_to_explain(run, dataset)
            st.caption(f"Explaining {len(index):,} sequences: {described}.")
            views = {
                "One sequence": one_sequence,
                "Across sequences": across_sequences,
                "Filters as motifs": filters,
                "Attention": attention,
            }
            view = (
                st.segmented_control(
                    "View",
                    list(views),
                    key=ui.setting("interpret-view", "One sequence", list(views)),
                )
                or "One sequence"
            )
            views[view](run, dataset, index)
