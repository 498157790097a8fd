"""The isolated reader's worker process: ``python -m genodash.io._worker`` (see ``_isolated``)."""

from __future__ import annotations

import os
from multiprocessing.connection import Connection

from genodash.errors import FormatError, GenodashError


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
        except Exception as error:  # a damaged file can make a library fail in any way
            replies.send(
                (
                    "error",
                    FormatError(f"could not be read ({type(error).__name__}: {str(error)[:160]})"),
                )
            )


def main() -> None:
    # Keep the reply pipe private: anything a library prints goes to stderr instead.
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    _serve(requests, replies)


if __name__ == "__main__":
    main()
