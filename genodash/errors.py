"""The one exception hierarchy of genodash.

Every error a user can cause derives from :class:`GenodashError`; the app and the
command line catch exactly that class and show its message. Subclasses also derive
from the matching built-in so that generic ``except ValueError`` code keeps working.
"""

from __future__ import annotations


class GenodashError(Exception):
    """Base class of every error genodash raises on purpose."""


class InputError(GenodashError, ValueError):
    """A file or value given by the user cannot be used.

    Parameters
    ----------
    problem
        What is wrong, in plain words.
    file
        Display name of the file (never a path on the server).
    where
        The place in the file: record, line, row, column or position.
    hint
        What the user can do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.where = where
        self.hint = hint
        super().__init__(self._compose())

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # keep the fields when the error crosses a process boundary (the isolated reader)
        return _restore, (type(self), self.problem, self.file, self.where, self.hint)

    def _compose(self) -> str:
        head = ": ".join(part for part in (self.file, self.where) if part)
        text = f"{head}: {self.problem}" if head else self.problem
        if self.hint:
            text = f"{text}. {self.hint}"
        return text


def _restore(
    cls: type[InputError], problem: str, file: str | None, where: str | None, hint: str | None
) -> InputError:
    return cls(problem, file=file, where=where, hint=hint)


class FormatError(InputError):
    """The content does not follow the file format it claims or appears to be."""


class LimitError(InputError):
    """The input exceeds a configured size or count limit."""


class OrientationError(InputError):
    """A matrix looks transposed (genes as rows); the user must confirm a transpose."""


class RunError(InputError):
    """A saved run is incomplete, altered, or does not match its model."""


class ConfigError(GenodashError, ValueError):
    """An option or parameter has an invalid value (unknown name, out of range)."""


class WorkerFailed(GenodashError, RuntimeError):
    """Work done in a worker process (training a model, an atlas graph step) ended without
    its result: out of memory, a crash, or an error inside it."""
