"""Percentiles of durations and the number formats every benchmark report uses.

Why: one definition of p50/p95/p99 (linear interpolation, in milliseconds) for every figure.
Usage: summarize(seconds)["p95"]; fmt_ms(12.4); three(summary) -> "p50 / p95 / p99"; value, seconds = timed(f, x)
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

NAN = float("nan")


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    """n, p50, p95, p99, mean, min and max of durations given in seconds, in milliseconds (NaN when empty)."""
    if len(seconds) == 0:
        return {"n": 0, **{key: NAN for key in ("p50", "p95", "p99", "mean", "min", "max")}}
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {"n": int(ms.size), "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "p99": float(np.percentile(ms, 99)), "mean": float(ms.mean()), "min": float(ms.min()), "max": float(ms.max())}


def timed(function, *args, **kwargs):
    """(function(*args, **kwargs), the seconds it took)."""
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def fmt_ms(value: float) -> str:
    """A latency in ms with sensible precision (0.042, 1.37, 12.4, 153)."""
    if value != value:  # NaN
        return "n/a"
    if abs(value) < 0.1:
        return f"{value:.3f}"
    if abs(value) < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def two(summary: dict) -> str:
    """"p50 / p95" of a summary, in ms."""
    return f"{fmt_ms(summary['p50'])} / {fmt_ms(summary['p95'])}"


def three(summary: dict) -> str:
    """"p50 / p95 / p99" of a summary, in ms."""
    return f"{fmt_ms(summary['p50'])} / {fmt_ms(summary['p95'])} / {fmt_ms(summary['p99'])}"


def fmt_seconds(value: float) -> str:
    if value != value:
        return "n/a"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"


def fmt_bytes(count: float) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}" if count / size < 100 else f"{count / size:.0f} {unit}"
    return f"{int(count)} B"
