"""Load test: many users on one real genodash server, each training a small model.

A real server (``streamlit run app.py``) on localhost; N simulated users are lightweight
websocket clients that speak Streamlit's own protocol on ``/_stcore/stream`` (binary
``BackMsg``/``ForwardMsg`` protobufs), as the browser frontend does, all in one asyncio
loop: each opens the Train page (a ``rerun_script`` naming the page), keeps every widget's
current value and sends them all with each rerun, sets a few epochs, clicks Train (the
button's trigger value) and waits for its results. Like the browser, a client reruns each
``run_every`` fragment at the interval the server's ``auto_rerun`` message asks for (the
progress panel, every second, until the job ends), mirrors the query string the app sets,
and keeps the large elements it was sent so that the server can refer to them by hash.
No page is rendered: the server does all its usual work, the clients almost none. While
the users train, a probe keeps opening a new session on the home page (a cached page).
The client is the ``websockets`` package, which Streamlit's own server (Starlette and
uvicorn) depends on; it offers the ``streamlit`` subprotocol as the browser does (the XSRF
token the browser adds there only matters for login cookies).

A user fails if an exception or an error message ever shows, if the server drops the
connection, or if it has no results when ``--timeout`` (seconds from the server's start)
runs out. Each user's outcome is printed as it finishes; the report is printed even when the
run is cut short (Ctrl-C, SIGTERM or the timeout).

Printed: failures (must be 0), time from "Train" to first progress (queue wait + start) and
to results, each model's own training time (from its saved metrics), the fragment reruns
the clients sent and how many the server ran, the server's CPU use while the users train,
its resident memory (baseline, with all users connected, peak) and per session, the job cap,
and the p50/p95 time to render the home page under load.

Run: python bench/load_test.py [--users 20] [--epochs 5] [--timeout 900]
The server gets this environment, so GENODASH_MAX_JOBS=2 or a Streamlit option such as
STREAMLIT_RUNNER_POST_SCRIPT_GC=false in front of the command applies to it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from streamlit.proto.Alert_pb2 import Alert  # noqa: TID251
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: TID251
from streamlit.proto.Common_pb2 import FileURLs, UploadedFileInfo  # noqa: TID251
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: TID251
from streamlit.proto.NumberInput_pb2 import NumberInput  # noqa: TID251
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: TID251
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROBE_TIMEOUT_S = 120.0
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import Server

USER_MARKS = {
    "training": re.compile(r"^heading 3 · Training$"),
    "progress": re.compile(r"^progress .*\bepoch \d+/"),
    "results": re.compile(r"^heading Results$"),
}
HOME_MARKS = {"home": re.compile(r"^heading Course map$")}


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


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
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


class UserFailed(Exception):
    """What the user saw instead of what they waited for."""


def _text_of(kind: str, element: object) -> str | None:
    """The visible text of an element that shows text, else None."""
    if kind == "progress":
        return element.progress.text
    if kind in ("heading", "markdown", "alert", "text"):
        return getattr(element, kind).body
    return None


def _widget_value(kind: str, widget: object) -> WidgetState | None:
    """The state the frontend commits for a newly drawn widget (its default, or the value
    the script set), for the widgets whose value it sends; None for the others (buttons,
    charts, tables), which send nothing until the user acts on them."""
    state = WidgetState(id=widget.id)
    if kind in ("number_input", "text_input", "text_area"):
        field = "value" if widget.set_value else "default"
        if not widget.HasField(field):  # empty (value=None): the frontend sends no value
            return None
    if kind == "number_input":
        value = widget.value if widget.set_value else widget.default
        if widget.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "selectbox":
        if widget.set_value:
            state.string_value = widget.raw_value
        elif 0 <= widget.default < len(widget.options):
            state.string_value = widget.options[widget.default]
        else:
            return None
    elif kind == "slider" and not widget.options:
        state.double_array_value.data.extend(widget.value if widget.set_value else widget.default)
    elif kind in ("text_input", "text_area"):
        state.string_value = widget.value if widget.set_value else widget.default
    else:
        return None
    return state


class Client:
    """One browser tab, as the Streamlit frontend talks to the server.

    It keeps what the frontend keeps: the page's script hash, the query string, the value of
    every widget drawn (sent whole with each rerun; the frontend drops those of widgets a
    full run no longer draws), the cacheable messages by hash, and a timer per ``run_every``
    fragment. It records the first time each of ``marks`` (regexes over "kind text", e.g.
    "heading Results") matched an element, and every exception or error shown.

    It can upload files to a ``st.file_uploader`` as the frontend does (:meth:`upload`).
    """

    def __init__(
        self, ws: ClientConnection, url: str, page_name: str, marks: dict[str, re.Pattern]
    ) -> None:
        self.ws, self.url, self.page_name, self.marks = ws, url, page_name, marks
        self.base_url = url.rsplit("/", 1)[0]
        self.page_script_hash = ""
        self.session_id = ""
        self.xsrf_cookie: str | None = None
        self.file_url_requests: dict[str, asyncio.Future] = {}
        self.uploaded: dict[str, list[UploadedFileInfo]] = {}
        self.query_string = ""
        self.widgets: dict[str, WidgetState] = {}
        self.labels: dict[str, str] = {}
        self.drawn: set[str] = set()
        self.cache: dict[str, ForwardMsg] = {}
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}
        self.found: dict[str, float] = {}
        self.problems: list[str] = []
        self.run_id = ""
        self.full_runs = 0
        self.idle = False
        self.closed = False
        self.auto_reruns = 0
        self.fragment_runs = 0
        self.received = 0
        self.received_bytes = 0
        self.changed = asyncio.Condition()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base_url: str, page_name: str, marks: dict[str, re.Pattern]) -> Client:
        host = base_url.split("://", 1)[1]
        ws = await connect(
            f"ws://{host}/_stcore/stream",
            subprotocols=["streamlit"],
            origin=base_url,
            max_size=None,
            open_timeout=PROBE_TIMEOUT_S,
            ping_interval=None,
            close_timeout=2,
        )
        return cls(ws, f"{base_url}/{page_name}", page_name, marks)

    async def close(self) -> None:
        self._stop_timers()
        with contextlib.suppress(Exception):
            await self.ws.close()
        with contextlib.suppress(BaseException):
            await self.reader

    # --- sending -------------------------------------------------------------------------

    async def send_rerun(
        self, *, fragment_id: str = "", auto: bool = False, clicked: Iterable[str] = ()
    ) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_script_hash
        if not self.page_script_hash:  # the first run: the page comes from the URL path
            state.page_name = self.page_name
        state.widget_states.widgets.extend(self.widgets.values())
        for widget_id in clicked:
            state.widget_states.widgets.add(id=widget_id, trigger_value=True)
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.cached_message_hashes.extend(self.cache)
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url, info.color_scheme = self.url, "light"
        await self.ws.send(msg.SerializeToString())

    async def run(self, *, clicked: Iterable[str] = ()) -> None:
        """Rerun the whole page (as a widget change or a click does) and wait until it ends."""
        before = self.full_runs
        await self.send_rerun(clicked=clicked)
        await self.wait(lambda: self.full_runs > before and self.idle)

    def widget_id(self, label: str) -> str:
        if label not in self.labels:
            raise UserFailed(f"no widget labelled {label!r} on the page")
        return self.labels[label]

    def set_number(self, label: str, value: float) -> None:
        state = self.widgets[self.widget_id(label)]
        if state.WhichOneof("value") == "int_value":
            state.int_value = int(value)
        else:
            state.double_value = float(value)

    async def click(self, label: str) -> None:
        """Press a button: one rerun with its trigger set (not waited for)."""
        await self.send_rerun(clicked=[self.widget_id(label)])

    async def upload(self, label: str, paths: Iterable[Path]) -> None:
        """Choose ``paths`` in the file uploader ``label`` (replacing the files it held, as
        if the user had removed them first) and wait for the rerun that reads them.

        As the frontend does: a ``file_urls_request`` BackMsg, answered by a
        ``file_urls_response`` with an upload and a delete URL per file; an HTTP PUT of each
        file (multipart form, field "file") with the XSRF cookie and its ``X-Xsrftoken``
        header; then a rerun whose widget state lists the files (``file_uploader_state_value``).
        """
        widget_id = self.widget_id(label)
        paths = [Path(p) for p in paths]
        for old in self.uploaded.pop(widget_id, []):  # the browser's "x" on each chip
            await asyncio.to_thread(self._http, "DELETE", old.file_urls.delete_url)
        request_id = uuid.uuid4().hex
        reply = asyncio.get_running_loop().create_future()
        self.file_url_requests[request_id] = reply
        msg = BackMsg()
        msg.file_urls_request.request_id = request_id
        msg.file_urls_request.file_names.extend(p.name for p in paths)
        msg.file_urls_request.session_id = self.session_id
        await self.ws.send(msg.SerializeToString())
        urls = await asyncio.wait_for(reply, PROBE_TIMEOUT_S)
        infos = []
        for path, url in zip(paths, urls, strict=True):
            data = path.read_bytes()
            await asyncio.to_thread(self._http, "PUT", url.upload_url, (path.name, data))
            infos.append(
                UploadedFileInfo(name=path.name, size=len(data), file_id=url.file_id, file_urls=url)
            )
        self.uploaded[widget_id] = infos
        state = WidgetState(id=widget_id)
        state.file_uploader_state_value.uploaded_file_info.extend(infos)
        self.widgets[widget_id] = state
        await self.run()

    def _http(self, method: str, path: str, file: tuple[str, bytes] | None = None) -> None:
        """One upload-route request, with the XSRF cookie (fetched once, from the health
        check, as the frontend gets it) and its header."""
        if self.xsrf_cookie is None:
            with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=30) as reply:
                cookies = reply.headers.get_all("Set-Cookie") or []
            found = [c.split(";", 1)[0].split("=", 1)[1] for c in cookies if "_xsrf=" in c]
            self.xsrf_cookie = found[0] if found else ""
        headers = {"Cookie": f"_streamlit_xsrf={self.xsrf_cookie}", "X-Xsrftoken": self.xsrf_cookie}
        body = None
        if file is not None:
            boundary = uuid.uuid4().hex
            name = file[0].replace('"', "_")
            body = b"".join(
                [
                    f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                    f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode(),
                    file[1],
                    f"\r\n--{boundary}--\r\n".encode(),
                ]
            )
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        url = path if "://" in path else f"{self.base_url}{path}"
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as reply:
            if reply.status >= 300:
                raise UserFailed(f"{method} {path}: HTTP {reply.status}")

    async def wait(self, done: Callable[[], bool]) -> None:
        async with self.changed:
            while True:
                if self.problems:
                    raise UserFailed(self.problems[0])
                if done():
                    return
                if self.closed:
                    raise UserFailed("the server closed the connection")
                await self.changed.wait()

    async def wait_mark(self, name: str) -> float:
        await self.wait(lambda: name in self.found)
        return self.found[name]

    # --- receiving -----------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.received += 1
                self.received_bytes += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
                async with self.changed:
                    self.changed.notify_all()
        except ConnectionClosed:
            pass
        except Exception as error:  # a message this client does not understand
            self.problems.append(f"client error: {type(error).__name__}: {error}")
        finally:
            self.closed = True
            self._stop_timers()
            async with self.changed:
                self.changed.notify_all()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":  # an element this client was sent before, by its hash
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                self.problems.append(f"the server referred to an unknown message {msg.ref_hash}")
                return
            reference, msg = msg, ForwardMsg()
            msg.CopyFrom(cached)
            msg.metadata.CopyFrom(reference.metadata)
            kind = msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        if kind == "new_session":
            if msg.new_session.initialize.session_id:
                self.session_id = msg.new_session.initialize.session_id
            if not msg.metadata.run.fragment_ids:  # a full run: the frontend drops its timers
                self.run_id = msg.metadata.run.script_run_id
                self.full_runs += 1
                self.idle = False
                self.drawn = set()
                self._stop_timers()
        elif kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
        elif kind == "script_finished":
            run_id = msg.metadata.run.script_run_id
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY and run_id in (
                "",
                self.run_id,
            ):
                self.idle = True
                self.widgets = {k: v for k, v in self.widgets.items() if k in self.drawn}
            elif msg.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self.fragment_runs += 1
            elif msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.problems.append("the page script did not compile")
        elif kind == "navigation":  # the page this session is on (pages/ is a navigation)
            self.page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_timers(msg.stop_auto_rerun.fragment_ids)
        elif kind == "file_urls_response":
            response = msg.file_urls_response
            reply = self.file_url_requests.pop(response.response_id, None)
            if reply is not None and not reply.done():
                if response.error_msg:
                    reply.set_exception(UserFailed(f"upload refused: {response.error_msg}"))
                else:
                    reply.set_result([_copy(FileURLs(), u) for u in response.file_urls])
        elif kind == "page_not_found":
            self.problems.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            self.problems.append("the page script did not compile")

    def _element(self, element: object) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            shown = element.exception
            label = "warning" if shown.is_warning else "exception"
            self.problems.append(f"{label} shown: {shown.type}: {shown.message[:300]}")
            return
        if kind == "alert" and element.alert.format == Alert.ERROR:
            self.error_shown(element.alert.body)
        text = _text_of(kind, element)
        if text is not None:
            line = f"{kind} {text}"
            for name, pattern in self.marks.items():
                if name not in self.found and pattern.search(line):
                    self.found[name] = time.perf_counter()
            return
        widget = getattr(element, kind) if kind else None
        if not getattr(widget, "id", ""):
            return
        self.drawn.add(widget.id)
        if getattr(widget, "label", ""):
            self.labels[widget.label] = widget.id
        state = _widget_value(kind, widget)
        if state is not None and (widget.id not in self.widgets or widget.set_value):
            self.widgets[widget.id] = state

    def error_shown(self, body: str) -> None:
        """An error message was drawn: a failure for a user who should never see one."""
        self.problems.append(f"error shown: {body[:300]}")

    # --- run_every fragments -------------------------------------------------------------

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        current = self.timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        self._stop_timers([fragment_id])
        task = asyncio.create_task(self._auto_rerun(fragment_id, interval))
        self.timers[fragment_id] = (interval, task)

    def _stop_timers(self, fragment_ids: Iterable[str] | None = None) -> None:
        for fragment_id in list(self.timers if fragment_ids is None else fragment_ids):
            timer = self.timers.pop(fragment_id, None)
            if timer is not None:
                timer[1].cancel()

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        """The browser's setInterval: rerun the fragment, whether the last rerun ended or not."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await self.send_rerun(fragment_id=fragment_id, auto=True)
                self.auto_reruns += 1


def _copy(empty: object, message: object) -> object:
    empty.CopyFrom(message)
    return empty


async def user(url: str, epochs: int, ready: asyncio.Event, result: dict) -> None:
    client = None
    try:
        client = await Client.open(url, "Train", USER_MARKS)
        result["client"] = client
        await client.run()
        if "training" not in client.found:
            raise UserFailed("the Train page showed no '3 · Training' section")
        client.set_number("Epochs (at most)", epochs)
        await client.run()
        result["connected"] = True
        await ready.wait()
        clicked = time.perf_counter()
        await client.click("Train")
        # A short training can end between two refreshes of the progress panel: then its
        # results are the first sign of progress.
        await client.wait(lambda: "progress" in client.found or "results" in client.found)
        first = min(client.found.get(mark, math.inf) for mark in ("progress", "results"))
        result["to_progress"] = first - clicked
        result["to_results"] = await client.wait_mark("results") - clicked
        if client.problems:
            raise UserFailed(client.problems[0])
        result["ok"] = True
    except asyncio.CancelledError:
        result["error"] = "not finished"
        raise
    except Exception as error:  # a failed user is counted, not fatal to the bench
        result["error"] = (
            str(error) if isinstance(error, UserFailed) else f"{type(error).__name__}: {error}"
        )[:300]
    finally:
        print(user_line(result), flush=True)
        if client is not None:
            await client.close()


def user_line(result: dict) -> str:
    if result.get("ok"):
        return (
            f"  {result['name']}: first progress {result['to_progress']:.1f} s, results "
            f"{result['to_results']:.1f} s after Train"
        )
    return f"  {result['name']}: FAILED, {result.get('error', 'not finished')}"


async def probe(url: str, stop: asyncio.Event, times: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        client = None
        try:
            client = await asyncio.wait_for(Client.open(url, "", HOME_MARKS), PROBE_TIMEOUT_S)
            left = PROBE_TIMEOUT_S - (time.perf_counter() - started)
            await asyncio.wait_for(client.run(), left)
            if "home" not in client.found:
                raise UserFailed("no 'Course map' on the home page")
            times.append(time.perf_counter() - started)
        except Exception:  # a home page that never rendered counts as inf
            times.append(math.inf)
        finally:
            if client is not None:
                await client.close()
        await asyncio.sleep(0.5)


class Bench:
    def __init__(self, users: int, epochs: int, timeout: float) -> None:
        self.users, self.epochs, self.timeout = users, epochs, timeout
        self.results = [{"name": f"user {i + 1:>2}"} for i in range(users)]
        self.baseline: float | None = None
        self.connected: float | None = None
        self.peak = 0.0
        self.render_times: list[float] = []
        self.started: float | None = None
        self.wall: float | None = None
        self.cpu: float | None = None
        self.runs: Path | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        runs = tempfile.mkdtemp(prefix="genodash-load-")
        self.runs = Path(runs)
        server = Server(env={"GENODASH_RUNS_DIR": runs})
        deadline = time.perf_counter() + self.timeout
        print(
            f"server {server.url} (pid {server.process.pid}, log "
            f"test-artifacts/server-{server.port}.log, runs in {runs})",
            flush=True,
        )
        watch = MemoryWatch(server.process.pid)
        watch.start()
        tasks: list[asyncio.Task] = []
        probing = None
        try:
            await asyncio.wait_for(self.warm_up(server.url), deadline - time.perf_counter())
            self.baseline = rss_mib(server.process.pid)
            ready, stop = asyncio.Event(), asyncio.Event()
            tasks = [
                asyncio.create_task(user(server.url, self.epochs, ready, r)) for r in self.results
            ]
            while sum(bool(r.get("connected") or r.get("error")) for r in self.results) < len(
                self.results
            ):
                if time.perf_counter() > deadline:
                    raise TimeoutError
                await asyncio.sleep(0.5)
            self.connected = rss_mib(server.process.pid)
            ready_users = sum(bool(r.get("connected")) for r in self.results)
            print(
                f"{ready_users} of {self.users} users on the Train page, {self.epochs} epochs "
                f"set; server memory {self.connected:.0f} MiB; clicking Train",
                flush=True,
            )
            probing = asyncio.create_task(probe(server.url, stop, self.render_times))
            self.started = time.perf_counter()
            cpu_before = cpu_seconds(server.process.pid)
            ready.set()
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
            self.wall = time.perf_counter() - self.started
            self.cpu = (cpu_seconds(server.process.pid) - cpu_before) / self.wall
            if pending:
                print(f"timeout: {self.timeout:.0f} s passed", flush=True)
            stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(probing, max(1.0, deadline - time.perf_counter()))
        except TimeoutError:
            print(f"timeout: {self.timeout:.0f} s passed", flush=True)
        finally:
            if self.started is not None and self.wall is None:
                self.wall = time.perf_counter() - self.started
            for task in [*tasks, probing]:
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.gather(*[t for t in [*tasks, probing] if t], return_exceptions=True)
            watch.running = False
            self.peak = watch.peak
            server.stop()
            loop.remove_signal_handler(signal.SIGTERM)

    async def warm_up(self, url: str) -> None:
        """One visit to the Train page first, so that its imports and caches are paid."""
        started = time.perf_counter()
        client = await Client.open(url, "Train", USER_MARKS)
        try:
            await client.run()
        finally:
            await client.close()
        print(f"warm-up visit to the Train page: {time.perf_counter() - started:.1f} s", flush=True)

    def report(self) -> None:
        for result in self.results:
            if not result.get("ok") and "error" not in result:
                result["error"] = "not finished"
        clients = [r["client"] for r in self.results if "client" in r]
        report(
            self.results,
            self.baseline,
            self.connected,
            self.peak,
            self.render_times,
            self.wall,
            self.users,
            load={
                "sent": sum(c.auto_reruns for c in clients),
                "done": sum(c.fragment_runs for c in clients),
                "bytes": sum(c.received_bytes for c in clients),
                "cpu": self.cpu,
                "training": training_seconds(self.runs),
            },
        )


def training_seconds(runs: Path | None) -> list[float]:
    """How long each saved model took to train, by its own clock (its metrics.json)."""
    seconds = []
    for path in sorted(runs.glob("*/*/metrics.json")) if runs else []:
        with contextlib.suppress(OSError, ValueError, KeyError):
            seconds.append(float(json.loads(path.read_text())["train_seconds"]))
    return seconds


def report(
    results: list[dict],
    baseline: float | None,
    connected: float | None,
    peak: float,
    render_times: list[float],
    wall: float | None,
    users: int,
    load: dict | None = None,
) -> None:
    failures = [r for r in results if not r.get("ok")]
    waits = sorted(r["to_progress"] for r in results if "to_progress" in r)
    totals = sorted(r["to_results"] for r in results if "to_results" in r)
    cap = os.environ.get("GENODASH_MAX_JOBS") or f"default ({max(1, (os.cpu_count() or 2) // 2)})"
    print(f"{users} users, each training a CNN; job cap {cap}; {os.cpu_count()} CPU cores")
    print(f"  failures: {len(failures)}")
    for failure in failures:
        print(f"    {failure['name']}: {failure.get('error', 'not finished')}")
    if waits:
        print(
            f"  Train → first progress (queue wait + start): median {statistics.median(waits):.1f}"
            f" s, max {waits[-1]:.1f} s ({len(waits)} users)"
        )
    if totals:
        print(
            f"  Train → results: median {statistics.median(totals):.1f} s, max "
            f"{totals[-1]:.1f} s; {len(totals)} done in {wall or 0:.1f} s"
        )
    load = load or {}
    if load.get("training"):
        trained = sorted(load["training"])
        print(
            f"  training alone (each model's own clock): median "
            f"{statistics.median(trained):.1f} s, max {trained[-1]:.1f} s ({len(trained)} models)"
        )
    if wall:
        print(
            f"  fragment reruns: {load.get('sent', 0)} sent by the clients "
            f"({load.get('sent', 0) / wall:.1f}/s), {load.get('done', 0)} completed; "
            f"received {load.get('bytes', 0) / 2**20:.1f} MiB"
        )
    if load.get("cpu") is not None:
        print(
            f"  server CPU from Train to the end: {load['cpu']:.2f} cores on average "
            f"(of {os.cpu_count()})"
        )
    if baseline is not None:
        line = f"  server memory: baseline {baseline:.0f} MiB"
        if connected is not None:
            line += (
                f", {users} sessions connected {connected:.0f} MiB "
                f"({(connected - baseline) / users:.1f} MiB per session)"
            )
        print(f"{line}, peak {peak:.0f} MiB")
    if render_times:
        ordered = sorted(render_times)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(
            f"  home page under load: {len(ordered)} renders, p50 "
            f"{statistics.median(ordered):.2f} s, p95 {p95:.2f} s; "
            f"{sum(map(math.isinf, ordered))} not rendered within {PROBE_TIMEOUT_S:.0f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds from the server's start (900)"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # a run cut short keeps what it printed
    bench = Bench(args.users, args.epochs, args.timeout)
    try:
        asyncio.run(bench.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted", flush=True)
    finally:
        bench.report()
