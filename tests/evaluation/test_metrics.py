"""The evaluation metrics, summarize() and the thresholds, against hand-computed values."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evaluation import metrics
from evaluation.runner import LOWER_IS_BETTER, QuestionResult, missed_thresholds, parse_thresholds, summarize


# -- accuracy ----------------------------------------------------------------------------------
def test_a_correct_answer_has_no_failures():
    assert metrics.accuracy_failures(
        "answered", ["Serov", ["NKGB", "State Security"]], ["Beria"],
        "answered", "The Serov Instructions were signed by Ivan Serov of the NKGB.",
    ) == []


def test_must_include_ignores_case():
    text = "signed by IVAN SEROV, deputy people's commissar of state security"
    assert metrics.accuracy_failures("answered", ["serov", ["nkgb", "State Security"]], [], "answered", text) == []
    # casefold, not just lower(): "Straße" is found in "STRASSE".
    assert metrics.missing_includes(["Straße"], "AN DER STRASSE") == []


def test_a_nested_list_is_a_set_of_alternatives():
    must_include = [["undated", "no date", "bears no date"], "1941"]
    assert metrics.missing_includes(must_include, "It bears NO DATE; it was written in 1941.") == []
    assert metrics.missing_includes(must_include, "It was written in 1941.") == ["undated | no date | bears no date"]
    assert metrics.missing_includes(must_include, "It is undated.") == ["1941"]
    assert metrics.missing_includes(must_include, "") == ["undated | no date | bears no date", "1941"]


def test_numbers_are_matched_as_text():
    assert metrics.missing_includes([1941, [1939, "October"]], "signed on 11 October 1939, used in 1941") == []


def test_each_reason_is_listed():
    reasons = metrics.accuracy_failures(
        "answered", ["Serov", ["NKGB", "State Security"]], ["Beria", "NKVD"],
        "corrected", "Signed by beria of the nkvd.",
    )
    assert reasons == [
        "status corrected, expected answered",
        "missing 'Serov'",
        "missing 'NKGB | State Security'",
        "contains forbidden 'Beria'",
        "contains forbidden 'NKVD'",
    ]


def test_status_alone_can_fail_an_answer():
    assert metrics.accuracy_failures("abstained", [], [], "answered", "anything") == [
        "status answered, expected abstained"]
    assert metrics.accuracy_failures("abstained", [], [], "abstained", "") == []


def test_forbidden_strings_ignore_case():
    assert metrics.forbidden_present(["Beria", 1939], "lavrentiy BERIA signed it in 1939") == ["Beria", "1939"]
    assert metrics.forbidden_present(["Beria"], "Serov signed it") == []


# -- conflation --------------------------------------------------------------------------------
SEROV, O1223, O54 = "serov_instructions", "order_001223", "order_0054"


@pytest.mark.parametrize(
    ("expected", "cited", "conflates"),
    [
        # A cited passage about another of the three documents, and not about the expected one.
        ([SEROV], [[O1223]], True),
        ([SEROV], [[O54, "context"]], True),
        ([SEROV, "ivan_serov"], [[SEROV, "ivan_serov"], [O1223, "lavrentiy_beria"]], True),
        # The passage is about an expected AND an unexpected document (e.g. one that compares them): fine.
        ([SEROV], [[SEROV, O1223]], False),
        ([O54], [[O54, O1223, SEROV]], False),
        # About an expected subject that is not a document: it still contains one of expect.documents.
        ([O1223, "lavrentiy_beria"], [["lavrentiy_beria", SEROV]], False),
        # Not about any of the three documents: nothing to conflate.
        ([SEROV], [["ivan_serov"], ["june_1941_deportation", "context"]], False),
        ([SEROV], [[]], False),
        # The expected document itself.
        ([SEROV], [[SEROV]], False),
        # No quotes at all.
        ([SEROV], [], False),
        # Nothing expected: any passage about one of the documents is a conflation.
        ([], [[O54]], True),
        ([], [["kersten_committee"]], False),
        # Two documents expected, a passage about the third.
        ([SEROV, O1223], [[O54]], True),
        ([SEROV, O1223], [[O1223], [SEROV]], False),
    ],
)
def test_conflates(expected, cited, conflates):
    assert metrics.conflates(expected, cited) is conflates


def test_conflates_accepts_any_iterables():
    assert metrics.conflates((SEROV,), iter([(O1223,)])) is True
    assert metrics.conflates({SEROV}, [frozenset({SEROV, O1223})]) is False


# -- citations ---------------------------------------------------------------------------------
PASSAGE = "The Serov Instructions were signed by Ivan Serov. Ivan Serov was deputy head of the NKGB."


@pytest.mark.parametrize(
    ("quote", "passage", "verbatim"),
    [
        ("Ivan Serov was deputy head of the NKGB.", PASSAGE, True),
        (PASSAGE, PASSAGE, True),
        ("ivan serov was deputy head of the NKGB.", PASSAGE, False),  # case matters
        ("Ivan Serov was deputy head of the NKGB.", PASSAGE.replace("deputy head", "deputy  head"), False),
        ("Ivan Serov was the deputy head of the NKGB.", PASSAGE, False),
        ("", PASSAGE, False),  # an empty quote cites nothing
        ("Ivan Serov", None, False),  # unknown passage
    ],
)
def test_quote_is_verbatim(quote, passage, verbatim):
    assert metrics.quote_is_verbatim(quote, passage) is verbatim


# -- shares, ranks, percentiles ----------------------------------------------------------------
def test_share():
    assert metrics.share([]) is None
    assert metrics.share([True, False, True, True]) == 0.75
    assert metrics.share([False]) == 0.0


def test_first_relevant_rank():
    assert metrics.first_relevant_rank(["a", "b", "c"], ["c", "b"]) == 2
    assert metrics.first_relevant_rank(["a", "b", "c"], {"a"}) == 1
    assert metrics.first_relevant_rank(["a", "b"], ["z"]) is None
    assert metrics.first_relevant_rank([], ["a"]) is None


def test_recall_at():
    ranks = [1, 3, None, 6]
    assert metrics.recall_at(ranks, 1) == 0.25
    assert metrics.recall_at(ranks, 3) == 0.5
    assert metrics.recall_at(ranks, 5) == 0.5
    assert metrics.recall_at(ranks, 6) == 0.75
    assert metrics.recall_at(ranks, 10) == 0.75
    assert metrics.recall_at([], 5) is None


def test_mean_reciprocal_rank():
    assert metrics.mean_reciprocal_rank([1, 2, None, 4]) == pytest.approx((1 + 1 / 2 + 0 + 1 / 4) / 4)
    assert metrics.mean_reciprocal_rank([None, None]) == 0.0
    assert metrics.mean_reciprocal_rank([3]) == pytest.approx(1 / 3)
    assert metrics.mean_reciprocal_rank([]) is None


def test_percentile_by_hand():
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5
    assert metrics.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert metrics.percentile([10, 20, 30, 40, 100], 95) == pytest.approx(88.0)
    assert metrics.percentile([7.5], 95) == 7.5
    assert metrics.percentile([], 50) is None


@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(q):
    rng = random.Random(q)
    for size in (1, 2, 3, 10, 101):
        values = [rng.uniform(0, 1000) for _ in range(size)]
        assert metrics.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
        assert isinstance(metrics.percentile(values, q), float)


# -- summarize ---------------------------------------------------------------------------------
def result(id, kind, lang, expected, status, correct, *, quotes=0, invalid=0, conflates=False, latency=1.0,
           measured=False, rank=None) -> QuestionResult:
    return QuestionResult(
        id=id, question=f"question {id}?", kind=kind, lang=lang, expected_status=expected, status=status,
        answer="...", quotes=[{"text": "..."}] * quotes, correct=correct, reasons=[] if correct else ["wrong"],
        conflates=conflates, invalid_quotes=invalid, latency_ms=latency, retrieval_measured=measured,
        retrieval_rank=rank,
    )


def test_summarize_by_hand():
    results = [
        result("r1", "factual", "en", "answered", "answered", True, quotes=2, latency=10, measured=True, rank=1),
        result("r2", "factual", "en", "answered", "abstained", False, latency=20, measured=True, rank=None),
        result("r3", "false_premise", "en", "corrected", "corrected", True, quotes=1, invalid=1, latency=30,
               measured=True, rank=3),
        result("r4", "out_of_scope", "lt", "abstained", "abstained", True, latency=40),
        result("r5", "out_of_scope", "en", "abstained", "answered", False, quotes=1, conflates=True, latency=100),
    ]
    summary = summarize(results)
    assert summary == {
        "questions": 5,
        "accuracy": pytest.approx(3 / 5),
        "conflation_rate": pytest.approx(1 / 5),
        "conflations": 1,
        "citation_validity": pytest.approx(3 / 4),  # 4 quotes, 1 not verbatim
        "abstention_recall": pytest.approx(1 / 2),  # r4 declined, r5 answered
        "false_abstention_rate": pytest.approx(1 / 3),  # r2 of r1, r2, r3
        "premise_correction": pytest.approx(1.0),  # r3
        "false_correction_rate": pytest.approx(0.0),  # neither r1 nor r2 corrected
        "retrieval_questions": 3,  # r1, r2 (not found), r3
        "recall_at_1": pytest.approx(1 / 3),
        "recall_at_5": pytest.approx(2 / 3),
        "mrr": pytest.approx((1 + 0 + 1 / 3) / 3),
        "latency_p50_ms": pytest.approx(30.0),
        "latency_p95_ms": pytest.approx(88.0),  # 40 + 0.8 * (100 - 40)
        "accuracy_by_kind": {"factual": 0.5, "false_premise": 1.0, "out_of_scope": 0.5},
        "accuracy_by_lang": {"en": 0.5, "lt": 1.0},
        "count_by_kind": {"factual": 2, "false_premise": 1, "out_of_scope": 2},
        "count_by_lang": {"en": 4, "lt": 1},
    }


def test_summarize_with_nothing_to_count():
    summary = summarize([result("r1", "factual", "en", "answered", "answered", True)])
    assert summary["citation_validity"] == 1.0  # no quotes: nothing invalid
    assert summary["abstention_recall"] is None
    assert summary["premise_correction"] is None
    assert summary["false_abstention_rate"] == 0.0
    assert summary["retrieval_questions"] == 0
    assert summary["recall_at_5"] is None and summary["mrr"] is None

    empty = summarize([])
    assert empty["questions"] == 0
    assert empty["accuracy"] is None and empty["conflation_rate"] is None
    assert empty["latency_p50_ms"] is None and empty["latency_p95_ms"] is None
    assert empty["accuracy_by_kind"] == {} and empty["count_by_lang"] == {}


# -- thresholds --------------------------------------------------------------------------------
def test_parse_thresholds():
    assert parse_thresholds("accuracy=0.9,conflation_rate=0") == {"accuracy": 0.9, "conflation_rate": 0.0}
    assert parse_thresholds(" accuracy = 0.9 , citation_validity=1, ") == {"accuracy": 0.9, "citation_validity": 1.0}
    assert parse_thresholds("latency_p95_ms=250") == {"latency_p95_ms": 250.0}
    assert parse_thresholds("") == {}
    assert parse_thresholds(None) == {}


@pytest.mark.parametrize("text", ["accuracy", "accuracy=", "accuracy=high", "accuracy=0.9,conflation_rate"])
def test_parse_thresholds_rejects_malformed_parts(text):
    with pytest.raises(ValueError, match="bad threshold"):
        parse_thresholds(text)


SUMMARY = {
    "accuracy": 0.8,
    "citation_validity": 1.0,
    "conflation_rate": 0.1,
    "false_abstention_rate": 0.02,
    "latency_p50_ms": 40.0,
    "latency_p95_ms": 500.0,
    "abstention_recall": None,
    "questions": 300,
    "accuracy_by_kind": {"factual": 0.9},
}


def test_lower_is_better_metrics():
    assert LOWER_IS_BETTER == {"conflation_rate", "false_abstention_rate", "false_correction_rate", "latency_p50_ms",
                               "latency_p95_ms"}


@pytest.mark.parametrize(
    ("thresholds", "missed"),
    [
        ({}, []),
        ({"accuracy": 0.9}, ["accuracy = 0.8 is below the minimum 0.9"]),
        ({"accuracy": 0.8}, []),  # a minimum that is met exactly
        ({"accuracy": 0.5, "citation_validity": 1}, []),
        # Lower is better: the threshold is a maximum.
        ({"conflation_rate": 0}, ["conflation_rate = 0.1 is above the maximum 0"]),
        ({"conflation_rate": 0.1}, []),
        ({"conflation_rate": 0.5}, []),
        ({"false_abstention_rate": 0.05}, []),
        ({"false_abstention_rate": 0.01}, ["false_abstention_rate = 0.02 is above the maximum 0.01"]),
        ({"latency_p95_ms": 1000}, []),
        ({"latency_p95_ms": 250}, ["latency_p95_ms = 500 is above the maximum 250"]),
        ({"latency_p50_ms": 40}, []),
        # An unmeasured metric (None) cannot be shown to meet its threshold: it misses.
        ({"abstention_recall": 0.9}, ["abstention_recall was not measured (no question to measure it on)"]),
        # Names that are not numeric metrics of the summary.
        ({"nonsense": 1}, ["unknown metric 'nonsense'"]),
        ({"accuracy_by_kind": 0.5}, ["unknown metric 'accuracy_by_kind'"]),
        # Every miss is listed, in the order given.
        ({"conflation_rate": 0, "accuracy": 0.95, "questions": 100},
         ["conflation_rate = 0.1 is above the maximum 0", "accuracy = 0.8 is below the minimum 0.95"]),
    ],
)
def test_missed_thresholds(thresholds, missed):
    assert missed_thresholds(SUMMARY, thresholds) == missed


def test_parsed_thresholds_feed_missed_thresholds():
    thresholds = parse_thresholds("accuracy=0.9,conflation_rate=0,latency_p95_ms=600")
    assert missed_thresholds(SUMMARY, thresholds) == [
        "accuracy = 0.8 is below the minimum 0.9",
        "conflation_rate = 0.1 is above the maximum 0",
    ]
