"""Views of models and trained runs: a model's layers, a sequence or expression run's
scores and plots, tables of runs, a run's settings and downloads, a latent-space preview;
and library results: display tables, embedding scores, headline numbers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from ui.figures import show_figure
from ui.lessons import record_results, record_scores, term_help, with_term
from ui.messages import escape_markdown, sentence
from ui.widgets import focus_run


def short_name(run: Any) -> str:
    """The model's short name (CNN, VAE…) for legends."""
    from genodash.models import MODELS

    return MODELS[run.model_name].short


def layers_expander(model: Any, *example: Any) -> None:
    """The model's layers in an expander titled with its parameter count."""
    from genodash.models import count_parameters
    from genodash.models.summary import layers_frame

    with st.expander(f"Layers: {count_parameters(model):,} parameters"):
        st.dataframe(
            layers_frame(model, *example),
            hide_index=True,
            width="stretch",
            column_config={
                "Output shape": st.column_config.TextColumn(
                    help="For one input: channels × positions after a convolution, tokens × "
                    "features inside a Transformer, or units of a dense layer"
                ),
                "Parameters": st.column_config.NumberColumn(
                    format="localized", help="Weights this layer learns"
                ),
            },
        )


# --- a trained sequence model ----------------------------------------------------------------


def show_sequence_run(run: Any, path: Path | None, *, key: str) -> None:
    """Scores, curves, confusion matrix, ROC/PR, per-class table and downloads of a run."""
    _sequence_scores(run)
    _sequence_tabs(run, key=key)
    if path is not None:
        run_downloads(run, path, key=key)
        if st.button(
            "Interpret this model",
            icon=":material/insights:",
            key=f"{key}-interpret",
            help="Saliency, mutagenesis, filters and attention of this run",
        ):
            focus_run("interpret-run", path.name)
            st.switch_page("pages/5_Interpret.py")


def _sequence_scores(run: Any) -> None:
    """The run's headline test scores and how training ended."""
    metrics, test = run.metrics, run.test
    columns = st.columns(5)
    columns[0].metric("Test accuracy", f"{test['accuracy']:.1%}")
    averaged = "" if test["average"] == "binary" else " (mean over classes)"
    columns[1].metric(
        f"AUROC{averaged}",
        f"{test['auroc']:.3f}",
        help=term_help("AUROC"),
    )
    columns[2].metric(
        f"AUPRC{averaged}",
        f"{test['auprc']:.3f}",
        help=term_help("AUPRC"),
    )
    _training_metrics(columns[3:], metrics, "training samples")
    record_results(test_accuracy=test["accuracy"], test_auroc=test["auroc"])
    st.caption(
        f"{escape_markdown(sentence(run.message))}. Test set: {test['n']:,} sequences"
        + (
            f"; positive class for AUROC/AUPRC: {escape_markdown(test['positive_class'])}"
            if test.get("positive_class")
            else ""
        )
    )


def _training_metrics(columns: Sequence[Any], metrics: dict[str, Any], unit: str) -> None:
    """Epochs run (and the best one) and training time (``unit`` per second), in two columns."""
    columns[0].metric("Epochs (best)", f"{metrics['epochs_run']} ({metrics['best_epoch']})")
    columns[1].metric(
        "Time",
        f"{metrics['train_seconds']:.1f} s",
        help=f"{metrics['samples_per_second']:,.0f} {unit}/s on {metrics['device']}",
    )


def _sequence_tabs(run: Any, *, key: str) -> None:
    """Learning curves, confusion matrix, ROC, PR, per-class scores and settings, as tabs."""
    from genodash.plotting import training as plots
    from genodash.train.runs import per_class_table

    test = run.test
    tabs = st.tabs(
        ["Learning curves", "Confusion matrix", "ROC", "Precision–recall", "Per class", "Settings"]
    )
    with tabs[0]:
        show_figure(
            plots.training_curves_figure({short_name(run): run.history}), key=f"{key}-curves"
        )
    with tabs[1]:
        show_figure(
            plots.confusion_matrix_figure(test["confusion"], test["classes"]),
            key=f"{key}-confusion",
        )
    with tabs[2]:
        show_figure(plots.roc_figure(test["roc"]), key=f"{key}-roc")
    with tabs[3]:
        show_figure(plots.pr_figure(test["pr"]), key=f"{key}-pr")
    with tabs[4]:
        st.dataframe(
            per_class_table(run).style.format(
                {"precision": "{:.3f}", "recall": "{:.3f}", "f1": "{:.3f}", "support": "{:,.0f}"}
            ),
            width="stretch",
        )
    with tabs[5]:
        settings_view(run)


# --- any run ---------------------------------------------------------------------------------


def runs_dataframe(table: Any) -> None:
    """A table of runs (Runs page, leaderboard) with its scores formatted and explained."""
    number = st.column_config.NumberColumn
    shown = table.copy()
    if "Test accuracy" in shown:
        shown["Test accuracy"] = 100 * shown["Test accuracy"]
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Name": st.column_config.TextColumn(width="large"),
            "Run": st.column_config.TextColumn(width="medium"),
            "Epochs": number(help="Epochs the model trained"),
            "Best epoch": number(help="The epoch whose weights were kept (lowest validation loss)"),
            "Training ended": st.column_config.TextColumn(
                width="medium", help="Why training stopped: early stopping, the epoch limit, Stop"
            ),
            "Test accuracy": number(
                format="%.1f%%", help="Share of test sequences classified right"
            ),
            "Test AUROC": number(format="%.3f", help=term_help("AUROC")),
            "Test AUPRC": number(format="%.3f", help=term_help("AUPRC")),
            "Test loss": number(
                format="%.4g", help="Reconstruction loss on the test cells: lower is better"
            ),
            "Parameters": number(format="localized", help="Weights the model learns"),
            "Seconds per epoch": number(format="%.2f"),
        },
    )


def settings_view(run: Any) -> None:
    """Every setting the run was trained with, as a table."""
    from genodash.train.runs import settings_table

    st.dataframe(settings_table(run), hide_index=True, width="stretch")


def run_downloads(run: Any, path: Path, *, key: str) -> None:
    """A button to download the run folder as a .zip, and what it holds."""
    from genodash.train.runs import zip_run

    st.download_button(
        "Download the run (.zip)",
        lambda: zip_run(path),  # made on click
        file_name=f"{path.name}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}-zip",
    )
    st.caption(
        f"Saved as run **{escape_markdown(run.title or path.name)}** (folder "
        f"{escape_markdown(path.name)}): settings, metrics, learning curves, weights "
        "(safetensors) and the split."
    )


# --- a trained expression model --------------------------------------------------------------


def show_expression_run(run: Any, path: Path | None, *, key: str, labels: Any = None) -> None:
    """Scores, learning curves, a first look at the latent space, and downloads of a run."""
    from genodash.plotting import training as plots

    _expression_scores(run)
    tabs = st.tabs(["Learning curves", "Latent space", "Settings"])
    with tabs[0]:
        show_figure(
            plots.training_curves_figure({short_name(run): run.history}), key=f"{key}-curves"
        )
    with tabs[1]:
        latent_preview(run, key=key, labels=labels)
    with tabs[2]:
        settings_view(run)
    if path is not None:
        run_downloads(run, path, key=key)


def _expression_scores(run: Any) -> None:
    """The run's test loss, size and timing, and how training ended."""
    metrics = run.metrics
    columns = st.columns(5)
    columns[0].metric("Test loss", f"{metrics['test_loss']:.4g}", help="Lower is better")
    record_results(test_loss=metrics["test_loss"])
    columns[1].metric("Latent dimensions", metrics["latent_dim"])
    columns[2].metric(
        "Cells", f"{metrics['n_cells']:,}", help=f"× {metrics['n_genes']:,} genes per cell"
    )
    _training_metrics(columns[3:], metrics, "cells")
    st.caption(
        f"{escape_markdown(sentence(run.message))} · {metrics['n_cells']:,} cells × "
        f"{metrics['n_genes']:,} genes"
    )


def latent_preview(run: Any, *, key: str, labels: Any = None) -> None:
    """The run's latent cells on their first two principal components, coloured by
    ``labels`` (a Series indexed by cell ID) where given."""
    from genodash.expression.embed import latent_preview_coordinates
    from genodash.plotting.expression import embedding_figure
    from genodash.train.runs import latent_tables

    tables = latent_tables(run)
    for column, (name, (title, table)) in zip(st.columns(len(tables)), tables.items(), strict=True):
        cells = table["cell"].astype(str)
        figure = embedding_figure(
            latent_preview_coordinates(table),
            color=None if labels is None else labels.reindex(cells).astype(str).tolist(),
            color_name="label" if labels is None else str(labels.name),
            cell_ids=cells.tolist(),
            title=f"Latent space{f' ({title})' if title else ''}, first two principal components",
        )
        show_figure(figure, key=f"{key}-{name}", where=column)
    st.caption("Compare it with PCA, t-SNE and UMAP, with scores, on *Embeddings*.")
    st.page_link("pages/9_Embeddings.py", label="Open Embeddings", icon=":material/bubble_chart:")


# --- library results -------------------------------------------------------------------------


def show_table(display: Any) -> None:
    """A library DisplayTable: its labels, help lines and number formats, its note once."""
    config = {
        key: (
            st.column_config.TextColumn(column.label, help=with_term(column.label, column.help))
            if column.format is None
            else st.column_config.NumberColumn(
                column.label, help=with_term(column.label, column.help), format=column.format
            )
        )
        for key, column in display.columns.items()
    }
    st.dataframe(display.frame, hide_index=True, width="stretch", column_config=config)
    if display.note:
        st.caption(display.note)


def show_scores(scores: dict[str, Any], unit: str = "cells") -> None:
    """An embedding's scores as a row of metrics, with what they were computed on."""
    from genodash.expression.scores import score_metrics, scores_caption

    metrics = score_metrics(scores, unit)
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(metric.label, metric.value, help=term_help(metric.label, metric.help))
    record_scores(scores)
    st.caption(scores_caption(scores, unit))


def headline_metrics(headlines: Sequence[Any]) -> None:
    """A row of library Headlines (label, value, note) as metrics, each note under its value."""
    for column, h in zip(st.columns(len(headlines)), headlines, strict=True):
        column.metric(h.label, h.value, h.note, delta_color="off", delta_arrow="off")
