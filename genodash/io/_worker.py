"""The isolated reader's worker process: ``python -m genodash.io._worker`` (see ``_isolated``)."""

from __future__ import annotations

import resource
from multiprocessing.connection import Connection

from genodash.errors import FormatError, GenodashError, LimitError
from genodash.limits import human_bytes, reader_memory_bytes
from genodash.processes import worker_pipes


def _serve(requests: Connection, replies: Connection) -> None:
    """The worker's loop: receive (function, args), reply ('ok', result) or ('error', e)."""
    while True:
        try:
            function, args = requests.recv()
        except EOFError:
            return
        try:
            replies.send(("ok", function(*args)))
        except GenodashError as error:
            replies.send(("error", error))
        except MemoryError:
            replies.send(("error", _out_of_memory()))
        except Exception as error:  # a damaged file can make a library fail in any way
            replies.send(
                (
                    "error",
                    FormatError(f"could not be read ({type(error).__name__}: {str(error)[:160]})"),
                )
            )


def _out_of_memory() -> LimitError:
    limit = reader_memory_bytes()
    cap = f"the {human_bytes(limit)} of memory one file may use" if limit else "memory"
    return LimitError(
        f"reading it needs more than {cap} (nothing was loaded)",
        hint="Use a smaller file, or ask whoever runs this server to raise "
        "GENODASH_MAX_PARSE_MEMORY_BYTES",
    )


def _cap_memory() -> None:
    """Cap this process's data memory (heap and anonymous maps: numpy arrays included)."""
    limit = reader_memory_bytes()
    if limit:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main() -> None:
    _cap_memory()
    _serve(*worker_pipes())


if __name__ == "__main__":
    main()
