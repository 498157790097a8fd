"""Real browser: the curse-of-dimensionality page opens by direct link and draws its plots."""

from __future__ import annotations

import time

import pytest

from browser_support import shot, wait_for_text, wait_idle

pytestmark = pytest.mark.browser

PLOTS = '[data-testid="stPlotlyChart"] .main-svg'


def wait_for_plot(page) -> None:
    """Plotly draws after the script has finished: wait for its SVG."""
    page.locator(PLOTS).first.wait_for(state="visible", timeout=60_000)


def test_curse_page_draws_a_plot_and_switches_demo(server, page):
    page.goto(f"{server.url}/Curse_of_dimensionality")
    wait_for_text(page, "1. Sparsity")
    wait_idle(page)
    assert page.title() == "Curse of dimensionality · genodash"
    wait_for_plot(page)
    assert page.get_by_text("points from a 2-D normal distribution").first.is_visible()
    shot(page, "curse-sparsity")

    started = time.monotonic()
    page.locator('[data-testid="stButtonGroup"] button', has_text="OLS").click()
    wait_for_text(page, "4. OLS, n ≤ p")
    wait_idle(page)
    print(f"OLS demo drawn {time.monotonic() - started:.2f} s after the click")
    wait_for_plot(page)
    assert page.get_by_text("Condition number of XᵀX").first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "curse-ols")


def test_a_demo_opens_from_its_link(server, page):
    page.goto(f"{server.url}/Curse_of_dimensionality?demo=big-data")
    wait_for_text(page, "8. Big data")
    wait_idle(page)
    wait_for_plot(page)
    assert page.get_by_text("scRNA-seq").first.is_visible()
