"""Compare architectures: CNN, LSTM and Transformer trained on the same split, side by side."""

from __future__ import annotations

import streamlit as st

import ui
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.jobs import Job
from genodash.models import MODELS, models_of
from genodash.plotting import training as plots
from genodash.train.loop import TrainConfig
from genodash.train.runs import leaderboard_table, model_curves, model_histories
from genodash.train.sequence import EncodingConfig, prepare_sequences
from genodash.train.workflows import sequence_training

ABOUT = """
Which architecture suits your data? One click trains each model on **exactly the same
training, validation and test sequences** with the same settings, so differences come from
the architectures, not from luck in the split.

Read the **leaderboard** (test scores, size, speed) together with the **learning curves**:
a model that reaches the same accuracy with fewer parameters or in fewer seconds is the
better tool; a model whose validation loss climbs while its training loss falls is
overfitting. Each model uses its default settings (change them on *Train a model*).
"""

SEQUENCE_MODELS = models_of("sequence")


def settings() -> tuple[list[str], TrainConfig, str, int]:
    chosen = st.multiselect(
        "Models",
        SEQUENCE_MODELS,
        format_func=lambda n: MODELS[n].title,
        key=ui.setting("compare-models", SEQUENCE_MODELS),
    )
    columns = st.columns(4)
    epochs = columns[0].number_input(
        "Epochs (at most)", 1, 500, key=ui.setting("compare-epochs", 30)
    )
    patience = columns[1].number_input(
        "Early-stopping patience", 0, 100, key=ui.setting("compare-patience", 5)
    )
    seed = columns[2].number_input(
        "Seed (split and training)", 0, 10_000, key=ui.setting("compare-seed", 0)
    )
    with columns[3]:
        device = ui.device_choice(key="compare-device")
    config = TrainConfig(epochs=int(epochs), patience=int(patience), seed=int(seed))
    return chosen, config, device, int(seed)


def show_comparison(saved: list) -> None:
    runs = [item.run for item in saved]
    table = leaderboard_table(runs)
    ui.runs_dataframe(table)
    st.download_button(
        "Download leaderboard (CSV)",
        table.to_csv(index=False),
        file_name="leaderboard.csv",
        on_click="ignore",
        icon=":material/download:",
    )
    tabs = st.tabs(["Scores", "Learning curves", "ROC", "Precision–recall"])
    with tabs[0]:
        st.plotly_chart(plots.leaderboard_figure(table.to_dict("records")), key="cmp-scores")
    with tabs[1]:
        st.plotly_chart(plots.training_curves_figure(model_histories(runs)), key="cmp-curves")
    if len(runs[0].classes) == 2:
        with tabs[2]:
            st.plotly_chart(
                plots.roc_figure(model_curves(runs, "roc"), title="ROC curves by model"),
                key="cmp-roc",
            )
        with tabs[3]:
            st.plotly_chart(
                plots.pr_figure(model_curves(runs, "pr"), title="Precision–recall by model"),
                key="cmp-pr",
            )
    else:
        for tab in tabs[2:]:
            tab.info(
                "Per-model curves are drawn for two-class tasks; for several classes see "
                "each run's own curves on the Runs page."
            )


with ui.page("Compare architectures", ":material/leaderboard:", ABOUT):
    dataset = ui.current_dataset()
    if not isinstance(dataset, SequenceSet):
        st.info(
            "The loaded data is an expression matrix; comparisons here are for sequence "
            "models. Load sequences on the Data page.",
            icon=":material/info:",
        )
    else:
        chosen, config, device, seed = settings()
        try:
            prepared = ui.session_cached(
                "compare-prepared",
                dataset,
                lambda: prepare_sequences(dataset, encoding=EncodingConfig(), seed=seed),
                key=seed,
            )
        except GenodashError as error:
            ui.show_error(error, context="This data cannot be used for training yet")
            prepared = None
        if prepared is not None:
            sizes = prepared.split.sizes()
            st.caption(
                f"Same split for every model: {sizes['train']:,} training, "
                f"{sizes['val']:,} validation, {sizes['test']:,} test sequences "
                f"(stratified, seed {seed}); length {prepared.length} bp."
            )
            busy = ui.job_is_active()
            if st.button(
                "Train and compare",
                type="primary",
                icon=":material/play_arrow:",
                disabled=busy or not chosen,
                key="start-compare",
            ):
                work = sequence_training(
                    prepared,
                    [(name, {}) for name in chosen],
                    train_config=config,
                    device=device,
                    runs_root=ui.workspace_dir(),
                )
                names = ", ".join(MODELS[name].short for name in chosen)
                ui.start_job(Job(f"Comparing {names} on {dataset.name}", work, kind="sequence"))
                st.rerun()
        ui.job_refusal()
        saved_runs = ui.finished_runs("sequence")
        if ui.job_is_active():
            ui.job_panel()
        elif ui.finished_job("sequence") is not None:
            ui.job_outcome(ui.current_job())
            if len(saved_runs) > 1:
                st.subheader("Leaderboard")
                show_comparison(saved_runs)
            elif saved_runs:
                st.info(
                    "The last job trained a single model; its results are on "
                    "*Train a model* and *Runs*.",
                    icon=":material/info:",
                )
