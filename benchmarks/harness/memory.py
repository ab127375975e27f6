"""Memory: the RSS of this process or of a process and its children, sampled peaks, sizes on disk.

Why: the targets are about resident memory (RSS under 1 GB, flat across runs); a server's memory is its
process plus its worker process, so the tree is summed, and a peak needs sampling while it runs.
Usage: rss_mb(); tree_rss_mb(pid); sampler = RssSampler(pid); sampler.start(); ...; peak = sampler.stop()
"""

from __future__ import annotations

import ctypes
import gc
import resource
import threading
from pathlib import Path

import psutil


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


def high_water_mb(pid: int) -> float:
    """The kernel's peak RSS (VmHWM) of one process, in MiB; NaN if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class RssSampler(threading.Thread):
    """Samples the RSS of a process tree every `interval` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._halt.wait(self.interval)

    def stop(self) -> float:
        self._halt.set()
        self.join(timeout=5)
        return self.peak


def path_size(path: Path) -> int:
    """Bytes on disk of a file or of everything under a directory."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
