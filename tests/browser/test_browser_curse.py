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
    wait_for_text(page, "9. Big data")
    wait_idle(page)
    wait_for_plot(page)
    assert page.get_by_text("scRNA-seq").first.is_visible()


def test_collinearity_opens_from_its_link_with_its_two_plots(server, page):
    page.goto(f"{server.url}/Curse_of_dimensionality?demo=collinearity")
    wait_for_text(page, "5. Collinearity")
    wait_idle(page)
    wait_for_plot(page)
    page.locator(PLOTS).nth(1).wait_for(state="visible", timeout=60_000)
    assert page.get_by_text("(the variance inflation)").first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "curse-collinearity")


def test_labels_are_whole_and_follow_the_significance_level(server, page):
    """The p = n label of the overfitting plot was cut ("eatures = …"); α stuck at 0.05."""
    page.goto(f"{server.url}/Curse_of_dimensionality?demo=overfitting")
    wait_for_text(page, "8. Overfitting")
    wait_idle(page)
    wait_for_plot(page)
    label = page.locator(".legendtext", has_text="features = training samples (50)")
    label.wait_for(state="visible")
    chart = page.locator('[data-testid="stPlotlyChart"]').first.bounding_box()
    box = label.bounding_box()
    assert chart["x"] <= box["x"] and box["x"] + box["width"] <= chart["x"] + chart["width"]
    shot(page, "curse-overfitting")

    page.goto(f"{server.url}/Curse_of_dimensionality?demo=multiple-testing")
    wait_for_text(page, "7. False positives")
    wait_idle(page)
    wait_for_plot(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="Significance level")
    for _ in range(4):  # 0.05 → 0.01, one step per rerun (a rerun may take the focus)
        slider.get_by_role("slider").focus()
        page.keyboard.press("ArrowLeft")
        wait_idle(page)
    wait_for_text(page, "α = 0.01: 100 regressions per design")
    wait_idle(page)
    wait_for_text(page, "slopes at α = 0.01")
    words = page.locator(
        '[data-testid="stMain"] [data-testid="stMarkdownContainer"]'
    ).all_inner_texts()
    assert not [text for text in words if "0.05" in text]
    assert any("below α = 0.01 in 1% of regressions" in text for text in words)
    shot(page, "curse-false-positives-alpha")
