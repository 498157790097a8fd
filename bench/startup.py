"""Cold start of the app and load time of every built-in example.

Prints: seconds from `streamlit run` to a healthy server, to the home page's text in
headless Chromium, and to the whole home page (device badge included); then each
example's load time in a fresh Python process (imports included) and warm.

Run: python bench/startup.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone
sys.path.insert(0, str(ROOT / "tests"))

LOAD = """
import json, sys, time
t0 = time.perf_counter()
from genodash.examples import load_example
cold_start = time.perf_counter()
load_example(sys.argv[1])
cold = time.perf_counter() - t0
t1 = time.perf_counter()
load_example(sys.argv[1])
print(json.dumps({"cold_s": cold, "warm_s": time.perf_counter() - t1}))
"""


def home_cold_start() -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server

    ARTIFACTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    server = Server()
    healthy = time.perf_counter() - started
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            opened = time.perf_counter()
            page.goto(server.url)
            page.get_by_text("Course map").wait_for()
            text = time.perf_counter() - opened
            page.locator('[data-testid="stSidebar"]').get_by_text("Compute device").wait_for()
            full = time.perf_counter() - opened
            browser.close()
    finally:
        server.stop()
    return {"server_healthy_s": healthy, "home_text_s": text, "home_complete_s": full}


def example_times() -> dict[str, dict[str, float]]:
    from genodash.examples import EXAMPLES

    times = {}
    for key in EXAMPLES:
        out = subprocess.run(
            [sys.executable, "-c", LOAD, key], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times[key] = json.loads(out.stdout)
    return times


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    home = home_cold_start()
    print("home page, fresh server (first request):")
    for name, seconds in home.items():
        print(f"  {name:18s} {seconds:6.2f} s")
    print("examples (fresh process: imports + load | warm reload):")
    for key, t in example_times().items():
        print(f"  {key:18s} {t['cold_s']:6.2f} s | {t['warm_s']:6.2f} s")
