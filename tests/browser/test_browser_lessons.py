"""Real-browser test of a lesson: from its first step's link to its check, on a fresh server
whose data folder holds a teacher's broken lesson file, which shows its message."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from browser_support import Server, shot, wait_for_text, wait_idle

pytestmark = pytest.mark.browser

BROKEN = """\
title: Broken
summary: A typo.
order: 9
steps:
  - question: Q?
    page: pages/2_Curse_of_dimensionality.py
    look_for: L.
    check: {number: sparsity-share-2d, expected: [0.9, 0.1], inside: a, outside: b}
"""


@pytest.fixture
def class_server(browser, tmp_path):
    (tmp_path / "data" / "lessons").mkdir(parents=True)
    (tmp_path / "data" / "lessons" / "broken.yaml").write_text(BROKEN)
    env = {"GENODASH_DATA_DIR": str(tmp_path / "data"), "GENODASH_RUNS_DIR": str(tmp_path / "runs")}
    started = Server(env)
    yield started, tmp_path / "runs"
    started.stop()


def test_a_lesson_runs_from_its_first_step_to_its_check(class_server, page):
    server, runs = class_server
    page.goto(f"{server.url}/Lessons")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("link", name="Open this step").wait_for()
    wait_idle(page)
    # the teacher's broken file: its message, and the shipped lessons still work
    assert main.get_by_text(
        "broken.yaml: step 1.check.expected: two numbers low ≤ high"
    ).is_visible()
    assert main.get_by_text("Not yet.", exact=False).first.is_visible()
    assert main.locator("#glossary").count() == 1 and main.locator("#knn-accuracy").count() == 1
    shot(page, "lessons-step-1")

    main.get_by_role("link", name="Open this step").click()
    wait_for_text(page, "1. Sparsity")
    wait_idle(page)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query.get("sparsity-top") == ["2"] and "ws" in query
    assert query.get("lesson") == ["1-curse-of-dimensionality.1"]
    shot(page, "lessons-step-1-opened")
    (workspace,) = [folder for folder in runs.iterdir() if folder.is_dir()]
    published = json.loads((workspace / "lessons.json").read_text())
    on_step = published["steps"]["1-curse-of-dimensionality.1"]
    assert 0.04 <= on_step["sparsity-share-2d"] <= 0.10

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Lessons").click()
    wait_for_text(page, "In the expected range")
    wait_idle(page)
    assert main.get_by_text(
        "Already in two dimensions only a few percent", exact=False
    ).is_visible()
    shot(page, "lessons-step-1-checked")

    with page.expect_download(timeout=120_000) as download:
        main.get_by_role("button", name="Download report (HTML)").click()
    report = Path(download.value.path()).read_text()
    assert "In the expected range" in report or "in the expected range" in report
    assert report.count('src="data:image/svg+xml;base64,') >= 1  # the step's figure
    assert "<script" not in report
