"""A deliberately bad answerer scores badly, and the report files are written and well-formed.

The naive baseline (evaluation/baseline.py) quotes the top dense passage for every question: it never
declines and never corrects, so the metrics must show it. The real assistant's own scores are checked
elsewhere; here it only supplies the retriever.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from corpus import DEFAULT_CORPUS_DIR
from evaluation.baseline import NaiveAnswerer
from evaluation.runner import (
    SUMMARY_ROWS,
    evaluate_answerer,
    missed_thresholds,
    parse_thresholds,
    run_cli,
    summarize,
    write_report,
)

REPORT_SUBSET = 30
METRIC_KEYS = {key for key, _, _ in SUMMARY_ROWS} | {
    "questions", "conflations", "retrieval_questions", "accuracy_by_kind", "accuracy_by_lang", "count_by_kind",
    "count_by_lang",
}


class PrecomputedQueries:
    """The session's retriever, with the gold questions' query vectors encoded once in a batch (see conftest)."""

    def __init__(self, retriever, vectors: dict):
        self._retriever = retriever
        self._vectors = vectors
        self.corpus = retriever.corpus

    def search(self, question: str, k: int = 10, **options):
        if "query_vectors" not in options and question in self._vectors:
            options["query_vectors"] = {self._retriever.lead: self._vectors[question]}
        return self._retriever.search(question, k, **options)


@pytest.fixture(scope="module")
def naive(assistant, gold_questions, gold_query_vectors) -> NaiveAnswerer:
    vectors = gold_query_vectors.get(assistant.retriever.lead, [q.question for q in gold_questions])
    return NaiveAnswerer(PrecomputedQueries(assistant.retriever, vectors))


@pytest.fixture(scope="module")
def baseline(naive, assistant, gold_questions):
    return evaluate_answerer("naive baseline", naive, assistant.corpus, gold_questions, progress=False)


# -- the baseline is bad ---------------------------------------------------------------------------
def test_the_baseline_always_answers_with_one_verbatim_passage(baseline, gold_questions):
    assert len(baseline.results) == len(gold_questions)
    assert {r.status for r in baseline.results} == {"answered"}
    assert all(len(r.quotes) == 1 for r in baseline.results)
    assert baseline.summary["citation_validity"] == 1.0  # it fails for what it says, not for misquoting


def test_the_baseline_conflates_documents(baseline):
    assert baseline.summary["conflations"] > 0
    assert baseline.summary["conflation_rate"] > 0
    conflated = [r for r in baseline.results if r.conflates]
    assert all("conflation" in " ".join(r.reasons) for r in conflated)


def test_the_baseline_never_declines_and_never_corrects(baseline):
    assert baseline.summary["abstention_recall"] == 0
    assert baseline.summary["premise_correction"] == 0
    assert baseline.summary["false_abstention_rate"] == 0
    assert baseline.summary["accuracy_by_kind"]["out_of_scope"] == 0
    assert baseline.summary["accuracy_by_kind"]["false_premise"] == 0


# -- the report ------------------------------------------------------------------------------------
class BalancedTags(HTMLParser):
    """Checks that every non-void element is closed, in order."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.errors: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.open[-1] if self.open else None}> at {self.getpos()}")
            return
        self.open.pop()


@pytest.fixture(scope="module")
def report(tmp_path_factory, naive, assistant, gold_questions):
    """write_report over the first questions, with retrieval measured and thresholds that are missed."""
    subset = gold_questions[:REPORT_SUBSET]
    evaluation = evaluate_answerer(
        "naive baseline", naive, assistant.corpus, subset, progress=False,
        retrieve=lambda question, k: naive.retriever.search(question, k=k, use_lexical=False).hits,
    )
    thresholds = parse_thresholds("accuracy=0.99,conflation_rate=0,citation_validity=1")
    missed = missed_thresholds(evaluation.summary, thresholds)
    directory = tmp_path_factory.mktemp("report")
    write_report([evaluation], directory, thresholds, missed)
    return directory, evaluation, thresholds, missed


def test_the_report_files_are_written(report):
    directory, *_ = report
    assert sorted(p.name for p in directory.iterdir()) == ["junit.xml", "report.html", "results.json"]


def test_results_json(report, gold_questions):
    directory, evaluation, thresholds, missed = report
    payload = json.loads((directory / "results.json").read_text(encoding="utf-8"))
    assert payload["thresholds"] == thresholds
    assert payload["missed_thresholds"] == missed
    assert any(line.startswith("accuracy = ") for line in missed)
    assert payload["generated_at"].endswith("Z")
    (entry,) = payload["evaluations"]
    assert entry["name"] == "naive baseline"
    summary = entry["summary"]
    assert METRIC_KEYS <= set(summary)
    assert summary["questions"] == REPORT_SUBSET
    assert summary == json.loads(json.dumps(summarize(evaluation.results)))
    assert summary["retrieval_questions"] == sum(bool(q.expect.passages) for q in gold_questions[:REPORT_SUBSET]) > 0
    assert [r["id"] for r in entry["results"]] == [q.id for q in gold_questions[:REPORT_SUBSET]]
    first = entry["results"][0]
    assert {"question", "status", "answer", "quotes", "correct", "reasons", "conflates", "latency_ms",
            "retrieval_rank"} <= set(first)


def test_junit_xml(report, gold_questions):
    directory, evaluation, *_ = report
    suite = ET.parse(directory / "junit.xml").getroot()
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert len(cases) == REPORT_SUBSET == int(suite.get("tests"))
    subset = gold_questions[:REPORT_SUBSET]
    assert [c.get("name") for c in cases] == [q.id for q in subset]
    assert [c.get("classname") for c in cases] == [f"{q.kind}.{q.lang}" for q in subset]
    failing = {r.id: r for r in evaluation.results if r.reasons}
    assert int(suite.get("failures")) == len(failing) > 0
    for case in cases:
        failures = case.findall("failure")
        if case.get("name") in failing:
            (failure,) = failures
            assert failure.get("message") == "; ".join(failing[case.get("name")].reasons)
            assert failure.text.startswith("Q: ")
        else:
            assert failures == []
        assert float(case.get("time")) >= 0


def test_report_html(report):
    directory, evaluation, _, missed = report
    html = (directory / "report.html").read_text(encoding="utf-8")
    checker = BalancedTags()
    checker.feed(html)
    checker.close()
    assert checker.errors == []
    assert checker.open == []
    assert {"html", "head", "body", "table"} <= checker.seen
    for line in missed:
        assert line in html
    for result in evaluation.results:
        if result.reasons:
            assert result.id in html


# -- run_cli (the `serov-qa evaluate` command) --------------------------------------------------------
class StandIn:
    """What run_cli needs of a loaded Assistant, answering like the naive baseline (fast: cached query vectors).

    These tests are about the command's exit codes and report, not about the answers.
    """

    def __init__(self, naive: NaiveAnswerer):
        self.corpus = naive.corpus
        self.retriever = naive.retriever
        self.answer = naive.answer

    def retrieve(self, question: str, k: int = 10):
        return self.retriever.search(question, k).hits


@pytest.fixture(scope="module")
def small_question_file(tmp_path_factory, gold_questions) -> Path:
    path = tmp_path_factory.mktemp("questions") / "five.yaml"
    path.write_text(yaml.safe_dump([q.model_dump() for q in gold_questions[:5]], allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("fail_under", "code"), [("accuracy=1.01", 1), ("conflation_rate=1,citation_validity=0", 0)])
def test_run_cli_exit_code_follows_the_thresholds(naive, small_question_file, tmp_path, capsys, fail_under, code):
    report_dir = tmp_path / "report"
    loaded = []

    def load(settings):
        loaded.append(settings)
        return StandIn(naive)

    settings = SimpleNamespace(corpus_dir=DEFAULT_CORPUS_DIR)  # run_cli checks `documents` against its subjects
    assert run_cli(load, settings, [small_question_file], report_dir, fail_under) == code
    assert loaded == [settings]
    out = capsys.readouterr().out
    assert ("threshold missed: accuracy = " in out) is (code == 1)
    assert f"report: {report_dir / 'report.html'}" in out
    payload = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in payload["evaluations"]] == ["assistant", "naive baseline"]
    assert payload["thresholds"] == parse_thresholds(fail_under)
    assert bool(payload["missed_thresholds"]) is (code == 1)
    assert len(ET.parse(report_dir / "junit.xml").getroot().findall("testcase")) == 5


def never_load(settings):
    raise AssertionError("the pipeline must not be loaded")


def test_run_cli_exits_2_before_loading_anything(tmp_path, small_question_file):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: q1\n  kind: factual\n", encoding="utf-8")
    assert run_cli(never_load, None, [bad], tmp_path / "report", None) == 2
    assert run_cli(never_load, None, [small_question_file], tmp_path / "report", "accuracy") == 2
    assert not (tmp_path / "report").exists()
