"""Helpers shared by the benchmark scripts: timing summaries, memory, machine facts, the report file.

Why: every script in benchmarks/ reports latencies the same way (p50/p95 in
milliseconds), measures memory the same way (resident set size via psutil), and
writes its own section of docs/performance.md between markers, so the scripts
can be run in any order without erasing each other's figures.
Usage: from _common import summarize, rss_mb, write_section  (benchmarks/ is on sys.path when a script runs)
       (also: tree_rss_mb for another process and its children; busy_cpu_s, CpuWatch and wait_for_idle
       to see and avoid other processes' load on the CPUs while measuring)
"""

from __future__ import annotations

import ctypes
import datetime as _dt
import gc
import os
import platform
import re
import resource
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
DOC_TITLE = "# Performance\n\nFigures measured by the scripts in `benchmarks/`; each script rewrites only its own section.\n"


def ensure_project_on_path() -> None:
    """Let `python benchmarks/x.py` import the project packages even without an editable install."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# --- timing -------------------------------------------------------------------------------------

def summarize(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, mean, min and max of a list of durations, in milliseconds (percentiles interpolated linearly)."""
    if len(seconds) == 0:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "mean": float("nan"),
                "min": float("nan"), "max": float("nan")}
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "n": int(ms.size),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "mean": float(ms.mean()),
        "min": float(ms.min()),
        "max": float(ms.max()),
    }


def fmt_ms(value: float) -> str:
    """A latency in ms with sensible precision (0.042, 1.37, 12.4, 153)."""
    if value != value:  # NaN
        return "n/a"
    if value < 0.1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def fmt_seconds(value: float) -> str:
    if value != value:
        return "n/a"
    if value < 10:
        return f"{value:.2f} s"
    if value < 600:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"


# --- memory and disk ----------------------------------------------------------------------------

def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS, so RSS shows what is still in use."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: RSS may then include freed-but-kept heap
        pass


def rss_mb(release: bool = True) -> float:
    """Resident set size of this process in MiB (after releasing freed memory, by default)."""
    if release:
        release_memory()
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process since it started, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_tree(pid: int | None = None) -> list[psutil.Process]:
    """Process `pid` (default: this one) first, then all its live descendants; empty if it is gone."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss_mb(pid: int) -> float:
    """Resident set size of process `pid` plus all its descendants, in MiB (0 if it is gone)."""
    total = 0
    for proc in process_tree(pid):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def path_size(path: Path) -> int:
    """Bytes on disk of a file or of everything under a directory."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def report_header(title: str, command: str, facts: dict, total_s: float, waited_s: float, extra: str = "") -> list[str]:
    """The opening lines every benchmark section shares: title, how and when it was produced, the machine."""
    waited = f" (plus {fmt_seconds(waited_s)} waiting for idle CPUs)" if waited_s >= 1 else ""
    return [
        title,
        "",
        f"Produced by `{command}` on {facts['date']}; the whole run took {fmt_seconds(total_s)}{waited}.{extra}",
        "",
        f"Machine: {facts_line({k: v for k, v in facts.items() if k != 'date'})}.",
        "",
    ]


def fmt_bytes(count: float) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}" if count / size < 100 else f"{count / size:.0f} {unit}"
    return f"{int(count)} B"


# --- CPU contention -------------------------------------------------------------------------------

def busy_cpu_s() -> float:
    """CPU seconds all processes on the machine have spent so far (everything but idle and I/O wait)."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def process_cpu_s(pid: int | None = None) -> float:
    """CPU seconds used so far by process `pid` (default: this one), its threads and its descendants (live or reaped)."""
    total = 0.0
    for i, proc in enumerate(process_tree(pid)):
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
        if i == 0:  # children already reaped by the root
            total += t.children_user + t.children_system
    return total


class CpuWatch:
    """Share of all cores used by *other* processes (not this one, not `pids`) between start() and stop().

    Other work on the machine slows what is measured; a share above ~10% means the timings are inflated.
    """

    def __init__(self, pids: Sequence[int] = ()) -> None:
        self.pids = list(pids)
        self.share = float("nan")

    def _own(self) -> float:
        return process_cpu_s() + sum(process_cpu_s(pid) for pid in self.pids)

    def start(self) -> "CpuWatch":
        self._busy, self._own0, self._wall = busy_cpu_s(), self._own(), _monotonic()
        return self

    def stop(self) -> float:
        wall = _monotonic() - self._wall
        others = busy_cpu_s() - self._busy - (self._own() - self._own0)
        self.share = max(0.0, others) / (max(wall, 1e-9) * usable_cores())
        return self.share


def _monotonic() -> float:
    import time

    return time.perf_counter()


def wait_for_idle(limit_s: float, window_s: float = 10.0, threshold: float = 0.10) -> float:
    """Wait until all processes together use less than `threshold` of all cores over `window_s`, or `limit_s` has passed.

    Returns the seconds waited. Call it while this script itself is idle.
    """
    import time

    started = time.perf_counter()
    while True:
        before = busy_cpu_s()
        time.sleep(window_s)
        share = (busy_cpu_s() - before) / (window_s * usable_cores())
        waited = time.perf_counter() - started
        if share < threshold or waited >= limit_s:
            return waited


# --- machine facts --------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_facts(packages: Sequence[str] = ()) -> dict[str, str]:
    facts = {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cores": str(usable_cores()),
        "memory": fmt_bytes(psutil.virtual_memory().total),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    for name in packages:
        try:
            facts[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            facts[name] = "not installed"
    return facts


def facts_line(facts: dict[str, str]) -> str:
    return "; ".join(f"{key}: {value}" for key, value in facts.items())


# --- markdown -------------------------------------------------------------------------------------

def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A GitHub markdown table; `align` is one letter per column (l/r), default left for the first, right otherwise."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, path: Path = PERFORMANCE_DOC) -> Path:
    """Put `body` between <!-- name:start --> and <!-- name:end --> in `path`, leaving every other section alone.

    The section is replaced in place if its markers exist, appended otherwise; the file is
    created (with a title) if missing, and written via a temporary file so it is never half-written.
    An exclusive lock on a sibling lock file makes the read-modify-write safe when several
    benchmark scripts finish at the same time.
    """
    import fcntl

    path = Path(path)
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text(encoding="utf-8") if path.exists() else DOC_TITLE
        if pattern.search(text):
            text = pattern.sub(lambda _: block, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path
