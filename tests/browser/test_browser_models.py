"""Real browser: train with live progress, Stop, leave and come back, compare, interpret, runs."""

from __future__ import annotations

import re

import pytest

from browser_support import shot, wait_for_text, wait_idle

pytestmark = pytest.mark.browser


def sidebar_link(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label, exact=True)


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def progress_text(page) -> str:
    return page.locator('[data-testid="stProgress"]').first.inner_text()


def start_long_training(page, server) -> None:
    page.goto(f"{server.url}/Train")
    wait_for_text(page, "3 · Training")
    wait_idle(page)
    set_number(page, "Epochs (at most)", 400)
    set_number(page, "Early-stopping patience (epochs)", 0)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
        ".some(e => /epoch [2-9]/.test(e.innerText))",
        timeout=90_000,
    )


def test_live_training_survives_a_page_switch_and_stops_on_request(server, page):
    start_long_training(page, server)
    first = progress_text(page)
    assert re.search(r"CNN · epoch \d+/400 · batch \d+/\d+", first)
    shot(page, "train-live")
    sidebar_link(page, "Data").click()
    wait_for_text(page, "Summary: Planted motif")
    sidebar_link(page, "Train a model").click()
    wait_for_text(page, "Training CNN")
    later = progress_text(page)
    epoch = lambda text: int(re.search(r"epoch (\d+)", text).group(1))  # noqa: E731
    assert epoch(later) >= epoch(first)  # still training after leaving the page
    assert page.get_by_label("Epochs (at most)", exact=True).input_value() == "400"
    page.get_by_role("button", name="Stop", exact=True).click()
    wait_for_text(page, "Stopped. The best model so far was kept and saved.")
    wait_idle(page)
    assert page.get_by_text("Test accuracy").first.is_visible()
    shot(page, "train-stopped")


def test_compare_then_interpret_then_runs(server, page):
    page.goto(f"{server.url}/Compare")
    wait_for_text(page, "Same split for every model")
    wait_idle(page)
    page.get_by_role("button", name="remove LSTM (recurrent network)").click()
    page.get_by_role("button", name="remove k-mer logistic regression (baseline)").click()
    set_number(page, "Epochs (at most)", 3)
    page.get_by_role("button", name="Train and compare").click()
    page.get_by_role("heading", name="Leaderboard", exact=True).wait_for(timeout=180_000)
    wait_idle(page)
    for model in ("CNN", "Transformer"):  # the table is drawn on a canvas: check the log
        assert page.get_by_text(f"Training {model} on the CPU").is_visible()
    shot(page, "compare-leaderboard")
    sidebar_link(page, "Interpret a model").click()
    wait_for_text(page, "Saliency for class")
    wait_idle(page)
    wait_for_text(page, "In-silico mutagenesis: effect of each base")
    shot(page, "interpret-one")
    sidebar_link(page, "Runs").click()
    wait_for_text(page, "Predict new sequences with this model")
    wait_idle(page)
    assert page.get_by_role(
        "heading", name=re.compile(r"^Transformer on Planted motif · \d+ \w+ \d\d:\d\d UTC")
    ).is_visible()
    shot(page, "runs")


@pytest.mark.parametrize(
    "path", ["Train", "Compare", "Interpret", "Runs", "Curse_of_dimensionality"]
)
def test_direct_links_open_every_page(server, page, path):
    page.goto(f"{server.url}/{path}")
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.title().endswith("· genodash")


def test_closing_the_tab_stops_its_training(browser, tmp_path):
    import json
    import time

    from browser_support import Server

    runs_dir = tmp_path / "runs"
    own = Server(env={"GENODASH_RUNS_DIR": str(runs_dir), "GENODASH_CLOSED_TAB_GRACE_SECONDS": "2"})
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        tab = context.new_page()
        tab.set_default_timeout(90_000)
        start_long_training(tab, own)
        context.close()  # the user closes the tab mid-training
        closed = time.monotonic()
        deadline = closed + 60
        while not list(runs_dir.glob("*/cnn-*/config.json")):
            assert time.monotonic() < deadline, "training did not stop"
            time.sleep(0.25)
        config = json.loads(next(runs_dir.glob("*/cnn-*/config.json")).read_text())
        assert config["status"] == "tab_closed"  # the run says why it stopped
        print(f"training stopped {time.monotonic() - closed:.1f} s after the tab closed")
    finally:
        own.stop()
