"""Preprocess a matrix: QC plots, then filters, normalization, HVGs and scaling as in scanpy."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd
import streamlit as st

import ui
from genodash.errors import GenodashError
from genodash.expression.export import h5ad_bytes
from genodash.expression.preprocess import PreprocessConfig, preprocess, qc_metrics
from genodash.plotting.expression import hvg_figure, qc_figure

ABOUT = """
Raw single-cell counts need cleaning before any model sees them — the standard **scanpy**
recipe, one optional step at a time:

1. **Quality control**: cells with very few counts or genes are empty droplets; cells with a
   high share of **mitochondrial** reads (genes named `MT-…`) are usually dying. Genes seen
   in almost no cell carry no information.
2. **Normalize** every cell to the same total (e.g. 10,000 counts), so a cell sequenced
   twice as deeply does not look twice as active, then take **log(1 + x)** so a few very
   high genes do not dominate.
3. Keep the **highly variable genes** (HVGs): those that differ most between cells carry the
   cell-type signal; the others mostly add noise and dimensions (remember the curse!).
4. **Scale** each gene to mean 0 and variance 1 (optionally clipped), as PCA often expects.

Data that are already normalized (no raw counts) skip the count-based steps, and the result
says so. The other expression pages use what you choose here.
"""


def settings_widgets(value_type: str) -> PreprocessConfig:
    fields = [f for f in dataclasses.fields(PreprocessConfig) if _has_widget(f)]
    spec = SimpleNamespace(fields=lambda: fields)
    values = ui.config_widgets(spec, key="prep")
    if value_type != "counts":
        st.caption(
            "These values are not raw counts, so count-based steps (count filters, "
            "normalization, log) will be skipped."
        )
    try:
        return PreprocessConfig(**values)
    except (TypeError, ValueError) as error:
        raise GenodashError(str(error)) from error


def _has_widget(field: dataclasses.Field) -> bool:
    return "label" in field.metadata and not isinstance(field.default, type(None))


def shown_qc(qc: pd.DataFrame) -> pd.DataFrame:
    """QC metrics to draw: a mitochondrial share only means something for raw counts."""
    if qc.attrs.get("value_type", "counts") != "counts" and "pct_mito" in qc.columns:
        return qc.drop(columns="pct_mito")
    return qc


def thresholds(config: PreprocessConfig | None) -> dict[str, float]:
    if config is None:
        return {}
    chosen = {
        "total_counts": config.min_counts_per_cell,
        "n_genes": config.min_genes_per_cell,
        "pct_mito": config.max_mito_percent if config.max_mito_percent < 100 else 0,
    }
    return {metric: value for metric, value in chosen.items() if value}


def steps_table(processed: object) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "step": step["step"],
                "ran": "yes" if step["ran"] else "no",
                "parameters": ", ".join(f"{k}={v}" for k, v in step["params"].items()),
                "note": step.get("note", ""),
            }
            for step in processed.steps
        ]
    )


def result_section(dataset: object, processed: object, chosen: bool) -> None:
    st.subheader("3 · Result")
    if not chosen:
        st.info(
            "Not run yet: the other expression pages use the default settings until you "
            "press *Preprocess*.",
            icon=":material/info:",
        )
    columns = st.columns(4)
    for column, label, kept, total in (
        (columns[0], "Cells kept", processed.adata.n_obs, dataset.n_obs),
        (columns[1], "Genes kept", processed.adata.n_vars, dataset.n_vars),
    ):
        column.metric(label, f"{kept:,}", f"of {total:,}", delta_color="off", delta_arrow="off")
    columns[2].metric("Steps run", sum(step["ran"] for step in processed.steps))
    columns[3].metric("Values", processed.value_type)
    st.table(steps_table(processed).set_index("step"))
    charts = []
    if processed.qc is not None and not processed.qc["kept"].all():
        charts.append(("prep-qc-kept", qc_figure(shown_qc(processed.qc))))
    if processed.gene_stats is not None:
        charts.append(("prep-hvg-figure", hvg_figure(processed.gene_stats)))
    for column, (key, figure) in zip(st.columns(2), charts, strict=False):
        column.plotly_chart(figure, key=key)
    if processed.notes:
        st.markdown(ui.notes_markdown(processed.notes))
    st.download_button(
        "Download the processed matrix (.h5ad)",
        ui.session_cached("prep-h5ad", processed, lambda: h5ad_bytes(processed)),
        file_name="processed.h5ad",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        key="prep-download",
    )


with ui.page("Preprocess a matrix", ":material/tune:", ABOUT):
    dataset = ui.current_dataset()
    if ui.require_matrix(dataset):
        st.subheader("1 · Quality control")
        qc = ui.session_cached("prep-qc", dataset, lambda: qc_metrics(dataset))
        chart = st.empty()
        st.caption(
            f"{dataset.n_obs:,} cells × {dataset.n_vars:,} genes · values: {dataset.value_type}. "
            "Dashed lines: the filters chosen below."
        )
        st.subheader("2 · Steps")
        try:
            config = settings_widgets(dataset.value_type)
        except GenodashError as error:
            ui.show_error(error, context="These settings are not valid")
            config = None
        chart.plotly_chart(
            qc_figure(shown_qc(qc), thresholds=thresholds(config)), key="prep-qc-figure"
        )
        if st.button(
            "Preprocess",
            type="primary",
            icon=":material/play_arrow:",
            disabled=config is None,
            key="prep-run",
        ):
            try:
                with st.spinner("Preprocessing…"):
                    ui.set_processed(dataset, preprocess(dataset, config), chosen=True)
            except GenodashError as error:
                ui.show_error(error, context="Preprocessing did not run; nothing was changed")
        stored = st.session_state.get("processed")
        chosen = stored is not None and stored[0] is dataset and stored[2]
        try:
            processed = ui.processed_matrix(dataset)
        except GenodashError as error:
            ui.show_error(error, context="The default preprocessing does not suit this matrix")
        else:
            result_section(dataset, processed, chosen)
