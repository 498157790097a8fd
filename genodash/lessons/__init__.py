"""Guided lessons: plain YAML files a teacher can write, their reader and their checks.

A lesson walks part of the course in a few steps. Each step asks the student to predict a
result, links to a page set up for it (the page file and its settings, turned into an
address by :mod:`genodash.viewstate`), says what to look for, and checks one number the
page publishes against an expected range. The published numbers are listed in
:data:`NUMBERS`, the one place their names are defined; pages publish them under these
names. A lesson file looks like this::

    title: P ≫ N and the curse of dimensionality
    summary: Why many variables and few samples break statistics.
    order: 1
    steps:
      - question: What share of points lies within 1σ of a point in 10 dimensions?
        page: pages/2_Curse_of_dimensionality.py
        settings: {demo: sparsity, sparsity-top: 10}
        look_for: How fast the share falls as dimensions are added.
        check:              # optional: a step may only ask to look
          number: sparsity-share-10d
          expected: [0.0, 0.05]
          inside: Almost no points are near: the space is empty.
          outside: Check that the last dimension is 10 and the radius 1σ.

A step's link also carries ``lesson=<key>.<step>`` (:func:`step_tag`); a number a page
publishes while its address holds that tag is kept as that step's number
(:class:`Published`), and only those count for the step's check.

Files are read with ``yaml.safe_load`` only (steps are counted from 1); a malformed file raises
:class:`~genodash.errors.InputError` naming the file and the field, e.g.
``lesson-2.yaml: step 3.check.expected: two numbers low ≤ high, got [0.9, 0.1]``.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from genodash.errors import InputError
from genodash.io.writers import atomic_path
from genodash.viewstate import page_url_path, view_query
from genodash.workspace import TOKEN

SHIPPED_DIR = Path(__file__).resolve().parent
GLOSSARY_FILE = SHIPPED_DIR.parent / "glossary.toml"
RESULTS_FILE = "lessons.json"
FIGURES_DIR = ".lesson-figures"  # a lesson step's figures, for the report
FIGURES_PER_STEP = 2
REPORT_FIGURE_SIZE = (960, 540)
MAX_LESSON_BYTES = 256 * 1024

# The numbers pages publish for checks: name → what it is and where it is shown.
NUMBERS: dict[str, str] = {
    "sparsity-share-2d": "Curse of dimensionality, demo 1: share of the points within the "
    "radius in 2 dimensions (0–1)",
    "sparsity-share-10d": "Curse of dimensionality, demo 1: share of the points within the "
    "radius in 10 dimensions, when the plot reaches 10 (0–1)",
    "distance-ratio": "Curse of dimensionality, demo 2: nearest ÷ farthest distance at the "
    "most dimensions (0–1)",
    "overfit-train-error": "Curse of dimensionality, overfitting demo: training error with all "
    "features",
    "overfit-test-error": "Curse of dimensionality, overfitting demo: test error with all features",
    "test-accuracy": "A trained sequence model's test accuracy (0–1), on Train a model or Runs",
    "test-auroc": "A trained sequence model's test AUROC, on Train a model or Runs",
    "compare-auroc-cnn": "Compare architectures: the CNN's test AUROC in the leaderboard",
    "compare-auroc-lstm": "Compare architectures: the LSTM's test AUROC in the leaderboard",
    "compare-auroc-transformer": "Compare architectures: the Transformer's test AUROC in the "
    "leaderboard",
    "motif-recovery": "Interpret, across sequences: share of the sequences with a planted motif "
    "whose top-scoring window overlaps it (0–1)",
    "ends-model-accuracy": "Interpret, read ends: the model's accuracy, one read at a time (0–1)",
    "ends-baseline-accuracy": "Interpret, read ends: the end-base baseline's accuracy, the "
    "ceiling one read allows (0–1)",
    "ends-saliency-ratio": "Interpret, read ends: mean saliency per base at the read ends over "
    "the middle",
    "test-loss": "A trained expression model's test loss, on Autoencoders or Runs",
    "embedding-knn_accuracy": "Embeddings: kNN accuracy of the embedding shown (0–1)",
    "embedding-silhouette": "Embeddings: silhouette of the embedding shown (−1 to 1)",
    "embedding-trustworthiness": "Embeddings: trustworthiness of the embedding shown (0–1)",
    "embedding-batch_mixing": "Embeddings: batch mixing of the embedding shown (0–1)",
}

# A lesson file to start from: the Lessons page offers it to teachers (and a test parses it).
TEMPLATE = """\
title: My lesson
summary: What the students will see, in one or two sentences.
order: 10          # where it goes in the list (the shipped lessons are 1 to 7)
steps:
  - question: What share of points lies within 1σ of a point in 10 dimensions?
    page: pages/2_Curse_of_dimensionality.py
    settings: {demo: sparsity, sparsity-top: 10, sparsity-seed: 0}
    look_for: How fast the share falls as dimensions are added.
    check:         # optional: leave it out for a step that only asks to look
      number: sparsity-share-10d
      expected: [0.0, 0.005]
      inside: No point is near in 10 dimensions; the space is empty.
      outside: Check that the slider "Dimensions up to p" is at 10.
"""

Status = Literal["inside", "outside", "missing"]


@dataclass(frozen=True)
class Check:
    """One published number against the range a lesson expects.

    Attributes
    ----------
    number
        The name of the published number (a key of :data:`NUMBERS`).
    low, high
        The expected range, both ends included.
    inside, outside
        What a number inside, or outside, the range means.
    """

    number: str
    low: float
    high: float
    inside: str
    outside: str


@dataclass(frozen=True)
class Step:
    """One step: predict, open the page set up for it, look, check.

    Attributes
    ----------
    question
        What to predict before opening the page.
    page
        The page file, e.g. ``pages/2_Curse_of_dimensionality.py``.
    settings
        The page's settings by their widget keys, plus ``data`` and ``data.<param>``.
    look_for
        What to look for on the page.
    check
        The number to check, or None for a step that only asks to look.
    """

    question: str
    page: str
    settings: dict[str, Any]
    look_for: str
    check: Check | None = None

    @property
    def url(self) -> str:
        """The step's address relative to the app's root, e.g.
        ``Curse_of_dimensionality?demo=sparsity``."""
        query = view_query(self.settings)
        return page_url_path(self.page) + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Lesson:
    """A lesson: its file's name (``key``), title, summary, place in the course and steps."""

    key: str
    title: str
    summary: str
    order: int
    steps: tuple[Step, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Outcome:
    """A check's result for a student's number: ``status`` and the sentence to show."""

    status: Status
    value: float | None
    message: str


# --- reading lesson files ----------------------------------------------------------------------

_LESSON_FIELDS = {"title": str, "summary": str, "order": int, "steps": list}
_STEP_FIELDS = {"question": str, "page": str, "settings": dict, "look_for": str, "check": dict}
_CHECK_FIELDS = {"number": str, "expected": list, "inside": str, "outside": str}
_OPTIONAL = {"check", "settings"}
_SCALARS = (str, int, float, bool)


def load_lesson(path: str | Path, *, pages: Collection[str]) -> Lesson:
    """Read and check one lesson file.

    Parameters
    ----------
    path
        A ``.yaml`` (or ``.yml``) lesson file; its name (without suffix) is the lesson's key.
    pages
        The page files a step may link to, e.g. ``["app.py", "pages/1_Data.py", …]``.

    Returns
    -------
    Lesson
        The lesson, its steps in file order.

    Raises
    ------
    InputError
        The file cannot be read, is not YAML, or a field is missing, unknown, of the wrong
        type, or out of range; the message names the file and the field.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_LESSON_BYTES:
            raise InputError(f"larger than {MAX_LESSON_BYTES // 1024} KiB", file=path.name)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read as UTF-8 text ({error})", file=path.name) from None
    return parse_lesson(text, name=path.name, pages=pages)


def parse_lesson(text: str, *, name: str, pages: Collection[str]) -> Lesson:
    """Check the text of a lesson file and build the lesson.

    Parameters
    ----------
    text
        The YAML text.
    name
        The file name, for messages; without its suffix it becomes the lesson's key.
    pages
        The page files a step may link to.

    Returns
    -------
    Lesson
        The lesson.

    Raises
    ------
    InputError
        As :func:`load_lesson`.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise InputError(f"not valid YAML: {problem}", file=name, where=where) from None
    top = _fields(data, _LESSON_FIELDS, name=name, where="")
    if not top["steps"]:
        raise InputError("a lesson needs at least one step", file=name, where="steps")
    steps = tuple(
        _step(item, name=name, where=f"step {index}", pages=pages)
        for index, item in enumerate(top["steps"], start=1)
    )
    key = name.rsplit(".", 1)[0]
    return Lesson(key, top["title"], top["summary"], top["order"], steps)


def _fields(data: Any, spec: Mapping[str, type], *, name: str, where: str) -> dict[str, Any]:
    """The fields of one mapping, each present (unless optional), known and of its type."""
    if not isinstance(data, dict):
        raise InputError(
            f"expected fields {', '.join(spec)}, got {_shown(data)}", file=name, where=where or None
        )
    place = f"{where}." if where else ""
    unknown = [str(key) for key in data if key not in spec]
    if unknown:
        raise InputError(
            f"unknown field (known: {', '.join(spec)})", file=name, where=place + unknown[0]
        )
    for key, kind in spec.items():
        if key not in data:
            if key in _OPTIONAL:
                continue
            raise InputError("missing", file=name, where=place + key)
        value = data[key]
        wrong = not isinstance(value, kind) or (kind is int and isinstance(value, bool))
        if wrong or (kind is str and not value.strip()):
            raise InputError(
                f"{_KIND_WORDS[kind]}, got {_shown(value)}", file=name, where=place + key
            )
    return data


_KIND_WORDS = {
    str: "a non-empty text",
    int: "a whole number",
    list: "a list",
    dict: "a mapping of names to values",
}


def _shown(value: Any) -> str:
    """A short rendering of a value for a message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _step(data: Any, *, name: str, where: str, pages: Collection[str]) -> Step:
    """One step, checked."""
    item = _fields(data, _STEP_FIELDS, name=name, where=where)
    if item["page"] not in pages:
        raise InputError(
            f"no such page {_shown(item['page'])} (pages: {', '.join(sorted(pages))})",
            file=name,
            where=f"{where}.page",
        )
    settings = item.get("settings", {})
    for key, value in settings.items():
        scalars = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or not all(isinstance(v, _SCALARS) for v in scalars):
            raise InputError(
                f"a setting is a name and a value (text, number, true/false or a list of them), "
                f"got {_shown(key)}: {_shown(value)}",
                file=name,
                where=f"{where}.settings",
            )
    check = _check(item["check"], name=name, where=f"{where}.check") if "check" in item else None
    return Step(item["question"], item["page"], dict(settings), item["look_for"], check)


def _check(data: Any, *, name: str, where: str) -> Check:
    """One check, checked."""
    item = _fields(data, _CHECK_FIELDS, name=name, where=where)
    if item["number"] not in NUMBERS:
        raise InputError(
            f"no published number {_shown(item['number'])} (numbers: {', '.join(NUMBERS)})",
            file=name,
            where=f"{where}.number",
        )
    expected = item["expected"]
    numbers = [v for v in expected if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(expected) != 2 or len(numbers) != 2 or not all(map(math.isfinite, numbers)):
        raise InputError(
            f"two numbers low ≤ high, got {_shown(expected)}", file=name, where=f"{where}.expected"
        )
    low, high = (float(v) for v in numbers)
    if low > high:
        raise InputError(
            f"two numbers low ≤ high, got {_shown(expected)}", file=name, where=f"{where}.expected"
        )
    return Check(item["number"], low, high, item["inside"], item["outside"])


def load_lessons(
    folders: Collection[Path], *, pages: Collection[str]
) -> tuple[list[Lesson], list[InputError]]:
    """Every lesson file in ``folders``, in course order, and the errors of the bad ones.

    Parameters
    ----------
    folders
        Folders holding ``*.yaml`` / ``*.yml`` lesson files (a missing folder holds none);
        a lesson whose key is already taken by an earlier folder is skipped.
    pages
        The page files a step may link to.

    Returns
    -------
    tuple of (list of Lesson, list of InputError)
        The good lessons sorted by ``order``, then title; one error per bad file.
    """
    lessons: dict[str, Lesson] = {}
    errors = []
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).iterdir()):
            if path.suffix not in (".yaml", ".yml") or path.stem in lessons:
                continue
            try:
                lessons[path.stem] = load_lesson(path, pages=pages)
            except InputError as error:
                errors.append(error)
    return sorted(lessons.values(), key=lambda x: (x.order, x.title)), errors


def shipped_lessons(*, pages: Collection[str]) -> list[Lesson]:
    """The lessons that ship with genodash, in course order.

    Parameters
    ----------
    pages
        The page files a step may link to.

    Returns
    -------
    list of Lesson
        Every shipped lesson (a broken shipped lesson raises: it is a bug).
    """
    paths = sorted(SHIPPED_DIR.glob("*.yaml"))
    return sorted((load_lesson(p, pages=pages) for p in paths), key=lambda x: (x.order, x.title))


# --- checks and the numbers a student published ------------------------------------------------


def evaluate(check: Check, value: float | None) -> Outcome:
    """A student's number against a check.

    Parameters
    ----------
    check
        The step's check.
    value
        The number the page published, or None when the student has not opened it yet.

    Returns
    -------
    Outcome
        ``inside`` (with the lesson's sentence for inside), ``outside`` (the number, the
        range and the sentence for outside) or ``missing``.
    """
    if value is None or not math.isfinite(value):
        return Outcome("missing", None, "No number yet: open the step first.")
    shown = f"{value:.3g} (expected {check.low:g} to {check.high:g})"
    if check.low <= value <= check.high:
        return Outcome("inside", value, f"{shown}: {check.inside}")
    return Outcome("outside", value, f"{shown}: {check.outside}")


@dataclass(frozen=True)
class Published:
    """The numbers a workspace's pages published: the latest of each, and those published
    while a lesson step's page was open (its link carries ``lesson=<key>.<step>``).

    Attributes
    ----------
    latest
        Number name → the latest value, wherever it was published.
    steps
        Step tag (see :func:`step_tag`) → number name → value. A check reads these only, so
        a number from another step (other data, other settings) never counts for it.
    views
        Step tag → the address of the page (path and query) when its number was last
        published: the student's own settings, which may differ from the step's.
    """

    latest: dict[str, float] = field(default_factory=dict)
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)

    def for_step(self, lesson: Lesson, index: int) -> dict[str, float]:
        """The numbers published on step ``index`` (from 1) of ``lesson``."""
        return dict(self.steps.get(step_tag(lesson.key, index), {}))

    def with_number(
        self, name: str, value: float, tag: str | None, view: str | None = None
    ) -> Published:
        """A copy with ``name`` set to ``value`` (also under the step ``tag``, if any, with
        the page's address ``view`` when given)."""
        steps = {key: dict(numbers) for key, numbers in self.steps.items()}
        views = dict(self.views)
        if tag is not None:
            steps.setdefault(tag, {})[name] = value
            if view is not None:
                views[tag] = view
        return Published({**self.latest, name: value}, steps, views)

    def merged(self, newer: Published) -> Published:
        """These numbers updated with ``newer``'s (number by number, step by step)."""
        steps = {key: dict(numbers) for key, numbers in self.steps.items()}
        for key, numbers in newer.steps.items():
            steps.setdefault(key, {}).update(numbers)
        return Published({**self.latest, **newer.latest}, steps, {**self.views, **newer.views})


def step_tag(lesson_key: str, index: int) -> str:
    """The address value naming one step of a lesson: ``"<lesson key>.<step>"``.

    Parameters
    ----------
    lesson_key
        The lesson's key (its file name without suffix).
    index
        The step, from 1.
    """
    return f"{lesson_key}.{index}"


def parse_step_tag(text: str | None) -> tuple[str, int] | None:
    """The lesson key and step of a step tag, or None for anything else.

    Parameters
    ----------
    text
        A value of the address's ``lesson`` parameter, e.g. ``"2-cnn-finds-a-motif.3"``.
    """
    key, _, index = (text or "").rpartition(".")
    if not key or not index.isdigit() or int(index) < 1:
        return None
    return key, int(index)


def _numbers(data: Any) -> dict[str, float]:
    """The known, numeric entries of a mapping read from JSON."""
    if not isinstance(data, dict):
        return {}
    return {
        str(name): float(value)
        for name, value in data.items()
        if name in NUMBERS and isinstance(value, int | float) and not isinstance(value, bool)
    }


def read_results(folder: Path) -> Published:
    """The numbers a workspace published, from its ``lessons.json``.

    Parameters
    ----------
    folder
        A workspace folder; a missing or damaged file gives no numbers, and unknown names
        or values that are not numbers are left out.

    Returns
    -------
    Published
        The latest numbers and those of each lesson step.
    """
    try:
        data = json.loads((Path(folder) / RESULTS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return Published()
    if not isinstance(data, dict):
        return Published()
    steps, views = data.get("steps"), data.get("views")
    return Published(
        _numbers(data.get("latest")),
        {
            str(tag): _numbers(numbers)
            for tag, numbers in (steps.items() if isinstance(steps, dict) else ())
            if parse_step_tag(str(tag))
        },
        {
            str(tag): view
            for tag, view in (views.items() if isinstance(views, dict) else ())
            if parse_step_tag(str(tag))
            and isinstance(view, str)
            and not view.startswith(("/", "http"))
        },
    )


def write_results(folder: Path, published: Published) -> None:
    """Write a workspace's published numbers to its ``lessons.json``, atomically.

    Parameters
    ----------
    folder
        The workspace folder (created when missing).
    published
        The numbers; names not in :data:`NUMBERS` are refused.

    Raises
    ------
    ValueError
        A name is not a published number (a bug in a page).
    """
    names = set(published.latest).union(*published.steps.values())
    unknown = sorted(names - set(NUMBERS))
    if unknown:
        raise ValueError(f"not published numbers: {unknown}")
    data = {"latest": published.latest, "steps": published.steps, "views": published.views}
    with atomic_path(Path(folder) / RESULTS_FILE) as temp:
        temp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


def step_outcomes(lesson: Lesson, published: Published) -> list[Outcome | None]:
    """Each step's check against the numbers published on that step (None: no check).

    Parameters
    ----------
    lesson
        The lesson.
    published
        A workspace's numbers.
    """
    return [
        None
        if step.check is None
        else evaluate(step.check, published.for_step(lesson, index).get(step.check.number))
        for index, step in enumerate(lesson.steps, start=1)
    ]


def check_rows(lessons: Collection[Lesson], published: Published) -> list[dict[str, Any]]:
    """Every check of ``lessons`` against one student's numbers, as table rows.

    Parameters
    ----------
    lessons
        The lessons.
    published
        The numbers the student's pages published.

    Returns
    -------
    list of dict
        One row per check: ``lesson``, ``step`` (from 1), ``number``, ``value`` (None when
        missing) and ``result`` (``in range``, ``outside`` or ``not yet``).
    """
    words = {"inside": "in range", "outside": "outside", "missing": "not yet"}
    rows = []
    for lesson in lessons:
        outcomes = step_outcomes(lesson, published)
        for index, (step, outcome) in enumerate(zip(lesson.steps, outcomes, strict=True), 1):
            if step.check is None or outcome is None:
                continue
            rows.append(
                {
                    "lesson": lesson.title,
                    "step": index,
                    "number": step.check.number,
                    "value": outcome.value,
                    "result": words[outcome.status],
                }
            )
    return rows


def write_step_figures(folder: Path, tag: str, figures: list[str]) -> None:
    """Keep the figures a lesson step's page showed (plotly JSON), for the lesson report;
    written atomically, replacing the step's earlier ones.

    Parameters
    ----------
    folder
        The workspace folder.
    tag
        The step (see :func:`step_tag`).
    figures
        At most :data:`FIGURES_PER_STEP` figures as plotly JSON, in the order shown.
    """
    if not parse_step_tag(tag) or "/" in tag:
        raise ValueError(f"not a step tag: {tag!r}")
    with atomic_path(Path(folder) / FIGURES_DIR / f"{tag}.json") as temp:
        temp.write_text(json.dumps(figures[:FIGURES_PER_STEP]), encoding="utf-8")


def step_figure_images(folder: Path, lesson: Lesson) -> dict[str, list[bytes]]:
    """The figures each step of ``lesson`` showed, drawn as SVG, by step tag; a step whose
    figures are missing, damaged or cannot be drawn here (no kaleido or browser) has none.

    Parameters
    ----------
    folder
        The workspace folder.
    lesson
        The lesson.
    """
    import plotly.graph_objects as go

    from genodash.errors import GenodashError
    from genodash.plotting.files import figure_bytes, static_export_ready

    images: dict[str, list[bytes]] = {}
    for index in range(1, len(lesson.steps) + 1):
        tag = step_tag(lesson.key, index)
        try:
            kept = json.loads((Path(folder) / FIGURES_DIR / f"{tag}.json").read_text("utf-8"))
            figures = [
                go.Figure(_plain_arrays(json.loads(text))) for text in kept[:FIGURES_PER_STEP]
            ]
            drawable = [figure for figure in figures if static_export_ready(figure)]
            images[tag] = [
                figure_bytes(figure, "svg", size=REPORT_FIGURE_SIZE) for figure in drawable
            ]
        except (OSError, ValueError, TypeError, GenodashError):
            continue
    return images


def _plain_arrays(value: Any) -> Any:
    """``value`` (a figure's JSON) with plotly's typed arrays (``{"dtype", "bdata"}``, base64)
    as numpy arrays: plotly writes them but reads them back as plain dictionaries."""
    import base64

    import numpy as np

    if isinstance(value, dict) and {"dtype", "bdata"} <= set(value):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    if isinstance(value, dict):
        return {key: _plain_arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_arrays(item) for item in value]
    return value


def workspace_folders(root: Path) -> list[Path]:
    """The workspace folders under the runs folder ``root``, most recently changed first.

    Parameters
    ----------
    root
        The runs folder (``ui.state.RUNS_ROOT``); a missing folder has none.
    """
    if not Path(root).is_dir():
        return []
    found = [
        path
        for path in Path(root).iterdir()
        if path.is_dir() and not path.is_symlink() and TOKEN.fullmatch(path.name)
    ]
    return sorted(found, key=lambda path: path.stat().st_mtime, reverse=True)


# --- the glossary ------------------------------------------------------------------------------


def glossary() -> dict[str, str]:
    """The glossary: term → one sentence for biologists, in alphabetical order.

    Returns
    -------
    dict
        Read from ``genodash/glossary.toml`` (a ``[terms]`` table).
    """
    with GLOSSARY_FILE.open("rb") as file:
        terms = tomllib.load(file)["terms"]
    return dict(sorted(terms.items(), key=lambda item: item[0].casefold()))


def term_anchor(term: str) -> str:
    """The anchor of a term in the glossary section, e.g. ``"kNN accuracy"`` → ``"knn-accuracy"``.

    Parameters
    ----------
    term
        A glossary term.
    """
    return "".join(c if c.isalnum() else "-" for c in term.casefold()).strip("-")
