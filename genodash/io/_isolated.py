"""Run a reader in a separate worker process, so that a hostile file fails only itself.

The HDF5 C library can crash (segfault) or spin on damaged files, and a small compressed
file can expand to gigabytes while it is parsed; either would take the whole app — every
user's session — down with it. Uploads are therefore parsed in one long-lived worker
process (``python -m genodash.io._worker``) whose memory is capped (``RLIMIT_DATA``, from
:attr:`Limits.max_parse_memory_bytes`): running out of it, a crash or a time-out ends
only the worker, which is restarted for the next file, and the user gets a clear error.
Requests and results travel over pipes between genodash's own processes; the worker is
started as a module, so it never re-runs the caller's script. Inside the worker, nested
calls run in place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from genodash.errors import FormatError, InputError, LimitError
from genodash.limits import IN_READER_WORKER, READER_MEMORY, human_bytes, in_reader_worker
from genodash.processes import Worker, start_worker


class IsolatedRunner:
    """One worker process, started on first use and restarted after a crash or time-out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker: Worker | None = None
        self._memory: int | None = None

    def run(
        self,
        function: Callable[..., Any],
        *args: Any,
        file: str,
        timeout: float,
        memory: int | None = None,
    ) -> Any:
        """``function(*args)`` in the worker; its GenodashError is re-raised here.

        ``memory`` caps the worker's memory in bytes (None: no cap); a worker started with
        another cap is restarted. In the worker itself, ``function`` runs in place.
        """
        if in_reader_worker():
            return function(*args)
        with self._lock:
            requests, replies = self._ensure_started(memory)
            try:
                requests.send((function, args))
                if not replies.poll(timeout):
                    self._stop()
                    raise LimitError(
                        f"reading took longer than {timeout:.0f} s and was stopped",
                        file=file,
                        hint="The file may be damaged; for large files raise "
                        "GENODASH_MAX_PARSE_SECONDS",
                    )
                status, value = replies.recv()
            except (EOFError, OSError) as err:
                self._stop()
                if memory is not None:
                    raise LimitError(
                        "stopped the reader: reading it needs more than the "
                        f"{human_bytes(memory)} of memory one file may use, or the file is "
                        "damaged (nothing was loaded)",
                        file=file,
                        hint="Use a smaller file, or ask whoever runs this server to raise "
                        "GENODASH_MAX_PARSE_MEMORY_BYTES",
                    ) from err
                raise FormatError(
                    "crashed the reader: the file is damaged (nothing was loaded)",
                    file=file,
                    hint="Download or copy the file again",
                ) from err
        if status == "error":
            raise _naming(value, file)
        return value

    def _ensure_started(self, memory: int | None) -> tuple[Connection, Connection]:
        if self._worker is not None and self._worker.alive() and self._memory == memory:
            return self._worker.requests, self._worker.replies
        self._stop()
        env = {IN_READER_WORKER: "1", READER_MEMORY: str(memory or "")}
        self._worker, self._memory = start_worker("genodash.io._worker", env=env), memory
        return self._worker.requests, self._worker.replies

    def _stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


def _naming(error: Exception, file: str) -> Exception:
    """``error`` naming ``file`` when it names no file yet (the worker knows no names)."""
    if isinstance(error, InputError) and error.file is None:
        return type(error)(error.problem, file=file, where=error.where, hint=error.hint)
    return error


RUNNER = IsolatedRunner()
