"""The question log at a million rows: how long the curator overview and a page of the log take to read.

What: fills a fresh question log (SQLite in a temporary folder, and also the empty PostgreSQL database
given with --database-url) with --rows rows (1,000,000 by default) through the same
transaction code the writer uses, in batches of 5,000: --distinct different questions (200,000 by
default, so the precomputed counts table is large too), statuses answered / corrected / abstained in
proportion 6 / 1 / 3, times spread over the last 29 days. Then times, --repeat times each (20 by
default), the curator overview's two reads (QuestionLog.counts and QuestionLog.frequent) and the first
page of the log (QuestionLog.recent, 100 rows), and, for comparison and once, the overview as the
previous version computed it (GROUP BY over every row of `questions`, normalising each question).

Why: target: the curator overview takes under 50 ms at 1M rows (it took 0.96 s at 367,000 rows, and
stalled answers meanwhile). The figures go into docs/performance.md between <!-- questionlog:start -->
and <!-- questionlog:end -->.

Usage: python benchmarks/questionlog.py [--rows 1000000] [--distinct 200000] [--repeat 20]
                                        [--database-url postgresql://...] [--output docs/performance.md] [--no-write]
"""

from __future__ import annotations

import argparse
import random
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT  # noqa: E402  (importing harness puts the project on sys.path)
from harness.cpu import facts_line, machine_facts  # noqa: E402
from harness.report import markdown_table, report_header, write_section  # noqa: E402
from harness.stats import fmt_ms  # noqa: E402

SECTION = "questionlog"
TARGET_MS = 50.0
BATCH = 5000
STATUSES = ["answered"] * 6 + ["corrected"] + ["abstained"] * 3


def fill(log, rows: int, distinct: int) -> float:
    from server.questionlog import _insert

    rng = random.Random(0)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    started = time.perf_counter()
    for begin in range(0, rows, BATCH):
        batch = []
        for i in range(begin, min(rows, begin + BATCH)):
            asked = (now - timedelta(seconds=rng.randrange(29 * 86400))).isoformat()
            question = f"Question number {rng.randrange(distinct)} about the Serov Instructions?"
            batch.append((asked, question, "en", rng.choice(STATUSES), 0.5, "[]"))
        with log.db.transaction(write=True) as tx:
            _insert(tx, batch)
        if begin and begin % 200_000 == 0:
            print(f"  {begin:,} rows ...", flush=True)
    return time.perf_counter() - started


def timed(call, repeat: int) -> dict:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return {"median": statistics.median(times), "max": max(times)}


def old_overview(log) -> None:
    """The previous version's overview: every row read and normalised on each visit."""
    from server.questionlog import normalized_question

    groups: dict = {}
    for row in log.db.query("SELECT question, status, asked_at FROM questions WHERE status IN ('abstained', 'corrected')"):
        key = (normalized_question(row[0]), row[1])
        count, last = groups.get(key, (0, ""))
        groups[key] = (count + 1, max(last, row[2]))
    sorted(groups.items(), key=lambda item: -item[1][0])[:50]
    log.db.query("SELECT status, COUNT(*) FROM questions GROUP BY status")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite in a temporary folder)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 5_000_000 or not 1 <= args.distinct <= args.rows or not 1 <= args.repeat <= 200:
        parser.error("--rows 1..5,000,000, --distinct 1..rows, --repeat 1..200")
    command = shlex.join(["python", "benchmarks/questionlog.py", *(sys.argv[1:] if argv is None else argv)])
    facts = machine_facts(("psycopg",) if args.database_url else ())
    print(f"{command}\n{facts_line(facts)}", flush=True)
    started = time.perf_counter()
    databases = [str(Path(tempfile.mkdtemp(prefix="serov-qa-log-")) / "questions.sqlite3")]
    if args.database_url:
        databases.append(args.database_url)
    runs = [measure(where, args) for where in databases]
    names = [run["name"] for run in runs]
    reads = list(runs[0]["figures"])
    rows = [[read, *(f"{fmt_ms(run['figures'][read]['median'])} / {fmt_ms(run['figures'][read]['max'])}" for run in runs)]
            for read in reads]
    passed = all(run["figures"]["overview: both"]["median"] < TARGET_MS for run in runs)
    section = "\n".join([
        *report_header("## Question log at scale", command, facts, time.perf_counter() - started, 0.0),
        "### Target",
        "",
        f"- The curator overview under {TARGET_MS:.0f} ms at {args.rows:,} rows: counts() + frequent() median "
        + ", ".join(f"{fmt_ms(run['figures']['overview: both']['median'])} ms ({run['name']})" for run in runs)
        + f": {'**PASS**' if passed else '**FAIL**'}",
        "",
        f"### Reads, ms ({args.repeat} repeats; median / max)",
        "",
        markdown_table(["read", *names], rows),
        "",
        "### Notes",
        "",
        *[f"- {run['name']}: {args.rows:,} rows written in {run['fill_s']:.0f} s in transactions of {BATCH:,} (the "
          f"writer's code, with its count upserts); {args.distinct:,} distinct questions; statuses {run['counts']}."
          for run in runs],
        "- The overview reads only the precomputed tables (status_totals, and question_counts through its "
        "(count, last_asked) index); the previous version grouped every row of `questions` by its normalised text "
        "on every visit, which is the last line.",
    ])
    print("\n" + section)
    if not args.no_write:
        print(f"\nwrote the '{SECTION}' section of {write_section(SECTION, section, args.output)}")
    return 0 if passed else 1


def measure(where: str, args: argparse.Namespace) -> dict:
    from server.questionlog import QuestionLog

    log = QuestionLog(where, retention_days=30)
    try:
        print(f"- filling {log.where} with {args.rows:,} rows ({args.distinct:,} distinct questions) ...", flush=True)
        fill_s = fill(log, args.rows, args.distinct)
        counts = log.counts()
        print(f"  {fill_s:.0f} s; {counts}", flush=True)
        figures = {
            "overview: counts()": timed(log.counts, args.repeat),
            "overview: frequent()": timed(log.frequent, args.repeat),
            "overview: both": timed(lambda: (log.counts(), log.frequent()), args.repeat),
            "log page 1: recent(limit=100)": timed(lambda: log.recent(limit=100), args.repeat),
            "log page 1 of the unanswered": timed(lambda: log.recent("abstained", limit=100), args.repeat),
            "previous version's overview (once)": timed(lambda: old_overview(log), 1),
        }
        print(f"  overview {fmt_ms(figures['overview: both']['median'])} ms", flush=True)
    finally:
        log.close(timeout=5)
    return {"name": log.db.name, "fill_s": fill_s, "counts": counts, "figures": figures}


if __name__ == "__main__":
    sys.exit(main())
