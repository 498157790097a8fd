"""Support for the real-browser tests: a streamlit server on localhost, Chromium via Playwright.

The fixtures ``browser``, ``server`` and ``page`` live in conftest.py. Browser tests are
skipped when Chromium or Playwright is missing, unless GENODASH_REQUIRE_BROWSER=1 (as in CI),
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
from pathlib import Path

import pytest

from conftest import ROOT

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


def require_browser() -> None:
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

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", **(env or {})}
        ARTIFACTS.mkdir(exist_ok=True)
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


def upload(page, *paths: Path) -> None:
    """Choose files in the uploader; once more if a rerun replaced it before it took them."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    chips = page.locator('[data-testid="stFileChip"]')
    for _ in range(3):
        page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
            [str(p) for p in paths]
        )
        try:
            chips.first.wait_for(timeout=10_000)
            return
        except PlaywrightTimeout:
            wait_idle(page)
    raise AssertionError("the uploader never showed the chosen files")
