"""Background training jobs in the page: prepare the data, start one, watch it live beside
the Train button, say how it ended or why it did not start, and check its memory need first.

A job belongs to the browser's workspace (``?ws=…``), not to one tab: after a refresh the new
tab takes the workspace's job up again (:func:`current_job`), and the job goes on while any
tab of the workspace is open. A read-only share link neither trains nor stops.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import streamlit as st

from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.jobs import Job, JobQueue, JobSnapshot, OpenTabs
from ui import state
from ui.figures import show_figure
from ui.messages import escape_markdown, show_error
from ui.state import Dataset, session_cached, workspace_dir
from ui.widgets import focus_run

READ_ONLY_NOTE = "This is a shared view: open your own workspace to train."


@st.cache_resource(show_spinner=False)
def job_queue() -> JobQueue:
    """The server's one training queue (a scheduler shared by all sessions)."""
    return JobQueue()


@st.cache_resource(show_spinner=False)
def open_tabs() -> OpenTabs:
    """The server's record of which browser tabs are open on each workspace."""
    return OpenTabs()


def current_job() -> Job | None:
    """This session's job; in a new session (e.g. after a browser refresh) its workspace's
    running or waiting job, else the last one it ran, taken up again."""
    job = st.session_state.get("job")
    owner = st.session_state.get("workspace")
    if owner is None:
        return job
    if not state.read_only():  # a shared view looks on, it keeps no job going
        _add_this_tab(owner)
    if job is None:
        job = job_queue().job_for(owner)
        if job is not None:
            st.session_state["job"] = job
    return job


def job_is_active() -> bool:
    job = current_job()
    return job is not None and job.snapshot().active


def start_job(job: Job) -> None:
    """Queue ``job`` as this session's job (one at a time, at most a few per workspace); it
    stops once every tab of the workspace is closed. A refusal is kept and shown by
    :func:`job_refusal`."""
    job.owner = st.session_state.get("workspace")
    job.alive = _add_this_tab(job.owner) if job.owner else _session_check()
    try:
        job_queue().submit(job)
    except GenodashError as error:
        st.session_state["job_refused"] = str(error)
        return
    st.session_state.pop("job_refused", None)
    st.session_state["job"] = job


def prepared_for_training(
    name: str, owner: object, prepare: Callable[[], Any], *, key: object, what: str = "data"
) -> Any:
    """The data ``prepare()`` readies for training, kept as :func:`ui.state.session_cached`
    ``name`` for ``owner`` and ``key``; None after saying why the ``what`` cannot be used."""
    try:
        return session_cached(name, owner, prepare, key=key)
    except GenodashError as error:
        show_error(error, context=f"This {what} cannot be used for training yet")
        return None


def train_button(label: str, *, key: str, ready: bool) -> bool:
    """The button that starts training: off while this session's job runs, until ``ready``,
    and in a read-only shared view (saying why)."""
    busy = job_is_active()
    shared = state.read_only()
    clicked = st.button(
        label,
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy or shared or not ready,
        key=key,
        help="One training at a time per session" if busy else None,
    )
    if shared:
        st.caption(READ_ONLY_NOTE)
    return clicked and not shared


def start_training(
    title: str,
    prepared: Any,
    models: Sequence[tuple[str, dict[str, Any]]],
    config: Any,
    device: str,
    *,
    kind: str,
) -> None:
    """Start a job ``title`` that trains each (name, settings) of ``models`` on ``prepared``
    (``kind``: sequence or expression data) with ``config`` on ``device``, saving each run
    in this browser's workspace (see :func:`start_job`)."""
    from genodash.train.workflows import model_training

    work = model_training(
        prepared, models, train_config=config, device=device, runs_root=workspace_dir()
    )
    start_job(Job(title, work, kind=kind))


def train_one_model(
    dataset: Dataset,
    prepared: Any,
    name: str,
    settings: dict[str, Any] | None,
    config: Any,
    device: str,
    *,
    key: str,
) -> None:
    """The memory a training step of model ``name`` needs, and the Train button (``key``),
    off where ``settings`` is None (no valid model) or too large; a click starts the job
    "Training <model> on <dataset>" (see :func:`start_training`) and reruns the page."""
    from genodash.models import MODELS
    from genodash.train.workflows import training_memory

    kind = "sequence" if isinstance(dataset, SequenceSet) else "expression"
    fits = settings is not None and fits_in_memory(
        lambda: training_memory(prepared, name, settings, config.batch_size),
        model=MODELS[name].short,
    )
    if train_button("Train", key=key, ready=fits):
        title = f"Training {MODELS[name].title} on {dataset.name}"
        start_training(title, prepared, [(name, settings)], config, device, kind=kind)
        st.rerun()


def job_refusal() -> None:
    """Say why the last Train click did not start a job, if it did not."""
    refused = st.session_state.get("job_refused")
    if refused:
        show_error(refused, context="Training did not start")


def _add_this_tab(owner: str) -> Any:
    """Count this browser tab as open on workspace ``owner`` (see :func:`open_tabs`); the
    check "is a tab of the workspace open?", or None without a server to ask."""
    connected = _session_check()
    if connected is None:
        return None
    tabs = open_tabs()
    tabs.add(owner, connected.keywords["session_id"], connected)
    return tabs.alive_check(owner)


def _session_check() -> functools.partial[bool] | None:
    """The check "is this browser session still connected?", or None without a server."""
    from streamlit.runtime import get_instance
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    try:
        runtime = get_instance()
    except RuntimeError:  # no server runtime (e.g. AppTest): nothing to watch
        return None
    if context is None or not runtime.is_active_session(context.session_id):
        return None
    return functools.partial(runtime.is_active_session, session_id=context.session_id)


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
        with st.container(horizontal=True, vertical_alignment="center", wrap=False):
            st.markdown(f"**{escape_markdown(snapshot.title)}**", width="stretch")
            if not state.read_only():
                st.button(
                    "Stop" if snapshot.status == "running" else "Cancel",
                    icon=":material/stop:",
                    on_click=job.stop,
                    key=f"stop-{job.id}",
                    type="secondary",
                )
        if snapshot.status == "queued":
            running, waiting = job_queue().counts()
            st.info(
                f"Waiting for a free slot: number {snapshot.queue_position} in the queue "
                f"({running} running, {waiting} waiting). It starts by itself.",
                icon=":material/hourglass_top:",
            )
        else:
            _progress(snapshot)
        if snapshot.history:
            _live_curves(snapshot, key=f"live-{job.id}")
        for message in snapshot.messages[-3:]:
            st.caption(escape_markdown(message))


def _live_curves(snapshot: JobSnapshot, *, key: str) -> None:
    """The learning curves so far, short enough to sit in view beside the Train button."""
    from genodash.plotting.training import training_curves_figure

    figure = training_curves_figure(snapshot.history)
    figure.update_layout(title=None, height=310, margin={"t": 30, "l": 45, "r": 10})
    if "xaxis2" in figure.layout:  # narrow: room between the panels for the second y axis
        figure.update_layout(xaxis={"domain": [0, 0.4]}, xaxis2={"domain": [0.6, 1]})
    show_figure(figure, key=key, slides=False)  # redrawn every second
    st.caption("Learning curves: dotted lines for the training set, solid for validation.")


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


def finished_job(kind: str) -> Job | None:
    """This session's job of ``kind`` (sequence or expression) once it has ended (done,
    stopped or failed), else None."""
    job = current_job()
    if job is None or job.kind != kind or job.snapshot().active:
        return None
    return job


@contextlib.contextmanager
def beside_live_job() -> Iterator[None]:
    """Lay out the settings and the Train button (the body) on the left and this session's
    job live on the right (see :func:`live_job`), so that its curves and Stop are in view
    from the button."""
    settings, live = st.columns([5, 6], gap="medium")
    with settings:
        yield
    with live:
        live_job()


def running_note(anchor: str) -> None:
    """While this session's job runs, a line at the top of the page that links down to its
    live curves (the heading ``anchor`` of the Train button's section): after a refresh or
    a visit to another page the page opens at its top."""
    job = current_job()
    if job is None or not job.snapshot().active:
        return
    st.info(
        f"**{escape_markdown(job.title)}** is running: [see its live curves and Stop]"
        f"(#{anchor}) beside the Train button.",
        icon=":material/model_training:",
    )


def live_job() -> None:
    """Why the last Train click did not start a job, if so; this session's job live while it
    runs (progress, curves, Stop); else where its curves will appear."""
    job_refusal()
    if job_is_active():
        job_panel()
    else:
        with st.container(border=True):
            st.caption(
                ":material/monitoring: While a model trains, its learning curves grow here "
                "epoch by epoch" + ("." if state.read_only() else ", with a Stop button.")
            )


def job_results(kind: str, heading: str | None = None) -> list[Any] | None:
    """Once this session's job of ``kind`` has ended, ``heading`` (a subheader, if given)
    and how it ended, and its saved runs of ``kind`` returned (None while there are none
    to show). While it runs it is shown live by :func:`beside_live_job`."""
    if job_is_active():
        return None
    saved = finished_runs(kind)
    job = finished_job(kind)
    if job is None:
        return None
    if heading is not None:
        st.subheader(heading)
    job_outcome(job)
    return saved


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


def fits_in_memory(estimate: Any, *, model: str) -> bool:
    """Say how much memory a training step takes; refuse (False) what a job may not use.

    ``estimate`` computes a :class:`~genodash.models.memory.MemoryEstimate` (nothing is
    built: the model's shapes come from the meta device).
    """
    from genodash.limits import Limits, human_bytes
    from genodash.models.memory import check_training_memory

    budget = Limits.from_env().max_job_memory_bytes
    try:
        found = estimate()
        check_training_memory(found, budget, model=model)
    except GenodashError as error:
        show_error(error, context="These settings need more memory than a job may use")
        return False
    st.caption(
        f"One training step needs about {human_bytes(found.total_bytes)} of the "
        f"{human_bytes(budget)} a training job may use on this server."
    )
    return True
