"""The lesson report: one self-contained HTML page, every user text escaped."""

from __future__ import annotations

from html.parser import HTMLParser

from genodash.lessons import Published, parse_lesson
from genodash.lessons.report import lesson_report_html

PAGES = ["app.py", "pages/2_Curse_of_dimensionality.py", "pages/3_Train.py"]
LESSON = """\
title: Curse <script>alert(1)</script>
summary: A & B.
order: 1
steps:
  - question: Share in 10-D?
    page: pages/2_Curse_of_dimensionality.py
    settings: {demo: sparsity, sparsity-top: 10}
    look_for: The "grey" line.
    check: {number: sparsity-share-10d, expected: [0.0, 0.01], inside: Empty., outside: Look again.}
  - question: AUROC?
    page: pages/3_Train.py
    settings: {data: planted-motif}
    look_for: Curves.
    check: {number: test-auroc, expected: [0.95, 1.0], inside: Good., outside: Longer.}
  - question: Only look.
    page: app.py
    look_for: The map.
"""


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "a":
            self.links.append(values["href"])
        if "src" in values or (tag == "link" and "href" in values):
            self.sources.append(values.get("src") or values["href"])


def report(numbers, **kwargs) -> tuple[str, Collect]:
    lesson = parse_lesson(LESSON, name="l.yaml", pages=PAGES)
    page = lesson_report_html(lesson, numbers, **kwargs)
    parsed = Collect()
    parsed.feed(page)
    return page, parsed


def test_the_report_holds_each_steps_link_number_and_verdict():
    numbers = Published({"test-auroc": 0.99}, {"l.1": {"sparsity-share-10d": 0.0}})
    page, parsed = report(
        numbers.with_number("test-auroc", 0.5, "l.2"),
        base_url="http://class:8501/",
        student="ws 01ab…",
        created="2026-01-01 10:00 UTC",
    )
    assert "?demo=sparsity&amp;sparsity-top=10" in page  # escaped in the attribute
    assert parsed.links == [
        "http://class:8501/Curse_of_dimensionality?demo=sparsity&sparsity-top=10",
        "http://class:8501/Train?data=planted-motif",
        "http://class:8501/",
    ]
    assert "Checks in the expected range: 1 of 2" in page
    assert "✔ in the expected range" in page and "✘ outside the expected range" in page
    assert "0 (expected 0 to 0.01): Empty." in page
    assert "0.5 (expected 0.95 to 1): Longer." in page
    assert "ws 01ab… · 2026-01-01 10:00 UTC" in page


def test_the_report_escapes_text_and_fetches_nothing():
    page, parsed = report(Published({"test-auroc": 0.99}))  # not made on a step: not done
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "A &amp; B." in page and "The &quot;grey&quot; line." in page
    assert "script" not in parsed.tags
    assert parsed.sources == []  # self-contained: nothing loaded from elsewhere (no figures here)
    assert page.count("– not done yet") == 2
    assert page.startswith("<!DOCTYPE html>")


def test_the_report_links_the_students_own_view_with_their_settings():
    view = "Curse_of_dimensionality?demo=sparsity&sparsity-top=10&sparsity-radius=2&lesson=l.1"
    numbers = Published().with_number("sparsity-share-10d", 0.3, "l.1", view)
    page, parsed = report(numbers, base_url="http://class:8501/")
    assert parsed.links[1] == "http://class:8501/" + view
    assert "<td><code>sparsity-radius</code></td><td>2</td>" in page
    assert "<code>lesson</code>" not in page  # the step tag is not a setting
    assert page.count("Your view") == 1  # steps without a number have none


def test_a_view_kept_on_disk_comes_back_and_an_absolute_one_is_dropped(tmp_path):
    from genodash.lessons import read_results, write_results

    numbers = Published().with_number("sparsity-share-10d", 0.0, "l.1", "Curse?demo=sparsity")
    write_results(tmp_path, numbers.with_number("test-auroc", 0.9, "l.2", "http://evil/x"))
    views = read_results(tmp_path).views
    assert views == {"l.1": "Curse?demo=sparsity"}


def test_a_steps_figures_are_kept_and_drawn_into_the_report_as_images(tmp_path):
    import numpy as np

    from genodash.lessons import step_figure_images, write_step_figures
    from genodash.plotting.expression import embedding_figure

    lesson = parse_lesson(LESSON, name="l.yaml", pages=PAGES)
    coords = np.random.default_rng(0).normal(size=(30, 2))
    figure = embedding_figure(
        coords, color=None, color_name="", cell_ids=list(range(30)), title="T"
    )
    write_step_figures(tmp_path, "l.1", [figure.to_json()] * 3)
    images = step_figure_images(tmp_path, lesson)
    assert list(images) == ["l.1"] and len(images["l.1"]) == 2  # at most two per step
    assert images["l.1"][0].lstrip().startswith((b"<?xml", b"<svg"))
    _, parsed = report(Published(), figures=images)
    assert len(parsed.sources) == 2
    assert all(src.startswith("data:image/svg+xml;base64,") for src in parsed.sources)
    assert "script" not in parsed.tags


def test_damaged_figures_leave_the_step_without_images(tmp_path):
    from genodash.lessons import FIGURES_DIR, step_figure_images

    lesson = parse_lesson(LESSON, name="l.yaml", pages=PAGES)
    (tmp_path / FIGURES_DIR).mkdir()
    (tmp_path / FIGURES_DIR / "l.1.json").write_text("[not json")
    assert step_figure_images(tmp_path, lesson) == {}
