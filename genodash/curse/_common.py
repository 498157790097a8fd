"""What the curse-of-dimensionality demos share: the result mixin, parameter checks, grids."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar, cast

import numpy as np

from genodash.errors import ConfigError

_SEED_MAX = 2**32 - 1
F = TypeVar("F", bound=Callable[..., Any])


class Result:
    """Mixin for the frozen result dataclasses: ``as_dict()`` gives JSON-ready values,
    ``as_json()`` the same as JSON text."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: json_ready(getattr(self, f.name)) for f in fields(self)}

    def as_json(self) -> str:
        """:meth:`as_dict` as indented JSON text, non-ASCII characters kept (for downloads)."""
        return json.dumps(self.as_dict(), indent=1, ensure_ascii=False)


def json_ready(value: Any) -> Any:
    if isinstance(value, Result):
        return value.as_dict()
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, tuple | list | np.ndarray):
        return [json_ready(item) for item in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def floats(values: Any) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def whole(value: int, name: str, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ConfigError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    return int(value)


def real(value: float, name: str, low: float, high: float) -> float:
    number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not number or not low <= value <= high:  # the comparison also rejects NaN
        raise ConfigError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def wholes(values: Sequence[int], name: str, low: int, high: int) -> tuple[int, ...]:
    """Distinct whole numbers in range, sorted."""
    if isinstance(values, str) or not len(values):
        raise ConfigError(f"{name} needs at least one whole number from {low:,} to {high:,}")
    return tuple(sorted({whole(v, name, low, high) for v in values}))


def reals(values: Sequence[float], name: str, low: float, high: float) -> tuple[float, ...]:
    """Distinct numbers in range, sorted."""
    if isinstance(values, str) or not len(values):
        raise ConfigError(f"{name} needs at least one number from {low:g} to {high:g}")
    return tuple(sorted({real(v, name, low, high) for v in values}))


def choice(value: str, name: str, options: Sequence[str]) -> str:
    if value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def check_seed(seed: int) -> int:
    return whole(seed, "seed", 0, _SEED_MAX)


def predictor_grid(n: int, top: float) -> tuple[int, ...]:
    """Numbers of predictors that sample small p, crowd around p = n and go up to top·n."""
    fractions = (0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0)
    grid = {1, 2, 5, n - 2, n - 1, n, n + 2} | {round(f * n) for f in fractions if f <= top}
    return tuple(sorted(p for p in grid if 1 <= p <= top * n))


def least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares coefficients, the minimum-norm ones when p > n; batched over leading axes.

    Parameters
    ----------
    x
        Designs, (…) × n × p.
    y
        Responses, (…) × n.

    Returns
    -------
    numpy.ndarray
        Coefficients, (…) × p.
    """
    xt = np.swapaxes(x, -1, -2)
    if x.shape[-1] <= x.shape[-2]:
        return np.linalg.solve(xt @ x, xt @ y[..., None])[..., 0]
    return (xt @ np.linalg.solve(x @ xt, y[..., None]))[..., 0]


def single_threaded(function: F) -> F:
    """Run ``function`` with one BLAS thread.

    The demos make many small matrix products and fits. With two BLAS threads they ran up
    to 10× slower whenever another process used a core (measured on 2 cores: 0.3 s against
    2–6 s); one thread is fast either way and leaves the other core to other users.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return cast(F, wrapper)
