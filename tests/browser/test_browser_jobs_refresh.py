"""Real browser: a running job comes back after a refresh (live curves, Stop, Train off), and
its curves sit beside the Train button, in view at projector sizes."""

from __future__ import annotations

import json
import re
import time

import pytest

from browser_support import ARTIFACTS, Server, shot, wait_for_text, wait_idle

pytestmark = pytest.mark.browser

PROGRESS = '[data-testid="stProgress"]'
LIVE_CURVES = '[data-testid="stPlotlyChart"]'


@pytest.fixture(scope="module")
def own_server(browser, tmp_path_factory):
    """A server of its own: its runs folder to look into, and a short closed-tab grace, so a
    job left to the tab that closed on the refresh would stop within the test."""
    runs = tmp_path_factory.mktemp("runs")
    server = Server(env={"GENODASH_RUNS_DIR": str(runs), "GENODASH_CLOSED_TAB_GRACE_SECONDS": "2"})
    server.runs = runs
    yield server
    server.stop()


def open_tab(browser, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    return context, tab


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def epoch(page) -> int:
    text = page.locator(PROGRESS).first.inner_text()
    return int(re.search(r"epoch (\d+)/", text).group(1))


def wait_for_epoch(page, at_least: int) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{PROGRESS}')].some(e => "
        f"(m => m && +m[1] >= {at_least})(/epoch (\\d+)\\//.exec(e.innerText)))",
        timeout=120_000,
    )
    page.locator(LIVE_CURVES).first.wait_for()


def box(locator) -> dict:
    """The element's box once drawn (the live chart is drawn anew as the job reports)."""
    deadline = time.monotonic() + 30
    while (found := locator.bounding_box()) is None:
        assert time.monotonic() < deadline, "never drawn"
        time.sleep(0.1)
    return found


def beside_and_in_view(page, button_name: str, viewport: dict) -> None:
    """The live curves are to the right of the Train button and their top is in view."""
    button = box(page.get_by_role("button", name=button_name, exact=True))
    curves = box(page.locator(LIVE_CURVES).first)
    assert curves["x"] >= button["x"] + button["width"]
    assert 0 <= curves["y"] < button["y"] + button["height"] < viewport["height"]
    assert curves["x"] + curves["width"] <= viewport["width"]


def test_a_refresh_brings_back_the_running_job_and_stop_works(browser, own_server):
    context, page = open_tab(browser, 1024, 768)
    try:
        page.goto(f"{own_server.url}/Train")
        wait_for_text(page, "3 · Training")
        wait_idle(page)
        set_number(page, "Epochs (at most)", 500)
        set_number(page, "Early-stopping patience (epochs)", 0)
        page.get_by_role("button", name="Train", exact=True).click()
        wait_for_epoch(page, 2)
        beside_and_in_view(page, "Train", page.viewport_size)
        shot(page, "jobs-train-live-1024x768")
        address = page.url
        before = epoch(page)

        page.reload()  # a new session: the old one's tab is gone
        wait_for_text(page, "Training CNN (convolutional network) on Planted motif")
        assert page.url == address
        assert page.get_by_role("button", name="Train", exact=True).is_disabled()
        page.get_by_role("link", name="see its live curves and Stop").click()  # at the top
        wait_for_epoch(page, before)
        beside_and_in_view(page, "Train", page.viewport_size)
        stop = page.get_by_role("button", name="Stop", exact=True)
        assert stop.is_visible()
        time.sleep(4)  # twice the closed-tab grace: the job goes on for the new tab
        wait_for_epoch(page, before + 1)
        shot(page, "jobs-train-after-refresh-1024x768")
        stop.click()
        wait_for_text(page, "Stopped. The best model so far was kept and saved.")
        wait_idle(page)
        assert page.get_by_role("button", name="Train", exact=True).is_enabled()
    finally:
        context.close()
    configs = list(own_server.runs.glob("*/cnn-*/config.json"))
    assert len(configs) == 1  # one job, taken up again, not a second one
    assert json.loads(configs[0].read_text())["status"] == "stopped"  # by Stop, not the tab


def test_compare_curves_sit_beside_its_button_at_1280x800(browser, own_server):
    context, page = open_tab(browser, 1280, 800)
    try:
        page.goto(f"{own_server.url}/Compare")
        wait_for_text(page, "Same split for every model")
        wait_idle(page)
        for model in ("LSTM (recurrent network)", "k-mer logistic regression (baseline)"):
            page.get_by_role("button", name=f"remove {model}").click()
            wait_idle(page)
        set_number(page, "Epochs (at most)", 500)
        set_number(page, "Early-stopping patience", 0)
        page.get_by_role("button", name="Train and compare", exact=True).click()
        wait_for_epoch(page, 2)
        beside_and_in_view(page, "Train and compare", page.viewport_size)
        shot(page, "jobs-compare-live-1280x800")
        page.get_by_role("button", name="Stop", exact=True).click()
        wait_for_text(page, "Stopped. The best model so far was kept and saved.")
    finally:
        context.close()
    assert ARTIFACTS.is_dir()
