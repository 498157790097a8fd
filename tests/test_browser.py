"""Real-browser tests: the app served on localhost, driven by Playwright in Debian's Chromium.

Skipped when Chromium or Playwright is missing, unless GENODASH_REQUIRE_BROWSER=1 (as in CI),
where a missing browser fails the run. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DATA, ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = ROOT / "test-artifacts"
REQUIRED = os.environ.get("GENODASH_REQUIRE_BROWSER") == "1"


def _require_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium ({CHROMIUM})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing and REQUIRED:
        pytest.fail(f"browser tests required but missing: {', '.join(missing)}")
    if missing:
        pytest.skip(f"missing {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a free localhost port, stopped at teardown."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        self.log = (ARTIFACTS / f"server-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit server did not become healthy")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(browser) -> Iterator[Server]:
    started = Server()
    yield started
    started.stop()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    yield tab
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        tab.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    context.close()


def wait_for_text(page, text: str, timeout: float = 90_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout)


def wait_idle(page) -> None:
    """Wait until the page script has finished: the device badge is its last element."""
    page.locator('[data-testid="stSidebar"]').get_by_text("Compute device").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000
    )


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_direct_link_is_the_first_request_of_a_fresh_server(browser, page):
    fresh = Server()
    try:
        page.goto(f"{fresh.url}/Data")
        wait_for_text(page, "Summary: Planted motif")
        wait_idle(page)
        assert page.title() == "Data · genodash"
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("Home", exact=True).is_visible()
        assert sidebar.get_by_text("Compute device").is_visible()
        assert sidebar.get_by_text("1_Data").count() == 0
        shot(page, "data-direct-link")
    finally:
        fresh.stop()


def test_home_links_to_the_data_page(server, page):
    started = time.monotonic()
    page.goto(server.url)
    wait_for_text(page, "Course map")
    print(f"home visible after {time.monotonic() - started:.2f} s")
    wait_idle(page)
    shot(page, "home")
    page.get_by_role("link", name="Open Data").click()
    wait_for_text(page, "Summary: Planted motif")
    assert urllib.parse.urlparse(page.url).path == "/Data"


def open_upload_tab(page, server: Server) -> None:
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.get_by_role("tab", name="Upload your file").click()


def upload(page, *paths: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        [str(p) for p in paths]
    )


def test_upload_shows_the_summary(server, page):
    open_upload_tab(page, server)
    upload(page, DATA / "labelled.fa.gz")
    wait_for_text(page, "Summary: labelled.fa.gz")
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[:3] == ["4", "2", "14–18 bp"]
    assert page.get_by_text("decompressed gzip").is_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("labelled.fa.gz").is_visible()
    shot(page, "data-upload-fasta")


def test_bad_upload_shows_a_message_and_keeps_the_data(server, page):
    open_upload_tab(page, server)
    upload(page, DATA / "protein.fa")
    wait_for_text(page, "previous data is still in use")
    wait_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert "protein.fa: record 1 'p1' (line 1): invalid character 'I'" in error
    assert page.get_by_text("Summary: Planted motif").is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    shot(page, "data-bad-upload")


def test_matrix_example_through_the_ui(server, page):
    page.goto(f"{server.url}/Data")
    wait_for_text(page, "Summary: Planted motif")
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="PBMC 68k reduced").click()
    page.get_by_role("button", name="Load this example").click()
    wait_for_text(page, "Summary: PBMC 68k (reduced)")
    wait_idle(page)
    metrics = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    assert metrics[:2] == ["700", "765"]
    shot(page, "data-pbmc")
