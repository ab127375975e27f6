"""The report: markdown tables, the header every section opens with, and writing one section of the doc.

Why: every script owns one section of docs/performance.md between <!-- NAME:start --> and <!-- NAME:end -->,
so the scripts can run in any order without erasing each other's figures.
Usage: publish("load", text, args) prints the section and writes it unless --no-write (or --quick)
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Sequence
from pathlib import Path

from . import ROOT
from .cpu import facts_line
from .stats import fmt_seconds

PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
DOC_TITLE = "# Performance\n\nFigures measured by the scripts in `benchmarks/`; each script rewrites only its own section.\n"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A GitHub markdown table; `align` is one letter per column (l/r), default left for the first, right otherwise."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(str(h) for h in header) + " |", "| " + " | ".join(rule) + " |"]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def report_header(title: str, command: str, facts: dict, total_s: float, waited_s: float, extra: str = "") -> list[str]:
    """The opening lines every benchmark section shares: title, how and when it was produced, the machine."""
    waited = f" (plus {fmt_seconds(waited_s)} waiting for idle CPUs)" if waited_s >= 1 else ""
    produced = f"Produced by `{command}` on {facts['date']}; the whole run took {fmt_seconds(total_s)}{waited}.{extra}"
    return [title, "", produced, "", f"Machine: {facts_line({k: v for k, v in facts.items() if k != 'date'})}.", ""]


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def subsection(title: str, lines: Sequence[str], bullets: bool = False) -> list[str]:
    """"### title", a blank line, the lines (as "- " bullets if asked) and a blank line."""
    return [f"### {title}", "", *([f"- {line}" for line in lines] if bullets else lines), ""]


def write_section(name: str, body: str, path: Path = PERFORMANCE_DOC) -> Path:
    """Put `body` between <!-- name:start --> and <!-- name:end --> in `path`, leaving every other section alone.

    Replaced in place if the markers exist, appended otherwise; the file is created (with a title) if
    missing and written through a temporary file; a lock file makes concurrent writers safe."""
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


def publish(name: str, text: str, args) -> None:
    """Print the section; write it into args.output unless args.no_write."""
    print("\n" + text, flush=True)
    if not args.no_write:
        print(f"\nwrote the '{name}' section of {write_section(name, text, args.output)}")
