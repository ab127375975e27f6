"""The gold set through the real assistant, with regression floors: CI fails when a change makes it worse.

The floors are the figures measured when they were set (see the closing notes of the
evaluation issue), not the targets of the answering issue: citation validity is
already at its target (100%), the others are below theirs and may only go up.
Curators run `make evaluate` for the full report against the targets.
"""

from __future__ import annotations

from evaluation.runner import evaluate_answerer, missed_thresholds

REGRESSION_FLOORS = {
    "citation_validity": 1.0,  # every quote verbatim: the target, always
    "accuracy": 0.84,
    "conflation_rate": 0.015,  # at most (target 0: not reached yet)
    "abstention_recall": 0.62,
    "false_abstention_rate": 0.05,  # at most
    "premise_correction": 0.90,
    "recall_at_5": 0.95,  # the retrieval issue's target (the assistant's premise-aware search: 0.962)
    "mrr": 0.85,  # the retrieval issue's target (0.879)
}
# The multilingual issue's target, reached: questions in lt, lv, et, ru and de.
MIN_NON_ENGLISH_ACCURACY = 0.85


def test_gold_set_does_not_regress(assistant, gold_questions):
    evaluation = evaluate_answerer("assistant", assistant, assistant.corpus, gold_questions,
                                   retrieve=assistant.retrieve, progress=False)
    summary = evaluation.summary
    print({k: summary[k] for k in REGRESSION_FLOORS})
    assert missed_thresholds(summary, REGRESSION_FLOORS) == []
    non_english = [r.correct for r in evaluation.results if r.lang != "en"]
    assert len(non_english) >= 75
    assert sum(non_english) / len(non_english) >= MIN_NON_ENGLISH_ACCURACY
