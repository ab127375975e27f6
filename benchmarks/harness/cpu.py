"""The machine and its CPUs: facts for the report, other processes' share of the cores, a fresh process.

Why: on a small shared machine other work inflates every timing, so each report says how much of the
cores other processes used while it measured (above ~10% the figures are inflated), can wait for idle
CPUs first, and can run a measurement in a fresh process so that memory figures do not leak between cases.
Usage: watch = CpuWatch([server_pid]).start(); ...; share = watch.stop()
       run_fresh(function, spec) -> function(spec) run in a spawned process, plus wall_s and others_cpu_share
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

import psutil

from .memory import process_tree
from .stats import fmt_bytes

BUSY = 0.10  # other processes' share of the cores above which a report flags its timings as inflated


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_facts(packages: Sequence[str] = ()) -> dict[str, str]:
    """Date, CPU, cores, memory, OS, Python and the versions of `packages`, for the report header."""
    facts = {"date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu_model(),
             "cores": str(usable_cores()), "memory": fmt_bytes(psutil.virtual_memory().total),
             "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}
    for name in packages:
        try:
            facts[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            facts[name] = "not installed"
    return facts


def facts_line(facts: dict[str, str]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in facts.items())


def busy_cpu_s() -> float:
    """CPU seconds all processes on the machine have spent so far (everything but idle and I/O wait)."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def process_cpu_s(pid: int | None = None) -> float:
    """CPU seconds used so far by process `pid` (default: this one) and its descendants (live or reaped)."""
    total = 0.0
    for i, proc in enumerate(process_tree(pid)):
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + ((t.children_user + t.children_system) if i == 0 else 0.0)
    return total


class CpuWatch:
    """Share of all cores used by *other* processes (not this one, not `pids`) between start() and stop()."""

    def __init__(self, pids: Sequence[int] = ()) -> None:
        self.pids = list(pids)

    def _own(self) -> float:
        return process_cpu_s() + sum(process_cpu_s(pid) for pid in self.pids)

    def start(self) -> "CpuWatch":
        self._busy, self._own0, self._wall = busy_cpu_s(), self._own(), time.perf_counter()
        return self

    def stop(self) -> float:
        wall = time.perf_counter() - self._wall
        others = busy_cpu_s() - self._busy - (self._own() - self._own0)
        return max(0.0, others) / (max(wall, 1e-9) * usable_cores())


def wait_for_idle(limit_s: float, window_s: float = 10.0, threshold: float = 0.10) -> float:
    """Wait until all processes use less than `threshold` of the cores over `window_s`, or `limit_s` passed;
    return the seconds waited. Call it while this script itself is idle."""
    started = time.perf_counter()
    while True:
        before = busy_cpu_s()
        time.sleep(window_s)
        share = (busy_cpu_s() - before) / (window_s * usable_cores())
        waited = time.perf_counter() - started
        if share < threshold or waited >= limit_s:
            return waited


class IdleWaits:
    """--wait-for-idle: before each measured part, wait up to `limit_s` for idle CPUs; `total` is reported apart."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s, self.total = limit_s, 0.0

    def __call__(self) -> None:
        if self.limit_s:
            waited = wait_for_idle(self.limit_s)
            self.total += waited
            print(f"  waited {waited:.0f} s for idle CPUs", flush=True)


def _call(function: Callable[[dict], dict], spec: dict) -> dict:
    try:
        started = time.perf_counter()
        result = function(spec)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {**result, "wall_s": time.perf_counter() - started, "cpu_s": usage.ru_utime + usage.ru_stime}
    except Exception:  # reported in the table instead of losing the other cases
        return {"error": traceback.format_exc()}


def run_fresh(function: Callable[[dict], dict], spec: dict) -> dict:
    """`function(spec)` in a fresh spawned process (clean RSS and peak RSS), with its wall time and the share
    of the cores other processes used meanwhile; a failure comes back as {"error": text}."""
    busy, wall = busy_cpu_s(), time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            result = pool.submit(_call, function, spec).result()
        except Exception as exc:  # e.g. the worker was killed for lack of memory
            return {"error": f"{type(exc).__name__}: {exc}"}
    if "cpu_s" in result:
        others = busy_cpu_s() - busy - result["cpu_s"]
        result["others_cpu_share"] = max(0.0, others) / ((time.perf_counter() - wall) * usable_cores())
    return result
