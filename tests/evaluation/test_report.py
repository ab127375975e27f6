"""The evaluation report a curator reads (evaluation/report.py, templates/report.html): verdicts, words, charts."""

from __future__ import annotations

import json
import re

import pytest

from evaluation import metrics
from evaluation.report import KINDS, METRICS, ReportView, load_previous, plain_reason
from evaluation.runner import SUMMARY_ROWS, Evaluation, QuestionResult, missed_thresholds, summarize, write_report


def result(id_, kind, correct, lang="en", reasons=None, expected="answered", status="answered"):
    return QuestionResult(
        id=id_, question=f"Question {id_}?", kind=kind, lang=lang, expected_status=expected, status=status,
        answer="According to the curated sources: …", quotes=[], correct=correct,
        reasons=reasons if reasons is not None else ([] if correct else ["missing 'NKGB'"]), conflates=False,
        invalid_quotes=0, latency_ms=12.0,
    )


def evaluation(name, results):
    found = Evaluation(name, results)
    found.summary = summarize(results)
    return found


def pair(assistant_results, baseline_results):
    return [evaluation("assistant", assistant_results), evaluation("naive baseline", baseline_results)]


def good_and_weak():
    """Facts 10/10 right; comparisons 9/10 (target met) but the baseline gets 10/10."""
    assistant = [result(f"f{i}", "factual", True) for i in range(10)]
    assistant += [result(f"c{i}", "comparison", i > 0) for i in range(10)]
    baseline = [result(f"f{i}", "factual", i < 5) for i in range(10)] + [result(f"c{i}", "comparison", True) for i in range(10)]
    return pair(assistant, baseline)


# -- words ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reason, sentence", [
    ("status abstained, expected answered", "The assistant declined, but the sources answer this question."),
    ("status answered, expected corrected", "The assistant answered without correcting the mix-up in the question."),
    ("status corrected, expected answered", "The assistant corrected a question that had nothing wrong in it."),
    ("missing 'NKGB'", "Expected the answer to mention “NKGB”."),
    ("missing 'NKGB | State Security'", "Expected the answer to mention “NKGB” or “State Security”."),
    ('missing "Serov\'s"', "Expected the answer to mention “Serov's”."),
    ("contains forbidden 'Beria'", "The answer mentions “Beria”, which a correct answer would not."),
    ("1 quote(s) not verbatim", "1 quote is not word for word from the passage cited."),
    ("2 quote(s) not verbatim", "2 quotes are not word for word from the passage cited."),
    ("cites a passage about another document (conflation)",
     "It quotes a passage about another document than the one asked about (a mix-up of the documents)."),
])
def test_failure_reasons_read_as_sentences(reason, sentence):
    assert plain_reason(reason) == sentence


def test_every_reason_the_metrics_give_has_a_sentence():
    reasons = metrics.accuracy_failures("corrected", ["NKGB", ["a", "b"]], ["Beria"], "abstained", "Beria said")
    assert reasons and all(not plain_reason(r).startswith(r[:1].upper() + r[1:]) for r in reasons)


def test_every_metric_and_kind_has_a_plain_name_and_an_explanation():
    assert {key for key, _, _ in SUMMARY_ROWS} <= set(METRICS)
    assert all(name and len(help_text) > 20 for name, help_text in METRICS.values())
    assert set(KINDS) == {"factual", "comparison", "false_premise", "out_of_scope", "paraphrase", "multilingual"}


# -- verdicts -------------------------------------------------------------------------------------
def test_met_thresholds_are_not_green_while_a_kind_is_below_the_baseline():
    view = ReportView(good_and_weak(), {"accuracy": 0.9}, [], None)
    assert not view.missed
    assert not view.ok
    (weak,) = [row for row in view.kinds if not row.verdict.ok]
    assert weak.key == "comparison" and "below the naive baseline (100.0%)" in weak.verdict.text
    assert view.weak_kinds == ["Comparisons: 90.0% right of 10 questions, below the naive baseline (100.0%)."]


def test_a_kind_below_the_target_is_red_even_without_thresholds():
    evaluations = pair([result("f1", "factual", True), result("o1", "out_of_scope", False)],
                       [result("f1", "factual", False), result("o1", "out_of_scope", False)])
    view = ReportView(evaluations, {}, [], None)
    assert [row.verdict.ok for row in view.kinds] == [True, False]
    assert "below the target of 90%" in view.kinds[1].verdict.text


def test_green_only_when_everything_is_met():
    evaluations = pair([result("f1", "factual", True)], [result("f1", "factual", False)])
    assert ReportView(evaluations, {"accuracy": 0.9}, [], None).ok


# -- the page -------------------------------------------------------------------------------------
@pytest.fixture
def written(tmp_path):
    directory = tmp_path / "report"
    evaluations = good_and_weak()
    thresholds = {"accuracy": 0.99, "conflation_rate": 0.0}
    write_report(evaluations, directory, thresholds, missed_thresholds(evaluations[0].summary, thresholds))
    first = (directory / "report.html").read_text(encoding="utf-8")
    # A second run, one comparison better: the report puts the first run beside it.
    better = good_and_weak()
    better[0].results[10] = result("c0", "comparison", True)
    better[0].summary = summarize(better[0].results)
    write_report(better, directory, thresholds, missed_thresholds(better[0].summary, thresholds))
    return first, (directory / "report.html").read_text(encoding="utf-8"), directory


def test_the_report_says_no_in_red_and_names_what_falls_short(written):
    first, _, _ = written
    assert "All thresholds met" not in first and "Every target is met" not in first
    assert 'class="verdict bad"' in first and "Not every target is met" in first
    assert "Right answers: 95.0%, below the minimum of 99.0%." in first
    assert "accuracy = 0.95 is below the minimum 0.99" in first  # the command's own words stay, for reference
    assert "below the naive baseline" in first


def test_the_report_draws_charts_and_explains_each_figure(written):
    first, _, _ = written
    charts = re.findall(r'<svg class="chart" role="img" aria-labelledby="([\w-]+)-title [\w-]+-desc"', first)
    assert charts == ["chart-kind", "chart-lang"]
    assert "<title id=\"chart-kind-title\">" in first and "Comparisons: assistant 90.0%, baseline 100.0%" in first
    for key, _, _ in SUMMARY_ROWS:
        name, help_text = METRICS[key]
        assert name.replace("“", "&#8220;") in first or name in first
    assert " style=" not in first  # no inline style attributes: the bars are SVG


def test_failures_are_grouped_by_kind_with_sentences(written):
    first, _, _ = written
    assert re.search(r"<summary>Comparisons: 1 wrong</summary>", first)
    assert "Expected the answer to mention “NKGB”." in first


def test_the_previous_run_stands_beside_this_one(written):
    first, second, directory = written
    assert "previous run" not in first.lower().split("<h1>")[1][:400]
    assert "Previous run" in second and "(+10.0 pts)" in second
    previous = load_previous(directory / "results.json")
    assert previous["summary"]["accuracy_by_kind"]["comparison"] == 1.0
    assert json.loads((directory / "results.json").read_text())["evaluations"][0]["summary"]["questions"] == 20


def test_a_missing_or_broken_previous_file_is_no_previous_run(tmp_path):
    assert load_previous(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert load_previous(tmp_path / "bad.json") is None
