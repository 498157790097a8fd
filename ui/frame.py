"""The page frame: the list of pages, the sidebar, the device badge, once-per-server start-up
and the guards of pages that work on one kind of data.

Every page starts with ``with ui.page(...):`` so that it works the same when opened by a
direct link as the first request to a fresh server.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

import genodash
from genodash.data import MatrixSet, SequenceSet
from ui import state
from ui.expression import umap_warmup
from ui.messages import escape_markdown

FAVICON = Path(__file__).resolve().parent.parent / "assets" / "favicon.png"


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
        "PCA, t-SNE and UMAP of the data, of PCA or of a learned latent, side by side with "
        "measured quality scores; Leiden clusters and the genes behind a selection.",
    ),
    PageInfo(
        "pages/10_Gene_selection.py",
        "Gene selection",
        ":material/filter_alt:",
        "Which genes tell cell types apart? Rank them by a classifier's gradient and "
        "perturbation importance beside highly variable genes, and see how few it takes.",
    ),
    PageInfo(
        "pages/6_Runs.py",
        "Runs",
        ":material/inventory_2:",
        "Every trained model, saved: reload its results, download it, delete it, or "
        "predict the classes of new sequences.",
    ),
)


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
    state.keep_widget_values()
    state.ensure_dataset()
    state.workspace_dir()
    badge = _sidebar()
    st.title(f"{icon} {title}")
    with st.expander("What this page teaches and how to read it", icon=":material/lightbulb:"):
        st.markdown(about)
    yield
    # Slow work must come before the last element: a click during it then interrupts this
    # run at that element instead of letting a stale run finish after the new one (which
    # would drop the new run's live fragments).
    _warm_imports()
    if isinstance(state.current_dataset(), MatrixSet):
        umap_warmup()
    _device_badge(badge)


def _sidebar() -> Any:
    with st.sidebar:
        st.markdown("## :material/genetics: genodash")
        st.caption("Deep learning for genomics — from CNNs and LSTMs to Transformers")
        for info in PAGES:
            st.page_link(info.path, label=info.label, icon=info.icon)
        st.divider()
        dataset_badge(state.current_dataset())
        return st.empty()


def dataset_badge(dataset: state.Dataset) -> None:
    """A short description of the loaded dataset, for the sidebar."""
    st.markdown("**Current data**")
    st.markdown(escape_markdown(dataset.name))
    dataset_caption(dataset)


def dataset_caption(dataset: state.Dataset) -> None:
    """One grey line: how many sequences and classes, or cells and genes."""
    if isinstance(dataset, SequenceSet):
        classes = len(dataset.classes)
        st.caption(
            f"{dataset.n_obs:,} sequences · {classes} classes"
            if classes
            else f"{dataset.n_obs:,} sequences · unlabelled"
        )
    else:
        st.caption(f"{dataset.n_obs:,} cells × {dataset.n_vars:,} genes")


def require_matrix(dataset: state.Dataset) -> bool:
    """True for an expression matrix; otherwise say so and link to the Data page."""
    return _require(
        dataset,
        MatrixSet,
        "This page works on an expression matrix; the loaded data are DNA sequences. Load a "
        "matrix (your own, or the PBMC or simulated-counts example) on the Data page.",
    )


def require_sequences(dataset: state.Dataset, why: str = "", *, link: bool = False) -> bool:
    """True for DNA sequences; otherwise say that the loaded data is an expression matrix
    (and ``why`` it does not serve, e.g. "; this page trains sequence models"), to load
    sequences on the Data page, and with ``link`` link there."""
    return _require(
        dataset,
        SequenceSet,
        f"The loaded data is an expression matrix{why}. Load sequences on the Data page.",
        link=link,
    )


def _require(dataset: state.Dataset, kind: type, message: str, *, link: bool = True) -> bool:
    """True if ``dataset`` is a ``kind``; otherwise show ``message`` (and a link to the Data
    page if ``link``)."""
    if isinstance(dataset, kind):
        return True
    st.info(message, icon=":material/info:")
    if link:
        st.page_link("pages/1_Data.py", label="Go to Data", icon=":material/folder_open:")
    return False


def _device_badge(placeholder: Any) -> None:
    info = device_info()
    with placeholder.container():
        st.markdown("**Compute device**")
        st.caption(info.describe())


@st.cache_resource(show_spinner=False)
def device_info() -> Any:
    from genodash.device import device_info as detect

    return detect()


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


@st.cache_resource(show_spinner=False)
def _warm_imports() -> bool:
    """Import the heavy libraries once per server, after the first page has been drawn (in
    the script thread: see :func:`genodash.import_heavy_libraries`)."""
    genodash.import_heavy_libraries()
    return True


@st.cache_resource(show_spinner=False)
def start_up() -> int:
    """Once per server process: remove the half-written run folders a killed process left."""
    from genodash.train.runs import remove_stale_partials

    removed = remove_stale_partials(state.RUNS_ROOT)
    if removed:
        logging.getLogger("genodash").warning("removed %d unfinished run folders", removed)
    return removed
