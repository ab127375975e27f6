"""The calibration's pure pieces: the threshold search and the held-out (by batch) accuracy of the decision."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.calibrate import MAX_FALSE_ABSTENTION, _best_pair, _threshold, held_out_accuracy
from evaluation.questions import GoldQuestion, batch_of, question_set


def _question(qid: str) -> GoldQuestion:
    return GoldQuestion(id=qid, question="q?", kind="factual", lang="en",
                        expect={"status": "answered", "documents": [], "must_include": [], "must_not_include": []})


def test_a_batch_is_the_writer_file_or_the_gold_set():
    assert batch_of(_question("w3-017")) == "w3" and question_set(_question("w3-017")) == "independent"
    assert batch_of(_question("w10-001")) == "w10"
    assert batch_of(_question("serov-signer")) == "gold" and question_set(_question("serov-signer")) == "gold"
    assert batch_of(_question("what-1")) == "gold"  # a 'w' but no writer number


def test_the_threshold_declines_no_more_answerable_weight_than_allowed():
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.6])
    labels = np.array([True, True, True, False, False, True])
    useful = labels.copy()
    weights = np.ones(6)
    threshold, accuracy, false_abstention = _threshold(p, labels, useful, weights)
    # Every answerable question is above 0.6 and every out-of-scope one below 0.3: anything in between is perfect;
    # the lowest such threshold is chosen.
    assert 0.3 < threshold <= 0.6 and accuracy == pytest.approx(1.0) and false_abstention == 0.0
    # An answerable question at 0.1: declining it would exceed the limit, so the threshold stays below it.
    p[5] = 0.1
    threshold, accuracy, false_abstention = _threshold(p, labels, useful, weights)
    assert threshold <= 0.1 and false_abstention <= MAX_FALSE_ABSTENTION
    assert accuracy == pytest.approx(4 / 6)


def test_the_pair_of_thresholds_gains_most_within_the_limit_and_ties_go_to_the_stricter():
    # (expected status, closeness, margin): two out-of-scope questions close to a gap, one answerable one near it.
    cases = [("abstained", 0.95, 0.10), ("abstained", 0.93, 0.04), ("answered", 0.94, 0.02), ("answered", 0.80, -0.1)]
    weights = np.ones(4)

    def fires(case, above, margin):
        return case[1] >= above and case[2] >= margin

    # Allowed to decline no answerable weight: the answerable one at margin 0.02 must stay out, so margin > 0.02;
    # of the pairs that keep both out-of-scope ones, the strictest (above 0.93, margin 0.04).
    assert _best_pair(cases, weights, (0.9, 0.93, 0.96), (0.0, 0.03, 0.04, 0.1), fires, "abstained", 0.0) == (2.0, 0.93, 0.04)
    # Allowed half the answerable weight, the gain is the same (2 - 0 beats 2 - 1), so the pair is too.
    assert _best_pair(cases, weights, (0.9, 0.93, 0.96), (0.0, 0.03, 0.04, 0.1), fires, "abstained", 0.5)[0] == 2.0
    # No pair within the limit at all.
    assert _best_pair([("answered", 0.99, 0.5)], np.ones(1), (0.9,), (0.0,), fires, "abstained", 0.0) is None


def test_held_out_accuracy_is_measured_on_batches_the_fit_did_not_see():
    rng = np.random.default_rng(0)
    # One informative feature, one noise feature; three batches.
    n = 300
    labels = rng.random(n) < 0.7
    informative = np.where(labels, rng.normal(1.0, 0.5, n), rng.normal(-1.0, 0.5, n))
    matrix = np.column_stack([informative, rng.normal(0, 1, n)])
    batches = np.array(["gold", "w1", "w2"] * (n // 3))
    weights, useful = np.ones(n), labels.copy()
    separable = held_out_accuracy(matrix, labels, useful, weights, batches, 1.0)
    assert separable > 0.85
    # With the informative feature shuffled, nothing carries over to a held-out batch.
    shuffled = matrix.copy()
    shuffled[:, 0] = rng.permutation(shuffled[:, 0])
    assert held_out_accuracy(shuffled, labels, useful, weights, batches, 1.0) < separable - 0.1
