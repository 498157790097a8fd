"""Where the atlas pipeline's block tasks run: dask, on this machine or on a cluster.

Without an address, dask's threaded scheduler runs the tasks on this machine's cores.
With the address of a running ``dask.distributed`` scheduler (``--scheduler`` on the
command line, ``GENODASH_DASK_SCHEDULER`` for the app), the same tasks go to its workers,
which must have genodash installed and see the matrix file at the same path.

Tasks are handed to dask a few at a time (two per worker thread), and their results are
added up as each group finishes, so the results held at once stay bounded however many
blocks the matrix has, and progress is known after every group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from genodash.errors import ConfigError
from genodash.expression.embed import n_threads

Progress = Callable[[int, int], None]


class Engine:
    """dask's threaded scheduler on this machine, or a client of a distributed scheduler.

    Parameters
    ----------
    scheduler
        The address of a running ``dask.distributed`` scheduler (e.g.
        ``tcp://10.0.0.5:8786``), or ``None`` for this machine's threads.
    connect_seconds
        How long to wait for the scheduler before giving up.

    Raises
    ------
    ConfigError
        The scheduler cannot be reached, or has no workers.
    """

    def __init__(self, scheduler: str | None = None, *, connect_seconds: float = 10.0) -> None:
        self.address = scheduler
        self.client = None if scheduler is None else _connect(scheduler, connect_seconds)
        self.workers = n_threads() if self.client is None else _worker_threads(self.client)

    def describe(self) -> str:
        """In words: where the tasks run."""
        if self.client is None:
            return f"this machine ({self.workers} threads)"
        return f"the dask scheduler at {self.address} ({self.workers} worker threads)"

    def map(
        self,
        function: Callable[..., Any],
        arguments: Sequence[tuple[Any, ...]],
        combine: Callable[[Any], None],
        progress: Progress | None = None,
    ) -> None:
        """Run ``function(*args)`` for every item of ``arguments`` and pass each result to
        ``combine``, in the order of ``arguments``.

        Parameters
        ----------
        function
            A module-level function (workers import it by name).
        arguments
            One tuple of arguments per task.
        combine
            Receives each result, in order.
        progress
            Called with (tasks done, tasks in all) after each group.
        """
        import dask

        group = 2 * self.workers
        for first in range(0, len(arguments), group):
            tasks = [
                dask.delayed(function, pure=False)(*args)
                for args in arguments[first : first + group]
            ]
            for result in self._compute(tasks):
                combine(result)
            if progress is not None:
                progress(min(first + group, len(arguments)), len(arguments))

    def close(self) -> None:
        """Disconnect from the scheduler (it and its workers keep running)."""
        if self.client is not None:
            self.client.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _compute(self, tasks: list[Any]) -> tuple[Any, ...]:
        import dask

        if self.client is None:
            return dask.compute(*tasks, scheduler="threads", num_workers=self.workers)
        return tuple(self.client.gather(self.client.compute(tasks)))


def _connect(address: str, seconds: float) -> Any:
    from distributed import Client

    try:
        client = Client(address, timeout=f"{seconds}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(
            f"cannot reach the dask scheduler at {address} ({type(err).__name__}); start one "
            "with `dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
            "--scheduler to use this machine"
        ) from err
    if not client.nthreads():
        client.close()
        raise ConfigError(f"the dask scheduler at {address} has no workers; start `dask worker`")
    return client


def _worker_threads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))
