"""A lesson report: one self-contained HTML page of what a student did in a lesson.

Each step's question, its settings as a link that opens the same view, what to look for,
the student's number and the check's verdict. No scripts, no files fetched from elsewhere:
the page opens offline and prints as a hand-in. Every text that a lesson file or a student
supplied is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import parse_qsl

from genodash.lessons import Lesson, Outcome, Published, Step, step_outcomes, step_tag

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
.meta { color: #666; margin-top: 0; }
.step { border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0; }
.step h2 { font-size: 1.1rem; margin: 0.3rem 0; }
.inside { color: #1b7a3a; } .outside { color: #b35900; } .missing { color: #777; }
code { background: #f3f3f3; padding: 0 0.2rem; }
table { border-collapse: collapse; } td { padding: 0 0.6rem 0 0; vertical-align: top; }
img.figure { max-width: 100%; border: 1px solid #eee; }
"""
_VERDICT = {
    "inside": "✔ in the expected range",
    "outside": "✘ outside the expected range",
    "missing": "– not done yet",
}


def lesson_report_html(
    lesson: Lesson,
    published: Published,
    *,
    base_url: str = "",
    student: str = "",
    created: str = "",
    figures: Mapping[str, Sequence[bytes]] | None = None,
) -> str:
    """The report of one lesson as a complete HTML page.

    Parameters
    ----------
    lesson
        The lesson.
    published
        The numbers the student's pages published; each step's check reads those published
        on that step.
    base_url
        The app's address (e.g. ``http://server:8501/``) put before each step's link; empty:
        links relative to the app.
    student
        A name or workspace to print under the title (optional).
    created
        When the report was made, as text (optional).
    figures
        SVG images by step tag (see :func:`genodash.lessons.step_figure_images`), put in
        the page as images (``data:`` addresses: nothing is fetched, nothing runs).

    Returns
    -------
    str
        The page, with every lesson and student text HTML-escaped.
    """
    outcomes = step_outcomes(lesson, published)
    done = sum(1 for outcome in outcomes if outcome is not None and outcome.status == "inside")
    checked = sum(1 for outcome in outcomes if outcome is not None)
    meta = " · ".join(escape(part) for part in (student, created) if part)
    views = [published.views.get(step_tag(lesson.key, i)) for i in range(1, len(lesson.steps) + 1)]
    images = [
        (figures or {}).get(step_tag(lesson.key, i), ()) for i in range(1, len(lesson.steps) + 1)
    ]
    steps = "\n".join(
        _step_html(index, step, outcome, base_url, view, shown)
        for index, (step, outcome, view, shown) in enumerate(
            zip(lesson.steps, outcomes, views, images, strict=True), 1
        )
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(lesson.title)} · genodash lesson report</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        f"<h1>{escape(lesson.title)}</h1>\n"
        + (f'<p class="meta">{meta}</p>\n' if meta else "")
        + f"<p>{escape(lesson.summary)}</p>\n"
        f"<p><strong>Checks in the expected range: {done} of {checked}</strong></p>\n"
        f"{steps}\n</body></html>\n"
    )


def _step_html(
    index: int,
    step: Step,
    outcome: Outcome | None,
    base_url: str,
    view: str | None,
    images: Sequence[bytes],
) -> str:
    """One step's box: question, link with its settings, the student's own view (the page
    as it was when the number was made) and its figures, what to look for, the check."""
    href = escape(base_url + step.url, quote=True)
    settings = "".join(
        f"<tr><td><code>{escape(str(key))}</code></td><td>{escape(str(value))}</td></tr>"
        for key, value in step.settings.items()
    )
    parts = [
        f'<div class="step"><h2>Step {index}. {escape(step.question)}</h2>',
        f'<p><a href="{href}">Open this step</a></p>',
        f"<table>{settings}</table>" if settings else "",
        _own_view_html(base_url, view),
        _images_html(images),
        f"<p><em>Look for:</em> {escape(step.look_for)}</p>",
    ]
    if step.check is not None and outcome is not None:
        parts.append(
            f'<p class="{outcome.status}"><strong>{_VERDICT[outcome.status]}</strong> · '
            f"<code>{escape(step.check.number)}</code>: {escape(outcome.message)}</p>"
        )
    parts.append("</div>")
    return "\n".join(part for part in parts if part)


def _own_view_html(base_url: str, view: str | None) -> str:
    """The link to the page as the student had it, with the settings that differ from the
    step's, or nothing when the step published no number."""
    if not view:
        return ""
    href = escape(base_url + view, quote=True)
    query = view.partition("?")[2]
    rows = "".join(
        f"<tr><td><code>{escape(key)}</code></td><td>{escape(value)}</td></tr>"
        for key, value in parse_qsl(query)
        if key not in ("ws", "view", "lesson", "presenter", "hide")
    )
    return (
        f'<p><a href="{href}">Your view</a> (the page as you had it when its number was made)</p>'
        + (f"<table>{rows}</table>" if rows else "")
    )


def _images_html(images: Sequence[bytes]) -> str:
    """The step's figures as SVG images inside the page."""
    return "".join(
        f'<p><img class="figure" alt="Figure {number} of this step" '
        f'src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}"></p>\n'
        for number, svg in enumerate(images, 1)
    )
