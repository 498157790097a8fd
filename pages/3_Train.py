"""Train a model: pick an architecture for the loaded sequences, watch it learn, see its scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.models import MODELS, models_of
from genodash.train.loop import TrainConfig
from genodash.train.sequence import (
    EncodingConfig,
    build_sequence_model,
    example_batch,
    prepare_sequences,
)

ABOUT = """
Here a neural network **learns to tell your classes apart** from the DNA alone.

1. **Data and split**: sequences are turned into a one-hot matrix (A, C, G, T rows) of one
   length; the data is split into a *training* set (the model learns from it), a *validation*
   set (checked after each epoch, to stop before the model memorises the training set) and a
   *test* set (kept aside for the final, honest score).
2. **Model**: a CNN finds motifs, an LSTM reads order, a Transformer relates distant parts.
3. **Training**: watch the *learning curves*. Training loss should fall; if validation loss
   rises while training loss keeps falling, the model is overfitting — early stopping keeps
   the best epoch. Press **Stop** at any time: the best model so far is kept.

Every trained model is saved as a **run** (see *Runs*) and can be explained on *Interpret*.
"""

ALIGNMENTS = {
    "left": "keep the 5′ start (pad or trim at the 3′ end)",
    "right": "keep the 3′ end (pad or trim at the 5′ end)",
    "center": "keep the middle",
}


def data_and_split(dataset: SequenceSet) -> tuple[EncodingConfig, dict[str, float]]:
    longest = int(dataset.lengths.max())
    columns = st.columns(3)
    length = columns[0].number_input(
        "Length (bp)",
        1,
        longest,
        key=ui.setting(f"train-length-{dataset.name}-{dataset.n_obs}", min(longest, 1000)),
        help=f"At most the longest sequence, {longest:,} bp: more would only add empty positions",
    )
    align = columns[1].selectbox(
        "Alignment",
        list(ALIGNMENTS),
        format_func=ALIGNMENTS.get,
        key=ui.setting("train-align", "left", list(ALIGNMENTS)),
    )
    augment = columns[2].checkbox(
        "Add reverse complements to training",
        key=ui.setting("train-rc", False),
        help="Doubles the training set with each sequence's other "
        "strand — useful when the signal can sit on either strand",
    )
    test = columns[0].slider("Test share", 0.1, 0.4, step=0.05, key=ui.setting("train-test", 0.25))
    val = columns[1].slider(
        "Validation share", 0.05, 0.3, step=0.05, key=ui.setting("train-val", 0.15)
    )
    seed = columns[2].number_input("Split seed", 0, 10_000, key=ui.setting("train-split-seed", 0))
    st.caption(
        f"Every sequence becomes {int(length)} positions: {ALIGNMENTS[align]}. Empty "
        "positions are all-zero columns that the models ignore (masked); N is all-zero too."
    )
    return (
        EncodingConfig(length=int(length), align=align, augment_rc=augment),
        {"val_fraction": val, "test_fraction": test, "seed": int(seed)},
    )


def split_table(prepared: object) -> pd.DataFrame:
    sizes = prepared.split_sizes()
    table = pd.DataFrame(sizes)
    table.loc["all classes"] = table.sum()
    table.index.name = "class"
    return table.rename(columns={"train": "training", "val": "validation", "test": "test"})


def model_choice(prepared: object) -> tuple[str, dict | None]:
    names = models_of("sequence")
    name = st.selectbox(
        "Architecture",
        names,
        format_func=lambda n: MODELS[n].title,
        key=ui.setting("train-model", "cnn", names),
    )
    spec = MODELS[name]
    st.markdown(spec.description)
    with st.expander("Model settings"):
        settings = ui.config_widgets(spec, key=f"train-{name}")
    try:
        model = build_sequence_model(name, len(prepared.classes), settings, seed=0, meta=True)
    except GenodashError as error:
        ui.show_error(error, context="These settings do not make a valid model")
        return name, None
    ui.layers_expander(model, *example_batch(prepared))
    return name, settings


def results() -> None:
    for saved in ui.job_results("sequence", heading="Results") or []:
        st.markdown(f"#### {MODELS[saved.run.model_name].title}")
        ui.show_sequence_run(saved.run, saved.path, key=f"result-{saved.path.name}")


with ui.page("Train a model", ":material/model_training:", ABOUT):
    dataset = ui.current_dataset()
    if ui.require_sequences(dataset, "; this page trains sequence models", link=True):
        st.subheader("1 · Data and split")
        encoding, split = data_and_split(dataset)
        prepared = ui.prepared_for_training(
            "prepared",
            dataset,
            lambda: prepare_sequences(dataset, encoding=encoding, **split),
            key=(encoding, tuple(split.items())),
        )
        if prepared is not None:
            st.dataframe(
                split_table(prepared),
                width="stretch",
                column_config={
                    name: st.column_config.NumberColumn(format="localized")
                    for name in ("training", "validation", "test")
                },
            )
            st.subheader("2 · Model")
            name, settings = model_choice(prepared)
            st.subheader("3 · Training")
            config, device = ui.training_settings("train", TrainConfig())
            ui.train_one_model(
                dataset, prepared, name, settings, config, device, key="start-training"
            )
        results()
