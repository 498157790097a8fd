"""Run a reader in a separate worker process, so that a hostile file fails only itself.

The HDF5 C library can crash (segfault) or spin on damaged files, which would take the
whole app — every user's session — down with it. HDF5 uploads are therefore parsed in one
long-lived worker process (``python -m genodash.io._worker``): a crash or a time-out
kills only the worker, which is restarted for the next file, and the user gets a clear
error. Requests and results travel over pipes between genodash's own processes; the
worker is started as a module, so it never re-runs the caller's script.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from genodash.errors import FormatError, LimitError

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class IsolatedRunner:
    """One worker process, started on first use and restarted after a crash or time-out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None

    def run(self, function: Callable[..., Any], *args: Any, file: str, timeout: float) -> Any:
        """``function(*args)`` in the worker; its GenodashError is re-raised here."""
        with self._lock:
            requests, replies = self._ensure_started()
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
                raise FormatError(
                    "crashed the HDF5 reader: the file is damaged (nothing was loaded)",
                    file=file,
                    hint="Download or copy the file again",
                ) from err
        if status == "error":
            raise value if value.file else FormatError(str(value), file=file)
        return value

    def _ensure_started(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None:
            return self._requests, self._replies  # type: ignore[return-value]
        self._stop()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")])
            ),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "genodash.io._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        self._requests = Connection(os.dup(process.stdin.fileno()), readable=False)
        self._replies = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        self._process = process
        return self._requests, self._replies

    def _stop(self) -> None:
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        self._requests = self._replies = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


RUNNER = IsolatedRunner()
