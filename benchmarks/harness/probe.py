"""One more visitor, in its own process: GET /healthz and a cached question every 50 ms while a load runs.

Why: /healthz must stay fast under load (target p99 under 50 ms at every concurrency) and a cached answer
too; timed from the load's own event loop, 128 busy workers would delay the probe and inflate its figures.
The child asks `question` (answered before the load starts, so from the cache) on one keep-alive connection,
until SIGTERM or `seconds` have passed, then prints both series of latencies as JSON.
Usage: probe = Probe(base_url, question); ...the load...; figures = probe.result()
       (the child: cd benchmarks && python -m harness.probe URL SECONDS QUESTION)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import httpx

from . import BENCHMARKS
from .stats import summarize

INTERVAL_S = 0.05


def run(url: str, seconds: float, question: str) -> dict:
    healthz, cached, failures = [], [], 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())  # the load is over: report what was measured
    deadline = time.perf_counter() + seconds
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
            time.sleep(max(0.0, INTERVAL_S - (time.perf_counter() - t0)))
    return {"healthz": healthz, "cached": cached, "failures": failures}


class Probe:
    """The probe process, started before a load and stopped (SIGTERM) by result() after it."""

    def __init__(self, base_url: str, question: str, seconds: float = 900) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "harness.probe", base_url, f"{seconds:.1f}", question],
                                     cwd=BENCHMARKS, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def result(self) -> dict:
        """{"healthz": summary, "cached": summary, "failures": count} (summaries of stats.summarize)."""
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        data = json.loads(out or '{"healthz": [], "cached": [], "failures": 0}')
        return {"healthz": summarize(data["healthz"]), "cached": summarize(data["cached"]), "failures": data["failures"]}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], float(sys.argv[2]), sys.argv[3])))
