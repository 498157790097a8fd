"""Abuse test: a few hostile students beside a class of normal ones, on one real server.

A real server (``streamlit run app.py``) on localhost, driven by the websocket clients of
``bench/load_test.py`` (Streamlit's own protocol, as the browser speaks it). N normal
students train a small CNN on the Train page exactly as load_test's users do, while H
hostile students, starting at the same moment, on the same server:

1. Train page: ask for maximal settings (filters 512, first-layer width 32, 4 blocks,
   max-pool 1, dense 512, batch 4096, the longest length, 500 epochs, no early stopping);
   then press the (disabled) Train button anyway, sending its click as a hand-made client
   can; then follow the refusal's hint (the largest batch it says fits, all else maximal)
   and press Train; then click Train five more times at once; then open ``--tabs`` more
   tabs on the same workspace link (``?ws=…``) and press Train in each, to try to queue
   many jobs. The tabs stay open (``--close-tabs`` closes them after their click).
2. Data page: upload bombs, one after another, as the browser uploads (a
   ``file_urls_request``, an HTTP PUT with the XSRF cookie and header, a rerun with the
   uploader's state): a 97 KB ``.txt.gz`` holding 100 MB of "AC" lines; a gzipped CSV of
   60,000 rows × 2,000 zero columns; an ``.h5ad`` whose gzip-chunked dense X declares
   100,000 × 5,000 float32 (2 GB) of zeros. The files are made in a temp folder. Then
   back to the Train page, where it stays until the class is done.

By default everyone starts at once, so the hostile jobs, which come after a refusal, queue
behind most of the class; ``--hostile-first`` lets the class press Train only once the
hostile students have (the worst order: their jobs, up to the job time limit each, go
first; add ``--job-seconds 60`` to keep that run short).

A normal student fails as in load_test (an exception or error shown, a dropped connection,
no results in time). A hostile student fails only when an exception (a traceback element)
is shown or the server drops it: error messages are what it should get, and each one is
recorded and printed.

The same run is then made without hostile students on a fresh server in the same
invocation (``--no-baseline`` skips it), so that the normal students' times with and
without them are printed side by side, with their ratio.

Printed per run: failures, Train → first progress (queue wait + start) and → results
(median, max), what each hostile action got, the peak resident memory (VmRSS from
/proc/<pid>/status, sampled every 0.2 s) of the server process alone, of its reader worker,
of its training workers and of all of them together (at one sample), the worker processes
seen, the server's memory before the students come, ``--settle`` s after they have all
left (how long the training workers still worked: a closed tab's job stops after a grace
period) and ``--after`` s after, once one more visit has let Streamlit drop the sessions
it keeps for reconnection (``server.disconnectedSessionTTL``, 120 s), and the tracebacks
in the server's log.

Run: python bench/abuse.py [--users 18] [--hostile 2] [--epochs 3] [--timeout 420]
(about 7 minutes on 2 cores). The servers get this environment (GENODASH_MAX_JOBS=2 or
another GENODASH_* limit in front of the command applies to them); ``--job-seconds`` sets
GENODASH_MAX_JOB_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import math
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

from load_test import Client, UserFailed, user
from streamlit.proto.Alert_pb2 import Alert  # noqa: TID251

from browser_support import ARTIFACTS, Server

PAGE_TIMEOUT_S = 300.0  # one page run (an upload read included)

MAXIMAL = {
    "Filters per layer": 512,
    "First-layer filter width (bp)": 32,
    "Convolution blocks": 4,
    "Max-pool size": 1,
    "Dense layer units": 512,
    "Batch size": 4096,
    "Epochs (at most)": 500,
    "Early-stopping patience (epochs)": 0,
}
HINT = re.compile(r"batch size of at most ([\d,]+) fits")


# --- memory of the server and of each kind of worker ------------------------------------


def _vm_rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: the children of each of its threads (a worker started
    from a script or job thread is that thread's child, not the main thread's), and theirs."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            with contextlib.suppress(OSError):
                for child in Path(f"/proc/{parent}/task/{task}/children").read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
    return found


def role(pid: int) -> str:
    """reader (the upload reader), training (a training worker) or other."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    if "genodash.io._worker" in command:
        return "reader"
    if "resource_tracker" in command:
        return "other"
    if "multiprocessing" in command or "spawn_main" in command:
        return "training"
    return "other"


def memory_now(pid: int) -> dict[str, float]:
    """MiB by role: the server alone, its reader, its training workers, others, and all."""
    sample = {"server": _vm_rss(pid), "reader": 0.0, "training": 0.0, "other": 0.0}
    for child in descendants(pid):
        sample[role(child)] += _vm_rss(child)
    sample["total"] = sum(sample.values())
    return sample


class RoleWatch(threading.Thread):
    """Samples :func:`memory_now` every 0.2 s and keeps each role's peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.running = pid, True
        self.peak = {"server": 0.0, "reader": 0.0, "training": 0.0, "other": 0.0, "total": 0.0}
        self.workers: set[tuple[int, str]] = set()

    def run(self) -> None:
        while self.running:
            sample = memory_now(self.pid)
            for key, value in sample.items():
                self.peak[key] = max(self.peak[key], value)
            self.workers.update((child, role(child)) for child in descendants(self.pid))
            time.sleep(0.2)


# --- the bombs ---------------------------------------------------------------------------


def make_bombs(folder: Path) -> list[Path]:
    """The three upload bombs, written without ever holding their content in memory."""
    text = folder / "bomb-100MB-lines.txt.gz"
    with gzip.open(text, "wb", compresslevel=9) as stream:
        block = b"AC\n" * (1 << 20)  # 3 MiB
        left = 100 * 10**6
        while left > 0:
            stream.write(block[:left])
            left -= len(block)
    table = folder / "bomb-60000x2000-zeros.csv.gz"
    with gzip.open(table, "wb", compresslevel=9) as stream:
        stream.write(("cell," + ",".join(f"g{j}" for j in range(2000)) + "\n").encode())
        zeros = ",0" * 2000 + "\n"
        for start in range(0, 60_000, 1000):
            stream.write("".join(f"c{i}{zeros}" for i in range(start, start + 1000)).encode())
    return [text, table, _h5ad_bomb(folder / "bomb-100000x5000-zeros.h5ad")]


def _h5ad_bomb(path: Path) -> Path:
    import h5py
    import numpy as np
    import pandas as pd
    from anndata.io import write_elem

    n_obs, n_vars, rows = 100_000, 5_000, 500
    with h5py.File(path, "w") as handle:
        x = handle.create_dataset(
            "X",
            shape=(n_obs, n_vars),
            dtype="float32",
            chunks=(rows, n_vars),
            compression="gzip",
            compression_opts=9,
        )
        zeros = np.zeros((rows, n_vars), dtype="float32")
        for start in range(0, n_obs, rows):
            x[start : start + rows] = zeros
        x.attrs["encoding-type"], x.attrs["encoding-version"] = "array", "0.2.0"
        packed = {"compression": "gzip", "compression_opts": 9}
        write_elem(
            handle,
            "obs",
            pd.DataFrame(index=[f"cell{i}" for i in range(n_obs)]),
            dataset_kwargs=packed,
        )
        write_elem(
            handle,
            "var",
            pd.DataFrame(index=[f"gene{j}" for j in range(n_vars)]),
            dataset_kwargs=packed,
        )
        for key in ("obsm", "varm", "obsp", "varp", "layers", "uns"):
            write_elem(handle, key, {})
        handle.attrs["encoding-type"], handle.attrs["encoding-version"] = "anndata", "0.1.0"
    return path


# --- a hostile student -------------------------------------------------------------------


class HostileClient(Client):
    """A tab whose error messages are recorded (what it should see), not failures; it
    keeps every message and progress text shown, and the last proto of each widget."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.shown: list[tuple[str, str]] = []
        self.protos: dict[str, object] = {}

    def error_shown(self, body: str) -> None:
        self.shown.append(("error", body))

    def _element(self, element: object) -> None:
        kind = element.WhichOneof("type")
        if kind == "alert" and element.alert.format != Alert.ERROR:
            self.shown.append((Alert.Format.Name(element.alert.format).lower(), element.alert.body))
        elif kind == "progress":
            self.shown.append(("progress", element.progress.text))
        elif kind == "markdown" and "training step needs" in element.markdown.body:
            self.shown.append(("note", element.markdown.body))
        widget = getattr(element, kind) if kind else None
        if getattr(widget, "id", "") and getattr(widget, "label", ""):
            self.protos[widget.label] = widget
        super()._element(element)

    def goto(self, page_name: str) -> None:
        """Open another page in this tab (its next run names the page, as a link does)."""
        self.page_name, self.page_script_hash = page_name, ""
        self.url = f"{self.base_url}/{page_name}"

    async def page_run(self, *, clicked: tuple[str, ...] = ()) -> None:
        await asyncio.wait_for(self.run(clicked=clicked), PAGE_TIMEOUT_S)

    def set_all(self, values: dict[str, float]) -> None:
        for label, value in values.items():
            self.set_number(label, value)


def plain(body: str) -> str:
    """A message as the user reads it: markdown escapes and emphasis dropped, one line."""
    text = re.sub(r"\\(.)", r"\1", body).replace("**", "")
    return re.sub(r"\s*\n+\s*", " — ", text.strip())


def outcome(shown: list[tuple[str, str]]) -> tuple[str, bool]:
    """What an action got (the most telling message shown since it began), and whether
    this tab has a job queued or running."""
    job = any(
        kind == "progress" or (kind == "info" and "Waiting for a free slot" in body)
        for kind, body in shown
    )
    for wanted in ("error", "exception", "success"):
        found = [body for kind, body in shown if kind == wanted]
        if found:
            return f"{wanted}: {plain(found[-1])}", job
    queued = [body for kind, body in shown if kind == "info" and "Waiting for" in body]
    if queued:
        return f"queued: {plain(queued[-1])}", job
    progress = [body for kind, body in shown if kind == "progress"]
    if progress:
        return f"running: {plain(progress[-1])}", job
    for wanted in ("warning", "note"):
        found = [body for kind, body in shown if kind == wanted]
        if found:
            return f"{wanted}: {plain(found[-1])}", job
    return "no message", job


async def act(client: HostileClient, result: dict, name: str, action: object) -> str:
    """Run one hostile action, record and return what it got."""
    mark, started = len(client.shown), time.perf_counter()
    try:
        await action
        got, job = outcome(client.shown[mark:])
    except urllib.error.HTTPError as error:
        got, job = f"HTTP {error.code} {error.reason}", False
    except (UserFailed, TimeoutError) as error:
        got, job = f"FAILED: {error or 'no answer in time'}", False
        result["failures"].append(f"{name}: {got}")
    if client.problems:  # an exception element: the one thing a hostile user must not get
        result["failures"].append(f"{name}: {client.problems[0]}")
        got = f"FAILED: {client.problems[0]}"
        client.problems.clear()
    seconds = time.perf_counter() - started
    result["actions"].append(
        (name, got + (" [a job of this tab is active]" if job else ""), seconds)
    )
    print(f"  {result['name']}: {name} ({seconds:.1f} s) → {got}", flush=True)
    return got


async def hostile(
    url: str, args: argparse.Namespace, bombs: list[Path], go: asyncio.Event, result: dict
) -> None:
    tabs: list[HostileClient] = []
    try:
        client = await HostileClient.open(url, "Train", {})
        tabs.append(client)
        await client.page_run()
        longest = int(client.protos["Length (bp)"].max)
        result["connected"] = True
        await go.wait()
        maximal = {**MAXIMAL, "Length (bp)": longest}
        client.set_all(maximal)
        settings = ", ".join(f"{k.split(' (')[0].lower()} {v:g}" for k, v in maximal.items())
        got = await act(client, result, f"maximal settings ({settings})", client.page_run())
        disabled = bool(getattr(client.protos.get("Train"), "disabled", False))
        await act(
            client,
            result,
            f"click on the Train button ({'disabled' if disabled else 'enabled'}), sent anyway",
            client.page_run(clicked=(client.widget_id("Train"),)),
        )
        hint, batch = HINT.search(plain(got)), maximal["Batch size"]
        if hint:
            batch = int(hint.group(1).replace(",", ""))
            client.set_number("Batch size", batch)
            await act(client, result, f"the hint: batch size {batch}", client.page_run())
        await act(client, result, "Train", client.page_run(clicked=(client.widget_id("Train"),)))
        result["queued"] = True

        async def clicks() -> None:
            for _ in range(5):
                await client.click("Train")
            await client.page_run()

        await act(client, result, "Train clicked 5 more times at once", clicks())
        for number in range(args.tabs):
            tab = await HostileClient.open(url, "Train", {})
            tabs.append(tab)
            tab.query_string = client.query_string  # the same workspace link (?ws=…)

            async def train_in(tab: HostileClient = tab) -> None:
                await tab.page_run()
                tab.set_all({**maximal, "Batch size": batch})
                await tab.page_run()
                await tab.page_run(clicked=(tab.widget_id("Train"),))

            await act(
                tab, result, f"new tab {number + 2} on the same workspace link: Train", train_in()
            )
            if args.close_tabs:
                await tab.close()
        client.goto("Data")
        await client.page_run()
        for bomb in bombs:
            size = bomb.stat().st_size
            await act(
                client,
                result,
                f"upload {bomb.name} ({size / 1024:,.0f} KB)",
                client.upload("Data files", [bomb]),
            )
        client.goto("Train")
        await act(client, result, "back to the Train page", client.page_run())
        result["done"] = result["finished"] = True
        await asyncio.Event().wait()  # stay connected until the class is done
    except asyncio.CancelledError:
        if tabs:  # what its own job was doing when the class ended
            result["last_seen"] = outcome(tabs[0].shown[-3:])[0]
        raise
    except Exception as error:  # a failed hostile user is counted, not fatal to the bench
        result["finished"] = True
        result["failures"].append(f"{type(error).__name__}: {error}"[:300])
        print(f"  {result['name']}: FAILED, {type(error).__name__}: {error}"[:300], flush=True)
    finally:
        for tab in tabs:
            await tab.close()


# --- one run -----------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace, hostiles: int, bombs: list[Path]) -> None:
        self.args, self.hostiles, self.bombs = args, hostiles, bombs
        self.results = [{"name": f"user {i + 1:>2}"} for i in range(args.users)]
        self.hostile_results = [
            {"name": f"hostile {i + 1}", "actions": [], "failures": []} for i in range(hostiles)
        ]
        self.before: dict[str, float] | None = None
        self.after: dict[str, float] | None = None
        self.peak: dict[str, float] = {}
        self.workers: set[tuple[int, str]] = set()
        self.wall: float | None = None
        self.log: Path | None = None
        self.busy_until: float | None = None
        self.after_jobs: dict[str, float] | None = None

    @property
    def title(self) -> str:
        return f"{self.args.users} students + {self.hostiles} hostile"

    async def run(self) -> None:
        env = {"GENODASH_RUNS_DIR": tempfile.mkdtemp(prefix="genodash-abuse-")}
        if self.args.job_seconds:
            env["GENODASH_MAX_JOB_SECONDS"] = str(self.args.job_seconds)
        server = Server(env=env)
        self.log = ARTIFACTS / f"server-{server.port}.log"
        pid = server.process.pid
        print(f"\n== {self.title}: server {server.url} (pid {pid}, log {self.log})", flush=True)
        deadline = time.perf_counter() + self.args.timeout
        watch = RoleWatch(pid)
        tasks: list[asyncio.Task] = []
        started = None
        try:
            await asyncio.wait_for(warm_up(server.url), deadline - time.perf_counter())
            self.before = memory_now(pid)
            go = asyncio.Event()
            class_go = asyncio.Event() if self.args.hostile_first else go
            tasks = [
                asyncio.create_task(user(server.url, self.args.epochs, class_go, r))
                for r in self.results
            ]
            hostile_tasks = [
                asyncio.create_task(hostile(server.url, self.args, self.bombs, go, r))
                for r in self.hostile_results
            ]
            everyone = self.results + self.hostile_results
            while not all(
                r.get("connected") or r.get("error") or r.get("failures") for r in everyone
            ):
                if time.perf_counter() > deadline:
                    raise TimeoutError
                await asyncio.sleep(0.5)
            print(
                f"everyone on the Train page; server {self.before['server']:.0f} MiB; go",
                flush=True,
            )
            watch.start()
            go.set()
            while not class_go.is_set():  # --hostile-first: the class clicks once they queued
                if all(r.get("queued") or r.get("finished") for r in self.hostile_results):
                    print("the hostile students have pressed Train; now the class", flush=True)
                    class_go.set()
                await asyncio.sleep(0.1)
            started = time.perf_counter()
            pending = False
            if tasks:
                left = max(0, deadline - time.perf_counter())
                pending = bool((await asyncio.wait(tasks, timeout=left))[1])
            self.wall = time.perf_counter() - started
            while not pending and not all(r.get("finished") for r in self.hostile_results):
                if time.perf_counter() > deadline:
                    pending = True
                await asyncio.sleep(0.2)  # the hostile ones finish what they were doing
            if pending:
                print(f"timeout: {self.args.timeout:.0f} s passed", flush=True)
            for task in hostile_tasks:  # the class is done (or out of time): hostiles leave
                task.cancel()
            tasks += hostile_tasks
        except TimeoutError:
            print(f"timeout: {self.args.timeout:.0f} s passed", flush=True)
        finally:
            if started is not None and self.wall is None:
                self.wall = time.perf_counter() - started
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if started is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self.aftermath(server.url, pid)
            watch.running = False
            self.peak, self.workers = dict(watch.peak), set(watch.workers)
            server.stop()

    async def aftermath(self, url: str, pid: int) -> None:
        """Once everyone has left: when the training workers stop working (a closed tab's
        job stops after a grace period, within a batch), the memory ``--settle`` s later, and
        ``--after`` s later once one more visit has let Streamlit drop the sessions it keeps
        for reconnection (``server.disconnectedSessionTTL``, 120 s; dropped lazily)."""
        args, left = self.args, time.perf_counter()
        print(f"everyone has left; measuring for {max(args.settle, args.after):.0f} s", flush=True)
        used = cpu_by_pid(pid)
        self.busy_until = 0.0
        while time.perf_counter() - left < args.settle:
            await asyncio.sleep(1.0)
            now = cpu_by_pid(pid)
            if sum(max(0.0, v - used.get(k, v)) for k, v in now.items()) > 0.05:
                self.busy_until = time.perf_counter() - left
            used = now
        self.after_jobs = memory_now(pid)
        if args.after > args.settle:
            await asyncio.sleep(max(0.0, args.after - (time.perf_counter() - left)))
            await warm_up(url)
            await asyncio.sleep(2.0)
            self.after = memory_now(pid)

    def report(self) -> None:
        args = self.args
        order = ", the hostile ones pressing Train first" if args.hostile_first else ""
        print(
            f"\n{self.title}: each normal student trains a CNN for {args.epochs} epochs"
            f"{order if self.hostiles else ''}; job cap {job_cap()}; job time limit "
            f"{job_seconds(args)} s; {os.cpu_count()} CPU cores"
        )
        for result in self.results:
            if not result.get("ok") and "error" not in result:
                result["error"] = "not finished"
        failures = [r for r in self.results if not r.get("ok")]
        print(f"  normal students' failures: {len(failures)}")
        for failure in failures:
            print(f"    {failure['name']}: {failure['error']}")
        waits, totals = times(self.results)
        if waits:
            print(
                f"  Train → first progress (queue wait + start): median "
                f"{statistics.median(waits):.1f} s, max {waits[-1]:.1f} s ({len(waits)} users)"
            )
        if totals:
            print(
                f"  Train → results: median {statistics.median(totals):.1f} s, max "
                f"{totals[-1]:.1f} s; {len(totals)} done in {self.wall or 0:.1f} s"
            )
        for result in self.hostile_results:
            print(
                f"  {result['name']}: {len(result['failures'])} failures (exceptions shown or "
                "connection lost)"
            )
            for failure in result["failures"]:
                print(f"    FAILURE {failure}")
            for name, got, seconds in result["actions"]:
                print(f"    - {name} ({seconds:.1f} s)\n        → {got}")
            if not result.get("done"):
                print("    (did not finish its actions)")
            if "last_seen" in result:
                print(f"    its Train page when the class was done: {result['last_seen']}")
        if self.peak:
            peak = self.peak
            print(
                "  peak resident memory (VmRSS every 0.2 s): server alone "
                f"{peak['server']:.0f} MiB, reader {peak['reader']:.0f} MiB, training workers "
                f"{peak['training']:.0f} MiB (all at one moment), other children "
                f"{peak['other']:.0f} MiB; all together {peak['total']:.0f} MiB"
            )
            kinds = sorted({r for _, r in self.workers})
            print(
                "  worker processes seen: "
                + ", ".join(f"{sum(r == k for _, r in self.workers)} {k}" for k in kinds)
                if kinds
                else "  worker processes seen: none"
            )
        if self.busy_until == 0:
            print(f"  training workers idle as soon as everyone left (watched {args.settle:.0f} s)")
        elif self.busy_until is not None:
            still = " (STILL BUSY at the end)" if self.busy_until > args.settle - 1.5 else ""
            print(
                f"  training workers last busy {self.busy_until:.0f} s after everyone left, "
                f"watched for {args.settle:.0f} s{still}"
            )
        for when, sample in (
            ("before (after a warm-up visit)", self.before),
            (f"+{args.settle:.0f} s after everyone left", self.after_jobs),
            (f"+{args.after:.0f} s after, and one more visit", self.after),
        ):
            if sample:
                print(
                    f"  memory {when}: server {sample['server']:.0f} MiB, reader "
                    f"{sample['reader']:.0f} MiB, training workers {sample['training']:.0f} MiB,"
                    f" other {sample['other']:.0f} MiB; total {sample['total']:.0f} MiB"
                )
        if self.before and (self.after or self.after_jobs):
            after = self.after or self.after_jobs
            grown = after["server"] - self.before["server"]
            print(f"  server alone, last after − before: {grown:+.0f} MiB")
        tracebacks(self.log)


def cpu_by_pid(server: int) -> dict[int, float]:
    """CPU seconds (user + system) each training worker of ``server`` has used so far."""
    used = {}
    for pid in descendants(server):
        if role(pid) == "training":
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def times(results: list[dict]) -> tuple[list[float], list[float]]:
    waits = sorted(r["to_progress"] for r in results if "to_progress" in r)
    totals = sorted(r["to_results"] for r in results if "to_results" in r)
    return waits, totals


def job_seconds(args: argparse.Namespace) -> int:
    from genodash.limits import Limits

    return args.job_seconds or Limits.from_env().max_job_seconds


def job_cap() -> str:
    return os.environ.get("GENODASH_MAX_JOBS") or f"default ({max(1, (os.cpu_count() or 2) // 2)})"


def tracebacks(log: Path | None) -> None:
    """Count the tracebacks in the server's log and show the last line of each kind."""
    if log is None or not log.exists():
        return
    lines = log.read_text(errors="replace").splitlines()
    ends = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            ends.append(lines[j] if j < len(lines) else "?")
    print(f"  server log: {len(ends)} tracebacks ({log})")
    for end in sorted(set(ends)):
        print(f"    {sum(e == end for e in ends)}× {end[:300]}")


async def warm_up(url: str) -> None:
    """One visit to the Train page first, so that its imports and caches are paid."""
    client = await Client.open(url, "Train", {})
    try:
        await client.run()
    finally:
        await client.close()


def compare(with_hostile: Run, without: Run) -> None:
    print(
        f"\nNormal students with and without hostile ones (same invocation, "
        f"{with_hostile.args.users} students):"
    )
    print(f"  {'':38}{with_hostile.hostiles} hostile   0 hostile   ratio")
    a, b = times(with_hostile.results), times(without.results)
    rows = [
        ("Train → first progress, median", a[0], b[0], statistics.median),
        ("Train → first progress, max", a[0], b[0], max),
        ("Train → results, median", a[1], b[1], statistics.median),
        ("Train → results, max", a[1], b[1], max),
    ]
    for name, first, second, stat in rows:
        if first and second:
            x, y = stat(first), stat(second)
            ratio = x / y if y else math.inf
            print(f"  {name:38}{x:8.1f} s {y:9.1f} s   {ratio:5.2f}")
    failures = [sum(not r.get("ok") for r in run.results) for run in (with_hostile, without)]
    print(f"  {'failures':38}{failures[0]:8d}   {failures[1]:9d}")


async def main(args: argparse.Namespace) -> list[Run]:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
    folder = Path(tempfile.mkdtemp(prefix="genodash-bombs-"))
    started = time.perf_counter()
    bombs = await asyncio.to_thread(make_bombs, folder) if args.hostile else []
    if bombs:
        print(
            f"bombs made in {time.perf_counter() - started:.1f} s in {folder}: "
            + ", ".join(f"{b.name} {b.stat().st_size / 1024:,.0f} KB" for b in bombs),
            flush=True,
        )
    runs = [Run(args, args.hostile, bombs)]
    if args.hostile and not args.no_baseline:
        runs.append(Run(args, 0, []))
    args.runs = runs
    for run in runs:
        await run.run()
    return runs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default, what in (
        ("--users", 18, "normal students"),
        ("--hostile", 2, "hostile students"),
        ("--epochs", 3, "normal students' epochs"),
        ("--tabs", 2, "extra tabs each hostile student opens on its workspace"),
    ):
        parser.add_argument(flag, type=int, default=default, help=f"{what} ({default})")
    parser.add_argument(
        "--close-tabs", action="store_true", help="close each extra tab right after its Train click"
    )
    parser.add_argument(
        "--hostile-first",
        action="store_true",
        help="the class presses Train only once the hostile students have (worst order)",
    )
    parser.add_argument(
        "--job-seconds",
        type=int,
        default=0,
        help="GENODASH_MAX_JOB_SECONDS for the servers (default: theirs)",
    )
    parser.add_argument(
        "--timeout", type=float, default=420, help="seconds per run, from its server's start (420)"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=45,
        help="seconds after everyone left: watch the training workers, then measure (45)",
    )
    parser.add_argument(
        "--after",
        type=float,
        default=130,
        help="seconds after everyone left for the last measure, after one more visit; "
        "0 skips it (130)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the run without hostile students"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    args.runs = []
    try:
        asyncio.run(main(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted", flush=True)
    finally:
        for run in args.runs:
            run.report()
        if len(args.runs) == 2:
            compare(*args.runs)
