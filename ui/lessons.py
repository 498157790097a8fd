"""Lessons in the app: the numbers pages publish for lesson checks, the glossary's help
texts, and the lessons a session can follow (shipped ones and the teacher's own).

Pages publish a number with one line where they show it, e.g.
``ui.lessons.record_result("distance-ratio", value)`` (``ui.lessons`` is loaded with ``ui``);
the names are listed in :data:`genodash.lessons.NUMBERS`. The numbers are kept in
the session and in the workspace's ``lessons.json``, so a refresh keeps them and the
teacher's view can read them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from genodash import lessons
from genodash.errors import InputError
from genodash.lessons import Published
from genodash.limits import data_dir
from genodash.viewstate import encode_value
from ui import address
from ui.state import read_only, workspace_dir

_NUMBERS = "_lesson_numbers"
_FIGURES = "_lesson_figures"


def record_result(name: str, value: float) -> None:
    """Publish a number a lesson may check (see :data:`genodash.lessons.NUMBERS`).

    Kept in the session; on a page opened by a lesson step's link, also as that step's
    number (the only kind a check reads), which is written to the workspace's
    ``lessons.json`` for the teacher's view and later visits. A non-finite value (an
    undefined score) is not published.
    """
    if name not in lessons.NUMBERS:
        raise KeyError(f"{name!r} is not in genodash.lessons.NUMBERS")
    value = float(value)
    if not math.isfinite(value):
        return
    tag = current_step_tag()
    before = published()
    now = before.with_number(name, value, tag, _own_view() if tag else None)
    if now == before:
        return
    st.session_state[_NUMBERS] = now
    if tag is None or read_only():
        # only a lesson step's numbers go to disk (a visit outside a lesson leaves no file);
        # a workspace shown read-only is someone else's and never written
        return
    folder = workspace_dir()
    with contextlib.suppress(OSError):  # a read-only disk: the numbers stay in the session
        # merged with the file: another tab of the same workspace may have published others
        on_disk = lessons.read_results(folder)
        mine = Published().with_number(name, value, tag, now.views.get(tag))
        lessons.write_results(folder, on_disk.merged(mine))


def _own_view() -> str:
    """This page's address relative to the app, without the workspace's tokens: the view
    the student had when a number was made (for the lesson report)."""
    from urllib.parse import urlsplit

    here = urlsplit(address.view_url(ws="", view=""))
    return f"{here.path.lstrip('/')}?{here.query}"


def remember_figure(figure: Any, key: str) -> None:
    """On a page opened by a lesson step's link, keep the first figures it shows (by chart
    ``key``, so a rerun replaces its own) in the workspace, for the lesson report.

    Parameters
    ----------
    figure
        The plotly figure as drawn.
    key
        The chart's key.
    """
    tag = current_step_tag()
    if tag is None or read_only():
        return
    shown = st.session_state.setdefault(_FIGURES, {}).setdefault(tag, {})
    if key not in shown and len(shown) >= lessons.FIGURES_PER_STEP:
        return
    text = figure.to_json()
    if shown.get(key) == text:
        return
    shown[key] = text
    with contextlib.suppress(OSError):  # a read-only disk: the report goes without figures
        lessons.write_step_figures(workspace_dir(), tag, list(shown.values()))


def current_step_tag() -> str | None:
    """The lesson step this page was opened for (the address's ``lesson=<key>.<step>``)."""
    text = st.query_params.get("lesson")
    return text if lessons.parse_step_tag(text) else None


def record_results(**values: float) -> None:
    """Publish several numbers; a keyword stands for the name with ``-`` for ``_``, e.g.
    ``record_results(test_auroc=0.98)`` publishes ``test-auroc``."""
    for name, value in values.items():
        record_result(name.replace("_", "-"), value)


def record_scores(scores: Mapping[str, Any]) -> None:
    """Publish an embedding's scores (``embedding-<score>``), those that are defined."""
    for key, value in scores.items():
        name = f"embedding-{key}"
        if name in lessons.NUMBERS and isinstance(value, int | float):
            record_result(name, value)


def record_sparsity(result: Any) -> None:
    """Publish a sparsity demo's shares within the radius in 2 and 10 dimensions (those it
    simulated)."""
    shares = dict(zip(result.dims, result.fraction_within, strict=True))
    for p in (2, 10):
        if p in shares:
            record_result(f"sparsity-share-{p}d", shares[p])


def record_overfitting(result: Any) -> None:
    """Publish an overfitting demo's training and test errors with all features."""
    record_results(
        overfit_train_error=result.train_error[-1], overfit_test_error=result.test_error[-1]
    )


def record_read_ends(view: Any) -> None:
    """Publish a read-ends view's model and baseline accuracies and its saliency ratio."""
    record_results(
        ends_model_accuracy=view.model_accuracy,
        ends_baseline_accuracy=view.baseline.accuracy,
        ends_saliency_ratio=view.saliency.ratio,
    )


def record_leaderboard(runs: Sequence[Any]) -> None:
    """Publish each compared architecture's test AUROC (``compare-auroc-<model>``)."""
    for run in runs:
        name = f"compare-auroc-{run.model_name}"
        if name in lessons.NUMBERS:
            record_result(name, run.test["auroc"])


def published() -> Published:
    """The numbers this session (or, after a refresh, its workspace) has published."""
    if _NUMBERS not in st.session_state:
        st.session_state[_NUMBERS] = lessons.read_results(workspace_dir())
    return st.session_state[_NUMBERS]


@st.cache_data(show_spinner=False)
def _glossary() -> dict[str, str]:
    return lessons.glossary()


def glossary() -> dict[str, str]:
    """The glossary (term → sentence), read once per server."""
    return dict(_glossary())


def term_help(term: str, before: str = "") -> str:
    """The glossary's sentence on ``term``, for a widget's ``help=`` (after ``before``, the
    widget's own help, where given); KeyError if the glossary lacks the term."""
    sentence = f"{_glossary()[term]} [Glossary](Lessons#{lessons.term_anchor(term)})"
    return f"{before}\n\n{sentence}" if before else sentence


def with_term(label: str, text: str | None) -> str | None:
    """``text`` (a widget's or column's help) followed by the glossary's sentence when
    ``label`` is a glossary term (any case), else ``text`` unchanged."""
    terms = {term.casefold(): term for term in _glossary()}
    term = terms.get(label.casefold())
    return text if term is None else term_help(term, text or "")


def page_files() -> list[str]:
    """The page files a lesson step may link to: the app's pages."""
    from ui.frame import PAGES

    return [info.path for info in PAGES]


def teacher_folder() -> Path | None:
    """The server data folder's ``lessons/`` (the teacher's own lessons), if there is one."""
    root = data_dir()
    return None if root is None else root / "lessons"


def available_lessons() -> tuple[list[lessons.Lesson], list[InputError]]:
    """The shipped lessons and the teacher's, in course order, and the bad files' errors.

    The shipped lessons win when a teacher's file has the same name.
    """
    folders = [lessons.SHIPPED_DIR]
    extra = teacher_folder()
    if extra is not None:
        folders.append(extra)
    return lessons.load_lessons(folders, pages=page_files())


def link_params(lesson: lessons.Lesson, index: int) -> dict[str, str]:
    """The address parameters that open step ``index`` (from 1) of ``lesson``: its settings,
    the step's tag (``lesson=<key>.<step>``) and this browser's workspace."""
    step = lesson.steps[index - 1]
    params = {key: encode_value(value) for key, value in step.settings.items()}
    params["lesson"] = lessons.step_tag(lesson.key, index)
    for name in ("ws", "view"):
        if name in st.query_params:
            params[name] = st.query_params[name]
    return params
