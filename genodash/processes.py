"""Worker processes started as modules of genodash (``python -m genodash.…``), with one pipe
each way.

Never ``multiprocessing``'s spawn: under Streamlit the caller's ``__main__`` is the page
script that happens to be running, and spawn runs it again in the child, outside any page.
A worker started as a module runs only its own code.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])


@dataclass
class Worker:
    """A running worker: its process, the pipe to it and the pipe from it."""

    process: subprocess.Popen[bytes]
    requests: Connection
    replies: Connection

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Close both pipes and end the process (at once: it may be stuck or out of memory)."""
        for connection in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                connection.close()
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)


def start_worker(module: str, *args: str, env: dict[str, str] | None = None) -> Worker:
    """Start ``python -m module args…`` with pipes on its stdin and stdout.

    Parameters
    ----------
    module
        A genodash module whose ``__main__`` block calls :func:`worker_pipes` and serves.
    args
        Its command-line arguments.
    env
        Variables set for it, over this process's environment.
    """
    path = os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {}), "PYTHONPATH": path},
        close_fds=True,
    )
    requests = Connection(os.dup(process.stdin.fileno()), readable=False)
    replies = Connection(os.dup(process.stdout.fileno()), writable=False)
    process.stdin.close()
    process.stdout.close()
    return Worker(process, requests, replies)


def worker_pipes() -> tuple[Connection, Connection]:
    """In a worker: the pipe of requests (stdin) and the pipe of replies (stdout). Anything a
    library prints afterwards goes to stderr, so it cannot corrupt the replies."""
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    return requests, replies
