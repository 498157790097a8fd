"""Lessons: guided steps through the course, each checked against the student's own numbers,
the glossary, and a report to hand in."""

from __future__ import annotations

import datetime
import html

import streamlit as st

import ui
from genodash.lessons import (
    NUMBERS,
    TEMPLATE,
    Lesson,
    Published,
    Step,
    evaluate,
    parse_step_tag,
    step_figure_images,
    step_outcomes,
    step_tag,
    term_anchor,
)
from genodash.lessons.report import lesson_report_html
from ui import lessons as lesson_ui

ABOUT = """
A **lesson** walks one part of the course in a few steps. For each step:

1. **Predict first**: read the question and write down your guess.
2. **Open this step**: the link opens the page with the lesson's settings (data, model,
   sliders, seed), so you see what the lesson expects.
3. **Look** at what the step points out, then come back here: the **check** compares the
   number the page showed you with the range the lesson expects, and says what it means.
   Only numbers made on the page the step's link opened count for its check (the link
   carries `lesson=…` in the address), so another step's data or settings never do.

Your numbers are kept in your workspace (the `?ws=…` part of the address), so a refresh or
another day keeps them. **Download report (HTML)** gives one page of what you did — each
step's settings as a link, your numbers and the checks — to hand in.

Teachers can add their own lessons: YAML files in the server data folder's `lessons/`
folder, in the format of the shipped ones (`genodash/lessons/*.yaml`). A file with a
mistake is shown here with a message naming the file and the field.
"""
VERDICT_ICONS = {
    "inside": ":material/check_circle:",
    "outside": ":material/error:",
    "missing": ":material/hourglass_empty:",
}


def linked_step(found: list[Lesson]) -> None:
    """On the first run, open the lesson and step the address names (``lesson=<key>.<step>``
    or ``lesson=<key>``), e.g. from a teacher's list of links."""
    if "lesson" in st.session_state:
        return
    text = st.query_params.get("lesson", "")
    key, index = parse_step_tag(text) or (text, 1)
    lesson = next((lesson for lesson in found if lesson.key == key), None)
    if lesson is not None and index <= len(lesson.steps):
        st.session_state["lesson"] = lesson.key
        st.session_state[f"lesson-step-{lesson.key}"] = index
    elif lesson is not None:
        ui.add_note(
            f"The link's lesson **{ui.escape_markdown(lesson.title)}** has "
            f"{len(lesson.steps)} steps, not {index}: its first step is shown."
        )
    elif text:
        ui.add_note(
            f"The link's lesson `{key.replace('`', '')}` is not on this server (a typo, or "
            "a teacher's lesson file that was removed): the first lesson is shown."
        )


def choose_lesson(found: list[Lesson]) -> Lesson:
    """The lesson picker: lessons in course order, numbered."""
    by_key = {lesson.key: lesson for lesson in found}
    keys = list(by_key)
    key = st.selectbox(
        "Lesson",
        keys,
        format_func=lambda k: f"{keys.index(k) + 1}. {by_key[k].title}",
        key=ui.setting("lesson", keys[0], keys, in_address=False),
    )
    return by_key[key]


def choose_step(lesson: Lesson) -> int:
    """The step picker (numbers from 1), kept per lesson."""
    numbers = list(range(1, len(lesson.steps) + 1))
    chosen = st.segmented_control(
        "Step",
        numbers,
        format_func=lambda n: f"Step {n}",
        key=ui.setting(f"lesson-step-{lesson.key}", 1, numbers, in_address=False),
        required=True,
    )
    return int(chosen or 1)


def show_step(lesson: Lesson, index: int, published: Published) -> None:
    """One step: the question, the link that sets the page up, what to look for, the check."""
    step = lesson.steps[index - 1]
    with st.container(border=True):
        st.markdown(
            f"**:material/psychology_alt: Predict first.** {ui.escape_markdown(step.question)}"
        )
        st.page_link(
            step.page,
            label="Open this step",
            icon=":material/open_in_new:",
            query_params=lesson_ui.link_params(lesson, index),
        )
        if step.settings:
            st.caption(
                "Sets: "
                + ", ".join(
                    f"{ui.escape_markdown(k)} = {ui.escape_markdown(str(v))}"
                    for k, v in step.settings.items()
                )
            )
        st.markdown(
            f"**:material/visibility: What to look for.** {ui.escape_markdown(step.look_for)}"
        )
        show_check(step, published.for_step(lesson, index), published.latest)


def show_check(step: Step, numbers: dict[str, float], latest: dict[str, float]) -> None:
    """The check of a step against the number published on it: in range, outside, not yet
    (with the latest such number from elsewhere, which does not count)."""
    if step.check is None:
        st.caption("No number to check in this step: look at the page.")
        return
    outcome = evaluate(step.check, numbers.get(step.check.number))
    text = ui.escape_markdown(outcome.message)
    icon = VERDICT_ICONS[outcome.status]
    if outcome.status == "inside":
        st.success(f"**In the expected range.** {text}", icon=icon)
    elif outcome.status == "outside":
        st.warning(f"**Outside the expected range.** {text}", icon=icon)
    else:
        elsewhere = latest.get(step.check.number)
        st.info(
            "**Not yet.** Open the step first, with its link, and do what it says. The check "
            f"reads: {ui.escape_markdown(NUMBERS[step.check.number])}."
            + (
                f" (Your latest one, {elsewhere:.3g}, was not made on this step's page.)"
                if elsewhere is not None
                else ""
            ),
            icon=icon,
        )


def overview(lesson: Lesson, published: Published) -> None:
    """One line per step: its question and the state of its check."""
    marks = {"inside": "✔", "outside": "✘", "missing": "·"}
    lines = [
        f"{index}. {'—' if outcome is None else marks[outcome.status]} "
        f"{ui.escape_markdown(step.question)}"
        for index, (step, outcome) in enumerate(
            zip(lesson.steps, step_outcomes(lesson, published), strict=True), start=1
        )
    ]
    st.markdown("\n".join(lines))


def report_button(lesson: Lesson, published: Published) -> None:
    """Download the lesson report: one self-contained HTML page."""
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    workspace = ui.workspace_dir()
    base_url = st.context.url.rsplit("/", 1)[0] + "/" if st.context.url else ""

    def page() -> str:  # made on click: drawing the steps' figures takes seconds
        return lesson_report_html(
            lesson,
            published,
            base_url=base_url,
            student=f"workspace {workspace.name[:4]}…",
            created=created,
            figures=step_figure_images(workspace, lesson),
        )

    st.download_button(
        "Download report (HTML)",
        page,
        file_name=f"lesson-{lesson.key}-report.html",
        mime="text/html",
        on_click="ignore",
        icon=":material/download:",
        key="lesson-report",
    )


def teachers_section() -> None:
    """How a teacher adds a lesson: where the file goes, a template, the numbers to check."""
    with st.expander("Write your own lesson (for teachers)", icon=":material/edit_note:"):
        st.markdown(
            "Save a `.yaml` file like this one in the `lessons/` folder of the server data "
            "folder (the folder `GENODASH_DATA_DIR` names); it appears here on the next visit, "
            "and a mistake in it is shown at the top of this page. A step's `settings` are the "
            "page's settings as in its address: open the page, set it up, and use *Copy link "
            "to this view*."
        )
        st.code(TEMPLATE, language="yaml")
        st.markdown("**The numbers a check can read**")
        st.dataframe(
            [{"number": name, "what it is": text} for name, text in NUMBERS.items()],
            hide_index=True,
            width="stretch",
        )


def glossary_section() -> None:
    """Every glossary term with its sentence, each with an anchor (``#term``)."""
    st.header("Glossary", anchor="glossary")
    st.caption(
        "The words the pages use, one sentence each. Hover the ? beside a score anywhere "
        "for the same text."
    )
    terms = list(lesson_ui.glossary().items())
    columns, half = st.columns(2), (len(terms) + 1) // 2  # alphabetical down each column
    for index, (term, sentence) in enumerate(terms):
        anchor = term_anchor(term)
        columns[index >= half].markdown(
            f'<p id="{anchor}"><strong>{html.escape(term)}</strong> — {html.escape(sentence)}</p>',
            unsafe_allow_html=True,
        )


with ui.page("Lessons", ":material/school:", ABOUT):
    found, errors = lesson_ui.available_lessons()
    for error in errors:
        ui.show_error(error, context="This lesson file cannot be used")
    published = lesson_ui.published()
    if not found:
        st.info("No lessons found.", icon=":material/info:")
    else:
        linked_step(found)
        lesson = choose_lesson(found)
        st.markdown(f"*{ui.escape_markdown(lesson.summary)}*")
        with st.expander("All steps and their checks", icon=":material/checklist:"):
            overview(lesson, published)
        index = choose_step(lesson)
        st.query_params["lesson"] = step_tag(lesson.key, index)  # a link to this step
        show_step(lesson, index, published)
        report_button(lesson, published)
    teachers_section()
    glossary_section()
