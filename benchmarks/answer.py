"""What answering adds over retrieval alone: answer() latency beside retrieve() latency, in one process and one run.

What: loads the assistant once with the default settings (`Settings()`, so the index in var/index,
built first if it is missing or stale), warms it up with untimed passes over all the gold questions
(evaluation/questions.yaml and questions-multilingual.yaml, via `evaluation.questions.load_questions`),
then, for R rounds, times for each gold question:
  (a) retrieval alone, `Assistant.retrieve(question, 10)`: question check, language detection, subject
      detection, encoding and the hybrid search (dense + BM25 + fusion), as the retrieval metrics run it;
  (b) the whole answer, `Assistant.answer(question)`;
  (c) `Assistant.analyze(question)`, the part of (b) that decides the answer (retrieval with the answer's own
      parameters, premise check, sentence ranking, evidence), to split (b) - (a) into two parts.
The three calls of one question run back to back, in an order that rotates through all six orders, so
a slow moment of the machine hits them alike and no call always runs first. It reports p50/p95 of each
and of the per-question difference answer - retrieval (per question and round), for all questions,
English and non-English ones (the gold file's `lang`) and each answer status, plus the resident memory after loading.
Assistant.answer is called directly: the server's answer cache (server/answers.py) is not involved.

Why: the target is "answering adds at most 5 ms p50 over retrieval" (p50 of the per-question
difference, all questions); the figures go into docs/performance.md between <!-- answer:start -->
and <!-- answer:end -->, leaving the other sections alone.

Usage: python benchmarks/answer.py [--rounds 3] [--warmup-passes 1] [--wait-for-idle 0] [--output docs/performance.md] [--no-write]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT, report_header, CpuWatch, ensure_project_on_path, facts_line, fmt_ms, fmt_seconds, machine_facts, markdown_table,
    peak_rss_mb, rss_mb, summarize, wait_for_idle, write_section,
)

ensure_project_on_path()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

SECTION = "answer"
TARGET_MS = 5.0  # answer - retrieval, p50, all questions
RETRIEVE_K = 10
CALLS = ("retrieve", "analyze", "answer")
ORDERS = list(itertools.permutations(range(len(CALLS))))
STATUSES = ("answered", "corrected", "abstained")


def load(args: argparse.Namespace):
    from assistant import load_assistant
    from config.settings import Settings

    settings = Settings()
    rss_start = rss_mb()
    started = time.perf_counter()
    assistant = load_assistant(settings.corpus_dir, settings.index_dir, settings.model, settings.multilingual_model)
    load_s = time.perf_counter() - started
    return settings, assistant, load_s, rss_start, rss_mb()


def measure(assistant, questions: list, rounds: int, warmup_passes: int) -> tuple[dict, dict, float, float]:
    """Times per call name: an array [round, question] of seconds. Also the first answers, the warm-up time and the
    share of the CPUs other processes used during the timed rounds."""
    calls = {
        "retrieve": lambda q: assistant.retrieve(q, RETRIEVE_K),
        "analyze": assistant.analyze,
        "answer": assistant.answer,
    }
    texts = [q.question for q in questions]
    first_answers = {}
    started = time.perf_counter()
    for _ in range(warmup_passes):  # every word cache, lazily built structure and code path warm, as in a running server
        for q, text in zip(questions, texts):
            calls["retrieve"](text)
            calls["analyze"](text)
            first_answers.setdefault(q.id, calls["answer"](text))
    if not first_answers:
        first_answers = {q.id: calls["answer"](t) for q, t in zip(questions, texts)}
    warmup_s = time.perf_counter() - started
    times = {name: np.zeros((rounds, len(texts))) for name in CALLS}
    functions = [calls[name] for name in CALLS]
    clock = time.perf_counter
    watch = CpuWatch().start()
    for r in range(rounds):
        for i, text in enumerate(texts):
            for c in ORDERS[(r * len(texts) + i) % len(ORDERS)]:
                t0 = clock()
                functions[c](text)
                times[CALLS[c]][r, i] = clock() - t0
        print(f"  round {r + 1}/{rounds}: answer p50 {fmt_ms(np.median(times['answer'][r]) * 1000)} ms, "
              f"retrieve p50 {fmt_ms(np.median(times['retrieve'][r]) * 1000)} ms", flush=True)
    return times, first_answers, warmup_s, watch.stop()


def group_rows(questions: list, answers: dict, times: dict) -> list[tuple[str, dict]]:
    groups = [("all", [True] * len(questions)),
              ("English", [q.lang == "en" for q in questions]),
              ("non-English", [q.lang != "en" for q in questions])]
    groups += [(f"status {s}", [answers[q.id].status == s for q in questions]) for s in STATUSES]
    rows = []
    for label, mask in groups:
        mask = np.asarray(mask)
        if not mask.any():
            continue
        sel = {name: times[name][:, mask].ravel() for name in CALLS}
        rows.append((label, {
            "questions": int(mask.sum()),
            "retrieve": summarize(sel["retrieve"]),
            "analyze": summarize(sel["analyze"]),
            "answer": summarize(sel["answer"]),
            "diff": summarize(sel["answer"] - sel["retrieve"]),
            "analyze-retrieve": summarize(sel["analyze"] - sel["retrieve"]),
            "answer-analyze": summarize(sel["answer"] - sel["analyze"]),
        }))
    return rows


def pair(s: dict) -> str:
    return f"{fmt_ms(s['p50'])} / {fmt_ms(s['p95'])}"


def render(command: str, facts: dict, info: dict, rows: list, slowest: list, args: argparse.Namespace) -> str:
    overall = rows[0][1]
    diff_p50 = overall["diff"]["p50"]
    verdict = "PASS" if diff_p50 <= TARGET_MS else "FAIL"
    table = markdown_table(
        ["questions", "n", "(a) retrieve(q, 10)", "(b) answer(q)", "answer - retrieve", "(c) analyze(q)",
         "analyze - retrieve", "answer - analyze"],
        [[label, f"{r['questions']} x {args.rounds}", pair(r["retrieve"]), pair(r["answer"]), pair(r["diff"]),
          pair(r["analyze"]), pair(r["analyze-retrieve"]), pair(r["answer-analyze"])] for label, r in rows],
    )
    slow = markdown_table(
        ["question id", "lang", "status", "answer - retrieve, median over rounds (ms)", "question"],
        [[qid, lang, status, fmt_ms(ms), text[:90]] for qid, lang, status, ms, text in slowest], align="lllrl",
    )
    busy = info["others_cpu_share"]
    busy_note = (f"**Other processes used {busy * 100:.0f}% of the CPUs during the timed rounds, so the timings are "
                 "inflated accordingly.**" if busy > 0.10 else
                 f"Other processes used {busy * 100:.0f}% of the CPUs during the timed rounds.")
    lines = [
        *report_header("## Answer latency beside retrieval", command, facts, info["total_s"], info["waited_s"]),
        "### Target",
        "",
        f"- Answering adds at most {TARGET_MS:.0f} ms p50 over retrieval: p50 of answer - retrieve per question, "
        f"all {overall['questions']} gold questions x {args.rounds} rounds = {fmt_ms(diff_p50)} ms: **{verdict}**",
        "",
        "### Latency, ms (p50 / p95)",
        "",
        table,
        "",
        f"Memory: RSS {info['rss_loaded']:.0f} MB once the assistant is loaded ({info['rss_start']:.0f} MB before "
        f"loading); peak RSS of the process over the whole run {info['peak_rss']:.0f} MB. Loading took "
        f"{fmt_seconds(info['load_s'])}.",
        "",
        "### Slowest answers relative to their retrieval",
        "",
        slow,
        "",
        "### Notes",
        "",
        "- `Assistant.answer` is called directly, in process: **the server's answer cache is not involved** "
        "(every call runs the whole pipeline), nor HTTP; see the load section for those.",
        f"- (a) is `Assistant.retrieve(question, {RETRIEVE_K})`: question check, language detection, subject detection and "
        "premise check (the search plan: which documents are allowed, which boosted), query encoding in the language's "
        "dense space(s), dense + BM25 search and fusion. (b) is `Assistant.answer(question)`. (c) is "
        "`Assistant.analyze(question)`, which (b) calls first: it runs the same steps with k=6, then ranks the "
        "sentences of the top passages (a comparison may search again, with the same query vectors, for a compared "
        "document they miss). So analyze - retrieve is sentence ranking + evidence, answer - analyze is choosing, "
        "quoting and composing the answer.",
        f"- Each of the {overall['questions']} questions is timed once per round for {args.rounds} rounds; the three "
        "calls of a question run back to back in an order rotating through all six orders; a difference is taken "
        "between calls of the same question in the same round, and the percentiles are over all question x round "
        f"samples. Before timing, {args.warmup_passes} untimed pass(es) over all questions warmed the process (word "
        "caches of the stemmer and of the fuzzy subject matcher included, so words seen for the first time cost a little "
        "more than these figures show, in retrieval and answer alike).",
        f"- Groups: English / non-English by the gold file's `lang`; status is the answer's status. Dense spaces "
        f"searched (`Assistant.spaces_for`): English {' + '.join(info['spaces_en'])}, other languages "
        f"{' + '.join(info['spaces_other'])}; each space encodes the question with its own model, which is why English "
        f"questions cost more. Torch threads: {info['torch_threads']} (as `load_assistant` sets them). {busy_note}",
    ]
    if verdict == "FAIL":
        parts = {"premise check + sentence ranking (analyze - retrieve)": overall["analyze-retrieve"]["p50"],
                 "choosing and composing (answer - analyze)": overall["answer-analyze"]["p50"]}
        worst = max(parts, key=parts.get)
        lines.append(f"- The target is missed; the larger part of the difference is {worst}: "
                     f"{fmt_ms(parts[worst])} ms p50.")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over all gold questions (default: %(default)s)")
    parser.add_argument("--warmup-passes", type=int, default=1,
                        help="untimed passes over all questions before timing (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=0, help="time only the first N gold questions, 0 = all (default: %(default)s)")
    parser.add_argument("--wait-for-idle", type=float, default=0, metavar="SECONDS",
                        help="before timing, wait up to this long for the CPUs to be < 10%% busy over 10 s; 0 = do not wait")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md", help="markdown file to update (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write the markdown file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/answer.py", *(sys.argv[1:] if argv is None else argv)])
    if os.nice(0):  # run at another CPU priority (e.g. on a shared machine): say so
        command = f"nice -n {os.nice(0)} {command}"
    facts = machine_facts(("torch", "sentence-transformers", "faiss-cpu", "bm25s", "numpy"))
    print(f"{command}\n{facts_line(facts)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started = time.perf_counter()

    from evaluation.questions import load_questions

    questions = load_questions()
    if args.limit:
        questions = questions[: args.limit]
    print("- loading the assistant (default settings) ...", flush=True)
    settings, assistant, load_s, rss_start, rss_loaded = load(args)
    print(f"  loaded in {load_s:.1f} s from {settings.index_dir}; RSS {rss_loaded:.0f} MB", flush=True)
    import torch

    waited_s = 0.0
    if args.wait_for_idle:
        waited_s = wait_for_idle(args.wait_for_idle)
        print(f"  waited {waited_s:.0f} s for idle CPUs", flush=True)
    print(f"- {len(questions)} questions: {args.warmup_passes} warm-up pass(es), then {args.rounds} timed rounds ...", flush=True)
    times, answers, warmup_s, others = measure(assistant, questions, args.rounds, args.warmup_passes)
    rows = group_rows(questions, answers, times)
    per_question = np.median(times["answer"] - times["retrieve"], axis=0) * 1000
    order = np.argsort(-per_question)[:8]
    slowest = [(questions[i].id, questions[i].lang, answers[questions[i].id].status, float(per_question[i]),
                questions[i].question) for i in order]
    info = {
        "load_s": load_s, "rss_start": rss_start, "rss_loaded": rss_loaded, "peak_rss": peak_rss_mb(),
        "torch_threads": torch.get_num_threads(), "others_cpu_share": others, "waited_s": waited_s,
        "spaces_en": assistant.spaces_for("en"), "spaces_other": assistant.spaces_for("de"),
        "total_s": time.perf_counter() - started - waited_s, "warmup_s": warmup_s,
    }
    section = render(command, facts, info, rows, slowest, args)
    print("\n" + section)
    if not args.no_write:
        path = write_section(SECTION, section, args.output)
        print(f"\nwrote the '{SECTION}' section of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
