"""Preprocess a matrix: QC plots, then filters, normalization, HVGs and scaling as in scanpy."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

import ui
from genodash.data import VALUE_DESCRIPTIONS, VALUE_NAMES, MatrixSet
from genodash.errors import GenodashError
from genodash.expression.export import processed_anndata
from genodash.expression.preprocess import (
    FIELD_STEPS,
    STEP_TITLES,
    PreprocessConfig,
    median_total,
    preprocess,
    steps_table,
    why_step_cannot_run,
)
from genodash.expression.qc import cell_totals, qc_metrics
from genodash.io.writers import h5ad_bytes
from genodash.plotting.expression import hvg_figure, qc_figure
from ui.figures import show_figure

ABOUT = """
Raw single-cell counts need cleaning before any model sees them — the standard **scanpy**
recipe, one optional step at a time:

1. **Quality control**: cells with very few counts or genes are empty droplets; cells with a
   high share of **mitochondrial** reads (genes named `MT-…`) are usually dying. Genes seen
   in almost no cell carry no information.
2. **Normalize** every cell to the same total — by default the median of the cells' totals,
   as scanpy does — so a cell sequenced twice as deeply does not look twice as active, then
   take **log(1 + x)** so a few very high genes do not dominate.
3. Keep the **highly variable genes** (HVGs): those that differ most between cells carry the
   cell-type signal; the others mostly add noise and dimensions (remember the curse!).
4. **Scale** each gene to mean 0 and variance 1 (optionally clipped), as PCA often expects.

Where genodash's defaults differ from scanpy's, the table *genodash's defaults beside
scanpy's* says how and why. Data that are already normalized or scaled skip the steps that
need counts, and the page says so at the top. The other expression pages use what you
choose here.
"""

RAW_COUNT_EXAMPLE = "simulated-counts"
TARGETS = {"median": None, "10000": 1e4, "other": "other"}


def data_status(dataset: MatrixSet) -> None:
    """What the matrix already is, and which steps can and cannot run on it."""
    value_type = dataset.value_type
    if value_type == "counts":
        st.caption(
            f"{dataset.n_obs:,} cells × {dataset.n_vars:,} genes of raw counts: every step can run."
        )
        return
    blocked = [
        title for step, title in STEP_TITLES.items() if why_step_cannot_run(step, value_type)
    ]
    runnable = [
        title for step, title in STEP_TITLES.items() if step not in blocked and title not in blocked
    ]
    st.info(
        f"**This matrix is already {VALUE_NAMES[value_type]}** ({VALUE_DESCRIPTIONS[value_type]}): "
        f"it was preprocessed before it came here, so there are no raw counts to clean.\n\n"
        f"- Switched off, since they need other values: {', '.join(blocked).lower()}.\n"
        f"- What can still run: {', '.join(runnable).lower()}.\n\n"
        "To see the whole workflow from raw counts, load the simulated counts example.",
        icon=":material/info:",
    )
    if st.button("Load the raw-count example (simulated counts)", icon=":material/download:"):
        from genodash.examples import EXAMPLES

        defaults = tuple(sorted(EXAMPLES[RAW_COUNT_EXAMPLE].defaults().items()))
        example = (RAW_COUNT_EXAMPLE, dict(defaults))
        dataset = ui.cached_example(RAW_COUNT_EXAMPLE, defaults)
        ui.set_dataset(dataset, origin="example", example=example)
        st.rerun()


def quality_control(dataset: MatrixSet, config: PreprocessConfig | None) -> None:
    if dataset.value_type == "signed":
        st.caption(
            "Per-cell totals and detected genes mean nothing on scaled values (zero is a "
            "gene's average, not 'not detected'), so no quality-control plots are drawn."
        )
        return
    qc = ui.session_cached("prep-qc", dataset, lambda: qc_metrics(dataset))
    show_figure(qc_figure(shown_qc(qc), thresholds=thresholds(config)), key="prep-qc-figure")
    st.caption("Dashed lines: the filters chosen below.")


def settings_widgets(dataset: MatrixSet) -> PreprocessConfig:
    fields = [f for f in dataclasses.fields(PreprocessConfig) if "label" in f.metadata]
    unavailable = {
        field: reason
        for field, step in FIELD_STEPS.items()
        if (reason := why_step_cannot_run(step, dataset.value_type))
    }
    spec = type("Fields", (), {"fields": staticmethod(lambda: fields)})
    values = ui.config_widgets(
        spec,
        key="prep",
        exclude=("target_sum",),
        unavailable=unavailable,
        depends_on={"n_top_genes": "hvg", "scale_max_value": "scale"},
    )
    if values["normalize"]:
        values["target_sum"] = normalization_target(dataset)
    try:
        return PreprocessConfig(**values)
    except (TypeError, ValueError) as error:
        raise GenodashError(str(error)) from error


def normalization_target(dataset: MatrixSet) -> float | None:
    median = ui.session_cached(
        "prep-median", dataset, lambda: median_total(cell_totals(dataset.adata.X))
    )
    labels = {
        "median": f"the median of the cells' totals ({median:,.0f}; scanpy's default)",
        "10000": "10,000 (counts per 10k)",
        "other": "another number",
    }
    left, right = st.columns([2, 1])
    choice = left.radio(
        "Total per cell after normalizing",
        list(TARGETS),
        format_func=labels.get,
        horizontal=True,
        key=ui.setting("prep-target", "median", list(TARGETS)),
    )
    st.caption(
        "Why it matters: a target far above the real depth (such as 10,000 for cells with a "
        "few hundred counts) inflates shallow cells, and the log then turns their counting "
        "noise into apparent differences. The median keeps every cell near its real depth."
    )
    if choice != "other":
        return TARGETS[choice]
    return float(
        right.number_input(
            "Total per cell",
            1.0,
            1e7,
            key=ui.setting("prep-target-value", 1e4, low=1.0, high=1e7),
            format="%.0f",
        )
    )


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


def result_section(dataset: MatrixSet, processed: object, chosen: bool) -> None:
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
    columns[3].metric(
        "Values now",
        VALUE_NAMES[processed.value_type],
        help=VALUE_DESCRIPTIONS[processed.value_type],
    )
    st.table(steps_table(processed).set_index("Step"))
    charts = []
    if processed.qc is not None and not processed.qc["kept"].all():
        charts.append(("prep-qc-kept", qc_figure(shown_qc(processed.qc))))
    if processed.gene_stats is not None:
        charts.append(("prep-hvg-figure", hvg_figure(processed.gene_stats)))
    for key, figure in charts:  # full width: three QC panels do not fit in half a page
        show_figure(figure, key=key)
    if processed.notes:
        st.markdown(ui.notes_markdown(processed.notes))
    st.download_button(
        "Download the processed matrix (.h5ad)",
        lambda: h5ad_bytes(processed_anndata(processed)),  # made on click, not kept in the session
        file_name="processed.h5ad",
        mime="application/octet-stream",
        on_click="ignore",
        icon=":material/download:",
        key="prep-download",
    )


with ui.page("Preprocess a matrix", ":material/tune:", ABOUT):
    dataset = ui.current_dataset()
    if ui.require_matrix(dataset):
        data_status(dataset)
        ui.scanpy_defaults_expander()
        st.subheader("1 · Quality control")
        chart = st.container()
        st.subheader("2 · Steps")
        try:
            config = settings_widgets(dataset)
        except GenodashError as error:
            ui.show_error(error, context="These settings are not valid")
            config = None
        with chart:
            quality_control(dataset, config)
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
        processed = ui.processed_or_error(dataset)
        if processed is not None:
            result_section(dataset, processed, chosen)
