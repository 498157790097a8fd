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
from typing import Any

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


def resident_bytes() -> int:
    """This process's resident memory now (Linux's ``/proc/self/statm``); elsewhere its peak
    so far, the nearest figure the standard library gives."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return pages * os.sysconf("SC_PAGE_SIZE")


# --- the C allocator ------------------------------------------------------------------------


def keep_memory_flat() -> None:
    """Have the C allocator (glibc) give every block of 1 MiB or more its own mapping,
    returned to the system when freed; a no-op elsewhere. Called once the out-of-core way is
    taken; it applies to the whole process.

    Why: glibc raises that threshold to the largest block freed so far (up to 32 MiB), after
    which the arrays of each batch (16 MB at 2,048 cells × 2,000 genes) come from its heap,
    whose freed holes it keeps. Measured on one pass of a VAE over 200,000 cells: the
    resident memory grew from 0.5 GB to 0.94 GB over the pass, and stayed at 0.54 GB with
    the threshold fixed, at the same speed.
    """
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 1 << 20)


_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def release_free_memory() -> None:
    """Hand the C allocator's (glibc's) free memory back to the system (``malloc_trim``), so
    that the resident memory after a large step is what is still in use; a no-op elsewhere.
    The atlas pipeline calls it between steps, whose temporary arrays would otherwise stay
    counted until the process ends."""
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def _libc_function(name: str) -> Any:
    import ctypes
    import ctypes.util

    library = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(library), name, None) if library else None
