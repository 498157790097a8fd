"""Load test: many users on one real genodash server, each training a small model.

A real server (``streamlit run app.py``) on localhost; N simulated users are browser tabs
(one headless Chromium, one context each, driven concurrently). Every user opens the Train
page, sets a few epochs, trains a CNN on the default example and waits for its results.
While they do, a probe user keeps reopening the home page (a cached page).

Printed: failures (must be 0), time from "Train" to first progress (queue wait + start) and
to results, the server's resident memory (baseline, with all users connected, peak) and per
session, the job cap, and the p50/p95 time to render the home page under load.

Run: python bench/load_test.py [--users 20] [--epochs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

PROBE_TIMEOUT_MS = 120_000
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the HDF5 reader, if started)."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.2)


async def idle(page) -> None:
    await page.locator('[data-testid="stSidebar"]').get_by_text("Compute device").wait_for()


async def user(browser, url: str, epochs: int, ready: asyncio.Event, result: dict) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 1800})
    page = await context.new_page()
    page.set_default_timeout(600_000)
    try:
        await page.goto(f"{url}/Train", timeout=600_000)
        await page.get_by_text("3 · Training").wait_for()
        await idle(page)
        box = page.get_by_label("Epochs (at most)", exact=True)
        await box.fill(str(epochs))
        await box.press("Enter")
        await asyncio.sleep(1.5)
        await idle(page)
        result["connected"] = True
        await ready.wait()
        clicked = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stProgress\"]')]"
            ".some(e => /epoch \\d+\\//.test(e.innerText))"
        )
        result["to_progress"] = time.perf_counter() - clicked
        await page.get_by_role("heading", name="Results", exact=True).wait_for()
        result["to_results"] = time.perf_counter() - clicked
        result["ok"] = await page.locator('[data-testid="stException"]').count() == 0
    except Exception as error:  # a failed user is counted, not fatal to the bench
        result["error"] = f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        result["page"], result["context"] = page, context


async def probe(browser, url: str, stop: asyncio.Event, times: list[float]) -> None:
    context = await browser.new_context()
    while not stop.is_set():
        page = await context.new_page()
        started = time.perf_counter()
        try:
            await page.goto(url, timeout=PROBE_TIMEOUT_MS)
            await page.get_by_text("Course map").wait_for(timeout=PROBE_TIMEOUT_MS)
            times.append(time.perf_counter() - started)
        except Exception:  # a home page that never rendered counts as the timeout
            times.append(math.inf)
        await page.close()
        await asyncio.sleep(0.5)
    await context.close()


async def main(users: int, epochs: int) -> None:
    from playwright.async_api import async_playwright

    runs = tempfile.mkdtemp(prefix="genodash-load-")
    server = Server(env={"GENODASH_RUNS_DIR": runs})
    watch = MemoryWatch(server.process.pid)
    watch.start()
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = await browser.new_page()
            await warm.goto(f"{server.url}/Train")
            await warm.get_by_text("3 · Training").wait_for(timeout=120_000)
            await idle(warm)
            await warm.close()
            baseline = rss_mib(server.process.pid)
            ready, stop = asyncio.Event(), asyncio.Event()
            results = [{} for _ in range(users)]
            tasks = [
                asyncio.create_task(user(browser, server.url, epochs, ready, r)) for r in results
            ]
            while sum(bool(r.get("connected") or r.get("error")) for r in results) < users:
                await asyncio.sleep(0.5)
            connected = rss_mib(server.process.pid)
            render_times: list[float] = []
            probing = asyncio.create_task(probe(browser, server.url, stop, render_times))
            started = time.perf_counter()
            ready.set()
            await asyncio.gather(*tasks)
            wall = time.perf_counter() - started
            stop.set()
            await probing
            for result in results:
                await result["context"].close()
            await browser.close()
    finally:
        watch.running = False
        server.stop()
    report(results, baseline, connected, watch.peak, render_times, wall, users)


def report(
    results: list[dict],
    baseline: float,
    connected: float,
    peak: float,
    render_times: list[float],
    wall: float,
    users: int,
) -> None:
    failures = [r for r in results if not r.get("ok")]
    waits = sorted(r["to_progress"] for r in results if "to_progress" in r)
    totals = sorted(r["to_results"] for r in results if "to_results" in r)
    cap = os.environ.get("GENODASH_MAX_JOBS") or f"default ({max(1, (os.cpu_count() or 2) // 2)})"
    print(f"{users} users, each training a CNN; job cap {cap}; {os.cpu_count()} CPU cores")
    print(f"  failures: {len(failures)}")
    for failure in failures:
        print(f"    {failure.get('error', 'exception shown on the page')}")
    if waits:
        print(
            f"  Train → first progress (queue wait + start): median {statistics.median(waits):.1f}"
            f" s, max {waits[-1]:.1f} s"
        )
        print(
            f"  Train → results: median {statistics.median(totals):.1f} s, max "
            f"{totals[-1]:.1f} s; all {len(totals)} done in {wall:.1f} s"
        )
    print(
        f"  server memory: baseline {baseline:.0f} MiB, {users} sessions connected "
        f"{connected:.0f} MiB ({(connected - baseline) / users:.1f} MiB per session), "
        f"peak while training {peak:.0f} MiB"
    )
    if render_times:
        ordered = sorted(render_times)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"  home page under load: {len(ordered)} renders, p50 "
            f"{statistics.median(ordered):.2f} s, p95 {p95:.2f} s; "
            f"{sum(map(math.isinf, ordered))} not rendered within {PROBE_TIMEOUT_MS / 1000:.0f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.epochs))
