"""Shared Streamlit helpers: page setup, navigation, the current dataset, safe messages.

Every page starts with ``with ui.page(...):`` so that it works the same when opened by a
direct link as the first request to a fresh server. Nothing here computes results: it
holds widgets and session state and calls into ``genodash``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import streamlit as st

from genodash.data import MatrixSet, SequenceSet
from genodash.errors import GenodashError
from genodash.jobs import Job, JobQueue, JobSnapshot

Dataset = SequenceSet | MatrixSet
RUNS_ROOT = Path(os.environ.get("GENODASH_RUNS_DIR", Path(__file__).resolve().parent / "runs"))
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.png"


@dataclass(frozen=True)
class PageInfo:
    path: str
    label: str
    icon: str
    teaches: str


PAGES = (
    PageInfo("app.py", "Home", ":material/home:", "What genodash is and the map of the course."),
    PageInfo(
        "pages/1_Data.py",
        "Data",
        ":material/folder_open:",
        "Load DNA sequences or an expression matrix — your own file or a built-in "
        "example — and check what was read: classes, lengths, composition, QC.",
    ),
    PageInfo(
        "pages/2_Curse_of_dimensionality.py",
        "Curse of dimensionality",
        ":material/scatter_plot:",
        "Why P ≫ N breaks statistics: eight interactive simulations with their theory.",
    ),
    PageInfo(
        "pages/3_Train.py",
        "Train a model",
        ":material/model_training:",
        "Train a CNN, LSTM or Transformer on your sequences and watch it learn: live "
        "learning curves, early stopping, test scores.",
    ),
    PageInfo(
        "pages/4_Compare.py",
        "Compare architectures",
        ":material/leaderboard:",
        "CNN vs LSTM vs Transformer on the same split, in one click: a leaderboard of "
        "accuracy, size and speed, and their learning curves overlaid.",
    ),
    PageInfo(
        "pages/5_Interpret.py",
        "Interpret a model",
        ":material/insights:",
        "See what a model learned: saliency and mutagenesis maps, filters as motif logos "
        "matched to JASPAR, Transformer attention.",
    ),
    PageInfo(
        "pages/7_Preprocess.py",
        "Preprocess a matrix",
        ":material/tune:",
        "Single-cell quality control and scanpy preprocessing: filters, normalization, "
        "log, highly variable genes, scaling — each step optional and recorded.",
    ),
    PageInfo(
        "pages/8_Autoencoders.py",
        "Autoencoders",
        ":material/hub:",
        "Compress thousands of genes into a few numbers per cell: a dense autoencoder, a "
        "count VAE that can remove batch effects, and RNA + protein integration.",
    ),
    PageInfo(
        "pages/9_Embeddings.py",
        "Embeddings",
        ":material/bubble_chart:",
        "PCA, tSNE and UMAP of the data, of PCA or of a learned latent, side by side with "
        "measured quality scores; Leiden clusters and the genes behind a selection.",
    ),
    PageInfo(
        "pages/6_Runs.py",
        "Runs",
        ":material/inventory_2:",
        "Every trained model, saved: reload its results, download it, delete it, or "
        "predict the classes of new sequences.",
    ),
)

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def sentence(text: str) -> str:
    """``text`` with a capital first letter, to begin a sentence."""
    return text[:1].upper() + text[1:]


def escape_markdown(text: str) -> str:
    """Make user-provided text (file names, FASTA headers, gene names) display literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


@contextlib.contextmanager
def page(title: str, icon: str, about: str) -> Iterator[None]:
    """Set up a page: config, session defaults, sidebar; fill the device badge at the end."""
    st.set_page_config(
        page_title=f"{title} · genodash",
        page_icon=str(FAVICON),  # shipped: a material icon here is fetched from a font host
        layout="wide",
        initial_sidebar_state="expanded",
    )
    start_up()
    _keep_widget_values()
    _ensure_dataset()
    workspace_dir()
    badge = _sidebar()
    st.title(f"{icon} {title}")
    with st.expander("What this page teaches and how to read it", icon=":material/lightbulb:"):
        st.markdown(about)
    yield
    # Slow work must come before the last element: a click during it then interrupts this
    # run at that element instead of letting a stale run finish after the new one (which
    # would drop the new run's live fragments).
    _warm_imports()
    if isinstance(current_dataset(), MatrixSet):
        umap_warmup()
    _device_badge(badge)


def _keep_widget_values() -> None:
    """Copy the settings' current values aside at the start of each run (see :func:`setting`)."""
    logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)
    kept = st.session_state.setdefault("_kept_widgets", {})
    for key in kept:
        if key in st.session_state:
            kept[key] = st.session_state[key]


def setting(key: str, default: Any, options: Sequence[Any] | None = None) -> str:
    """The key for a settings widget whose value survives visits to other pages.

    Use as ``st.number_input("Epochs", 1, 500, key=ui.setting("train-epochs", 30))`` and give
    the widget no default of its own. Streamlit forgets the state of widgets a run does not
    draw; the value is kept aside each run and put back before the widget is drawn again
    (Streamlit's documented remedy).
    """
    kept = st.session_state.setdefault("_kept_widgets", {})
    current = st.session_state.get(key, kept.get(key, default))
    if options is not None and current not in options:
        current = default
    if st.session_state.get(key, _MISSING) != current:
        st.session_state[key] = current
    kept[key] = current
    return key


_MISSING = object()


def _sidebar() -> Any:
    with st.sidebar:
        st.markdown("## :material/genetics: genodash")
        st.caption("Deep learning for genomics — from CNNs and LSTMs to Transformers")
        for info in PAGES:
            st.page_link(info.path, label=info.label, icon=info.icon)
        st.divider()
        dataset_badge(current_dataset())
        return st.empty()


def dataset_badge(dataset: Dataset) -> None:
    """A short description of the loaded dataset, for the sidebar."""
    st.markdown("**Current data**")
    st.markdown(escape_markdown(dataset.name))
    dataset_caption(dataset)


def dataset_caption(dataset: Dataset) -> None:
    """One grey line: how many sequences and classes, or cells and genes."""
    if isinstance(dataset, SequenceSet):
        classes = len(dataset.classes)
        st.caption(
            f"{dataset.n:,} sequences · {classes} classes"
            if classes
            else f"{dataset.n:,} sequences · unlabelled"
        )
    else:
        st.caption(f"{dataset.n_obs:,} cells × {dataset.n_vars:,} genes")


def _device_badge(placeholder: Any) -> None:
    info = device_info()
    with placeholder.container():
        st.markdown("**Compute device**")
        st.caption(info.describe())


@st.cache_resource(show_spinner=False)
def device_info() -> Any:
    from genodash.device import device_info as detect

    return detect()


@st.cache_resource(show_spinner=False)
def _warm_imports() -> bool:
    """Import the heavy libraries once per server, after the first page has been drawn.

    Done in the script thread on purpose: importing scikit-learn or torch from a background
    thread while a page imports them too can fail on their circular imports.
    """
    import scanpy  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch  # noqa: F401

    return True


# --- the current dataset ------------------------------------------------------------------


class ExampleCache:
    """Built-in examples shared by every user, held within a byte budget: the least recently
    used are dropped when a new one would pass it (examples are immutable and keyed by
    their parameters, so sharing them is safe)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[object, tuple[Dataset, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, make: Any) -> Dataset:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        dataset = make()
        from genodash.data import dataset_nbytes

        size = dataset_nbytes(dataset)
        with self._lock:
            self._entries[key] = (dataset, size)
            self._entries.move_to_end(key)
            while len(self._entries) > 1 and self.held() > self.budget:
                self._entries.popitem(last=False)
        return dataset

    def held(self) -> int:
        """Bytes held now."""
        return sum(size for _, size in self._entries.values())


@st.cache_resource(show_spinner=False)
def example_cache() -> ExampleCache:
    """The server's one example cache (see :class:`ExampleCache`)."""
    from genodash.limits import Limits

    return ExampleCache(Limits.from_env().max_example_cache_bytes)


def cached_example(key: str, params: tuple[tuple[str, Any], ...]) -> Dataset:
    """A built-in example, shared by all users: immutable, keyed by its parameters."""
    from genodash.examples import load_example

    def make() -> Dataset:
        with st.spinner("Preparing the example…"):
            return load_example(key, **dict(params))

    return example_cache().get((key, params), make)


def _ensure_dataset() -> None:
    if "dataset" not in st.session_state:
        from genodash.examples import DEFAULT_EXAMPLE, EXAMPLES

        params = tuple(sorted(EXAMPLES[DEFAULT_EXAMPLE].defaults().items()))
        set_dataset(cached_example(DEFAULT_EXAMPLE, params), origin="example")


def current_dataset() -> Dataset:
    return st.session_state["dataset"]


def set_dataset(dataset: Dataset, *, origin: str) -> None:
    """Make ``dataset`` the one every page uses; ``origin`` is 'example' or 'upload'."""
    st.session_state["dataset"] = dataset
    st.session_state["dataset_origin"] = origin


def show_error(error: GenodashError | str, *, context: str | None = None) -> None:
    """Show a genodash error (or its kept message) as a message, never a traceback; user
    text escaped."""
    text = escape_markdown(str(error))
    st.error(f"**{context}**\n\n{text}" if context else text, icon=":material/error:")


def notes_markdown(notes: tuple[str, ...] | list[str]) -> str:
    """Loader notes as a markdown list, each escaped."""
    return "\n".join(f"- {escape_markdown(note)}" for note in notes)


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def control_widget(control: Any, *, key: str) -> Any:
    """A widget for a :class:`genodash.examples.Control`: number, slider, checkbox, choice, text.

    Its value is kept across page visits (see :func:`setting`).
    """
    default, label, tip = control.default, control.label, control.help or None
    if control.options:
        from genodash.settings import option_title

        return st.selectbox(
            label,
            control.options,
            format_func=option_title,
            help=tip,
            key=setting(key, default, control.options),
        )
    if isinstance(default, bool):
        return st.checkbox(label, help=tip, key=setting(key, default))
    if isinstance(default, int):
        return int(
            st.number_input(
                label,
                min_value=int(control.minimum),
                max_value=int(control.maximum),
                step=int(control.step or 1),
                help=tip,
                key=setting(key, default),
            )
        )
    if isinstance(default, float) and control.maximum - control.minimum > 1000:
        return float(
            st.number_input(
                label,
                min_value=float(control.minimum),
                max_value=float(control.maximum),
                help=tip,
                key=setting(key, default),
            )
        )
    if isinstance(default, float):
        return float(
            st.slider(
                label,
                min_value=float(control.minimum),
                max_value=float(control.maximum),
                step=float(control.step or 0.01),
                help=tip,
                key=setting(key, default),
            )
        )
    return st.text_input(label, help=tip, key=setting(key, str(default)))


def session_cached(name: str, owner: object, compute: Any, key: object = None) -> Any:
    """Compute once per session for ``owner`` (e.g. the current dataset) and ``key``
    (e.g. the settings), then reuse until either changes."""
    slot = f"_cache_{name}"
    cached = st.session_state.get(slot)
    if cached is not None and cached[0] is owner and cached[1] == key:
        return cached[2]
    value = compute()
    st.session_state[slot] = (owner, key, value)
    return value


def session_memo(name: str, owner: object, key: Any, compute: Any, size: int = 12) -> Any:
    """Like :func:`session_cached`, but keeps the last ``size`` results for ``owner``+``key``
    (e.g. several embeddings), so going back to earlier settings recomputes nothing."""
    memo = st.session_state.setdefault(f"_memo_{name}", {})
    hit = memo.get((id(owner), key))
    if hit is not None and hit[0] is owner:
        return hit[1]
    value = compute()
    memo[(id(owner), key)] = (owner, value)
    while len(memo) > size:
        memo.pop(next(iter(memo)))
    return value


# --- workspace, runs and background jobs -------------------------------------------------

_WORKSPACE = re.compile(r"[0-9a-f]{12}")


def workspace_dir() -> Path:
    """This browser's runs folder. Its token sits in the URL (``?ws=…``): bookmark or share
    the link to come back to the same runs; other users never see them otherwise."""
    token = st.session_state.get("workspace")
    if token is None:
        given = st.query_params.get("ws", "")
        token = given if _WORKSPACE.fullmatch(given) else secrets.token_hex(6)
        st.session_state["workspace"] = token
    if st.query_params.get("ws") != token:
        st.query_params["ws"] = token
    return RUNS_ROOT / token


@st.cache_resource(show_spinner=False)
def start_up() -> int:
    """Once per server process: remove the half-written run folders a killed process left."""
    from genodash.train.runs import remove_stale_partials

    removed = remove_stale_partials(RUNS_ROOT)
    if removed:
        logging.getLogger("genodash").warning("removed %d unfinished run folders", removed)
    return removed


@st.cache_resource(show_spinner=False)
def job_queue() -> JobQueue:
    """The server's one training queue (a scheduler shared by all sessions)."""
    return JobQueue()


def current_job() -> Job | None:
    return st.session_state.get("job")


def start_job(job: Job) -> None:
    """Queue ``job`` as this session's job (one at a time, at most a few per workspace); it
    stops if the tab is closed. A refusal is kept and shown by :func:`job_outcome`'s page."""
    job.alive = _session_alive()
    job.owner = st.session_state.get("workspace")
    try:
        job_queue().submit(job)
    except GenodashError as error:
        st.session_state["job_refused"] = str(error)
        return
    st.session_state.pop("job_refused", None)
    st.session_state["job"] = job


def job_refusal() -> None:
    """Say why the last Train click did not start a job, if it did not."""
    refused = st.session_state.get("job_refused")
    if refused:
        show_error(refused, context="Training did not start")


def _session_alive() -> Any:
    from streamlit.runtime import get_instance
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    try:
        runtime = get_instance()
    except RuntimeError:  # no server runtime (e.g. AppTest): nothing to watch
        return None
    if context is None or not runtime.is_active_session(context.session_id):
        return None
    session_id = context.session_id
    return lambda: runtime.is_active_session(session_id)


@st.fragment(run_every=1.0)
def job_panel() -> None:
    """Live view of this session's job: queue position, progress, curves, Stop."""
    job = current_job()
    if job is None:
        return
    snapshot = job.snapshot()
    if not snapshot.active:
        st.rerun(scope="app")
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(snapshot.title)}**")
        if snapshot.status == "queued":
            running, waiting = job_queue().counts()
            st.info(
                f"Waiting for a free slot: number {snapshot.queue_position} in the queue "
                f"({running} running, {waiting} waiting). It starts by itself.",
                icon=":material/hourglass_top:",
            )
        else:
            _progress(snapshot)
        st.button(
            "Stop" if snapshot.status == "running" else "Cancel",
            icon=":material/stop:",
            on_click=job.stop,
            key=f"stop-{job.id}",
            type="secondary",
        )
        if snapshot.history:
            from genodash.plotting.training import training_curves_figure

            st.plotly_chart(training_curves_figure(snapshot.history), key=f"live-{job.id}")


def _progress(snapshot: JobSnapshot) -> None:
    progress = snapshot.progress
    if progress is None:
        st.progress(0.0, text="Starting…")
        return
    eta = progress["eta"]
    eta_text = f" · about {eta:.0f} s left" if eta == eta else ""
    st.progress(
        min(1.0, progress["fraction"]),
        text=f"{escape_markdown(progress['label'])} · epoch {progress['epoch']}/"
        f"{progress['epochs']} · batch {progress['batch']}/{progress['batches']} · "
        f"{snapshot.seconds:.0f} s{eta_text}",
    )
    for message in snapshot.messages[-3:]:
        st.caption(escape_markdown(message))


def job_outcome(job: Job) -> None:
    """How the finished job ended, as a message."""
    snapshot = job.snapshot()
    for message in snapshot.messages:
        st.caption(escape_markdown(message))
    if snapshot.status == "failed":
        st.error(
            f"Training failed: {escape_markdown(snapshot.error or '')}", icon=":material/error:"
        )
    elif snapshot.status == "stopped":
        st.warning(
            "Stopped. The best model so far was kept and saved.", icon=":material/stop_circle:"
        )


def config_widgets(
    spec: Any,
    *,
    key: str,
    exclude: tuple[str, ...] = (),
    unavailable: dict[str, str] | None = None,
    depends_on: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Widgets for a model's settings (from its config dataclass fields).

    Fields named in ``unavailable`` (field → reason) are drawn greyed out, switched off
    (False, or the field's default), with the reason as their help; that is their value.
    A field in ``depends_on`` (field → an earlier yes/no field) is greyed out the same way
    while that field is off.
    """
    values: dict[str, Any] = {}
    fields = [f for f in spec.fields() if f.name not in exclude]
    labels = {f.name: f.metadata.get("label", f.name) for f in fields}
    columns = st.columns(3)
    for i, field in enumerate(fields):
        controller = (depends_on or {}).get(field.name)
        if field.name in (unavailable or {}):
            why = f"Not available for this data: {unavailable[field.name]}"
        elif controller is not None and not values.get(controller, True):
            why = f"Used only when '{labels[controller]}' is on"
        else:
            why = None
        if why is not None:
            with columns[i % 3]:
                values[field.name] = _unavailable_widget(field, why, key=f"{key}-{field.name}")
            continue
        meta = field.metadata
        control = SimpleNamespace(
            label=meta.get("label", field.name),
            default=field.default,
            minimum=meta.get("min"),
            maximum=meta.get("max"),
            step=None,
            options=meta.get("options", ()),
            help=meta.get("help", ""),
        )
        with columns[i % 3]:
            values[field.name] = control_widget(control, key=f"{key}-{field.name}")
    return values


def _unavailable_widget(field: Any, help_text: str, *, key: str) -> Any:
    """A greyed-out widget showing a setting that cannot apply here, and its off value."""
    label = field.metadata.get("label", field.name)
    if isinstance(field.default, bool):
        st.checkbox(label, value=False, disabled=True, help=help_text, key=f"{key}-off")
        return False
    shown = "" if field.default is None else f"{field.default:g}"
    st.text_input(label, value=shown, disabled=True, help=help_text, key=f"{key}-off")
    return field.default


def training_settings(prefix: str, base: Any) -> tuple[Any, str]:
    """Widgets for epochs, batch size, learning rate, patience, seed and device, starting
    from ``base`` (a TrainConfig); returns the chosen TrainConfig and device."""
    from dataclasses import replace

    columns = st.columns(3)
    epochs = columns[0].number_input(
        "Epochs (at most)", 1, 500, key=setting(f"{prefix}-epochs", base.epochs)
    )
    batch = columns[1].number_input(
        "Batch size", 8, 4096, key=setting(f"{prefix}-batch", base.batch_size)
    )
    rate = columns[2].number_input(
        "Learning rate", 1e-5, 1.0, format="%.4f", key=setting(f"{prefix}-lr", base.learning_rate)
    )
    patience = columns[0].number_input(
        "Early-stopping patience (epochs)",
        0,
        100,
        key=setting(f"{prefix}-patience", base.patience),
        help="0 turns early stopping off",
    )
    seed = columns[1].number_input(
        "Training seed",
        0,
        10_000,
        key=setting(f"{prefix}-seed", base.seed),
        help="Same seed, data and settings: same model (on the CPU)",
    )
    with columns[2]:
        device = device_choice(key=f"{prefix}-device")
    config = replace(
        base,
        epochs=int(epochs),
        batch_size=int(batch),
        learning_rate=float(rate),
        patience=int(patience),
        seed=int(seed),
    )
    return config, device


def fits_in_memory(estimate: Any, *, model: str) -> bool:
    """Say how much memory a training step takes; refuse (False) what a job may not use.

    ``estimate`` computes a :class:`~genodash.models.memory.MemoryEstimate` (nothing is
    built: the model's shapes come from the meta device).
    """
    from genodash.limits import Limits
    from genodash.models.memory import check_training_memory

    budget = Limits.from_env().max_job_memory_bytes
    try:
        found = estimate()
        check_training_memory(found, budget, model=model)
    except GenodashError as error:
        show_error(error, context="These settings need more memory than a job may use")
        return False
    st.caption(
        f"One training step needs about {found.total_bytes / 1024**2:,.0f} MiB of the "
        f"{budget / 1024**3:.1f} GiB a training job may use on this server."
    )
    return True


def finished_job(kind: str) -> Job | None:
    """This session's job of ``kind`` (sequence or expression) once it has ended (done,
    stopped or failed), else None."""
    job = current_job()
    if job is None or job.kind != kind or job.snapshot().active:
        return None
    return job


def finished_runs(kind: str) -> list[Any]:
    """The saved runs of this session's finished job that are of ``kind``.

    The first time a job's sequence runs are shown, the first becomes the run the
    Interpret page opens on.
    """
    job = current_job()
    if job is None or job.snapshot().active:
        return []
    saved = [item for item in job.result or [] if item.run.kind == kind]
    if saved and kind == "sequence" and st.session_state.get("_focused_job") != job.id:
        st.session_state["_focused_job"] = job.id
        focus_run("interpret-run", saved[0].path.name)
    return saved


def short_name(run: Any) -> str:
    """The model's short name (CNN, VAE…) for legends."""
    from genodash.models import MODELS

    return MODELS[run.model_name].short


def job_is_active() -> bool:
    job = current_job()
    return job is not None and job.snapshot().active


def device_choice(*, key: str) -> str:
    """A device picker: 'auto' plus the devices this machine has."""
    from genodash.device import DEVICE_TITLES, available_devices, resolve_device

    options = ["auto", *available_devices()]
    choice = st.selectbox(
        "Device",
        options,
        format_func=lambda name: "automatic" if name == "auto" else DEVICE_TITLES[name],
        key=setting(key, "auto", options),
        help="automatic picks a CUDA GPU, then an Apple GPU (MPS), then the CPU",
    )
    st.caption(f"Trains on {DEVICE_TITLES[resolve_device(choice)]}")
    return choice


def layers_expander(model: Any, *example: Any) -> None:
    """The model's layers in an expander titled with its parameter count."""
    import pandas as pd

    from genodash.models import count_parameters, layer_table

    rows = layer_table(model, *example)
    with st.expander(f"Layers: {count_parameters(model):,} parameters"):
        st.dataframe(
            pd.DataFrame(
                {
                    "Layer": [row.title for row in rows],
                    "Part of the model": [row.part for row in rows],
                    "Output shape": [row.output_shape for row in rows],
                    "Parameters": [row.parameters for row in rows],
                }
            ),
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


# --- results of a trained sequence model --------------------------------------------------


def show_sequence_run(run: Any, path: Path | None, *, key: str) -> None:
    """Scores, curves, confusion matrix, ROC/PR, per-class table and downloads of a run."""
    from genodash.plotting import training as plots

    metrics, test = run.metrics, run.metrics["test"]
    columns = st.columns(5)
    columns[0].metric("Test accuracy", f"{test['accuracy']:.1%}")
    averaged = "" if test["average"] == "binary" else " (mean over classes)"
    columns[1].metric(
        f"AUROC{averaged}",
        f"{test['auroc']:.3f}",
        help="Area under the ROC curve on the test set: 1 is perfect, 0.5 is chance",
    )
    columns[2].metric(
        f"AUPRC{averaged}",
        f"{test['auprc']:.3f}",
        help="Area under the precision–recall curve on the test set",
    )
    columns[3].metric("Epochs (best)", f"{metrics['epochs_run']} ({metrics['best_epoch']})")
    columns[4].metric(
        "Time",
        f"{metrics['train_seconds']:.1f} s",
        help=f"{metrics['samples_per_second']:,.0f} training samples/s on {metrics['device']}",
    )
    st.caption(
        f"{escape_markdown(sentence(metrics['message']))}. Test set: {test['n']:,} sequences"
        + (
            f"; positive class for AUROC/AUPRC: {escape_markdown(test['positive_class'])}"
            if test.get("positive_class")
            else ""
        )
    )
    tabs = st.tabs(
        ["Learning curves", "Confusion matrix", "ROC", "Precision–recall", "Per class", "Settings"]
    )
    with tabs[0]:
        st.plotly_chart(
            plots.training_curves_figure({short_name(run): run.history}), key=f"{key}-curves"
        )
    with tabs[1]:
        st.plotly_chart(
            plots.confusion_matrix_figure(test["confusion"], test["classes"]),
            key=f"{key}-confusion",
        )
    with tabs[2]:
        st.plotly_chart(plots.roc_figure(test["roc"]), key=f"{key}-roc")
    with tabs[3]:
        st.plotly_chart(plots.pr_figure(test["pr"]), key=f"{key}-pr")
    with tabs[4]:
        st.dataframe(per_class_table(test), width="stretch")
    with tabs[5]:
        settings_view(run)
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
            "Run": st.column_config.TextColumn(width="large"),
            "Test accuracy": number(
                format="%.1f%%", help="Share of test sequences classified right"
            ),
            "Test AUROC": number(
                format="%.3f", help="Area under the ROC curve: 1 is perfect, 0.5 is chance"
            ),
            "Test AUPRC": number(format="%.3f", help="Area under the precision–recall curve"),
            "Test loss": number(
                format="%.4g", help="Reconstruction loss on the test cells: lower is better"
            ),
            "Parameters": number(format="localized", help="Weights the model learns"),
            "Seconds per epoch": number(format="%.2f"),
        },
    )


def settings_view(run: Any) -> None:
    from genodash.train.runs import settings_table

    st.dataframe(settings_table(run), hide_index=True, width="stretch")


def focus_run(selector_key: str, name: str) -> None:
    """Make the run ``name`` the one :func:`run_selector` (``selector_key``) shows next."""
    st.session_state[selector_key] = name


def run_selector(label: str, runs: Sequence[Any], *, key: str, describe: Any = None) -> Any:
    """A picker of one run by its title; returns the chosen listing.

    The choice is kept under ``key`` across pages. The widget is keyed by the titles too, so
    a renamed run shows its new name (a widget keeps the labels it was first drawn with).
    """
    import hashlib

    titles = {run.name: describe(run) if describe else run.title for run in runs}
    names = list(titles)
    chosen = st.session_state.get(key)
    digest = hashlib.sha256("\n".join(titles.values()).encode()).hexdigest()[:10]
    name = st.selectbox(
        label,
        names,
        index=names.index(chosen) if chosen in names else 0,
        format_func=titles.get,
        key=f"{key}-{digest}",
    )
    st.session_state[key] = name
    return next(run for run in runs if run.name == name)


def per_class_table(test: dict[str, Any]) -> Any:
    import pandas as pd

    table = pd.DataFrame(test["per_class"]).T
    table.index.name = "class"
    return table.style.format(
        {"precision": "{:.3f}", "recall": "{:.3f}", "f1": "{:.3f}", "support": "{:,.0f}"}
    )


def run_downloads(run: Any, path: Path, *, key: str) -> None:
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


# --- expression matrices --------------------------------------------------------------------


def processed_matrix(dataset: MatrixSet) -> Any:
    """The preprocessed loaded matrix: the user's choice from *Preprocess*, else the defaults."""
    stored = st.session_state.get("processed")
    if stored is not None and stored[0] is dataset:
        return stored[1]
    from genodash.expression.preprocess import PreprocessConfig, preprocess

    with st.spinner("Preprocessing with the default settings…"):
        processed = preprocess(dataset, PreprocessConfig())
    set_processed(dataset, processed, chosen=False)
    return processed


def set_processed(dataset: MatrixSet, processed: Any, *, chosen: bool) -> None:
    st.session_state["processed"] = (dataset, processed, chosen)


def processed_caption(dataset: MatrixSet) -> None:
    """Say which preprocessing the page works on, with a link to change it."""
    stored = st.session_state.get("processed")
    chosen = stored is not None and stored[0] is dataset and stored[2]
    from genodash.expression.preprocess import STEP_TITLES

    processed = processed_matrix(dataset)
    ran = [STEP_TITLES[step["step"]].lower() for step in processed.steps if step["ran"]]
    st.caption(
        f"Working on {processed.adata.n_obs:,} cells × {processed.adata.n_vars:,} genes after "
        f"{'your' if chosen else 'the default'} preprocessing "
        f"({'; '.join(ran) if ran else 'no steps ran'})."
    )
    st.page_link("pages/7_Preprocess.py", label="Change preprocessing", icon=":material/tune:")


def scanpy_defaults_expander() -> None:
    """Where genodash's expression defaults match scanpy's, and where and why they differ."""
    from genodash.expression.scanpy_defaults import defaults_table

    with st.expander("genodash's defaults beside scanpy's", icon=":material/compare_arrows:"):
        st.table(defaults_table().set_index("Step"))


def require_matrix(dataset: Dataset) -> bool:
    """True for an expression matrix; otherwise say so and link to the Data page."""
    if isinstance(dataset, MatrixSet):
        return True
    st.info(
        "This page works on an expression matrix; the loaded data are DNA sequences. Load a "
        "matrix (your own, or the PBMC or simulated-counts example) on the Data page.",
        icon=":material/info:",
    )
    st.page_link("pages/1_Data.py", label="Go to Data", icon=":material/folder_open:")
    return False


@st.cache_resource(show_spinner=False)
def umap_warmup() -> dict[str, float | None]:
    """Pay UMAP's one-off import and compilation in a background thread, once per server,
    as soon as someone works on a matrix; by their first UMAP click it is done."""
    import threading

    from genodash.expression.embed import warm_umap

    state: dict[str, float | None] = {"seconds": None}

    def warm() -> None:
        state["seconds"] = warm_umap()

    threading.Thread(target=warm, name="umap-warmup", daemon=True).start()
    return state


def show_expression_run(run: Any, path: Path | None, *, key: str, labels: Any = None) -> None:
    """Scores, learning curves, a first look at the latent space, and downloads of a run."""
    from genodash.plotting import training as plots

    metrics = run.metrics
    columns = st.columns(5)
    columns[0].metric("Test loss", f"{metrics['test_loss']:.4g}", help="Lower is better")
    columns[1].metric("Latent dimensions", metrics["latent_dim"])
    columns[2].metric(
        "Cells", f"{metrics['n_cells']:,}", help=f"× {metrics['n_genes']:,} genes per cell"
    )
    columns[3].metric("Epochs (best)", f"{metrics['epochs_run']} ({metrics['best_epoch']})")
    columns[4].metric(
        "Time",
        f"{metrics['train_seconds']:.1f} s",
        help=f"{metrics['samples_per_second']:,.0f} cells/s on {metrics['device']}",
    )
    st.caption(
        f"{escape_markdown(sentence(metrics['message']))} · {metrics['n_cells']:,} cells × "
        f"{metrics['n_genes']:,} genes"
    )
    tabs = st.tabs(["Learning curves", "Latent space", "Settings"])
    with tabs[0]:
        st.plotly_chart(
            plots.training_curves_figure({short_name(run): run.history}), key=f"{key}-curves"
        )
    with tabs[1]:
        latent_preview(run, key=key, labels=labels)
    with tabs[2]:
        settings_view(run)
    if path is not None:
        run_downloads(run, path, key=key)


def latent_preview(run: Any, *, key: str, labels: Any = None) -> None:
    """The run's latent cells on their first two principal components, coloured by
    ``labels`` (a Series indexed by cell ID) where given."""
    from genodash.expression.embed import pca_coordinates
    from genodash.plotting.expression import embedding_figure

    names = [name for name in ("latent_first", "latent_second", "latent") if name in run.tables]
    titles = {"latent_first": "first modality", "latent_second": "second modality"}
    if len(names) > 1:
        titles["latent"] = "joint"
    columns = st.columns(len(names))
    for column, name in zip(columns, names, strict=True):
        table = run.tables[name]
        values = table.drop(columns="cell").to_numpy(dtype="float32")
        coords = pca_coordinates(values, 2) if values.shape[1] > 2 else values
        figure = embedding_figure(
            coords,
            color=None
            if labels is None
            else labels.reindex(table["cell"].astype(str)).astype(str).tolist(),
            color_name="label" if labels is None else str(labels.name),
            cell_ids=table["cell"].astype(str).tolist(),
            title=f"Latent space{f' ({titles[name]})' if name in titles else ''}, first two "
            "principal components",
        )
        column.plotly_chart(figure, key=f"{key}-{name}")
    st.caption("Compare it with PCA, tSNE and UMAP, with scores, on *Embeddings*.")
    st.page_link("pages/9_Embeddings.py", label="Open Embeddings", icon=":material/bubble_chart:")
