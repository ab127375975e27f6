"""Run gold questions through an answerer, compute the metrics, write the report.

Usage: serov-qa evaluate [--questions FILE ...] [--report DIR] [--fail-under accuracy=0.9,...]
"""

from __future__ import annotations

import json
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from corpus.loader import subject_ids
from evaluation import metrics
from evaluation.questions import DEFAULT_QUESTION_FILES, GoldQuestion, QuestionFileError, load_questions
from evaluation.report import LANGUAGES as REPORT_LANGUAGES
from evaluation.report import METRICS as REPORT_METRICS
from evaluation.report import ReportView, load_previous, plain_reason

# Metrics where lower is better: a threshold is a maximum for these, a minimum for the rest.
LOWER_IS_BETTER = {"conflation_rate", "false_abstention_rate", "false_correction_rate", "latency_p50_ms",
                   "latency_p95_ms"}
RETRIEVAL_DEPTH = 10


@dataclass
class QuestionResult:
    id: str
    question: str
    kind: str
    lang: str
    expected_status: str
    status: str
    answer: str
    quotes: list[dict]
    correct: bool
    reasons: list[str]
    conflates: bool
    invalid_quotes: int
    latency_ms: float
    retrieval_measured: bool = False
    retrieval_rank: int | None = None
    note: str = ""
    split: str = "tune"


@dataclass
class Evaluation:
    name: str
    results: list[QuestionResult] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    splits: dict[str, dict] = field(default_factory=dict)  # the same summary for each split (tune, test)

    def columns(self) -> list[tuple[str, dict]]:
        """(heading, summary) per split when there are several, else the whole."""
        if len(self.splits) > 1:
            return [(f"{self.name} ({split})", summary) for split, summary in self.splits.items()]
        return [(self.name, self.summary)]


def evaluate_answerer(name: str, answerer, corpus, questions: list[GoldQuestion], retrieve=None,
                      progress: bool = True) -> Evaluation:
    """Answer every question; `retrieve(question, k)` (optional) also measures passage retrieval."""
    evaluation = Evaluation(name)
    for gold in tqdm(questions, desc=name, disable=not progress, unit="q"):
        started = time.perf_counter()
        answer = answerer.answer(gold.question)
        latency = (time.perf_counter() - started) * 1000
        expect = gold.expect
        accuracy_reasons = metrics.accuracy_failures(
            expect.status, expect.must_include, expect.must_not_include, answer.status, answer.answer
        )
        extra_reasons = []
        invalid = 0
        for quote in answer.quotes:
            passage = corpus.by_id.get(quote.passage_id)
            if not metrics.quote_is_verbatim(quote.text, passage.text if passage else None):
                invalid += 1
        if invalid:
            extra_reasons.append(f"{invalid} quote(s) not verbatim")
        conflated = metrics.conflates(expect.documents, [q.about for q in answer.quotes])
        if conflated:
            extra_reasons.append("cites a passage about another document (conflation)")
        rank = None
        if retrieve is not None and expect.passages:
            hits = retrieve(gold.question, RETRIEVAL_DEPTH)
            rank = metrics.first_relevant_rank([h.passage.id for h in hits], expect.passages)
        evaluation.results.append(QuestionResult(
            id=gold.id, question=gold.question, kind=gold.kind, lang=gold.lang, expected_status=expect.status,
            status=answer.status, answer=answer.answer, quotes=[q.model_dump() for q in answer.quotes],
            correct=not accuracy_reasons, reasons=accuracy_reasons + extra_reasons, conflates=conflated, invalid_quotes=invalid, latency_ms=latency,
            retrieval_measured=retrieve is not None and bool(expect.passages), retrieval_rank=rank, note=gold.note,
            split=gold.split,
        ))
    evaluation.summary = summarize(evaluation.results)
    evaluation.splits = {split: summarize([r for r in evaluation.results if r.split == split])
                         for split in ("tune", "test") if any(r.split == split for r in evaluation.results)}
    return evaluation


def summarize(results: list[QuestionResult]) -> dict:
    quotes_total = sum(len(r.quotes) for r in results)
    invalid_total = sum(r.invalid_quotes for r in results)
    by_kind, by_lang = defaultdict(list), defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r.correct)
        by_lang[r.lang].append(r.correct)
    ranks = [r.retrieval_rank for r in results if r.retrieval_measured]
    latencies = [r.latency_ms for r in results]
    return {
        "questions": len(results),
        "accuracy": metrics.share([r.correct for r in results]),
        "conflation_rate": metrics.share([r.conflates for r in results]),
        "conflations": sum(r.conflates for r in results),
        "citation_validity": (quotes_total - invalid_total) / quotes_total if quotes_total else 1.0,
        "abstention_recall": metrics.share([r.status == "abstained" for r in results if r.expected_status == "abstained"]),
        "false_abstention_rate": metrics.share(
            [r.status == "abstained" for r in results if r.expected_status != "abstained"]),
        "premise_correction": metrics.share([r.status == "corrected" for r in results if r.expected_status == "corrected"]),
        "false_correction_rate": metrics.share(
            [r.status == "corrected" for r in results if r.expected_status == "answered"]),
        "retrieval_questions": len(ranks),
        "recall_at_1": metrics.recall_at(ranks, 1),
        "recall_at_5": metrics.recall_at(ranks, 5),
        "mrr": metrics.mean_reciprocal_rank(ranks),
        "latency_p50_ms": metrics.percentile(latencies, 50),
        "latency_p95_ms": metrics.percentile(latencies, 95),
        "accuracy_by_kind": {k: metrics.share(v) for k, v in sorted(by_kind.items())},
        "accuracy_by_lang": {k: metrics.share(v) for k, v in sorted(by_lang.items())},
        "count_by_kind": {k: len(v) for k, v in sorted(by_kind.items())},
        "count_by_lang": {k: len(v) for k, v in sorted(by_lang.items())},
    }


# -- thresholds -------------------------------------------------------------------------------
def parse_thresholds(text: str | None) -> dict[str, float]:
    """'accuracy=0.9,conflation_rate=0' -> {'accuracy': 0.9, 'conflation_rate': 0.0}."""
    thresholds: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, _, value = part.partition("=")
        try:
            thresholds[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"bad threshold {part!r}; write name=number, e.g. accuracy=0.9") from None
    return thresholds


def missed_thresholds(summary: dict, thresholds: dict[str, float]) -> list[str]:
    missed = []
    for name, limit in thresholds.items():
        if name not in summary or not isinstance(summary[name], (int, float, type(None))):
            missed.append(f"unknown metric {name!r}")
            continue
        value = summary[name]
        if value is None:
            missed.append(f"{name} was not measured (no question to measure it on)")
            continue
        if (value > limit) if name in LOWER_IS_BETTER else (value < limit):
            relation = "above the maximum" if name in LOWER_IS_BETTER else "below the minimum"
            missed.append(f"{name} = {value:.4g} is {relation} {limit:g}")
    return missed


# -- report -----------------------------------------------------------------------------------
SUMMARY_ROWS = [
    ("accuracy", "Answer accuracy", "pct"),
    ("conflation_rate", "Conflation rate (target 0)", "pct"),
    ("citation_validity", "Quotes verbatim (target 100%)", "pct"),
    ("abstention_recall", "Out-of-scope questions declined", "pct"),
    ("false_abstention_rate", "Answerable questions wrongly declined", "pct"),
    ("premise_correction", "False premises corrected", "pct"),
    ("false_correction_rate", "Answerable questions wrongly corrected", "pct"),
    ("recall_at_1", "Right passage ranked first", "pct"),
    ("recall_at_5", "Right passage in the top 5", "pct"),
    ("mrr", "Mean reciprocal rank", "num"),
    ("latency_p50_ms", "Answer time, median (ms)", "ms"),
    ("latency_p95_ms", "Answer time, 95th percentile (ms)", "ms"),
]


def format_value(value, style: str) -> str:
    if value is None:
        return "n/a"
    if style == "pct":
        return f"{100 * value:.1f}%"
    if style == "ms":
        return f"{value:.1f}"
    return f"{value:.3f}"


def print_summary(evaluations: list[Evaluation], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Evaluation summary")
    table.add_column("metric")
    columns = [column for evaluation in evaluations for column in evaluation.columns()]
    for heading, _ in columns:
        table.add_column(heading, justify="right")
    table.add_row("Questions", *(str(summary["questions"]) for _, summary in columns))
    for key, label, style in SUMMARY_ROWS:
        table.add_row(label, *(format_value(summary.get(key), style) for _, summary in columns))
    console.print(table)
    main = evaluations[0].columns()
    for group in ("kind", "lang"):
        breakdown = Table(title=f"Accuracy by {group} ({evaluations[0].name})")
        breakdown.add_column(group)
        for heading, _ in main:
            breakdown.add_column(f"{heading}: n", justify="right")
            breakdown.add_column("accuracy", justify="right")
        keys = sorted({k for _, summary in main for k in summary[f"accuracy_by_{group}"]})
        for key in keys:
            cells = []
            for _, summary in main:
                count = summary[f"count_by_{group}"].get(key)
                cells += [str(count or 0), format_value(summary[f"accuracy_by_{group}"].get(key), "pct")]
            breakdown.add_row(key, *cells)
        console.print(breakdown)


def write_report(evaluations: list[Evaluation], report_dir: Path, thresholds: dict[str, float], missed: list[str],
                 previous: Path | None = None) -> None:
    """results.json, report.html and junit.xml. The report compares with `previous` (a results.json),
    by default with the results.json this run replaces."""
    report_dir.mkdir(parents=True, exist_ok=True)
    earlier = load_previous(previous if previous is not None else report_dir / "results.json")  # before it is overwritten
    main = evaluations[0]
    payload = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "thresholds": thresholds,
        "missed_thresholds": missed,
        "evaluations": [{"name": e.name, "summary": e.summary, "splits": e.splits,
                         "results": [asdict(r) for r in e.results]} for e in evaluations],
    }
    (report_dir / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    html = environment.get_template("report.html").render(
        view=ReportView(evaluations, thresholds, missed, earlier), evaluations=evaluations, rows=SUMMARY_ROWS,
        fmt=format_value, metrics=REPORT_METRICS, languages=REPORT_LANGUAGES, plain_reason=plain_reason,
        generated_at=payload["generated_at"],
    )
    (report_dir / "report.html").write_text(html, encoding="utf-8")
    _write_junit(main, report_dir / "junit.xml")


def _write_junit(evaluation: Evaluation, path: Path) -> None:
    failures = [r for r in evaluation.results if r.reasons]
    suite = ET.Element("testsuite", name=f"serov-qa gold questions ({evaluation.name})",
                       tests=str(len(evaluation.results)), failures=str(len(failures)),
                       time=f"{sum(r.latency_ms for r in evaluation.results) / 1000:.3f}")
    for r in evaluation.results:
        case = ET.SubElement(suite, "testcase", classname=f"{r.kind}.{r.lang}", name=r.id, time=f"{r.latency_ms / 1000:.4f}")
        if r.reasons:
            failure = ET.SubElement(case, "failure", message="; ".join(r.reasons))
            failure.text = f"Q: {r.question}\nstatus: {r.status}\n{r.answer}"
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def run_cli(load_assistant, settings, question_files, report_dir: Path, fail_under: str | None,
            previous: Path | None = None) -> int:
    """The `serov-qa evaluate` command; returns its exit code. The report compares with `previous` (a
    results.json), by default with the one already in report_dir."""
    from evaluation.baseline import NaiveAnswerer

    console = Console(stderr=True)
    try:
        thresholds = parse_thresholds(fail_under)
    except ValueError as exc:
        console.print(f"error: {exc}")
        return 2
    try:
        # `documents` are checked against the subjects of the corpus this evaluation answers from.
        subjects = subject_ids(settings.corpus_dir) if settings is not None else None
        questions = load_questions(question_files or DEFAULT_QUESTION_FILES, subjects=subjects)
    except QuestionFileError as exc:
        # Plain prints: a console would wrap long file:line lines in CI logs.
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: {len(exc.problems)} problem(s) in the question file(s)", file=sys.stderr)
        return 2
    assistant = load_assistant(settings)
    progress = console.is_terminal
    evaluations = [
        evaluate_answerer("assistant", assistant, assistant.corpus, questions, retrieve=assistant.retrieve,
                          progress=progress),
        evaluate_answerer("naive baseline", NaiveAnswerer(assistant.retriever), assistant.corpus, questions,
                          retrieve=lambda q, k: assistant.retriever.search(q, k=k, use_lexical=False).hits,
                          progress=progress),
    ]
    missed = missed_thresholds(evaluations[0].summary, thresholds)
    write_report(evaluations, report_dir, thresholds, missed, previous)
    print_summary(evaluations, Console())
    print(f"report: {report_dir / 'report.html'}")
    for line in missed:
        print(f"threshold missed: {line}")
    return 1 if missed else 0
