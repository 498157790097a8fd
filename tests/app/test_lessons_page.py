"""AppTest of the Lessons page (steps, checks, a bad teacher's file, report, glossary) and of
the Teacher page (closed without a key, wrong key, the class's workspaces read-only)."""

from __future__ import annotations

import json

import pytest

import ui.state
from genodash.lessons import (
    FIGURES_DIR,
    Published,
    read_results,
    shipped_lessons,
    write_results,
)
from support import open_page

LESSONS = "pages/0_Lessons.py"
TEACHER = "pages/11_Teacher.py"
BAD = """\
title: Broken
summary: A teacher's typo.
order: 9
steps:
  - question: Q?
    page: pages/2_Curse_of_dimensionality.py
    look_for: L.
    check: {number: sparsity-share-2d, expected: [0.9, 0.1], inside: a, outside: b}
"""


@pytest.fixture
def runs_root(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    monkeypatch.setattr(ui.state, "RUNS_ROOT", root)
    monkeypatch.delenv("GENODASH_DATA_DIR", raising=False)
    monkeypatch.delenv("GENODASH_TEACHER_KEY", raising=False)
    return root


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def test_a_lesson_step_shows_its_question_link_and_check(runs_root):
    at = open_page(LESSONS)
    assert not at.exception
    assert at.title[0].value.endswith("Lessons")
    assert at.selectbox(key="lesson").value == "1-curse-of-dimensionality"
    assert not at.error
    assert any("Predict first" in text for text in texts(at.markdown))
    assert any("Not yet" in text for text in texts(at.info))
    links = at.get("page_link")
    step_link = next(link for link in links if link.proto.label == "Open this step")
    assert step_link.proto.page == "Curse_of_dimensionality"
    assert "sparsity-top=2&" in step_link.proto.query_string
    assert "lesson=1-curse-of-dimensionality.1&ws=" in step_link.proto.query_string
    assert at.query_params["lesson"] == "1-curse-of-dimensionality.1"  # a link to this step
    # the student opened the step: the sparsity demo published its number
    at.session_state["_lesson_numbers"] = Published({"sparsity-share-2d": 0.067})
    at.run()
    assert any("was not made on this step" in text for text in texts(at.info))
    tag = "1-curse-of-dimensionality.1"
    at.session_state["_lesson_numbers"] = Published().with_number("sparsity-share-2d", 0.067, tag)
    at.run()
    assert any("In the expected range" in text for text in texts(at.success))
    at.session_state["_lesson_numbers"] = Published().with_number("sparsity-share-2d", 0.5, tag)
    at.run()
    assert any("Outside the expected range" in text for text in texts(at.warning))
    at.segmented_control(key="lesson-step-1-curse-of-dimensionality").set_value(2).run()
    assert any("10 dimensions" in text for text in texts(at.markdown))
    assert not at.exception


def test_the_curse_page_publishes_the_number_the_lesson_checks(runs_root):
    at = open_page("pages/2_Curse_of_dimensionality.py")
    assert not at.exception
    numbers = at.session_state["_lesson_numbers"]
    # defaults: up to 10 dimensions, radius 1σ, 1,000 points, seed 0 — as the lesson measured
    assert numbers.latest["sparsity-share-10d"] == 0.0
    assert numbers.latest["sparsity-share-2d"] == pytest.approx(0.076)
    assert numbers.steps == {}  # not opened from a lesson step: nothing written
    assert not runs_root.exists() or not any(runs_root.glob("*/lessons.json"))


def test_a_page_opened_by_a_step_link_publishes_for_that_step(runs_root):
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/2_Curse_of_dimensionality.py")
    at.query_params["lesson"] = "1-curse-of-dimensionality.2"
    at.run()
    assert not at.exception
    numbers = at.session_state["_lesson_numbers"]
    assert numbers.steps["1-curse-of-dimensionality.2"]["sparsity-share-10d"] == 0.0
    (workspace,) = [folder for folder in runs_root.iterdir() if folder.is_dir()]
    assert read_results(workspace).steps == numbers.steps
    assert at.query_params["ws"] == workspace.name  # in the page's address, not in its view
    view = read_results(workspace).views["1-curse-of-dimensionality.2"]
    # the settings at their defaults are not in the address, and the workspace is left out
    assert view.endswith("?lesson=1-curse-of-dimensionality.2")
    kept = json.loads((workspace / FIGURES_DIR / "1-curse-of-dimensionality.2.json").read_text())
    assert 1 <= len(kept) <= 2 and "within" in kept[0]  # the sparsity plot first


def test_a_bad_teacher_lesson_shows_its_message_and_the_others_work(
    runs_root, tmp_path, monkeypatch
):
    folder = tmp_path / "data" / "lessons"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text(BAD)
    (folder / "own.yaml").write_text(
        BAD.replace("[0.9, 0.1]", "[0.1, 0.9]").replace("Broken", "Own")
    )
    monkeypatch.setenv("GENODASH_DATA_DIR", str(tmp_path / "data"))
    at = open_page(LESSONS)
    assert not at.exception
    errors = [text.replace("\\", "") for text in texts(at.error)]
    assert any("broken.yaml: step 1.check.expected: two numbers low ≤ high" in e for e in errors)
    assert len(errors) == 1  # the shipped lessons are fine
    assert at.selectbox(key="lesson").options[-1].endswith(". Own")  # order 9: after the shipped
    assert at.selectbox(key="lesson").options[0] == "1. P ≫ N and the curse of dimensionality"


def test_the_report_and_the_glossary_are_on_the_page(runs_root):
    at = open_page(LESSONS)
    buttons = at.get("download_button")
    assert any(button.proto.label == "Download report (HTML)" for button in buttons)
    assert any(header.value == "Glossary" for header in at.header)
    assert any('id="auroc"' in text for text in texts(at.markdown))


def test_the_teacher_page_is_closed_without_a_key(runs_root):
    at = open_page(TEACHER)
    assert not at.exception
    assert any("GENODASH_TEACHER_KEY" in text for text in texts(at.info))
    assert len(at.text_input) == 0


def test_the_teacher_page_lists_the_class_with_the_right_key(runs_root, monkeypatch):
    monkeypatch.setenv("GENODASH_TEACHER_KEY", "open sesame")
    numbers = Published({"test-auroc": 0.98})  # published outside a lesson: counts nowhere
    numbers = numbers.with_number("sparsity-share-10d", 0.0, "1-curse-of-dimensionality.2")
    write_results(
        runs_root / "0123456789ab",
        numbers.with_number("distance-ratio", 0.2, "1-curse-of-dimensionality.3"),
    )
    at = open_page(TEACHER)
    at.text_input(key="teacher-key").set_value("wrong").run()
    assert any("not the teacher key" in text for text in texts(at.error))
    assert len(at.dataframe) == 0
    at.text_input(key="teacher-key").set_value("open sesame").run()
    assert not at.exception
    summary = at.dataframe[0].value
    row = summary[summary["Workspace"] == "0123…"].iloc[0]
    assert (row["Runs"], row["Checks in range"], row["Outside"]) == (0, 1, 1)
    assert row["Not yet"] > 0
    assert all("0123456789ab" not in str(link.proto) for link in at.get("page_link"))
    assert not at.get("button")  # read-only: nothing to delete


def test_every_step_of_every_shipped_lesson_shows(runs_root):
    from ui.lessons import page_files

    at = open_page(LESSONS)
    for lesson in shipped_lessons(pages=page_files()):
        at.selectbox(key="lesson").set_value(lesson.key).run()
        for number in range(1, len(lesson.steps) + 1):
            at.segmented_control(key=f"lesson-step-{lesson.key}").set_value(number).run()
            assert not at.exception and not at.error, (lesson.key, number)
            assert any(
                "Predict first" in text and lesson.steps[number - 1].question[:20] in text
                for text in (shown.replace("\\", "") for shown in texts(at.markdown))
            )


def test_the_curse_lesson_links_set_their_pages_up_and_every_check_passes(runs_root):
    """Each step of lesson 1 opened by its link: its settings in the widgets, and the number
    the page publishes on that step inside the lesson's expected range."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from genodash.lessons import evaluate
    from genodash.viewstate import encode_value
    from ui.lessons import page_files

    lesson = next(x for x in shipped_lessons(pages=page_files()) if x.order == 1)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for index, step in enumerate(lesson.steps, start=1):
        at.switch_page(step.page)
        at.query_params.clear()
        for key, value in step.settings.items():
            at.query_params[key] = encode_value(value)
        at.query_params["lesson"] = f"{lesson.key}.{index}"
        at.run()
        assert not at.exception
        for key, value in step.settings.items():
            assert encode_value(at.session_state[key]) == encode_value(value), key
        numbers = at.session_state["_lesson_numbers"].for_step(lesson, index)
        assert evaluate(step.check, numbers.get(step.check.number)).status == "inside", index
