"""Helpers shared by test modules: import them with ``from support import …``.

tests/ is on ``sys.path`` for every test module (pytest's default import mode puts
tests/conftest.py's folder there), so this works from any sub-folder. Test modules never
import each other: what two of them share lives here (or in a conftest fixture).
Real-browser helpers are in browser_support.py (bench/ uses it too).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from conftest import ROOT

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import pytest
    from streamlit.testing.v1 import AppTest


# --- the command line ------------------------------------------------------------------------


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict | None, str]:
    """Run ``genodash.cli.main(args)`` in this process: its exit status, its last JSON line
    (``None`` when it printed none) and its stderr."""
    from genodash.cli import main

    try:
        status = main(list(args))
    except SystemExit as stop:
        status = stop.code
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    return status, (json.loads(lines[-1]) if lines else None), captured.err


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m genodash *args`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "genodash", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- AppTest (pages run headless) --------------------------------------------------------------


def open_page(path: str) -> AppTest:
    """Run ``path`` as the server would: with app.py as the entry point."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if path != "app.py":
        at.switch_page(path)
    at.run()
    return at


def summary_metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="upload").set_value(
        [(name, data, "application/octet-stream") for name, data in files]
    )
    return at.run()


def until(at: AppTest, done, timeout: float = 120) -> AppTest:
    """Rerun (as the live fragment would) until ``done(at)``."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
        at.run()
    return at


def has_subheader(text: str):
    return lambda at: any(text in s.value for s in at.subheader)


def small_dataset(at: AppTest) -> AppTest:
    """Put the 300-sequence planted-motif example in the session and rerun."""
    import ui

    at.session_state["dataset"] = ui.cached_example(
        "planted-motif",
        tuple(
            sorted(
                {
                    "n": 300,
                    "length": 30,
                    "motif": "ACGTACGT",
                    "mutation_rate": 0.0,
                    "positive_fraction": 0.5,
                    "seed": 1,
                }.items()
            )
        ),
    )
    return at.run()


def train_cnn(epochs: int = 3, *, length: int | None = None, align: str = "left") -> AppTest:
    """Train a CNN on the small example through the Train page; returns once results show."""
    at = small_dataset(open_page("pages/3_Train.py"))
    at.number_input(key="train-epochs").set_value(epochs)
    if length is not None:
        dataset = at.session_state["dataset"]
        at.number_input(key=f"train-length-{dataset.name}-{dataset.n_obs}").set_value(length)
    at.selectbox(key="train-align").set_value(align)
    at.button(key="start-training").click().run()
    return until(at, has_subheader("Results"))


# --- plotly figures (the figure-builder tests in tests/plotting/) -------------------------------


def traces(fig: go.Figure) -> list[tuple[str, str | None]]:
    """``(type, name)`` of every trace, in drawing order."""
    return [(trace.type, trace.name) for trace in fig.data]


def title(fig: go.Figure) -> str:
    return fig.layout.title.text


def axis_titles(fig: go.Figure, axis: str = "x") -> list[str | None]:
    """The title of every x (or y) axis, in subplot order (``xaxis``, ``xaxis2``…)."""
    axes = fig.select_xaxes() if axis == "x" else fig.select_yaxes()
    return [a.title.text for a in axes]


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def as_list(values: object) -> list:
    """A trace's array property as a plain list (plotly keeps tuples or numpy arrays)."""
    return [v.item() if hasattr(v, "item") else v for v in list(values)]
