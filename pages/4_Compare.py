"""Compare architectures: CNN, LSTM and Transformer trained on the same split, side by side."""

from __future__ import annotations

import streamlit as st

import ui
from genodash.models import MODELS, models_of
from genodash.plotting import training as plots
from genodash.train.loop import TrainConfig
from genodash.train.runs import (
    MIN_RANKED_EPOCHS,
    leaderboard_table,
    model_curves,
    model_histories,
    ranking_warning,
)
from genodash.train.sequence import EncodingConfig, prepare_sequences
from ui.figures import show_figure

ABOUT = """
Which architecture suits your data? One click trains each model on **exactly the same
training, validation and test sequences** with the same settings, so differences come from
the architectures, not from luck in the split.

Read the **leaderboard** (test scores, size, speed) together with the **learning curves**:
a model that reaches the same accuracy with fewer parameters or in fewer seconds is the
better tool; a model whose validation loss climbs while its training loss falls is
overfitting. Each model uses its default settings (change them on *Train a model*).

A ranking is only as good as the training behind it: the leaderboard says how many
**epochs** each model had, which one it kept (**best epoch**, lowest validation loss) and
how its training **ended** — early stopping (it had stopped improving) or the epoch limit.
A model cut off by the limit while still improving, or trained for only a few epochs, has
not shown what it can do yet; the page warns when that is the case.

The **k-mer baseline** (how often each short word occurs, then a logistic regression) is the
line to beat: where a deep model does no better, it has learned no more than composition.
"""

SEQUENCE_MODELS = models_of("sequence")


def model_choice() -> list[str]:
    return st.multiselect(
        "Models",
        SEQUENCE_MODELS,
        format_func=lambda n: MODELS[n].title,
        key=ui.setting("compare-models", SEQUENCE_MODELS, SEQUENCE_MODELS),
    )


def settings() -> tuple[TrainConfig, str, int]:
    columns = st.columns(2)  # two by two: they sit beside the live curves
    epochs = columns[0].number_input(
        "Epochs (at most)", 1, 500, key=ui.setting("compare-epochs", 30, low=1, high=500)
    )
    patience = columns[1].number_input(
        "Early-stopping patience", 0, 100, key=ui.setting("compare-patience", 5, low=0, high=100)
    )
    seed = columns[0].number_input(
        "Seed (split and training)",
        0,
        10_000,
        key=ui.setting("compare-seed", 0, low=0, high=10_000),
    )
    with columns[1]:
        device = ui.device_choice(key="compare-device")
    config = TrainConfig(epochs=int(epochs), patience=int(patience), seed=int(seed))
    return config, device, int(seed)


def show_comparison(saved: list) -> None:
    runs = [item.run for item in saved]
    ui.lessons.record_leaderboard(runs)
    table = leaderboard_table(runs)
    warning = ranking_warning(runs)
    if warning:
        st.warning(warning, icon=":material/hourglass_bottom:")
    ui.runs_dataframe(table)
    st.caption(
        "**Epochs**: how many times each model went through the training set; **Best epoch**: "
        "the one whose weights were kept (lowest validation loss); **Training ended**: early "
        "stopping means the model had stopped improving, the epoch limit means it ran out of "
        f"time. Fewer than {MIN_RANKED_EPOCHS} epochs, or a model still improving at the "
        "limit, and the ranking may change with more training."
    )
    ui.download(
        st, "Download leaderboard (CSV)", table.to_csv(index=False), "leaderboard.csv", "cmp-csv"
    )
    tabs = st.tabs(["Scores", "Learning curves", "ROC", "Precision–recall"])
    with tabs[0]:
        show_figure(plots.leaderboard_figure(table.to_dict("records")), key="cmp-scores")
    with tabs[1]:
        show_figure(plots.training_curves_figure(model_histories(runs)), key="cmp-curves")
    if len(runs[0].classes) == 2:
        with tabs[2]:
            show_figure(
                plots.roc_figure(model_curves(runs, "roc"), title="ROC curves by model"),
                key="cmp-roc",
            )
        with tabs[3]:
            show_figure(
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
    if ui.require_sequences(dataset, "; comparisons here are for sequence models"):
        chosen = model_choice()  # full width: every chosen model's name stays readable
        with ui.jobs.beside_live_job():
            config, device, seed = settings()
            prepared = ui.prepared_for_training(
                "compare-prepared",
                dataset,
                lambda: prepare_sequences(dataset, encoding=EncodingConfig(), seed=seed),
                key=seed,
            )
            if prepared is not None:
                sizes = prepared.split.sizes()
                st.caption(
                    f"Same split for every model: {sizes['train']:,} training, "
                    f"{sizes['val']:,} validation, {sizes['test']:,} test sequences "
                    f"(stratified, seed {seed}); length {prepared.length} bp."
                )
                if ui.train_button("Train and compare", key="start-compare", ready=bool(chosen)):
                    names = ", ".join(MODELS[n].short for n in chosen)
                    models = [(name, {}) for name in chosen]
                    title = f"Comparing {names} on {dataset.name}"
                    ui.start_training(title, prepared, models, config, device, kind="sequence")
                    st.rerun()
        saved_runs = ui.job_results("sequence") or []
        if len(saved_runs) > 1:
            st.subheader("Leaderboard")
            show_comparison(saved_runs)
        elif saved_runs:
            st.info(
                "The last job trained a single model; its results are on "
                "*Train a model* and *Runs*.",
                icon=":material/info:",
            )
