"""Load test of the real server over loopback: throughput and p50/p95/p99 latency of POST /api/ask at
concurrency 1, 8, 32 and 128, for first-time (uncached) and repeated (cached) questions; beside them the
overload answers, /healthz under load, slow clients, readiness and memory across repeated runs.

What: per concurrency level, a fresh server (harness.server; an empty cache), timed to its first 200 of
/readyz, 5 untimed warm-up questions, then the level's requests (200, 400, 400, 600) from that many workers
(harness.http): half distinct gold questions asked once, half repeats of 5 hot ones, shuffled (seed 0).
Meanwhile a probe process times GET /healthz and a cached question every 50 ms (harness.probe) and the
server's RSS is sampled, and --slow-clients slowloris connections (harness.slowloris) must be let go by the
server's header and body timeouts; then, on the same server, a burst of cached questions alone (the cache's
own throughput). Then the soak (the highest level --soak-runs times on one more server, RSS after
each run) and, with every server stopped, Pipeline.answer() in this process on the c=1 distinct questions.

Why: targets on 2 cores: HTTP p50 at c=1 within 1.5x of in-process answer(); at c=32 at least 70 first-time
answers/s with their p99 under 1 s; at least 500 cached answers/s; no errors and no 5xx but the
documented overload 503; /healthz p99 under 50 ms at every concurrency; cached p99 under 100 ms at c=128;
repeats served from the cache; every slow client let go; ready within 10 s; RSS under 1 GB and flat (within 5%) across the soak runs.
Figures go to docs/performance.md between <!-- load:start --> and <!-- load:end -->.

Usage: python benchmarks/load.py [--concurrency 1,8,32,128] [--requests 200,400,400,600] [--soak-runs 3] [--slow-clients 32]
       [--cached-burst 2000] [--quick]
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, namedtuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness.cli import BenchParser, ints  # noqa: E402  (importing harness puts the project on sys.path)
from harness.cpu import BUSY, CpuWatch, IdleWaits, facts_line, machine_facts  # noqa: E402
from harness.http import drive  # noqa: E402
from harness.memory import rss_mb, tree_rss_mb  # noqa: E402
from harness.probe import Probe  # noqa: E402
from harness.questions import gold_questions  # noqa: E402
from harness.report import markdown_table, publish, report_header, subsection, verdict  # noqa: E402
from harness.slowloris import SlowClients  # noqa: E402
from harness.server import HOST, Server, ensure_index, read_metrics, warm_up  # noqa: E402
from harness.stats import fmt_ms, fmt_seconds, summarize, three, timed  # noqa: E402

SECTION = "load"
SEED = 0
DISTINCT_SHARE = 0.5  # of a level's requests; the rest are repeats of the hot questions
HTTP_RATIO_TARGET = 1.5  # HTTP p50 (c=1, first-time questions) / in-process answer() p50
READY_TARGET_S = 10.0
RSS_TARGET_MB = 1024.0  # 1 GB, read as 1 GiB
CACHE_HIT_SHARE = 0.9  # cache hits (from /metrics) >= this share of the repeated requests, at every level
HEALTHZ_P99_TARGET_MS = 50.0
CACHED_P99_TARGET_MS = 100.0  # at the highest concurrency
RSS_FLAT_TARGET = 0.05
UNCACHED_AT, UNCACHED_TARGET, UNCACHED_P99_S = 32, 70.0, 1.0  # first-time answers/s (3x the 21-26), p99
CACHED_TARGET = 500.0  # answers/s for questions in the cache, nothing else sent


Request = namedtuple("Request", "question first")  # first: the first time this question reaches this server


def plan_requests(count: int, distinct: list[str], hot: list[str], seed: int) -> list[Request]:
    """round(count * DISTINCT_SHARE) distinct questions once each, the rest spread over the hot ones, shuffled."""
    n_distinct = min(len(distinct), round(count * DISTINCT_SHARE))
    questions = distinct[:n_distinct] + [hot[i % len(hot)] for i in range(count - n_distinct)]
    random.Random(seed).shuffle(questions)
    plan, seen = [], set()
    for question in questions:
        plan.append(Request(question, question not in seen))
        seen.add(question)
    return plan


def figures(results: list, wall_s: float, not_sent: int) -> dict:
    """The figures of one run; latencies are over answered requests, an overload 503 is counted apart."""
    ok = [r for r in results if r.ok]
    answered_at: dict[str, float] = {}
    for r in ok:
        answered_at[r.request.question] = min(answered_at.get(r.request.question, float("inf")), r.received)
    repeats = [r for r in ok if not r.request.first]
    cached = [r for r in repeats if r.sent > answered_at[r.request.question]]
    overloaded = [r for r in results if r.overload]
    return {
        "requests": len(results) + not_sent, "throughput": len(ok) / wall_s if wall_s > 0 else float("nan"),
        # The pipeline's own throughput: only first-time questions reach it (repeats come from the cache).
        "first_throughput": sum(1 for r in ok if r.request.first) / wall_s if wall_s > 0 else float("nan"),
        "all": summarize([r.seconds for r in ok]), "first": summarize([r.seconds for r in ok if r.request.first]),
        "repeat": summarize([r.seconds for r in repeats]), "cached": summarize([r.seconds for r in cached]),
        "shared": summarize([r.seconds for r in repeats if r.sent <= answered_at[r.request.question]]),
        "overloaded": len(overloaded), "overload": summarize([r.seconds for r in overloaded]),
        "overload_reasons": sorted({r.overload for r in overloaded}),
        "errors": sum(1 for r in results if r.error) + not_sent,
        "server_errors": sum(1 for r in results if r.status >= 500 and not r.overload),
        "error_kinds": sorted({r.error for r in results if r.error} | ({"not sent in time"} if not_sent else set())),
        "repeats_sent": sum(1 for r in results if not r.request.first), "wall_s": wall_s,
    }


async def with_slow_clients(base_url: str, plan: list[Request], concurrency: int, slow_clients: int):
    """drive() with the slow clients beside it; waiting for them to be let go is not part of the wall time."""
    slow = SlowClients(base_url, slow_clients)
    slow.start()
    driven = await drive(base_url, plan, concurrency)
    return driven, await slow.stop()


def one_run(server: Server, plan: list[Request], concurrency: int, probe_question: str, slow_clients: int) -> dict:
    """The plan sent once to a ready server with the probe and the slow clients beside it: the run's figures,
    cache hits and misses too."""
    before = read_metrics(server.base_url)
    watch, probe = CpuWatch([server.pid]).start(), Probe(server.base_url, probe_question)
    (results, wall_s, not_sent, statuses), slow = asyncio.run(
        with_slow_clients(server.base_url, plan, concurrency, slow_clients))
    found = {**figures(results, wall_s, not_sent), "probe": probe.result(), "others_cpu": watch.stop(),
             "statuses": statuses, "concurrency": concurrency, "slow": slow}
    after = read_metrics(server.base_url)
    return {**found, "hits": after["hits"] - before["hits"], "misses": after["misses"] - before["misses"]}


def cached_burst(server: Server, questions: list[str], concurrency: int, count: int) -> dict:
    """`count` requests for questions already answered (so all from the cache), nothing else beside them."""
    plan = [Request(questions[i % len(questions)], False) for i in range(count)]
    results, wall_s, not_sent, _ = asyncio.run(drive(server.base_url, plan, concurrency))
    ok = [r for r in results if r.ok]
    return {"n": count, "answered": len(ok), "errors": len(results) - len(ok) + not_sent,
            "throughput": len(ok) / wall_s if wall_s > 0 else float("nan"), "all": summarize([r.seconds for r in ok])}


def on_fresh_server(plan: list[Request], concurrency: int, warmup: list[str], workdir: Path, slow_clients: int,
                    runs: int = 0, burst: int = 0) -> list[dict]:
    """A fresh server, ready and warmed up, gets the plan once (the soak: `runs` times); each run's figures with the
    server's start-up figures and peak RSS (the soak: and the RSS of its process tree 1 s after each run)."""
    server, found = Server(workdir), []
    watch = CpuWatch([server.pid]).start()
    try:
        start = {"ready_s": server.wait_ready(), "others_cpu_start": watch.stop(), "rss_ready": tree_rss_mb(server.pid)}
        print(f"  server pid {server.pid}: ready after {start['ready_s']:.2f} s, RSS {start['rss_ready']:.0f} MB",
              flush=True)
        warm_up(server.base_url, warmup)
        for number in range(1, max(runs, 1) + 1):
            found.append({**one_run(server, plan, concurrency, warmup[0], slow_clients), **start})
            if runs:
                time.sleep(1.0)  # let the writer and the allocator settle
                found[-1]["rss_after"] = tree_rss_mb(server.pid)
                print(f"  soak run {number}: {found[-1]['errors']} errors, RSS {found[-1]['rss_after']:.0f} MB", flush=True)
        if burst:
            found[-1]["burst"] = cached_burst(server, warmup, concurrency, burst)
    finally:
        memory = server.stop()
    return [{**f, **memory} for f in found]


def in_process(questions: list[str], warmup: list[str], rounds: int) -> dict:
    """Load the pipeline here, as the server does, and time answer(): pass 1 (first sight) and the later passes."""
    from assistant.pipeline import load
    from config.settings import Settings

    pipeline, load_s = timed(load, Settings())
    found = {"load_s": load_s, "rss_mb": rss_mb(), "n": len(questions), "rounds": rounds}
    for question in warmup:
        pipeline.answer(question)
    watch, passes = CpuWatch().start(), [[], []]  # pass 1, later passes
    for number in range(rounds):
        passes[min(number, 1)] += [timed(pipeline.answer, question)[1] for question in questions]
    return {**found, "first": summarize(passes[0]), "later": summarize(passes[1]), "others_cpu": watch.stop()}


def targets(levels: list[dict], soak: list[dict], inproc: dict | None) -> list[str]:
    c1, top = next((f for f in levels if f["concurrency"] == 1), None), levels[-1]
    each = lambda text: ", ".join(f"c={f['concurrency']}: {text(f)}" for f in levels)  # noqa: E731
    lines = []
    if c1 and inproc:
        ratio = c1["first"]["p50"] / inproc["first"]["p50"]
        lines.append(f"HTTP p50 at concurrency 1 within {HTTP_RATIO_TARGET}x of in-process answer(): first-time questions "
                     f"{fmt_ms(c1['first']['p50'])} ms vs answer() {fmt_ms(inproc['first']['p50'])} ms = {ratio:.2f}x: "
                     f"{verdict(ratio <= HTTP_RATIO_TARGET)}")
    errors = sum(f["errors"] + f["server_errors"] for f in levels)
    reasons = ", ".join(sorted({r for f in levels for r in f["overload_reasons"]})) or "none"
    lines.append(f"No errors and no 5xx but the documented overload 503: {errors} errors or other 5xx in "
                 f"{sum(f['requests'] for f in levels)} requests, {sum(f['overloaded'] for f in levels)} overload 503s "
                 f"(reasons: {reasons}): {verdict(errors == 0)}")
    healthz_ok = all(f["probe"]["healthz"]["p99"] < HEALTHZ_P99_TARGET_MS and not f["probe"]["failures"] for f in levels)
    lines.append(f"/healthz p99 under {HEALTHZ_P99_TARGET_MS:.0f} ms at every concurrency: "
                 + each(lambda f: f"{fmt_ms(f['probe']['healthz']['p99'])} ms") + f": {verdict(healthz_ok)}")
    c32 = next((f for f in levels if f["concurrency"] == UNCACHED_AT), None)
    if c32:
        ok = c32["first_throughput"] >= UNCACHED_TARGET and c32["first"]["p99"] < 1000 * UNCACHED_P99_S
        lines.append(f"Uncached throughput at concurrency {UNCACHED_AT} at least {UNCACHED_TARGET:.0f} first-time answers/s "
                     f"(3x the 21-26 req/s the performance issue measured) with their p99 under {UNCACHED_P99_S:.0f} s: "
                     f"{c32['first_throughput']:.1f}/s, p99 {fmt_ms(c32['first']['p99'])} ms: {verdict(ok)}")
    bursts = [f for f in levels if "burst" in f]
    if bursts:
        best = max(bursts, key=lambda f: f["burst"]["throughput"])
        lines.append(f"Cached answers at least {CACHED_TARGET:.0f} req/s: " + each(
            lambda f: f"{f['burst']['throughput']:.0f}/s" if "burst" in f else "n/a")
            + f" ({best['burst']['n']} requests for warmed-up questions alone): "
            f"{verdict(best['burst']['throughput'] >= CACHED_TARGET and not best['burst']['errors'])}")
    cached_p99 = max(top["cached"]["p99"], top["probe"]["cached"]["p99"])
    lines.append(f"Cached-answer p99 under {CACHED_P99_TARGET_MS:.0f} ms at concurrency {top['concurrency']}: "
                 f"{fmt_ms(top['cached']['p99'])} ms over the load's {top['cached']['n']} cached repeats, "
                 f"{fmt_ms(top['probe']['cached']['p99'])} ms over the probe's {top['probe']['cached']['n']} (the worse "
                 f"counts): {verdict(cached_p99 < CACHED_P99_TARGET_MS)}")
    cache_ok = all(not f["repeats_sent"] or (f["hits"] >= CACHE_HIT_SHARE * f["repeats_sent"]
                                             and f["repeat"]["p50"] < f["first"]["p50"]) for f in levels)
    lines.append("Repeats served from the cache: cache hits (the probe's included) for repeats sent, and repeat vs "
                 "first-time p50: " + each(lambda f: f"{int(f['hits'])} for {f['repeats_sent']}, "
                                                    f"{fmt_ms(f['repeat']['p50'])} vs {fmt_ms(f['first']['p50'])} ms")
                 + f": {verdict(cache_ok)}")
    slow_ok = all(f["slow"]["closed"] > 0 or not f["slow"]["count"] for f in levels)
    lines.append("Slow clients let go by the server's timeouts: " + each(
        lambda f: f"{f['slow']['closed']} of {f['slow']['opened']} closed ({f['slow']['answered_408']} with 408), "
                  f"longest held {f['slow']['max_held_s']:.1f} s") + f": {verdict(slow_ok)}")
    ready = max(f["ready_s"] for f in levels)
    lines.append(f"Ready within {READY_TARGET_S:.0f} s of start: " + each(lambda f: f"{f['ready_s']:.2f} s")
                 + f": {verdict(ready <= READY_TARGET_S)}")
    peak = max(max(f["peak_mb"], f["hwm_mb"] if f["hwm_mb"] == f["hwm_mb"] else 0) for f in levels)
    lines.append(f"RSS under 1 GB: server peak {peak:.0f} MiB (process and worker, the worse of sampled and kernel "
                 f"high-water mark, all levels): {verdict(peak < RSS_TARGET_MB)}")
    if soak:
        rss = [run["rss_after"] for run in soak]
        spread = (max(rss) - min(rss)) / min(rss)
        lines.append(f"RSS flat (within {RSS_FLAT_TARGET:.0%}) across {len(rss)} runs at concurrency {top['concurrency']} "
                     "on one server: " + " / ".join(f"{r:.0f}" for r in rss) + f" MB after each run (ready: "
                     f"{soak[0]['rss_ready']:.0f} MB), spread {spread:.1%}: {verdict(spread <= RSS_FLAT_TARGET)}")
    return lines


def render(args, facts: dict, levels: list[dict], soak: list[dict], inproc: dict | None, info: dict) -> str:
    rows = [[f["concurrency"], f["requests"], f"{f['throughput']:.1f}", f"{f['first_throughput']:.1f}",
             f"{f['burst']['throughput']:.0f} ({three(f['burst']['all'])})" if "burst" in f else "n/a",
             three(f["all"]), three(f["first"]),
             f"{three(f['cached'])} ({f['cached']['n']})", f"{three(f['shared'])} ({f['shared']['n']})",
             f"{f['overloaded']} ({fmt_ms(f['overload']['p50'])} ms)" if f["overloaded"] else "0",
             f"{f['errors']} / {f['server_errors']}",
             f"{three(f['probe']['healthz'])} ({f['probe']['healthz']['n']})", three(f["probe"]["cached"]),
             f"{f['slow']['closed']} / {f['slow']['opened']}, {f['slow']['max_held_s']:.1f} s",
             f"{int(f['hits'])} / {int(f['misses'])}", f"{f['rss_ready']:.0f} / {f['peak_mb']:.0f} / {f['hwm_mb']:.0f}",
             f"{f['others_cpu_start']:.0%} / {f['others_cpu']:.0%}"] for f in levels]
    table = markdown_table(
        ["concurrency", "requests", "answers/s", "first-time answers/s", "cached alone: answers/s (ms p50 / p95 / p99)",
         "all answers, ms (p50 / p95 / p99)", "first-time (uncached)",
         "cached repeats (n)", "repeats sharing one in flight (n)", "overload 503s (p50)", "errors / other 5xx",
         "probe: /healthz, ms (n)", "probe: a cached question, ms",
         "slow clients: closed / opened, longest held", "cache hits / misses", "RSS MB: ready / peak / kernel peak",
         "CPU used by other processes: start / requests"], rows)
    notes = [
        f"Each level: a fresh server (`python -m serov_qa.cli serve --host {HOST} --port <free port>`, rate limit off, "
        "default settings otherwise, a temporary question log), so an empty cache; ready = process start to the first 200 "
        f"of /readyz. Then {args.warmup} untimed warm-up questions, and {DISTINCT_SHARE:.0%} distinct gold questions asked "
        f"once (the same at every level, from a fixed shuffle of all {info['n_gold']}) with repeats of {args.hot} hot ones, "
        f"shuffled (seed {SEED}). First-time = the first time a question reaches that server; cached = a repeat sent "
        "after its question's first answer came back; sharing = a repeat sent while the first was in flight.",
        "Then, on the same server, the cached burst: --cached-burst requests for the warm-up questions alone (all "
        "in the cache), at the level's concurrency, nothing else beside them.",
        "Latencies are over answered requests; answers/s = answered requests / wall time; first-time answers/s = "
        "first-time answers / the same wall time (the pipeline's own throughput: repeats come from the cache); an overload 503's worker waits "
        "its Retry-After. Client: a hand-written keep-alive connection per worker, in this process, on the same cores; "
        "probe: a separate process, GET /healthz then the first warm-up question every 50 ms. RSS: the server and its "
        "worker process sampled every 50 ms, and the kernel's high-water mark of the server process.",
    ]
    if inproc:
        notes.append(f"In-process answer(): after the last server had stopped, `assistant.pipeline.load` with default "
                     f"settings ({fmt_seconds(inproc['load_s'])}, RSS {inproc['rss_mb']:.0f} MB), the same warm-up, then "
                     f"the c=1 level's {inproc['n']} distinct questions x {inproc['rounds']}: pass 1 "
                     f"{three(inproc['first'])} ms, later passes {three(inproc['later'])} ms; other processes used "
                     f"{inproc['others_cpu']:.0%} of the CPUs meanwhile.")
    statuses = sum((Counter(f["statuses"]) for f in levels), Counter())
    notes.append("Answer statuses over all levels: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
                 + "; error kinds: " + (", ".join(sorted({k for f in levels for k in f["error_kinds"]})) or "none") + ".")
    if busy := [f"c={f['concurrency']}" for f in levels if max(f["others_cpu"], f["others_cpu_start"]) > BUSY]:
        notes.append(f"**Other processes used more than {BUSY:.0%} of the CPUs during {', '.join(busy)}; those timings "
                     "are inflated accordingly.**")
    return "\n".join([*report_header("## Load test over HTTP", args.command, facts, info["total_s"], info["waited_s"],
                                     extra=f" Index: {info['index_line']}"),
                      *subsection("Targets", targets(levels, soak, inproc), bullets=True),
                      *subsection("POST /api/ask over loopback", [table]),
                      *subsection("Notes", notes, bullets=True)]).rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = BenchParser("load.py", __doc__)
    parser.scaled("--concurrency", "1,8,32,128", "1,8", "concurrency levels")
    parser.scaled("--requests", "200,400,400,600", "20", "requests per level, one number or one per level")
    parser.scaled("--soak-runs", 3, 2, "runs of the highest level on one more server, RSS after each; 0 = skip", int)
    parser.scaled("--inprocess-rounds", 3, 1, "passes of in-process answer() over the c=1 distinct questions; 0 = skip", int)
    parser.scaled("--slow-clients", 32, 4, "slowloris connections beside each level; 0 = none", int)
    parser.scaled("--cached-burst", 2000, 50, "requests for cached questions alone after each level; 0 = skip", int)
    parser.add_argument("--hot", type=int, default=5, help="hot questions the repeats are spread over (default: 5)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed warm-up questions per server (default: 5)")
    args = parser.parse_args(argv)
    levels, counts = ints(args.concurrency), ints(args.requests)
    counts = counts * len(levels) if len(counts) == 1 else counts
    if not levels or len(counts) != len(levels) or min(levels) < 1 or not 1 <= min(counts) <= max(counts) <= 5000:
        parser.error("--requests needs one number (1 to 5000) or one per concurrency level (each >= 1)")
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # so the finally blocks stop servers
    facts = machine_facts(("fastapi", "uvicorn", "httpx", "torch", "sentence-transformers", "faiss-cpu", "bm25s"))
    print(f"{args.command}\n{facts_line(facts)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started, idle = time.perf_counter(), IdleWaits(args.wait_for_idle)
    print(f"- python -m serov_qa.ensure_index (untimed): {(index_line := ensure_index())}", flush=True)
    gold = gold_questions(SEED)
    warmup, hot, pool = gold[:args.warmup], gold[args.warmup:args.warmup + args.hot], gold[args.warmup + args.hot:]
    workdir, found, soak = Path(tempfile.mkdtemp(prefix="serov-load-")), [], []
    try:
        for concurrency, count in zip(levels, counts):
            idle()
            plan = plan_requests(count, pool, hot, SEED + concurrency)
            print(f"- concurrency {concurrency}: {count} requests, {sum(r.first for r in plan)} first-time ...", flush=True)
            found += on_fresh_server(plan, concurrency, warmup, workdir, args.slow_clients, burst=args.cached_burst)
            f = found[-1]
            print(f"  {f['throughput']:.1f} answers/s ({f['first_throughput']:.1f} first-time); p50/p95/p99 ms: first-time "
                  f"{three(f['first'])}, cached {three(f['cached'])}; {f['overloaded']} overload 503s, {f['errors']} errors"
                  + (f"; cached alone {f['burst']['throughput']:.0f}/s" if "burst" in f else ""), flush=True)
        if args.soak_runs:
            idle()
            print(f"- soak: concurrency {levels[-1]}, {counts[-1]} requests x {args.soak_runs} on one server ...",
                  flush=True)
            soak = on_fresh_server(plan_requests(counts[-1], pool, hot, SEED + levels[-1]), levels[-1], warmup, workdir,
                                   args.slow_clients, args.soak_runs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    inproc = None
    if args.inprocess_rounds:  # on the c=1 level's distinct questions
        idle()
        c1_distinct = pool[:round((counts[levels.index(1)] if 1 in levels else counts[0]) * DISTINCT_SHARE)]
        print(f"- in process (servers stopped): answer() on {len(c1_distinct)} questions ...", flush=True)
        inproc = in_process(c1_distinct, warmup, args.inprocess_rounds)
    info = {"total_s": time.perf_counter() - started - idle.total, "waited_s": idle.total, "index_line": index_line,
            "n_gold": len(gold)}
    publish(SECTION, render(args, facts, found, soak, inproc, info), args)
    return 0 if all(f["errors"] == 0 and f["server_errors"] == 0 for f in found) else 1


if __name__ == "__main__":
    sys.exit(main())
