"""Train a model: pick an architecture for the loaded sequences, watch it learn, see its scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.io.read_store import load_read_store
from genodash.models import MODELS, models_of
from genodash.train.distributed import torchrun_command
from genodash.train.loop import TrainConfig
from genodash.train.sequence import (
    EncodingConfig,
    build_sequence_model,
    example_batch,
    prepare_reads,
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
        key=ui.setting(
            f"train-length-{dataset.name}-{dataset.n_obs}",
            min(longest, 1000),
            low=1,
            high=longest,
            name="train-length",
        ),
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
    test = columns[0].slider(
        "Test share", 0.1, 0.4, step=0.05, key=ui.setting("train-test", 0.25, low=0.1, high=0.4)
    )
    val = columns[1].slider(
        "Validation share",
        0.05,
        0.3,
        step=0.05,
        key=ui.setting("train-val", 0.15, low=0.05, high=0.3),
    )
    seed = columns[2].number_input(
        "Split seed", 0, 10_000, key=ui.setting("train-split-seed", 0, low=0, high=10_000)
    )
    st.caption(
        f"Every sequence becomes {int(length)} positions: {ALIGNMENTS[align]}. Empty "
        "positions are all-zero columns that the models ignore (masked); N is all-zero too."
    )
    return (
        EncodingConfig(length=int(length), align=align, augment_rc=augment),
        {"val_fraction": val, "test_fraction": test, "seed": int(seed)},
    )


def all_reads(dataset: SequenceSet) -> str | None:
    """For a sample of a converted read file: whether to train on every read of the file
    (its store folder) or on the sample (None)."""
    folder = dataset.meta.get("read_store")
    if folder is None:
        return None
    whole = dataset.meta["n_reads_in_file"]
    every = st.toggle(
        f"Train on all {whole:,} reads of the file, read from disk",
        key=ui.setting("train-all-reads", False),
        help=f"Off: train on the {dataset.n_obs:,} reads held in memory. On: batches are read "
        "from the converted file, so memory stays the same whatever its size; an epoch "
        "takes longer, and a job stops at the server's time limit with its best model.",
    )
    return str(folder) if every else None


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


def several_gpus(
    dataset: SequenceSet,
    name: str,
    settings: dict,
    config: TrainConfig,
    encoding: EncodingConfig,
    split: dict[str, float],
    *,
    on_sample: bool,
) -> None:
    with st.expander("Train the same settings on several GPUs"):
        gpus = st.columns(3)[0].number_input(
            "GPUs on the machine", 2, 64, key=ui.setting("train-gpus", 2, low=2, high=64)
        )
        path = "FILE" if dataset.format == "example" else dataset.name
        command = torchrun_command(
            path,
            name,
            train_config=config,
            model_settings=settings,
            processes=int(gpus),
            length=encoding.length,
            align=encoding.align,
            augment_rc=encoding.augment_rc,
            width=60,
        )
        st.code(command, language="bash", wrap_lines=True)
        st.caption(
            "This page trains in one process. On a machine with several GPUs, run this in a "
            "terminal beside the data file"
            + (" (FILE: download it on the *Data* page)" if path == "FILE" else "")
            + ": each GPU trains on its share of every batch, so together they take the same "
            "steps as one GPU would on the whole batch (the batch size counts all GPUs "
            "together), only faster. The first process alone saves the run in `runs/` and "
            "prints the scores. Several "
            "machines: see *Training on several GPUs or machines* in docs/DEPLOY.md."
        )
        shares = (round(split["val_fraction"], 3), round(split["test_fraction"], 3))
        if shares != (0.15, 0.25) or split["seed"] != config.seed:
            st.caption(
                "The command line splits with the training seed and 15 % validation, 25 % "
                "test, not with the split settings above."
            )
        if on_sample:
            st.caption(
                f"The command trains on all {dataset.meta['n_reads_in_file']:,} reads of the "
                f"file; this page, with *Train on all reads* off, on the {dataset.n_obs:,} "
                "held in memory."
            )


def results() -> None:
    for saved in ui.job_results("sequence", heading="Results") or []:
        st.markdown(f"#### {MODELS[saved.run.model_name].title}")
        ui.show_sequence_run(saved.run, saved.path, key=f"result-{saved.path.name}")


with ui.page("Train a model", ":material/model_training:", ABOUT):
    dataset = ui.current_dataset()
    if ui.require_sequences(dataset, "; this page trains sequence models", link=True):
        ui.jobs.running_note("training")
        st.subheader("1 · Data and split")
        encoding, split = data_and_split(dataset)
        store = all_reads(dataset)
        prepared = ui.prepared_for_training(
            "prepared",
            dataset,
            lambda: (
                prepare_reads(load_read_store(store), encoding=encoding, **split)
                if store
                else prepare_sequences(dataset, encoding=encoding, **split)
            ),
            key=(encoding, tuple(split.items()), store),
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
            st.subheader("3 · Training", anchor="training")
            with ui.jobs.beside_live_job():
                config, device = ui.training_settings("train", TrainConfig())
                if settings is not None:
                    on_sample = "n_reads_in_file" in dataset.meta and store is None
                    several_gpus(
                        dataset, name, settings, config, encoding, split, on_sample=on_sample
                    )
                ui.train_one_model(
                    dataset, prepared, name, settings, config, device, key="start-training"
                )
        results()
