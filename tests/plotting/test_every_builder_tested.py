"""Every figure builder of genodash.plotting has a test in this folder.

A builder is a public function of a public module of genodash.plotting that returns a
plotly figure (annotated ``-> go.Figure``, as tests/plotting/test_plotting_escape.py finds them)
or whose name ends in ``_figure`` (``logo_figure`` returns a matplotlib figure). The
curse module is tested in tests/curse/test_curse.py and tests/plotting/test_plotting_escape.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import genodash.plotting

HERE = Path(__file__).resolve().parent
TESTED_ELSEWHERE = {"curse"}


def _builders() -> dict[str, str]:
    """``module.function`` → function name, for every figure builder."""
    found = {}
    for info in pkgutil.iter_modules(genodash.plotting.__path__):
        if info.name.startswith("_") or info.name in TESTED_ELSEWHERE:
            continue
        module = importlib.import_module(f"genodash.plotting.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            returns = inspect.signature(function).return_annotation
            if returns == "go.Figure" or name.endswith("_figure"):
                found[f"{info.name}.{name}"] = name
    return found


def _called_in_tests() -> set[str]:
    """Names called as functions in the test modules of this folder."""
    called = set()
    for path in HERE.glob("test_*.py"):
        if path.resolve() != Path(__file__).resolve():
            called |= set(re.findall(r"\b([A-Za-z_]\w*)\(", path.read_text(encoding="utf-8")))
    return called


def test_the_builders_are_found():
    builders = _builders()
    # one of each module, so a change in how builders are found cannot empty the list
    for name in (
        "data.class_balance_figure",
        "training.roc_figure",
        "interpret.ism_figure",
        "expression.embedding_grid",
        "logos.logo_figure",
    ):
        assert name in builders
    assert not any(name.startswith("curse.") for name in builders)


def test_every_figure_builder_has_a_test_here():
    called = _called_in_tests()
    untested = sorted(key for key, name in _builders().items() if name not in called)
    assert not untested, f"figure builders without a test in tests/plotting: {untested}"
