"""Background jobs: long work (training) in a thread, with progress, a stop signal and a queue.

The app starts a job and polls :meth:`Job.snapshot`; the job never touches the UI. At most
:func:`genodash.device.default_max_jobs` jobs run at once per process; later ones wait in a
first-in, first-out queue and can be cancelled while they wait. The queue is fair: one
workspace has at most :attr:`~genodash.limits.Limits.max_jobs_per_workspace` jobs at once and
runs one at a time, a waiting job whose browser tab has closed is dropped, and every job stops
at the time limit, saying so.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from genodash.device import default_max_jobs
from genodash.errors import ConfigError, GenodashError
from genodash.limits import Limits
from genodash.train.callbacks import Callbacks, Progress

Status = Literal["queued", "running", "done", "stopped", "failed"]
_ids = itertools.count(1)


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
        return self.status in ("queued", "running")


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
                self._messages.append("stopped: the browser tab that started it was closed")
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
        job.thread = threading.Thread(
            target=self._wait_then_run, args=(job,), name=f"genodash-job-{job.id}", daemon=True
        )
        job.thread.start()
        return job

    def position(self, job: Job) -> int:
        """1 for the next job to start, 0 once running or finished."""
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

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


def _same_owner(first: Job, second: Job) -> bool:
    return first.owner is not None and first.owner == second.owner
