"""Calibrate the answering policy on the tune questions and write config/policy.yaml.

Why: the answer layer's weights (how a candidate sentence is scored) and its one decision (answer or
decline) are fitted, not set by hand, and only on questions of the `tune` split; `test` questions are
never read here, so `serov-qa evaluate` can report them as questions nothing was fitted to.

What it fits, with scikit-learn's logistic regression:
1. Sentence weights: which candidate sentences answer. A candidate is a positive example when it is
   one of the answering sentences marked in the question file (`expect.quotes`), or, where none are
   marked, a sentence of an answering passage (`expect.passages`) that holds a `must_include` item.
2. The decision: P(answerable) from decision features (assistant/decide.py), on questions expected
   answered or abstained and not corrected by the premise check. The threshold is the one that
   maximises accuracy on tune (answered questions whose answer holds what was asked, declined
   out-of-scope ones) while the share of answerable questions declined stays at most
   MAX_FALSE_ABSTENTION.
The gold set and the independent tune questions weigh equally (each question set sums to the same
weight), so that the 421 gold questions do not drown the ones written as visitors type.

Usage: python -m evaluation.calibrate [--questions FILE ...] [--dry-run]
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.decide import decision_features, logistic, probability
from assistant.retrieve import FEATURES
from config import Settings
from config.policy import POLICY_FILE, Decision, Quoting
from config.policy import Gaps as GapsPolicy
from config.policy import Premise as PremisePolicy
from evaluation.metrics import missing_includes
from evaluation.questions import DEFAULT_QUESTION_FILES, GoldQuestion, batch_of, load_questions, question_set

MAX_FALSE_ABSTENTION = 0.04  # on tune; the target on unseen questions is 5%
MAX_FALSE_CORRECTION = 0.01  # answerable tune questions the misconception bank may wrongly correct
MISCONCEPTION_ABOVE_GRID = tuple(round(0.84 + 0.01 * i, 2) for i in range(12))  # 0.84 .. 0.95
MISCONCEPTION_MARGIN_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)
MAX_FALSE_GAP = 0.01  # answerable tune questions the known gaps may decline
GAP_ABOVE_GRID = tuple(round(0.84 + 0.01 * i, 2) for i in range(14))  # 0.84 .. 0.97
GAP_MARGIN_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)
QUOTES_GRID = (2, 3)
SAME_PASSAGE_GRID = (0.1, 0.25, 0.4, 0.6, 1.0)
OTHER_PASSAGE_GRID = (0.0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.3, 0.45, 0.6)
REGULARISATION = 1.0  # scikit-learn's default C (the sentence weights: thousands of candidates, little to overfit)
# The decision learns from a few hundred questions, a few dozen of them out of scope: its regularisation is
# chosen by cross-validation over the tune batches (each writer's file, and the gold set, held out in turn),
# the threshold refitted inside every fold, so that the choice rests on questions each fit did not see.
DECISION_C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
HEADER = "# The answering policy (config/policy.py). Written by `python -m evaluation.calibrate`; do not edit by hand.\n"


def _positive(question: GoldQuestion, candidate, corpus) -> bool:
    text = candidate.sentence.text
    if question.expect.quotes:
        return any(text in quote or quote in text for quote in question.expect.quotes)
    passage = corpus.passages[candidate.sentence.passage_index]
    return passage.id in question.expect.passages and bool(question.expect.must_include) and len(
        missing_includes(question.expect.must_include, text)) < len(question.expect.must_include)


def _weights(groups: list[str]) -> np.ndarray:
    counts = defaultdict(int)
    for g in groups:
        counts[g] += 1
    return np.array([len(groups) / (len(counts) * counts[g]) for g in groups])


def _fit(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray,
         regularisation: float = REGULARISATION) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, returned as (coefficients, intercept) on the raw ones:
    similarities spread over a few hundredths, so without standardising the regularisation flattens them."""
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=regularisation, max_iter=2000)
    model.fit((rows - mean) / std, labels, sample_weight=weights)
    coefficients = model.coef_[0] / std
    return coefficients, float(model.intercept_[0] - np.sum(model.coef_[0] * mean / std))


def fit_sentence_weights(traces, questions, corpus) -> dict[str, float]:
    rows, labels, groups = [], [], []
    for trace, question in zip(traces, questions):
        if question.expect.status != "answered" or trace.premise.corrected:
            continue
        candidates = trace.evidence.candidates
        marks = [_positive(question, c, corpus) for c in candidates]
        if not any(marks):
            continue  # the answer is not among the candidates: nothing to learn about ranking
        for candidate, mark in zip(candidates, marks):
            rows.append([candidate.features[f] for f in FEATURES])
            labels.append(mark)
            groups.append(question_set(question))
    coefficients, _ = _fit(np.array(rows), np.array(labels), _weights(groups))
    # Scaled so that the similarity weighs 1: the quoting margins (config/policy.py) are in its units.
    scale = abs(coefficients[FEATURES.index("sentence")]) + abs(coefficients[FEATURES.index("second")]) or 1.0
    return {f: round(float(c / scale), 4) for f, c in zip(FEATURES, coefficients)}


def fit_quoting(pipeline, traces, questions) -> tuple[Quoting, dict]:
    """The quoting margins that make the most tune answers hold what was asked, without a conflation: more
    quotes hold more, but may quote a passage on another document. Ties go to the fewest quotes."""
    from evaluation.metrics import conflates, forbidden_present

    cases = [(t, q) for t, q in zip(traces, questions)
             if q.expect.status == "answered" and not t.premise.corrected and t.evidence.best is not None]
    groups = _weights([question_set(q) for _, q in cases])
    best = None
    for max_quotes in QUOTES_GRID:
        for same in SAME_PASSAGE_GRID:
            for other in OTHER_PASSAGE_GRID:
                quoting = Quoting(max_quotes=max_quotes, max_sentences=max_quotes + 2,
                                  same_passage_margin=same, other_passage_margin=other)
                pipeline.selector.quoting = quoting
                score, quotes = 0.0, 0
                for (trace, question), weight in zip(cases, groups):
                    selection = pipeline.selector.select(trace.question, trace.premise, trace.evidence)
                    answer = pipeline.composer.compose(trace.question, None, trace.decision.__class__(
                        "answered", 1.0, "answered"), trace.premise, selection, trace.evidence)
                    conflated = conflates(question.expect.documents, [q.about for q in answer.quotes])
                    wrong = (missing_includes(question.expect.must_include, answer.answer)
                             or forbidden_present(question.expect.must_not_include, answer.answer))
                    # A quote about the wrong document is worse than a missing fact: it counts against.
                    score += weight * (-1.0 if conflated else float(not wrong))
                    quotes += len(answer.quotes)
                key = (round(float(score), 6), -quotes)
                if best is None or key > best[0]:
                    best = (key, quoting)
    pipeline.selector.quoting = best[1]
    return best[1], {"quoting_accuracy": round(float(best[0][0]) / len(cases), 4), "quoting_questions": len(cases)}


def _best_pair(cases, weights, aboves, margins, fires, good: str, limit: float):
    """(weighted gain, above, margin) of the pair of thresholds whose firing gains the most weight of questions
    expected `good`, less the others it fires on, among the pairs firing on at most `limit` of the answerable
    weight (ties: the stricter pair); None when no pair stays within it. A case is (expected status, ...)."""
    answerable = sum(w for case, w in zip(cases, weights) if case[0] == "answered")
    best = None
    for above in aboves:
        for margin in margins:
            gain, wrong = 0.0, 0.0
            for case, weight in zip(cases, weights):
                if fires(case, above, margin):
                    gain += weight if case[0] == good else -weight
                    wrong += weight if case[0] == "answered" else 0.0
            if wrong > limit * answerable:
                continue
            key = (round(gain, 6), above, margin)
            if best is None or key > best:
                best = key
    return best


def fit_misconceptions(pipeline, traces, questions) -> tuple[PremisePolicy, dict]:
    """The closeness and margin above which a question rests on a curated misconception: the pair that corrects
    the most tune questions expected corrected, less those it would wrongly correct, among the pairs that
    wrongly correct at most MAX_FALSE_CORRECTION of the answerable ones (a visitor told they are wrong when
    they are right is the worse mistake: the target on unseen questions is 2%)."""
    cases = []
    for trace, question in zip(traces, questions):
        premise = trace.premise
        if premise.conflicts or premise.contradictions:
            continue  # corrected (or not) before the misconception bank is consulted
        scores = pipeline.premise.misconception_scores(trace.question, trace.evidence)
        cases.append((question.expect.status, scores, question_set(question)))

    def fires(case, above, margin):
        return any(s >= above and m >= margin for _, s, m in case[1])

    best = _best_pair(cases, _weights([g for _, _, g in cases]), MISCONCEPTION_ABOVE_GRID, MISCONCEPTION_MARGIN_GRID,
                      fires, "corrected", MAX_FALSE_CORRECTION)
    _, above, margin = best or (0.0, MISCONCEPTION_ABOVE_GRID[-1], MISCONCEPTION_MARGIN_GRID[-1])
    chosen = PremisePolicy(misconception_above=round(above, 3), misconception_margin=round(margin, 3))
    fired = sum(fires(case, above, margin) for case in cases)
    return chosen, {"misconception_questions": len(cases), "misconception_fires": fired}


def fit_gaps(pipeline, traces, questions) -> tuple[GapsPolicy, dict]:
    """The closeness and margin above which a question is on a known gap (corpus/gaps.yaml): the pair that
    declines the most out-of-scope tune questions the assistant would otherwise answer, less the answerable ones
    it would decline, among the pairs declining at most MAX_FALSE_GAP of the answerable weight."""
    cases = []
    for trace, question in zip(traces, questions):
        if trace.premise.corrected or trace.evidence.best is None or question.expect.status == "corrected":
            continue
        if trace.decision.reason in ("not_a_question", "practical"):
            continue
        _, closeness, margin = pipeline.decider.gap_scores(trace.question, trace.evidence)
        cases.append((question.expect.status, closeness, margin, question_set(question)))

    def fires(case, above, margin):
        return case[1] >= above and case[2] >= margin

    best = _best_pair(cases, _weights([g for *_, g in cases]), GAP_ABOVE_GRID, GAP_MARGIN_GRID, fires, "abstained",
                      MAX_FALSE_GAP)
    if best is None or best[0] <= 0:
        return GapsPolicy(), {"gap_questions": len(cases), "gap_fires": 0}
    _, above, margin = best
    fired = [case[0] for case in cases if fires(case, above, margin)]
    return GapsPolicy(above=round(above, 3), margin=round(margin, 3)), {
        "gap_questions": len(cases), "gap_fires": len(fired), "gap_fires_answerable": fired.count("answered")}


def _threshold(p: np.ndarray, labels: np.ndarray, useful: np.ndarray, weights: np.ndarray):
    """(threshold, weighted accuracy, false abstention) of the answer threshold with the highest weighted
    accuracy among those declining at most MAX_FALSE_ABSTENTION of the answerable weight; ties: the lowest."""
    best = None
    for threshold in np.arange(0.05, 0.96, 0.01):
        answer = p >= threshold
        false_abstention = np.sum(weights * (~answer & labels)) / np.sum(weights * labels)
        if false_abstention > MAX_FALSE_ABSTENTION:
            continue
        accuracy = _accuracy(answer, labels, useful, weights)
        if best is None or accuracy > best[1] + 1e-9:
            best = (float(threshold), float(accuracy), float(false_abstention))
    return best or (0.5, None, None)


def _accuracy(answer: np.ndarray, labels: np.ndarray, useful: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * np.where(labels, answer & useful, ~answer)) / np.sum(weights))


def held_out_accuracy(matrix, labels, useful, weights, batches, regularisation: float) -> float:
    """Mean over tune batches of the accuracy on the batch when the decision (weights and threshold) is fitted
    on the other batches."""
    scores = []
    for batch in sorted(set(batches)):
        held = batches == batch
        if held.all() or not labels[~held].any() or labels[~held].all():
            continue
        coefficients, intercept = _fit(matrix[~held], labels[~held], weights[~held], regularisation)
        threshold, _, _ = _threshold(logistic(matrix[~held] @ coefficients + intercept), labels[~held],
                                     useful[~held], weights[~held])
        answer = logistic(matrix[held] @ coefficients + intercept) >= threshold
        scores.append(_accuracy(answer, labels[held], useful[held], np.ones(held.sum())))
    return float(np.mean(scores)) if scores else 0.0


def fit_decision(pipeline, traces, questions, policy) -> tuple[Decision, dict]:
    features, labels, groups, useful, batches = [], [], [], [], []
    for trace, question in zip(traces, questions):
        if question.expect.status == "corrected" or trace.premise.corrected or trace.evidence.best is None:
            continue
        if trace.decision.reason in ("not_a_question", "known_gap"):
            continue
        values = decision_features(trace.question, trace.evidence, pipeline.lexicon, pipeline.knowledge)
        features.append(values)
        labels.append(question.expect.status == "answered")
        groups.append(question_set(question))
        batches.append(batch_of(question))
        # Whether answering would be right: the answer as composed holds what the question asks for.
        answered = pipeline.composer.compose(trace.question, None, trace.decision.__class__("answered", 1.0, "answered"),
                                             trace.premise, trace.selection, trace.evidence)
        useful.append(question.expect.status == "answered" and not missing_includes(
            question.expect.must_include, answered.answer))
    names = sorted({k for f in features for k in f})
    matrix = np.array([[f.get(n, 0.0) for n in names] for f in features])
    weights = _weights(groups)
    labels_arr, useful_arr, batches_arr = np.array(labels), np.array(useful), np.array(batches)
    held_out = {c: held_out_accuracy(matrix, labels_arr, useful_arr, weights, batches_arr, c) for c in DECISION_C_GRID}
    regularisation = max(DECISION_C_GRID, key=lambda c: (round(held_out[c], 6), -c))  # ties: the stronger prior
    coefficients, intercept = _fit(matrix, labels_arr, weights, regularisation)
    decision = Decision(weights={n: round(float(c), 4) for n, c in zip(names, coefficients)},
                        bias=round(intercept, 4), answer_above=0.5)
    # The threshold is chosen on the probabilities the pipeline will compute: from the file's rounded weights.
    trial = policy.model_copy(update={"decision": decision})
    p = np.array([probability(f, trial) for f in features])
    threshold, accuracy, false_abstention = _threshold(p, labels_arr, useful_arr, weights)
    declined = float(np.mean(p[~labels_arr] < threshold)) if (~labels_arr).any() else None
    decision = decision.model_copy(update={"answer_above": round(threshold, 2)})
    report = {"decision_questions": len(labels), "decision_regularisation": regularisation,
              "decision_held_out_accuracy": {str(c): round(a, 4) for c, a in held_out.items()},
              "decision_accuracy": round(accuracy, 4) if accuracy else None,
              "false_abstention": round(false_abstention, 4) if false_abstention is not None else None,
              "out_of_scope_declined": round(declined, 4) if declined is not None else None}
    return decision, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", nargs="*", type=Path, default=list(DEFAULT_QUESTION_FILES))
    parser.add_argument("--dry-run", action="store_true", help="print the policy instead of writing it")
    parser.add_argument("--only", choices=["gaps"], help="fit this step alone, keeping the rest of the current policy")
    args = parser.parse_args()
    from assistant.pipeline import load

    settings = Settings()
    try:
        pipeline = load(settings)
    except Exception as exc:  # noqa: BLE001 - a script: say what failed and stop
        raise SystemExit(f"error: cannot load the assistant: {exc}") from None
    questions = [q for q in load_questions(args.questions) if q.split == "tune"]
    traces = [pipeline.trace(q.question) for q in questions]
    if args.only == "gaps":
        gaps, report = fit_gaps(pipeline, traces, questions)
        policy = pipeline.policy.model_copy(update={"gaps": gaps, "calibration": {
            **pipeline.policy.calibration, "gaps_written": dt.date.today().isoformat(), **report}})
        _write(policy, settings, args.dry_run, report)
        return
    sentence_weights = fit_sentence_weights(traces, questions, pipeline.corpus)
    policy = pipeline.policy.model_copy(update={"sentence_weights": sentence_weights})
    # Each step is fitted on traces made with every step fitted before it.
    pipeline.use(policy)
    traces = [pipeline.trace(q.question) for q in questions]
    premise, premise_report = fit_misconceptions(pipeline, traces, questions)
    policy = policy.model_copy(update={"premise": premise})
    pipeline.use(policy)
    traces = [pipeline.trace(q.question) for q in questions]
    quoting, quoting_report = fit_quoting(pipeline, traces, questions)
    policy = policy.model_copy(update={"quoting": quoting})
    pipeline.use(policy)
    traces = [pipeline.trace(q.question) for q in questions]
    gaps, gaps_report = fit_gaps(pipeline, traces, questions)
    policy = policy.model_copy(update={"gaps": gaps})
    pipeline.use(policy)
    traces = [pipeline.trace(q.question) for q in questions]
    decision, report = fit_decision(pipeline, traces, questions, policy)
    report = {**premise_report, **quoting_report, **gaps_report, **report}
    policy = policy.model_copy(update={"decision": decision, "calibration": {
        "written": dt.date.today().isoformat(), "tune_questions": len(questions),
        "groups": {g: sum(question_set(q) == g for q in questions) for g in ("gold", "independent")}, **report}})
    _write(policy, settings, args.dry_run, report)


def _write(policy, settings, dry_run: bool, report: dict) -> None:
    if dry_run:
        print(policy.model_dump_json(indent=2))
        return
    policy.write(settings.policy_file if settings.policy_file else POLICY_FILE, header=HEADER)
    print(f"wrote {settings.policy_file}: {report}")


if __name__ == "__main__":
    main()
