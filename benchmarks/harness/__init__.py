"""The machinery the benchmark scripts share, so that each script says only what it measures and prints.

Why: the scripts report latencies the same way (percentiles in ms), measure memory the same way (RSS via
psutil), start and stop the server the same way, and write their own section of docs/performance.md
between markers; one copy of each piece keeps their figures comparable and the scripts short.
Modules (each small, each with its own docstring):
    stats      percentiles (summarize) and number formatting
    memory     RSS of this process or a process tree, a sampling thread, sizes on disk
    cpu        machine facts, other processes' share of the CPUs, waiting for idle CPUs, a fresh process
    report     markdown tables, the section header, writing a section of docs/performance.md
    cli        the options every script has (--quick, --wait-for-idle, --output, --no-write)
    questions  gold questions in a fixed shuffled order
    server     a real server process: start, readiness, /metrics, stop
    http       a light keep-alive HTTP client and the concurrent driver of POST /api/ask
    probe      a separate process timing GET /healthz and a cached question while a load runs
    synthetic  large synthetic corpora (texts, vectors, a retriever over them) for scale measurements
Importing the package puts the project root on sys.path, so `python benchmarks/x.py` can import the project.
Usage: sys.path.insert(0, str(Path(__file__).resolve().parent)); from harness.stats import summarize
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the models ship with the packages: never download
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
