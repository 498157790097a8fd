"""The page frame: the list of pages, the sidebar, the device badge, once-per-server start-up
and the guards of pages that work on one kind of data.

Every page starts with ``with ui.page(...):`` so that it works the same when opened by a
direct link as the first request to a fresh server.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

import genodash
from genodash.data import MatrixSet, SequenceSet
from ui import address, jobs, linked_data, share, state
from ui.expression import umap_warmup
from ui.messages import escape_markdown

FAVICON = Path(__file__).resolve().parent.parent / "assets" / "favicon.png"
PRESENTER_SWITCH = "presenter-switch"
_PRESENTER_KEPT = "_presenter_kept"  # (page address, hide=) while presenter view is on
SETTINGS_PANEL = "settings-panel"  # key prefix of a container that holds settings only
# presenter view: no sidebar (nor its open button), text about a quarter larger, no frame
# around a form (its fields may all be hidden, leaving a button in an empty box)
PRESENTER_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] {display: none;}
[data-testid="stMain"] {font-size: 1.25rem;}
[data-testid="stMain"] h1 {font-size: 3rem;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li,
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p {font-size: 1.2rem;}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] p {font-size: 2.6rem;}
[data-testid="stForm"] {border: none; padding: 0;}
"""
_UPLOAD_LIMIT = '[data-testid="stFileUploaderDropzoneInstructions"] span'


@dataclass(frozen=True)
class PageInfo:
    path: str
    label: str
    icon: str
    teaches: str


PAGES = (
    PageInfo("app.py", "Home", ":material/home:", "What genodash is and the map of the course."),
    PageInfo(
        "pages/0_Lessons.py",
        "Lessons",
        ":material/school:",
        "Guided lessons through the course: predict, open the page set up for you, check your "
        "numbers; the glossary; a report to hand in.",
    ),
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
    address.begin_run()
    _carry_presenter()
    state.keep_widget_values()
    state.workspace_dir()
    jobs.current_job()  # this tab keeps its workspace's job going, and takes it up after a refresh
    linked_data.ensure_dataset()
    badge = _sidebar()
    _header(title, icon)
    links, address_notes = st.empty(), st.empty()
    with st.expander("What this page teaches and how to read it", icon=":material/lightbulb:"):
        st.markdown(about)
    yield
    # Slow work must come before the last element: a click during it then interrupts this
    # run at that element instead of letting a stale run finish after the new one (which
    # would drop the new run's live fragments).
    address.finish_run(address_notes)
    share.links_popover(links)
    _page_style()
    _warm_imports()
    if isinstance(state.current_dataset(), MatrixSet):
        umap_warmup()
    _device_badge(badge)


def _header(title: str, icon: str) -> None:
    """The page title, with the presenter-view switch at its right."""
    header = st.container(horizontal=True, vertical_alignment="center", wrap=False)
    header.title(f"{icon} {title}")
    st.session_state[PRESENTER_SWITCH] = state.presenter()  # the address decides
    header.toggle(
        "Presenter view",
        key=PRESENTER_SWITCH,
        on_change=_switch_presenter,
        help="For a projector: no sidebar, larger text and figures, settings hidden (all, "
        "or those a link lists in hide=). The address keeps it: share it as it is.",
    )


def _switch_presenter() -> None:
    """Put ``presenter=1`` in the address, or take it out."""
    if st.session_state[PRESENTER_SWITCH]:
        st.query_params["presenter"] = "1"
    elif "presenter" in st.query_params:
        del st.query_params["presenter"]


def _carry_presenter() -> None:
    """Keep presenter view (and its ``hide=``) on when a link opens another page: Streamlit
    drops the address's parameters on a page switch. Taken out of the address on the same
    page (the switch, or by hand), it stays off."""
    here, kept = st.context.url, st.session_state.get(_PRESENTER_KEPT)
    if state.presenter():
        st.session_state[_PRESENTER_KEPT] = (here, st.query_params.get("hide"))
    elif kept is not None and kept[0] != here:
        st.query_params["presenter"] = "1"
        if kept[1] is not None:
            st.query_params["hide"] = kept[1]
        st.session_state[_PRESENTER_KEPT] = (here, kept[1])
    else:
        st.session_state.pop(_PRESENTER_KEPT, None)


def _page_style() -> None:
    """The uploaders' size limit as set; in presenter view also: no sidebar, the settings
    ``hide=`` lists hidden (all of them by default), larger text. Hidden widgets still run
    and keep their values."""
    css = _upload_limit_css(upload_limit_mb())
    if state.presenter():
        css += PRESENTER_CSS + _hidden_settings_css()
    st.html(f"<style>{css}</style>")


def _upload_limit_css(megabytes: int) -> str:
    """Streamlit's uploader writes its size limit rounded to a whole unit (512 MB as "1GB"):
    the limit as set, in the uploader's own small text."""
    return (
        f"{_UPLOAD_LIMIT} {{font-size: 0;}} "
        f'{_UPLOAD_LIMIT}::after {{content: "{megabytes:,} MB per file"; font-size: 14px;}}'
    )


def _hidden_settings_css() -> str:
    hidden = state.hidden_settings()
    keys = _drawn_settings() if hidden is None else hidden
    selectors = [f".st-key-{_css_key(key)}" for key in sorted(keys)]
    if hidden is None:  # a panel of settings only (e.g. a demo's controls) goes with its column
        selectors.append(
            f'[data-testid="stColumn"]:has(> div > div > [class*="st-key-{SETTINGS_PANEL}"])'
        )
    return f"{', '.join(selectors) or '.none'} {{display: none;}}"


def stacking(key: str, *, narrower_than: int, where: Any = None) -> Any:
    """A container whose rows of columns stack, each column the page's width, wherever the
    container is narrower than ``narrower_than`` pixels (Streamlit stacks columns only on a
    phone; a projector at 1,024 pixels with the sidebar open left columns too narrow).

    Parameters
    ----------
    key
        The container's key (its CSS class ``st-key-<key>`` carries the rule).
    narrower_than
        Width of the container, in CSS pixels, below which its columns stack.
    where
        ``st`` (default) or a column or container to put it in.
    """
    where = st if where is None else where
    name = f".st-key-{_css_key(key)}"
    row = f'{name} > div > [data-testid="stHorizontalBlock"]'
    where.html(
        f"<style>{name} {{container-type: inline-size;}} "
        f"@container (max-width: {narrower_than}px) {{ {row} {{flex-wrap: wrap; row-gap: 0;}} "
        f'{row} > [data-testid="stColumn"] {{min-width: 100%;}} }}</style>'
    )
    return where.container(key=key)


def _drawn_settings() -> set[str]:
    """The keys of every setting this session has drawn (see :func:`ui.state.setting`)."""
    return set(st.session_state.get("_kept_widgets", {}))


def _css_key(key: str) -> str:
    """A widget key as Streamlit writes it in its ``st-key-…`` class name."""
    return re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


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
