"""Every shipped question through the real assistant, with regression floors per question set: CI fails
when a change makes any set worse.

Three sets, kept apart because they mean different things (evaluation/README.md):
- `gold`: the curated gold files, visible while the assistant was built;
- `tune`: independent questions the policy is calibrated on (evaluation/independent/tune);
- `test`: independent questions nothing is tuned on (evaluation/independent/test).
The two guarantees hold on every set: every quote verbatim, no answer quoting a passage about the wrong
document. The other floors are the figures measured when they were set, less one question (so that a
last-digit difference of another CPU's arithmetic cannot flip them), rounded to the point; they may only go up. The
answering targets themselves (85% on test, every language at 80%) are not met yet: `make evaluate`
reports against them.
"""

from __future__ import annotations

import pytest

from evaluation.questions import question_set
from evaluation.runner import evaluate_answerer, missed_thresholds, summarize

GUARANTEES = {"citation_validity": 1.0, "conflation_rate": 0.0}
FLOORS = {  # measured less one question, rounded to the point (docs/calibration.md has the figures)
    "gold": {"accuracy": 0.84, "abstention_recall": 0.60, "false_abstention_rate": 0.05,
             "premise_correction": 0.94, "false_correction_rate": 0.03, "recall_at_5": 0.93},
    # Set again when w17 (test) and w18 (tune) joined (540 questions each), then raised with the known gaps; the
    # false-abstention ceiling moved to 0.05 when w19 (4 of its 32 answerable declined as written) and nine more
    # known gaps came in (tune measured 0.041). Set again when w21 (tune) and w22 (test) joined (660 each): w22,
    # measured as written at 53.3% with 3 of its 33 answerable wrongly corrected, lowered test's figures (accuracy
    # 0.720, false corrections 0.022, false abstentions 0.025 as measured). The recalibration on all 1,081 tune
    # questions after it raised out-of-scope declined on test from 0.587 to 0.625 for false abstentions 0.025 -> 0.031.
    "tune": {"accuracy": 0.79, "abstention_recall": 0.84, "false_abstention_rate": 0.05,
             "premise_correction": 0.75, "false_correction_rate": 0.02, "recall_at_5": 0.90},
    "test": {"accuracy": 0.72, "abstention_recall": 0.61, "false_abstention_rate": 0.04,
             "premise_correction": 0.69, "false_correction_rate": 0.03, "recall_at_5": 0.89},
}


@pytest.fixture(scope="module")
def results_by_set(assistant, gold_questions):
    evaluation = evaluate_answerer("assistant", assistant, assistant.corpus, gold_questions,
                                   retrieve=assistant.retrieve, progress=False)
    set_of = {q.id: question_set(q) for q in gold_questions}
    sets = {"gold": [r for r in evaluation.results if set_of[r.id] == "gold"],
            "tune": [r for r in evaluation.results if set_of[r.id] == "independent" and r.split == "tune"],
            "test": [r for r in evaluation.results if set_of[r.id] == "independent" and r.split == "test"]}
    return {name: summarize(results) for name, results in sets.items()}


@pytest.mark.parametrize("name", list(FLOORS))
def test_no_question_set_regresses(results_by_set, name):
    summary = results_by_set[name]
    assert summary["questions"] >= 290, f"the {name} set lost its questions"
    print(name, {k: summary[k] for k in GUARANTEES | FLOORS[name]})
    assert missed_thresholds(summary, GUARANTEES | FLOORS[name]) == []
