"""Background jobs: long work (training) in a thread, with progress, a stop signal and a queue.

The app starts a job and polls :meth:`Job.snapshot`; the job never touches the UI. At most
:func:`genodash.device.default_max_jobs` jobs run at once per process; later ones wait in a
first-in, first-out queue and can be cancelled while they wait. The queue is fair: one
workspace has at most :attr:`~genodash.limits.Limits.max_jobs_per_workspace` jobs at once and
runs one at a time, a waiting job whose workspace has no tab open is dropped, and every job stops
at the time limit, saying so.

A job belongs to a workspace, not to the tab that started it: after a browser refresh the new
tab finds the workspace's job again (:meth:`JobQueue.job_for`), and :class:`OpenTabs` keeps a
job going while any tab of its workspace is open.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from genodash.device import default_max_jobs
from genodash.errors import ConfigError, GenodashError
from genodash.limits import Limits
from genodash.train.callbacks import Callbacks, Progress

Status = Literal["queued", "running", "done", "stopped", "failed"]
_ACTIVE: tuple[Status, ...] = ("queued", "running")
_ids = itertools.count(1)
#: Workspaces whose last job the queue keeps to show again after a refresh (oldest go first).
KEPT_WORKSPACES = 200


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state, safe to read from another thread."""

    id: int
    title: str
    status: Status
    queue_position: int
    progress: dict[str, Any] | None
    history: dict[str, list[dict[str, float]]]
    messages: list[str]
    error: str | None
    seconds: float

    @property
    def active(self) -> bool:
        return self.status in _ACTIVE


@dataclass
class JobContext:
    """What the work function receives: the stop signal and ways to report progress."""

    job: Job

    def should_stop(self) -> str | bool:
        """False to go on; else why to stop: ``"stopped"`` (asked to), ``"tab_closed"`` or
        ``"time_limit"``."""
        self.job._owner_gone()
        self.job._out_of_time()
        return self.job._stop_reason if self.job._stop.is_set() else False

    def message(self, text: str) -> None:
        with self.job._lock:
            self.job._messages.append(text)

    def callbacks(self, label: str) -> Callbacks:
        """Training callbacks that record progress and history under ``label``."""

        def on_batch(progress: Progress) -> None:
            self.job._set_progress(label, progress)

        def on_epoch(record: dict[str, float]) -> None:
            with self.job._lock:
                self.job._history.setdefault(label, []).append(dict(record))

        return Callbacks(on_batch_end=on_batch, on_epoch_end=on_epoch, should_stop=self.should_stop)


@dataclass
class Job:
    """One unit of background work: ``work(context)`` runs in its own thread."""

    title: str
    work: Callable[[JobContext], Any]
    id: int = field(default_factory=lambda: next(_ids))
    result: Any = None
    alive: Callable[[], bool] | None = None
    owner: str | None = None
    kind: str = ""
    grace_seconds: float = field(
        default_factory=lambda: float(Limits.from_env().closed_tab_grace_seconds)
    )
    time_limit: float = field(default_factory=lambda: float(Limits.from_env().max_job_seconds))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._status: Status = "queued"
        self._progress: dict[str, Any] | None = None
        self._history: dict[str, list[dict[str, float]]] = {}
        self._messages: list[str] = []
        self._error: str | None = None
        self._started: float | None = None
        self._finished: float | None = None
        self._queue: JobQueue | None = None
        self._stop_reason = "stopped"
        self._absent_since: float | None = None
        self._last_check = 0.0
        self.thread: threading.Thread | None = None

    def stop(self, reason: str = "stopped") -> None:
        """Ask the job to stop: within one batch when running; at once when still queued.
        ``reason`` is recorded in the run: ``"stopped"``, ``"tab_closed"``, ``"time_limit"``."""
        if not self._stop.is_set():
            self._stop_reason = reason
        self._stop.set()

    def _out_of_time(self) -> bool:
        """Stop the job once it has run longer than its time limit."""
        started = self._started
        if started is None or time.perf_counter() - started < self.time_limit:
            return False
        if not self._stop.is_set():
            with self._lock:
                self._messages.append(
                    f"stopped: it reached the time limit of a job ({self.time_limit / 60:.0f} "
                    "min); the best model so far was kept"
                )
            self.stop("time_limit")
        return True

    def _owner_gone(self) -> bool:
        """True once ``alive()`` (e.g. "is the browser tab still connected?") has said no
        for longer than ``grace_seconds``; the job then stops as if asked to."""
        now = time.monotonic()
        if self.alive is None or now - self._last_check < 0.5:
            return self._stop.is_set()
        self._last_check = now
        if self.alive():
            self._absent_since = None
            return False
        self._absent_since = self._absent_since or now
        if now - self._absent_since < self.grace_seconds:
            return False
        if not self._stop.is_set() and self._status == "running":  # the queue says its own
            with self._lock:
                self._messages.append(
                    "stopped: the browser tab that started it was closed, and no other tab of "
                    "its workspace is open"
                )
        self.stop("tab_closed")
        return True

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            end = self._finished or time.perf_counter()
            return JobSnapshot(
                id=self.id,
                title=self.title,
                status=self._status,
                queue_position=self._queue.position(self) if self._queue else 0,
                progress=dict(self._progress) if self._progress else None,
                history={k: list(v) for k, v in self._history.items()},
                messages=list(self._messages),
                error=self._error,
                seconds=end - self._started if self._started else 0.0,
            )

    def _set_progress(self, label: str, progress: Progress) -> None:
        with self._lock:
            self._progress = {
                "label": label,
                "epoch": progress.epoch,
                "epochs": progress.epochs,
                "batch": progress.batch,
                "batches": progress.batches,
                "fraction": progress.fraction,
                "eta": progress.eta_seconds,
            }

    def _run(self) -> None:
        with self._lock:
            self._status = "running"
            self._started = time.perf_counter()
        status: Status = "done"
        try:
            self.result = self.work(JobContext(self))
            if self._stop.is_set():
                status = "stopped"
        except GenodashError as error:
            status, self._error = "failed", str(error)
        except Exception as error:  # a bug: keep the app alive, record it for the log
            status = "failed"
            self._error = f"unexpected error: {type(error).__name__}: {error}"
            traceback.print_exc()
        # the work holds the training data; the ended job is kept only to show its outcome
        self.work = _spent
        with self._lock:
            self._status = status
            self._finished = time.perf_counter()

    def wait(self, timeout: float | None = None) -> JobSnapshot:
        """Block until the job ends (for scripts and tests)."""
        if self.thread is not None:
            self.thread.join(timeout)
        return self.snapshot()


class JobQueue:
    """Runs at most ``max_running`` jobs at once; the rest wait, first in, first out, except
    that a workspace runs one job at a time: while its job runs, the next waiting job of
    another workspace goes first."""

    def __init__(self, max_running: int | None = None, *, per_workspace: int | None = None) -> None:
        self.max_running = max_running or default_max_jobs()
        self.per_workspace = per_workspace or Limits.from_env().max_jobs_per_workspace
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._running: list[Job] = []
        self._latest: dict[str, Job] = {}

    def submit(self, job: Job) -> Job:
        """Queue ``job``.

        Raises
        ------
        ConfigError
            Its workspace already has as many jobs as it may have at once.
        """
        with self._lock:
            mine = [j for j in (*self._running, *self._waiting) if _same_owner(j, job)]
            if len(mine) >= self.per_workspace:
                raise ConfigError(
                    f"this workspace already has {len(mine)} training jobs running or waiting, "
                    f"the most one workspace may have at once; stop one or wait for it"
                )
            job._queue = self
            self._waiting.append(job)
            self._keep_latest(job)
        job.thread = threading.Thread(
            target=self._wait_then_run, args=(job,), name=f"genodash-job-{job.id}", daemon=True
        )
        job.thread.start()
        return job

    def position(self, job: Job) -> int:
        """1 for the next job to start, 0 once running or finished."""
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    def active_for(self, owner: str) -> list[Job]:
        """The jobs of workspace ``owner`` that have not ended: the running one first, then
        the waiting ones in queue order.

        Parameters
        ----------
        owner
            The workspace (:attr:`Job.owner`).
        """
        with self._lock:
            return [job for job in (*self._running, *self._waiting) if job.owner == owner]

    def job_for(self, owner: str) -> Job | None:
        """The job a new browser tab of workspace ``owner`` shows (after a refresh): its
        running job, else its next waiting one, else the last one it submitted, which has
        ended (kept for the last :data:`KEPT_WORKSPACES` workspaces); None if it has none.

        Parameters
        ----------
        owner
            The workspace (:attr:`Job.owner`).
        """
        active = self.active_for(owner)
        if active:
            return active[0]
        with self._lock:
            return self._latest.get(owner)

    def owners(self) -> list[str]:
        """The workspaces with a job running, waiting or kept as their last."""
        with self._lock:
            return list(
                {*self._latest, *(j.owner for j in (*self._running, *self._waiting))} - {None}
            )

    def counts(self) -> tuple[int, int]:
        """Jobs running and jobs waiting."""
        with self._lock:
            return len(self._running), len(self._waiting)

    def _wait_then_run(self, job: Job) -> None:
        while not self._take_slot(job):
            if job._stop.is_set() or job._owner_gone():
                self._drop(job)
                return
            time.sleep(0.1)
        try:
            job._run()
        finally:
            with self._lock:
                self._running.remove(job)

    def _drop(self, job: Job) -> None:
        with self._lock:
            self._waiting.remove(job)
        with job._lock:
            job._status = "stopped"
            job._messages.append(
                "dropped from the queue: the browser tab that started it was closed"
                if job._stop_reason == "tab_closed"
                else "cancelled while waiting in the queue"
            )

    def _take_slot(self, job: Job) -> bool:
        with self._lock:
            if job._stop.is_set() or len(self._running) >= self.max_running:
                return False
            busy = [waiting for waiting in self._waiting if self._owner_running(waiting)]
            eligible = [waiting for waiting in self._waiting if waiting not in busy]
            if not eligible or eligible[0] is not job:
                return False
            self._waiting.remove(job)
            self._running.append(job)
            return True

    def _owner_running(self, job: Job) -> bool:
        return any(_same_owner(running, job) for running in self._running)

    def _keep_latest(self, job: Job) -> None:
        """Remember ``job`` as its workspace's last (called under the lock)."""
        if job.owner is None:
            return
        self._latest.pop(job.owner, None)
        self._latest[job.owner] = job
        ended = [owner for owner, kept in self._latest.items() if kept._status not in _ACTIVE]
        for owner in ended[: max(0, len(self._latest) - KEPT_WORKSPACES)]:
            del self._latest[owner]


class OpenTabs:
    """The browser tabs open on each workspace, each with its check "still connected?".

    A job of a workspace goes on while any tab of the workspace is open: the one that started
    it, or one that took it over after a refresh (see :meth:`alive_check`). A tab found
    closed is forgotten; an open tab adds itself again on each page run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tabs: dict[str, dict[str, Callable[[], bool]]] = {}

    def add(self, owner: str, tab: str, connected: Callable[[], bool]) -> None:
        """Count ``tab`` (an id, e.g. the browser session's) as open on workspace ``owner``.

        Parameters
        ----------
        owner
            The workspace.
        tab
            The tab's id; adding it again replaces its check.
        connected
            Whether the tab is still connected.
        """
        with self._lock:
            self._tabs.setdefault(owner, {})[tab] = connected

    def any_open(self, owner: str) -> bool:
        """Whether a tab of workspace ``owner`` is still connected.

        Parameters
        ----------
        owner
            The workspace.
        """
        with self._lock:
            tabs = dict(self._tabs.get(owner, {}))
        closed = {tab: check for tab, check in tabs.items() if not check()}
        with self._lock:
            mine = self._tabs.get(owner, {})
            for tab, check in closed.items():
                if mine.get(tab) is check:
                    del mine[tab]
            if not mine:
                self._tabs.pop(owner, None)
        return len(closed) < len(tabs)

    def alive_check(self, owner: str) -> Callable[[], bool]:
        """A check for :attr:`Job.alive`: is any tab of workspace ``owner`` open?

        Parameters
        ----------
        owner
            The workspace.
        """
        return partial(self.any_open, owner)


def _spent(context: JobContext) -> None:
    raise RuntimeError("this job has already run")  # a bug: a job runs once


def _same_owner(first: Job, second: Job) -> bool:
    return first.owner is not None and first.owner == second.owner
