"""Load test of the real server over loopback: /api/ask latency, throughput, overload answers, errors, cache,
/healthz under load, slow clients, readiness and memory.

What: makes sure the index exists (`python -m serov_qa.ensure_index`, untimed), then for each concurrency
level (1, 8, 32 and 128 by default) starts a fresh server, `python -m serov_qa.cli serve --host 127.0.0.1
--port <free port>`, with SEROV_QA_RATE_LIMIT=off, HF_HUB_OFFLINE=1 and a throw-away question log;
times it from process start to the first 200 of /readyz (polled every 50 ms); sends a few untimed
warm-up questions; then drives POST /api/ask with httpx.AsyncClient at that concurrency for a bounded
number of requests (200, 400, 400, 600 by default): about half distinct gold questions, each asked once,
and half repeats of a few "hot" gold questions, in a fixed shuffled order. A 503 with a `reason` of
queue_full, queue_timeout or over_budget is the server's documented overload answer: it is counted
apart, and the worker that got it waits its Retry-After before its next request, as the kiosk does.
Any other status but 200, a malformed answer, a timeout or a connection error is an error.
Meanwhile, during every level:
- a separate process (`load.py --probe`, so that the 128 workers' event loop cannot delay it) sends
  GET /healthz every 50 ms on its own connection and reports the latencies;
- `--slow-clients` connections (32 by default) behave like slowloris: half trickle request headers one
  byte every 0.5 s, half send headers and part of a body and then stall; each is reopened when the server
  closes it. Recorded: how many the server closed and the longest one held (the header and body
  timeouts, 10 s by default, bound it).
Also recorded: throughput, the peak RSS of the server process and its children (sampled every 50 ms in a
thread, plus the kernel's high-water mark), the cache and queue counters and the server-side /api/ask
time from /metrics, and the CPU other processes used meanwhile. Each level gets a fresh server, so each
starts with an empty cache and the same distinct questions are first-time questions at every level.
Then the memory soak: one more fresh server gets the highest level's plan `--soak-runs` times (3 by
default) back to back; its RSS after each run shows whether memory grows with traffic. After the last
server has stopped, the same run loads the assistant in this process and times Pipeline.answer() on the
c=1 level's distinct questions (the same warm-up first), for the HTTP-versus-in-process comparison.

Why: targets on 2 cores: HTTP p50 at concurrency 1 within 1.5x of in-process answer(); zero errors and no
5xx but the documented overload 503; /healthz p99 under 50 ms at every concurrency; cached-answer p99
under 100 ms at concurrency 128; identical repeated questions served from a cache; server ready within
10 s of start; RSS under 1 GB and flat (within 5%) across the soak runs.
The figures go into docs/performance.md between <!-- load:start --> and <!-- load:end -->.
Requests go to 127.0.0.1 only; counts and times are bounded; every server is terminated (try/finally).
`--starts N` only measures start-up: N fresh servers, each stopped once /readyz says 200; it prints the
ready times, their median, the server's own CPU seconds until ready and the other processes' share of
the CPUs meanwhile (start-up is mostly single-threaded Python, so on a shared machine the wall time
follows the others' load), and writes nothing.

Usage: python benchmarks/load.py [--concurrency 1,8,32,128] [--requests 200,400,400,600] [--hot 5] [--slow-clients 32]
                                 [--soak-runs 3] [--wait-for-idle 0] [--output docs/performance.md] [--no-write]
       python benchmarks/load.py --starts 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
import statistics
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT, report_header, CpuWatch, ensure_project_on_path, facts_line, fmt_ms, fmt_seconds, machine_facts, markdown_table,
    peak_rss_mb, process_cpu_s, rss_mb, summarize, tree_rss_mb, wait_for_idle, write_section,
)

ensure_project_on_path()

import httpx  # noqa: E402
import psutil  # noqa: E402

SECTION = "load"
HOST = "127.0.0.1"  # never anything else
READY_POLL_S = 0.05
RSS_POLL_S = 0.05
SEED = 0
# Targets
HTTP_RATIO_TARGET = 1.5  # HTTP p50 (c=1, first-time questions) / in-process answer() p50
READY_TARGET_S = 10.0
RSS_TARGET_MB = 1024.0  # 1 GB, read as 1 GiB; the report prints the figure, so a stricter reading can be checked
CACHE_HIT_SHARE = 0.9  # cache hits (from /metrics) >= this share of the repeated requests, at every level
HEALTHZ_P99_TARGET_MS = 50.0  # at every concurrency
CACHED_P99_TARGET_MS = 100.0  # repeated (cached) questions, at the highest concurrency
RSS_FLAT_TARGET = 0.05  # the soak runs' RSS within 5% of each other
PROBE_INTERVAL_S = 0.05
SLOW_BYTE_INTERVAL_S = 0.5
SLOW_TIMEOUT_S = 5.0  # the servers' header and body timeouts in this benchmark
OVERLOAD_REASONS = ("queue_full", "queue_timeout", "over_budget")  # the documented overload answer (503)
ANSWER_STATUSES = ("answered", "corrected", "abstained")


# --- the server -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(log_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SEROV_QA_RATE_LIMIT": "off",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # A throw-away question log: the benchmark's questions must not end up in var/questions.sqlite3.
        "SEROV_QA_QUESTION_LOG": str(log_path),
        # Shorter than the default 10 s, so that slow clients are let go within a level of a few seconds.
        "SEROV_QA_HEADER_TIMEOUT_SECONDS": str(SLOW_TIMEOUT_S),
        "SEROV_QA_BODY_TIMEOUT_SECONDS": str(SLOW_TIMEOUT_S),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def ensure_index(timeout_s: float) -> str:
    result = subprocess.run([sys.executable, "-m", "serov_qa.ensure_index"], cwd=ROOT, env=server_env(Path(os.devnull)),
                            capture_output=True, text=True, timeout=timeout_s)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise RuntimeError(f"ensure_index failed ({result.returncode}):\n{output}")
    return output.splitlines()[-1] if output else ""


class RssSampler(threading.Thread):
    """Samples the RSS of a process and its children every `interval` s; keeps the peak."""

    def __init__(self, pid: int, interval: float = RSS_POLL_S) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0.0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> float:
        self._halt.set()
        self.join(timeout=5)
        return self.peak


def high_water_mb(pid: int) -> float:
    """The kernel's peak RSS (VmHWM) of one process, in MiB; NaN if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log_path: Path
    started: float
    sampler: RssSampler
    listening_s: float = float("nan")
    ready_s: float = float("nan")

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_server(workdir: Path) -> Server:
    """Start `serov-qa serve` and wait for /readyz 200; the caller must call stop_server (even on failure)."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    log_file = open(log_path, "wb")
    cmd = [sys.executable, "-m", "serov_qa.cli", "serve", "--host", HOST, "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=server_env(workdir / f"questions-{port}.sqlite3"),
                            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log_file.close()
    try:
        sampler = RssSampler(proc.pid)
        sampler.start()
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    return Server(proc, port, log_path, started, sampler)


def wait_ready(server: Server, timeout_s: float) -> None:
    with httpx.Client(base_url=server.base_url, timeout=2.0, trust_env=False) as client:
        while True:
            elapsed = time.perf_counter() - server.started
            if server.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {server.proc.returncode} before it was ready:\n{server.log_tail()}")
            if elapsed > timeout_s:
                raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s:\n{server.log_tail()}")
            try:
                response = client.get("/readyz")
            except httpx.TransportError:
                time.sleep(READY_POLL_S)
                continue
            now = time.perf_counter() - server.started
            if server.listening_s != server.listening_s:  # NaN: first HTTP answer of any kind
                server.listening_s = now
            if response.status_code == 200:
                server.ready_s = now
                return
            if response.json().get("status") == "failed":
                raise RuntimeError(f"the server could not load the assistant: {response.text}\n{server.log_tail()}")
            time.sleep(READY_POLL_S)


def stop_server(server: Server, grace_s: float = 15.0) -> dict:
    """Terminate the server (SIGTERM, then SIGKILL after `grace_s`) and any child it left; return its memory figures."""
    proc = server.proc
    figures = {"hwm_mb": high_water_mb(proc.pid) if proc.poll() is None else float("nan")}
    try:
        children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
    except psutil.NoSuchProcess:
        children = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for child in children:  # only processes this server started
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    figures["peak_tree_mb"] = server.sampler.stop()
    figures["samples"] = server.sampler.samples
    return figures


# --- requests ---------------------------------------------------------------------------------------

@dataclass
class Request:
    question: str
    first: bool  # the first time this question reaches this server (else a repeat of a hot question)
    hot: bool


@dataclass
class Result:
    request: Request
    seconds: float = float("nan")
    status: int = 0
    error: str = ""
    overload: str = ""  # the reason of a documented overload 503 (then error is "")
    sent: float = float("nan")  # when it was sent (perf_counter)
    received: float = float("nan")


@dataclass
class Level:
    concurrency: int
    count: int
    results: list[Result] = field(default_factory=list)
    wall_s: float = float("nan")
    not_sent: int = 0
    metrics_before: dict = field(default_factory=dict)
    metrics_after: dict = field(default_factory=dict)
    ready_s: float = float("nan")
    listening_s: float = float("nan")
    cpu_ready_s: float = float("nan")  # CPU seconds the server had used when it was ready
    memory: dict = field(default_factory=dict)
    rss_ready_mb: float = float("nan")
    others_cpu_share: float = float("nan")
    others_cpu_share_start: float = float("nan")  # while the server was starting
    statuses: dict = field(default_factory=dict)
    probe: dict = field(default_factory=dict)  # the probe process's figures: healthz, cached, failures
    slow: dict = field(default_factory=dict)  # the slow clients' figures


def plan_requests(count: int, distinct: list[str], hot: list[str], distinct_share: float, seed: int) -> list[Request]:
    """`count` requests: round(count * distinct_share) distinct questions once each, the rest spread over the hot ones."""
    n_distinct = min(len(distinct), round(count * distinct_share))
    n_hot = count - n_distinct
    items = [(q, False) for q in distinct[:n_distinct]] + [(hot[i % len(hot)], True) for i in range(n_hot)]
    random.Random(seed).shuffle(items)
    seen: set[str] = set()
    plan = []
    for question, is_hot in items:
        plan.append(Request(question, question not in seen, is_hot))
        seen.add(question)
    return plan


class Connection:
    """One keep-alive HTTP/1.1 connection, written by hand: httpx spends about a millisecond of CPU per request,
    which at concurrency 128 on two shared cores made the client, not the server, the slowest part."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        reused = self.writer is not None
        try:
            return await self._post(path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
            # The server closes a keep-alive connection idle for its keep-alive time (5 s); a worker that waited out
            # a Retry-After finds it closed on its next request, as any HTTP client does: one retry, fresh connection.
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            return await self._post(path, body)

    async def _post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                              b"Content-Length: %d\r\n\r\n%s" % (path.encode(), self.host.encode(), len(body), body))
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def overload_reason(status: int, headers: dict[str, str], body: bytes) -> str:
    """The reason of a documented overload answer (503 with reason and Retry-After), else ""."""
    if status != 503 or "retry-after" not in headers:
        return ""
    try:
        reason = json.loads(body).get("reason", "")
    except ValueError:
        return ""
    return reason if reason in OVERLOAD_REASONS else ""


def answer_status(status: int, body: bytes) -> tuple[str, str]:
    """(answer status, error): the error is "" for a well-formed answer."""
    if status != 200:
        return "", f"HTTP {status}"
    try:
        answer = json.loads(body)
    except ValueError:
        return "", "not JSON"
    if answer.get("status") not in ANSWER_STATUSES or not answer.get("answer"):
        return "", "malformed answer"
    return answer["status"], ""


async def drive(base_url: str, plan: list[Request], concurrency: int, request_timeout_s: float,
                level_timeout_s: float, slow_clients: int = 0) -> tuple[list[Result], float, int, dict, dict]:
    """Send the plan with `concurrency` workers (and `slow_clients` slow connections beside them); returns results,
    wall time, requests not sent in time, answer statuses and the slow clients' figures."""
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    results: list[Result] = []
    statuses: dict[str, int] = {}
    host, port = base_url.rsplit("//", 1)[1].split(":")
    clock = time.perf_counter

    async def worker() -> None:
        connection = Connection(host, int(port))
        try:
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                result = Result(item)
                body = json.dumps({"question": item.question}).encode()
                t0 = clock()
                result.sent = t0
                pause = 0.0
                try:
                    status, headers, content = await asyncio.wait_for(connection.post("/api/ask", body), request_timeout_s)
                    result.received = clock()
                    result.seconds = result.received - t0
                    result.status = status
                    result.overload = overload_reason(status, headers, content)
                    if result.overload:  # documented: wait as told, as the kiosk does, then go on
                        pause = float(headers["retry-after"])
                    else:
                        answer, result.error = answer_status(status, content)
                        if answer:
                            statuses[answer] = statuses.get(answer, 0) + 1
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ValueError) as exc:
                    result.seconds = clock() - t0
                    result.error = type(exc).__name__
                results.append(result)
                if pause:
                    await asyncio.sleep(pause)
        finally:
            connection.close()

    slow = SlowClients(base_url, slow_clients)
    started = clock()
    slow_tasks = slow.start()
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    done, pending = await asyncio.wait(tasks, timeout=level_timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    wall = clock() - started
    await slow.stop(slow_tasks)  # after the wall time: waiting for slow clients is not part of the throughput
    for task in done:
        if task.exception() is not None:
            raise task.exception()
    not_sent = len(plan) - len(results)
    return results, wall, not_sent, statuses, slow.figures()


class SlowClients:
    """Slowloris connections: half trickle their request headers, half stall in the middle of a body.
    Each is reopened when the server closes it; what matters is that the server does close them."""

    def __init__(self, base_url: str, count: int) -> None:
        host, port = base_url.rsplit("//", 1)[1].split(":")
        self.host, self.port, self.count = host, int(port), count
        self.opened = self.closed_by_server = self.answered_408 = 0
        self.held: list[float] = []
        self._stop = asyncio.Event()

    def start(self) -> list[asyncio.Task]:
        return [asyncio.create_task(self._run(i % 2 == 0)) for i in range(self.count)]

    async def stop(self, tasks: list[asyncio.Task], grace_s: float = SLOW_TIMEOUT_S + 3) -> None:
        """Stop once each has been let go at least once (or after grace_s): a short level still shows the timeouts."""
        deadline = time.perf_counter() + grace_s
        while self.closed_by_server < self.count and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        self._stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, headers_only: bool) -> None:
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            self.opened += 1
            opened = time.perf_counter()
            if headers_only:
                payload = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
            else:
                writer.write(b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 200\r\n\r\n{\"question\": \"Who")
                payload = b" signed it?" * 100
            closed = await self._trickle(reader, writer, payload)
            if closed:
                self.closed_by_server += 1
                self.held.append(time.perf_counter() - opened)
            writer.close()

    async def _trickle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> bool:
        """Send a byte every SLOW_BYTE_INTERVAL_S until the server closes the connection (True) or we stop (False)."""
        for byte in payload:
            if self._stop.is_set():
                return False
            try:
                writer.write(bytes([byte]))
                await writer.drain()
                data = await asyncio.wait_for(reader.read(4096), SLOW_BYTE_INTERVAL_S)
            except asyncio.TimeoutError:
                continue
            except (ConnectionError, OSError):
                return True
            if data.startswith(b"HTTP/1.1 408"):
                self.answered_408 += 1
            return True  # an answer (the 408) or the end of the connection: either way the server let go
        return False

    def figures(self) -> dict:
        return {"count": self.count, "opened": self.opened, "closed": self.closed_by_server, "answered_408": self.answered_408,
                "max_held_s": max(self.held) if self.held else float("nan")}


def run_probe(url: str, duration_s: float, question: str) -> None:
    """--probe: every PROBE_INTERVAL_S, GET /healthz and then ask `question` (answered before the level, so a cached
    answer), on one connection, for duration_s or until SIGTERM; print both series of latencies as JSON."""
    healthz, cached, failures = [], [], 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())  # the level is over: report what was measured
    deadline = time.perf_counter() + duration_s
    with httpx.Client(base_url=url, timeout=10.0, trust_env=False) as client:
        while time.perf_counter() < deadline and not stop.is_set():
            t0 = time.perf_counter()
            for series, call in ((healthz, lambda: client.get("/healthz")),
                                 (cached, lambda: client.post("/api/ask", json={"question": question}))):
                t = time.perf_counter()
                try:
                    ok = call().status_code == 200
                except httpx.HTTPError:
                    ok = False
                series.append(time.perf_counter() - t)
                failures += not ok
            time.sleep(max(0.0, PROBE_INTERVAL_S - (time.perf_counter() - t0)))
    print(json.dumps({"healthz": healthz, "cached": cached, "failures": failures}))


class Probe:
    """The probe in its own process (started before the level, stopped after it): what one more visitor sees."""

    def __init__(self, base_url: str, duration_s: float, question: str) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--probe", base_url, "--probe-seconds", f"{duration_s:.1f}",
                                      "--probe-question", question],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def result(self) -> dict:
        try:
            out, _ = self.proc.communicate(timeout=900)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        data = json.loads(out or '{"healthz": [], "cached": [], "failures": 0}')
        return {"healthz": summarize(data["healthz"]), "cached": summarize(data["cached"]), "failures": data["failures"]}


def read_metrics(base_url: str) -> dict:
    """Cache hits and misses, and the server-side count and total seconds of POST /api/ask, from /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
        text = client.get("/metrics").text
    found = {"hits": 0.0, "misses": 0.0, "ask_count": 0.0, "ask_sum": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "serov_qa_answer_cache_hits_total":
                found["hits"] = sample.value
            elif sample.name == "serov_qa_answer_cache_misses_total":
                found["misses"] = sample.value
            elif sample.name.startswith("serov_qa_http_request_duration_seconds") and \
                    sample.labels.get("route") == "/api/ask" and sample.labels.get("method") == "POST":
                if sample.name.endswith("_count"):
                    found["ask_count"] = sample.value
                elif sample.name.endswith("_sum"):
                    found["ask_sum"] = sample.value
    return found


def warm_up(base_url: str, questions: list[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=60.0, trust_env=False) as client:
        for question in questions:
            response = client.post("/api/ask", json={"question": question})
            if response.status_code != 200:
                raise RuntimeError(f"warm-up request failed: HTTP {response.status_code} {response.text[:200]}")


def wait_until_ready(server, level: Level, args: argparse.Namespace) -> None:
    """Wait for /readyz and record the start-up figures (times, CPU, memory, others' CPU share) on `level`."""
    watch = CpuWatch([server.proc.pid]).start()
    wait_ready(server, args.ready_timeout)
    level.others_cpu_share_start = watch.stop()
    level.ready_s, level.listening_s = server.ready_s, server.listening_s
    level.cpu_ready_s = process_cpu_s(server.proc.pid)
    level.rss_ready_mb = tree_rss_mb(server.proc.pid)


def run_level(concurrency: int, count: int, plan: list[Request], warmup: list[str], workdir: Path,
              args: argparse.Namespace) -> Level:
    level = Level(concurrency, count)
    server = start_server(workdir)
    try:
        wait_until_ready(server, level, args)
        print(f"  server pid {server.proc.pid} on port {server.port}: listening after {server.listening_s:.2f} s, "
              f"ready after {server.ready_s:.2f} s (CPU {level.cpu_ready_s:.2f} s), RSS {level.rss_ready_mb:.0f} MB; "
              f"other processes used {level.others_cpu_share_start * 100:.0f}% of the CPUs meanwhile", flush=True)
        warm_up(server.base_url, warmup)
        drive_level(server, level, plan, args, warmup[0])
    finally:
        level.memory = stop_server(server)
    return level


def drive_level(server, level: Level, plan: list[Request], args: argparse.Namespace, probe_question: str) -> None:
    """One run of `plan` against a ready server, the probe and the slow clients beside it."""
    level.metrics_before = read_metrics(server.base_url)
    watch = CpuWatch([server.proc.pid]).start()
    probe = Probe(server.base_url, args.probe_seconds, probe_question)
    level.results, level.wall_s, level.not_sent, level.statuses, level.slow = asyncio.run(
        drive(server.base_url, plan, level.concurrency, args.request_timeout, args.level_timeout, args.slow_clients))
    probe.proc.terminate()  # it prints what it has measured so far
    level.probe = probe.result()
    level.others_cpu_share = watch.stop()
    level.metrics_after = read_metrics(server.base_url)


def soak(plan: list[Request], concurrency: int, warmup: list[str], workdir: Path, args: argparse.Namespace) -> dict:
    """The same plan args.soak_runs times against one server; its RSS (process and children) after each run."""
    level = Level(concurrency, len(plan))
    server = start_server(workdir)
    runs = []
    try:
        wait_until_ready(server, level, args)
        warm_up(server.base_url, warmup)
        for number in range(1, args.soak_runs + 1):
            run = Level(concurrency, len(plan))
            drive_level(server, run, plan, args, warmup[0])
            time.sleep(1.0)  # let the writer and the allocator settle
            run.rss_ready_mb = tree_rss_mb(server.proc.pid)
            runs.append(run)
            f = level_figures(run)
            print(f"  soak run {number}: {len(run.results)} requests, {f['overloaded']} overload 503s, {f['errors']} "
                  f"errors, RSS {run.rss_ready_mb:.0f} MB", flush=True)
    finally:
        memory = stop_server(server)
    rss = [run.rss_ready_mb for run in runs]
    return {"rss": rss, "ready_rss": level.rss_ready_mb, "memory": memory, "figures": [level_figures(r) for r in runs],
            "spread": (max(rss) - min(rss)) / min(rss) if rss else float("nan")}


def measure_starts(count: int, workdir: Path, args: argparse.Namespace) -> list[Level]:
    """Start `count` fresh servers one after the other; each is stopped as soon as it is ready."""
    starts = []
    for number in range(1, count + 1):
        level = Level(concurrency=0, count=0)
        server = start_server(workdir)
        try:
            wait_until_ready(server, level, args)
        finally:
            level.memory = stop_server(server)
        starts.append(level)
        print(f"  start {number}: listening after {level.listening_s:.2f} s, ready after {level.ready_s:.2f} s "
              f"(server CPU {level.cpu_ready_s:.2f} s), RSS {level.rss_ready_mb:.0f} MB; other processes used "
              f"{level.others_cpu_share_start * 100:.0f}% of the CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
    return starts


def starts_summary(starts: list[Level]) -> str:
    ready = [lv.ready_s for lv in starts]
    return (f"ready after (median of {len(ready)} starts) {statistics.median(ready):.2f} s, min {min(ready):.2f} s, "
            f"max {max(ready):.2f} s; listening {statistics.median(lv.listening_s for lv in starts):.2f} s; server CPU "
            f"until ready {statistics.median(lv.cpu_ready_s for lv in starts):.2f} s; other processes used "
            f"{statistics.median(lv.others_cpu_share_start for lv in starts) * 100:.0f}% of the CPUs (medians); "
            f"target {READY_TARGET_S:.0f} s: {'PASS' if max(ready) <= READY_TARGET_S else 'FAIL'} (worst start)")


# --- in process ---------------------------------------------------------------------------------

def in_process(questions: list[str], warmup: list[str], rounds: int) -> dict:
    """Load the assistant here (as the server does) and time answer() on `questions`: pass 1 (first sight) and the rest."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from assistant.pipeline import load
    from config.settings import Settings

    started = time.perf_counter()
    assistant = load(Settings())
    load_s = time.perf_counter() - started
    rss = rss_mb()
    for question in warmup:
        assistant.answer(question)
    watch = CpuWatch().start()
    passes = []
    for _ in range(rounds):
        times = []
        for question in questions:
            t0 = time.perf_counter()
            assistant.answer(question)
            times.append(time.perf_counter() - t0)
        passes.append(times)
    others = watch.stop()
    later = [t for times in passes[1:] for t in times]
    return {"load_s": load_s, "rss_mb": rss, "first": summarize(passes[0]), "later": summarize(later),
            "rounds": rounds, "others_cpu_share": others}


# --- report ---------------------------------------------------------------------------------------

def answered_before(results: list[Result]) -> dict[str, float]:
    """When the client first received an answer to each question."""
    first: dict[str, float] = {}
    for r in results:
        if not r.error and not r.overload:
            first[r.request.question] = min(first.get(r.request.question, float("inf")), r.received)
    return first


def level_figures(level: Level) -> dict:
    ok = [r for r in level.results if not r.error and not r.overload]
    first_answer = answered_before(level.results)
    # A repeat sent after the client had its question's answer can only come from the cache; one sent earlier
    # shared the computation still in flight (and waited for it).
    cached = [r for r in ok if not r.request.first and r.sent > first_answer.get(r.request.question, float("inf"))]
    cached_ids = {id(r) for r in cached}
    shared = [r for r in ok if not r.request.first and id(r) not in cached_ids]
    errors = sum(1 for r in level.results if r.error) + level.not_sent
    before, after = level.metrics_before, level.metrics_after
    repeats = sum(1 for r in level.results if not r.request.first)
    ask_count = after.get("ask_count", 0) - before.get("ask_count", 0)
    return {
        "all": summarize([r.seconds for r in ok]),
        "first": summarize([r.seconds for r in ok if r.request.first]),
        "repeat": summarize([r.seconds for r in ok if not r.request.first]),
        "cached": summarize([r.seconds for r in cached]),
        "shared": summarize([r.seconds for r in shared]),
        "errors": errors,
        "overloaded": sum(1 for r in level.results if r.overload),
        "overload_reasons": sorted({r.overload for r in level.results if r.overload}),
        "overload_ms": summarize([r.seconds for r in level.results if r.overload]),
        "server_errors": sum(1 for r in level.results if r.status >= 500 and not r.overload),
        "error_kinds": sorted({r.error for r in level.results if r.error} | ({"not sent in time"} if level.not_sent else set())),
        "throughput": len(ok) / level.wall_s if level.wall_s == level.wall_s and level.wall_s > 0 else float("nan"),
        "hits": after.get("hits", 0) - before.get("hits", 0),
        "misses": after.get("misses", 0) - before.get("misses", 0),
        "repeats": repeats,
        "firsts": len(level.results) - repeats,
        "server_mean_ms": (after.get("ask_sum", 0) - before.get("ask_sum", 0)) / ask_count * 1000 if ask_count else float("nan"),
        "client_mean_ms": summarize([r.seconds for r in ok])["mean"],
    }


def three(s: dict) -> str:
    return f"{fmt_ms(s['p50'])} / {fmt_ms(s['p95'])} / {fmt_ms(s['p99'])}"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def render(command: str, facts: dict, levels: list[Level], figures: list[dict], inproc: dict | None,
           args: argparse.Namespace, info: dict, soaked: dict | None) -> str:
    rows = []
    for level, f in zip(levels, figures):
        h, c, slow = level.probe["healthz"], level.probe["cached"], level.slow
        rows.append([
            level.concurrency, f"{len(level.results) + level.not_sent}", f"{fmt_seconds(level.wall_s)}",
            f"{f['throughput']:.1f}", three(f["all"]), three(f["first"]),
            f"{three(f['cached'])} ({f['cached']['n']})", f"{three(f['shared'])} ({f['shared']['n']})",
            f"{f['overloaded']} ({fmt_ms(f['overload_ms']['p50'])} ms)" if f["overloaded"] else "0",
            f["errors"], f["server_errors"],
            f"{fmt_ms(h['p50'])} / {fmt_ms(h['p99'])} / {fmt_ms(h['max'])} ({h['n']})",
            f"{fmt_ms(c['p50'])} / {fmt_ms(c['p99'])} / {fmt_ms(c['max'])} ({c['n']})",
            f"{slow.get('count', 0)}: {slow.get('closed', 0)} closed, longest {slow.get('max_held_s', float('nan')):.1f} s",
            f"{int(f['hits'])} / {int(f['misses'])} ({f['repeats']} repeats sent)",
            f"{fmt_ms(f['server_mean_ms'])} / {fmt_ms(f['client_mean_ms'])}",
            f"{level.ready_s:.2f} s", f"{level.rss_ready_mb:.0f} / {level.memory.get('peak_tree_mb', float('nan')):.0f} / "
            f"{level.memory.get('hwm_mb', float('nan')):.0f}",
            f"{level.others_cpu_share_start * 100:.0f}% / {level.others_cpu_share * 100:.0f}%",
        ])
    table = markdown_table(
        ["concurrency", "requests", "wall", "answers/s", "latency of answers, ms (p50 / p95 / p99)",
         "first-time questions", "repeats answered before: from the cache (n)",
         "repeats while the first was in flight: shared (n)", "overload 503s (p50)", "errors", "other 5xx",
         "probe: /healthz ms (p50 / p99 / max, n)", "probe: a cached question, ms", "slow clients", "cache hits / misses (/metrics)",
         "mean ms: server-side / client-side", "ready after", "RSS MB: ready / peak sampled / kernel peak",
         "CPU used by other processes: start / requests"],
        rows,
    )
    targets = []
    c1 = next(((lv, f) for lv, f in zip(levels, figures) if lv.concurrency == 1), None)
    if c1 and inproc:
        http_p50 = c1[1]["first"]["p50"]
        base = inproc["first"]["p50"]
        ratio = http_p50 / base
        targets.append(
            f"HTTP p50 at concurrency 1 within {HTTP_RATIO_TARGET}x of in-process answer(): first-time questions over HTTP "
            f"{fmt_ms(http_p50)} ms vs answer() on the same questions {fmt_ms(base)} ms = {ratio:.2f}x: "
            f"{verdict(ratio <= HTTP_RATIO_TARGET)} (all c=1 requests, repeats included: {fmt_ms(c1[1]['all']['p50'])} ms; "
            f"answer() after the first pass: {fmt_ms(inproc['later']['p50'])} ms)")
    else:
        targets.append("HTTP p50 at concurrency 1 vs in-process answer(): not measured in this run")
    errors = sum(f["errors"] for f in figures)
    server_errors = sum(f["server_errors"] for f in figures)
    overloaded = sum(f["overloaded"] for f in figures)
    total = sum(len(lv.results) + lv.not_sent for lv in levels)
    reasons = sorted({r for f in figures for r in f["overload_reasons"]})
    targets.append(f"Zero errors and no 5xx but the documented overload 503: {errors} error(s), {server_errors} other 5xx "
                   f"in {total} requests ({overloaded} overload 503s with Retry-After"
                   + (f": {', '.join(reasons)}" if reasons else "") + f"): {verdict(errors == 0 and server_errors == 0)}")
    healthz = [(lv.concurrency, lv.probe["healthz"]["p99"]) for lv in levels]
    healthz_ok = all(p99 < HEALTHZ_P99_TARGET_MS for _, p99 in healthz) and all(not lv.probe["failures"] for lv in levels)
    targets.append(f"/healthz p99 under {HEALTHZ_P99_TARGET_MS:.0f} ms at every concurrency: "
                   + ", ".join(f"c={c}: {fmt_ms(p)} ms" for c, p in healthz) + f": {verdict(healthz_ok)}")
    top_level, top = levels[-1], figures[-1]
    cached_p99 = max(top["cached"]["p99"], top_level.probe["cached"]["p99"])
    targets.append(f"Cached-answer p99 under {CACHED_P99_TARGET_MS:.0f} ms at concurrency {top_level.concurrency}: "
                   f"{fmt_ms(top['cached']['p99'])} ms over the load's {top['cached']['n']} repeats sent after their "
                   f"question was answered, {fmt_ms(top_level.probe['cached']['p99'])} ms over the probe's "
                   f"{top_level.probe['cached']['n']} (the worse counts): {verdict(cached_p99 < CACHED_P99_TARGET_MS)}")
    cache_ok = all(f["repeats"] == 0 or f["hits"] >= CACHE_HIT_SHARE * f["repeats"] for f in figures)
    cache_ok = cache_ok and all(f["repeat"]["p50"] < f["first"]["p50"] for f in figures if f["repeats"])
    targets.append(
        "Identical repeated questions served from the cache: cache hits per level (the probe's included) "
        + ", ".join(f"c={lv.concurrency}: {int(f['hits'])} of {f['repeats']} repeats" for lv, f in zip(levels, figures))
        + "; repeated-question p50 " + ", ".join(f"{fmt_ms(f['repeat']['p50'])}" for f in figures)
        + " ms vs first-time " + ", ".join(f"{fmt_ms(f['first']['p50'])}" for f in figures) + f" ms: {verdict(cache_ok)}")
    slow_ok = all(lv.slow.get("closed", 0) > 0 or not lv.slow.get("count") for lv in levels)
    targets.append("Slow clients let go by the server: " + ", ".join(
        f"c={lv.concurrency}: {lv.slow.get('closed', 0)} of {lv.slow.get('opened', 0)} connections closed "
        f"({lv.slow.get('answered_408', 0)} with 408), longest held {lv.slow.get('max_held_s', float('nan')):.1f} s"
        for lv in levels) + f": {verdict(slow_ok)}")
    ready = [lv.ready_s for lv in levels]
    targets.append(f"Ready within {READY_TARGET_S:.0f} s of start: " + ", ".join(f"{s:.2f} s" for s in ready)
                   + f" (worst of {len(ready)} starts; the server had used "
                   + ", ".join(f"{lv.cpu_ready_s:.2f}" for lv in levels)
                   + f" CPU seconds by then): {verdict(max(ready) <= READY_TARGET_S)}")
    peak = max(max(lv.memory.get("peak_tree_mb", 0), lv.memory.get("hwm_mb", 0) or 0) for lv in levels)
    targets.append(f"RSS under 1 GB: server peak {peak:.0f} MB (MiB; process and children, worst of sampled and "
                   f"kernel high-water mark, all levels): {verdict(peak < RSS_TARGET_MB)}")
    if soaked:
        rss = soaked["rss"]
        targets.append(f"RSS flat (within {RSS_FLAT_TARGET * 100:.0f}%) across {len(rss)} repeated runs at concurrency "
                       f"{top_level.concurrency} on one server: " + " / ".join(f"{r:.0f}" for r in rss)
                       + f" MB after each run (ready: {soaked['ready_rss']:.0f} MB), spread {soaked['spread'] * 100:.1f}%: "
                       f"{verdict(soaked['spread'] <= RSS_FLAT_TARGET)}")

    busy = [lv for lv in levels if lv.others_cpu_share > 0.10]
    busy_start = [lv for lv in levels if lv.others_cpu_share_start > 0.10]
    notes = [
        f"Each level runs against a fresh server process (`{info['server_cmd']}`, SEROV_QA_RATE_LIMIT=off, "
        "HF_HUB_OFFLINE=1, default settings otherwise (queue 32 questions, 3 s wait, 2 s budget, 160 tokens), the "
        "question log in a temporary file); `ready after` is from process start to the "
        "first 200 of /readyz, polled every 50 ms (the port answered after "
        f"{', '.join(f'{lv.listening_s:.2f}' for lv in levels)} s).",
        f"Before each level: {args.warmup} untimed warm-up questions (not used later). Requests per level: about "
        f"{args.distinct_share * 100:.0f}% distinct gold questions asked once (the same ones at every level, the first "
        f"{info['n_distinct_max']} of a fixed shuffle of all {info['n_gold']} gold questions, English and other languages) "
        f"and the rest repeats of {args.hot} hot gold questions, shuffled together (seed {SEED}). 'First-time' = "
        "the first time a question reaches that server, 'repeated' = the later requests of a hot question (served "
        "from the cache, or sharing the computation of an identical question in flight). Latency columns are over the "
        "answered requests; an overload 503 is counted apart with its own p50 (how fast the refusal came), and its "
        "worker waits the Retry-After it was given before its next request.",
        "Client: httpx.AsyncClient in this process, one connection per concurrent worker (keep-alive), over loopback on "
        "the same two cores as the server, so the client's own CPU time is in the latencies; 'server-side' is the "
        "server's own /api/ask time from its metrics histogram (sum / count), 'client-side' the mean seen here. An error "
        f"is any status but 200 and the overload 503, a malformed answer, a timeout ({args.request_timeout:.0f} s) or a "
        "connection error. Answers/s = answered requests / wall time of the level.",
        f"/healthz: a separate process sends GET /healthz every {PROBE_INTERVAL_S * 1000:.0f} ms on one keep-alive "
        "connection for the whole level (its figures are not delayed by this process's event loop). Slow clients: "
        f"{args.slow_clients} connections, half trickling request headers a byte every {SLOW_BYTE_INTERVAL_S} s, half "
        "sending headers and 16 bytes of a 200-byte body and then a byte every 0.5 s; each is reopened when the server "
        "lets it go.",
        "The server runs the pipeline in its worker process (SEROV_QA_PIPELINE_PROCESS=true, at nice 10 below the "
        "server): the server's own process only parses, routes, serves cached answers and waits on the worker's pipe. "
        "The servers in this benchmark have 5 s header and body timeouts (default 10 s), so that slow clients are let "
        "go within a level.",
        "RSS: sampled every 50 ms over the server's whole life (loading included) for the process and its children "
        "(the worker process and multiprocessing's resource tracker), "
        "and the kernel's high-water mark (VmHWM) of the server process read just before it was stopped. The soak: "
        f"one more fresh server, the concurrency-{top_level.concurrency} plan {args.soak_runs} times back to back "
        "(with the probe and the slow clients), RSS of the process tree 1 s after each run.",
    ]
    if inproc:
        notes.append(
            f"In-process answer(): measured **after the last server had stopped** (so the two never share the CPUs), in "
            f"this benchmark process: `assistant.pipeline.load` with default settings ({fmt_seconds(inproc['load_s'])}, RSS "
            f"{inproc['rss_mb']:.0f} MB), the same {args.warmup} warm-up questions, then `Pipeline.answer(q)` on the c=1 "
            f"level's {info['n_distinct_c1']} distinct questions, {inproc['rounds']} passes: pass 1 (first sight, as "
            f"for the server) {fmt_ms(inproc['first']['p50'])} / {fmt_ms(inproc['first']['p95'])} ms p50 / p95, later "
            f"passes {fmt_ms(inproc['later']['p50'])} / {fmt_ms(inproc['later']['p95'])} ms. Other processes used "
            f"{inproc['others_cpu_share'] * 100:.0f}% of the CPUs meanwhile.")
    statuses = {}
    for lv in levels:
        for k, v in lv.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    notes.append("Answer statuses over all levels: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + ".")
    kinds = sorted({k for f in figures for k in f["error_kinds"]})
    if kinds:
        notes.append(f"Error kinds: {', '.join(kinds)}.")
    if busy:
        notes.append("**Other processes used more than 10% of the CPUs during "
                     + ", ".join(f"c={lv.concurrency}" for lv in busy) + "; those timings are inflated accordingly.**")
    if busy_start:
        notes.append("**Other processes used more than 10% of the CPUs while the server started for "
                     + ", ".join(f"c={lv.concurrency}" for lv in busy_start) + "; those ready times are inflated.**")
    return "\n".join([
        *report_header("## Load test over HTTP", command, facts, info["total_s"], info["waited_s"],
                       extra=f" Index: {info['index_line']}"),
        "### Targets",
        "",
        *[f"- {t}" for t in targets],
        "",
        "### POST /api/ask over loopback",
        "",
        table,
        "",
        "### Notes",
        "",
        *[f"- {n}" for n in notes],
    ])


# --- main -----------------------------------------------------------------------------------------

def parse_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="1,8,32,128", help="concurrency levels (default: %(default)s)")
    parser.add_argument("--requests", default="200,400,400,600",
                        help="requests per level, one number or one per level (default: %(default)s)")
    parser.add_argument("--distinct-share", type=float, default=0.5,
                        help="share of a level's requests that are distinct questions (default: %(default)s)")
    parser.add_argument("--hot", type=int, default=5, help="hot questions the repeats are spread over (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed warm-up questions per server (default: %(default)s)")
    parser.add_argument("--slow-clients", type=int, default=32, help="slowloris connections beside each level (default: %(default)s)")
    parser.add_argument("--soak-runs", type=int, default=3,
                        help="runs of the highest level's plan on one server, RSS after each; 0 = skip (default: %(default)s)")
    parser.add_argument("--probe", metavar="URL", help=argparse.SUPPRESS)  # internal: the /healthz probe process
    parser.add_argument("--probe-seconds", type=float, default=900, help=argparse.SUPPRESS)
    parser.add_argument("--probe-question", default="Who signed the Serov Instructions?", help=argparse.SUPPRESS)
    parser.add_argument("--inprocess-rounds", type=int, default=3,
                        help="passes of in-process answer() over the c=1 distinct questions; 0 = skip (default: %(default)s)")
    parser.add_argument("--ready-timeout", type=float, default=180, help="seconds to wait for /readyz (default: %(default)s)")
    parser.add_argument("--request-timeout", type=float, default=60, help="seconds per request (default: %(default)s)")
    parser.add_argument("--level-timeout", type=float, default=600, help="seconds per level; unsent requests count as errors (default: %(default)s)")
    parser.add_argument("--index-timeout", type=float, default=1800, help="seconds for ensure_index (default: %(default)s)")
    parser.add_argument("--wait-for-idle", type=float, default=0, metavar="SECONDS",
                        help="before each level and the in-process part, wait up to this long for the CPUs to be "
                             "< 10%% busy over 10 s; 0 = do not wait (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md", help="markdown file to update (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write the markdown file")
    parser.add_argument("--starts", type=int, default=0, metavar="N",
                        help="only measure start-up: N fresh servers until /readyz is 200, no requests; prints, "
                             "writes nothing (default: the full load test)")
    args = parser.parse_args(argv)
    args.levels = parse_list(args.concurrency)
    counts = parse_list(args.requests)
    if len(counts) == 1:
        counts *= len(args.levels)
    if len(counts) != len(args.levels) or not args.levels:
        parser.error("--requests needs one number or one per concurrency level")
    if any(c < 1 for c in args.levels) or any(n < 1 or n > 5000 for n in counts):
        parser.error("concurrency must be >= 1 and requests between 1 and 5000 per level")
    if not 0 <= args.starts <= 50:
        parser.error("--starts must be between 0 and 50")
    if not 0 <= args.slow_clients <= 500 or not 0 <= args.soak_runs <= 10:
        parser.error("--slow-clients must be between 0 and 500 and --soak-runs between 0 and 10")
    args.counts = counts
    return args


def _exit_on_sigterm(signum, frame):  # so the finally blocks stop the server when this script is terminated
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.probe:
        run_probe(args.probe, args.probe_seconds, args.probe_question)
        return 0
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    command = shlex.join(["python", "benchmarks/load.py", *(sys.argv[1:] if argv is None else argv)])
    if os.nice(0):  # run at another CPU priority (e.g. on a shared machine): say so
        command = f"nice -n {os.nice(0)} {command}"
    facts = machine_facts(("fastapi", "uvicorn", "httpx", "torch", "sentence-transformers", "faiss-cpu", "bm25s"))
    print(f"{command}\n{facts_line(facts)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started = time.perf_counter()

    print("- python -m serov_qa.ensure_index (untimed) ...", flush=True)
    index_line = ensure_index(args.index_timeout)
    print(f"  {index_line}", flush=True)

    if args.starts:
        print(f"- start-up only: {args.starts} fresh servers ...", flush=True)
        workdir = Path(tempfile.mkdtemp(prefix="serov-load-"))
        try:
            starts = measure_starts(args.starts, workdir, args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(starts_summary(starts), flush=True)
        return 0 if max(lv.ready_s for lv in starts) <= READY_TARGET_S else 1

    from evaluation.questions import load_questions

    gold = [q.question for q in load_questions()]
    gold = list(dict.fromkeys(gold))  # no accidental duplicates among the "distinct" ones
    random.Random(SEED).shuffle(gold)
    warmup, hot = gold[: args.warmup], gold[args.warmup: args.warmup + args.hot]
    pool = gold[args.warmup + args.hot:]
    n_distinct = [min(len(pool), round(n * args.distinct_share)) for n in args.counts]
    if max(n_distinct) > len(pool):
        print(f"  note: only {len(pool)} distinct questions available", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="serov-load-"))
    levels: list[Level] = []
    waited = 0.0
    try:
        for concurrency, count in zip(args.levels, args.counts):
            if args.wait_for_idle:
                w = wait_for_idle(args.wait_for_idle)
                waited += w
                print(f"  waited {w:.0f} s for idle CPUs", flush=True)
            plan = plan_requests(count, pool, hot, args.distinct_share, SEED + concurrency)
            print(f"- concurrency {concurrency}: {count} requests ({sum(r.first for r in plan)} first-time, "
                  f"{sum(not r.first for r in plan)} repeats); starting a fresh server ...", flush=True)
            level = run_level(concurrency, count, plan, warmup, workdir, args)
            levels.append(level)
            f = level_figures(level)
            print(f"  done in {level.wall_s:.1f} s: {f['throughput']:.1f} answers/s, p50/p95/p99 {three(f['all'])} ms "
                  f"(cached {three(f['cached'])} ms, shared {three(f['shared'])} ms), {f['overloaded']} overload 503s, {f['errors']} errors, "
                  f"{f['server_errors']} other 5xx, probe: /healthz p99 {fmt_ms(level.probe['healthz']['p99'])} ms, cached "
                  f"p99 {fmt_ms(level.probe['cached']['p99'])} ms, "
                  f"slow clients closed {level.slow.get('closed', 0)}, cache hits/misses {int(f['hits'])}/{int(f['misses'])}, "
                  f"peak RSS {level.memory['peak_tree_mb']:.0f} MB; other processes used "
                  f"{level.others_cpu_share * 100:.0f}% of the CPUs", flush=True)
        soaked = None
        if args.soak_runs:
            concurrency, count = args.levels[-1], args.counts[-1]
            plan = plan_requests(count, pool, hot, args.distinct_share, SEED + concurrency)
            print(f"- soak: concurrency {concurrency}, {count} requests x {args.soak_runs} runs on one fresh server ...",
                  flush=True)
            soaked = soak(plan, concurrency, warmup, workdir, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    inproc = None
    if args.inprocess_rounds > 0:
        if args.wait_for_idle:
            w = wait_for_idle(args.wait_for_idle)
            waited += w
            print(f"  waited {w:.0f} s for idle CPUs", flush=True)
        c1_count = args.counts[args.levels.index(1)] if 1 in args.levels else args.counts[0]
        c1_distinct = pool[: min(len(pool), round(c1_count * args.distinct_share))]
        print(f"- in process (servers stopped): loading the assistant, answer() on {len(c1_distinct)} questions x "
              f"{args.inprocess_rounds} ...", flush=True)
        inproc = in_process(c1_distinct, warmup, args.inprocess_rounds)
        print(f"  answer() p50 pass 1 {fmt_ms(inproc['first']['p50'])} ms, later {fmt_ms(inproc['later']['p50'])} ms; "
              f"this process's peak RSS {peak_rss_mb():.0f} MB", flush=True)

    figures = [level_figures(lv) for lv in levels]
    info = {
        "total_s": time.perf_counter() - started - waited, "waited_s": waited, "index_line": index_line,
        "server_cmd": f"python -m serov_qa.cli serve --host {HOST} --port <free port>",
        "n_gold": len(gold), "n_distinct_max": max(n_distinct), "n_distinct_c1": n_distinct[args.levels.index(1)] if 1 in args.levels else n_distinct[0],
    }
    section = render(command, facts, levels, figures, inproc, args, info, soaked)
    print("\n" + section)
    if not args.no_write:
        path = write_section(SECTION, section, args.output)
        print(f"\nwrote the '{SECTION}' section of {path}")
    return 0 if all(f["errors"] == 0 and f["server_errors"] == 0 for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
