"""A real server process for load measurements: started on a free loopback port, polled until ready, stopped.

Why: load figures must come from `serov-qa serve` as deployed (its worker process, answer cache, queue);
a fresh process per measurement starts with an empty cache. Requests go to 127.0.0.1 only, the question
log is a throw-away file, and the caller stops the server in a `finally`, so none is ever left running.
Usage: server = Server(workdir); try: server.wait_ready(); ... finally: memory = server.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from . import ROOT
from .memory import RssSampler, high_water_mb
from harness.slowloris import SLOW_TIMEOUT_S

HOST = "127.0.0.1"  # never anything else
READY_POLL_S = 0.05


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_env(question_log: Path) -> dict[str, str]:
    """The environment of a benchmarked server: no rate limit, offline models, a throw-away question log."""
    return {**os.environ, "SEROV_QA_RATE_LIMIT": "off", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "SEROV_QA_QUESTION_LOG": str(question_log), "PYTHONUNBUFFERED": "1",
            # Shorter than the default 10 s, so that slow clients are let go within a level of a few seconds.
            "SEROV_QA_HEADER_TIMEOUT_SECONDS": str(SLOW_TIMEOUT_S), "SEROV_QA_BODY_TIMEOUT_SECONDS": str(SLOW_TIMEOUT_S)}


def ensure_index(timeout_s: float = 1800) -> str:
    """Build the index if it is missing or stale (`python -m serov_qa.ensure_index`, untimed); its last line."""
    result = subprocess.run([sys.executable, "-m", "serov_qa.ensure_index"], cwd=ROOT, env=server_env(Path(os.devnull)),
                            capture_output=True, text=True, timeout=timeout_s)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise RuntimeError(f"ensure_index failed ({result.returncode}):\n{output}")
    return output.splitlines()[-1] if output else ""


class Server:
    """`python -m serov_qa.cli serve` on a free port; its RSS (process and children) sampled every 50 ms."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = Path(workdir) / f"server-{self.port}.log"
        self.ready_s = float("nan")
        with open(self.log_path, "wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "serov_qa.cli", "serve", "--host", HOST, "--port", str(self.port)], cwd=ROOT,
                env=server_env(Path(workdir) / f"questions-{self.port}.sqlite3"),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.sampler = RssSampler(self.proc.pid)
        self.sampler.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout_s: float = 180) -> float:
        """Poll /readyz every 50 ms; the seconds from process start to its first 200 (also kept as ready_s)."""
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode} before it was ready:\n"
                                       f"{self.log_tail()}")
                if time.perf_counter() - self.started > timeout_s:
                    raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s:\n{self.log_tail()}")
                try:
                    response = client.get("/readyz")
                except httpx.TransportError:
                    time.sleep(READY_POLL_S)
                    continue
                if response.status_code == 200:
                    self.ready_s = time.perf_counter() - self.started
                    return self.ready_s
                if response.json().get("status") == "failed":
                    raise RuntimeError(f"the server could not load the assistant: {response.text}\n{self.log_tail()}")
                time.sleep(READY_POLL_S)

    def stop(self, grace_s: float = 15.0) -> dict[str, float]:
        """SIGTERM (SIGKILL after `grace_s`) to the server, then any child it left; its peak RSS figures in MiB:
        peak_mb (sampled, process and children, whole life) and hwm_mb (the kernel's high-water mark)."""
        proc, figures = self.proc, {"hwm_mb": float("nan")}
        children = []
        if proc.poll() is None:
            figures["hwm_mb"] = high_water_mb(proc.pid)
            try:
                children = psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                pass
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
        figures["peak_mb"] = self.sampler.stop()
        return figures


def read_metrics(base_url: str) -> dict[str, float]:
    """The answer cache's hits and misses so far, from /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
        text = client.get("/metrics").text
    names = {"serov_qa_answer_cache_hits_total": "hits", "serov_qa_answer_cache_misses_total": "misses"}
    found = {"hits": 0.0, "misses": 0.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in names:
                found[names[sample.name]] = sample.value
    return found


def warm_up(base_url: str, questions: list[str]) -> None:
    """Ask each question once, untimed (caches, lazy imports, the allocator); any failure stops the run."""
    with httpx.Client(base_url=base_url, timeout=60.0, trust_env=False) as client:
        for question in questions:
            response = client.post("/api/ask", json={"question": question})
            if response.status_code != 200:
                raise RuntimeError(f"warm-up request failed: HTTP {response.status_code} {response.text[:200]}")
