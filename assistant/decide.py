"""Decide: answer, correct or decline, in one calibrated decision.

A question whose premise the sources contradict is corrected (assistant.premise). Otherwise the
assistant answers when P(answerable), a logistic function of a few features of the question and of
its best candidate sentence, reaches the policy's threshold; the weights and the threshold are
fitted on the tune questions by `python -m evaluation.calibrate` (config/policy.yaml). A question
with no word that could name a subject (".", "the", an emoji) is declined before anything else; a
practical one ("opening hours", assistant.museum) gets the museum's referral, and one on a point the sources
are known not to cover (corpus/gaps.yaml, assistant.gaps) is declined before its evidence is weighed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.language import registry
from assistant.premise import Premise
from assistant.question import Question
from assistant.retrieve import Evidence
from assistant.vocabulary import Lexicon, stem_prefix
from config import Policy
from corpus.text import fold

PRACTICAL_PHRASE = 2  # assistant.museum: a phrase matched (1: a single word)
TYPED_AMONG = 3  # the decision reads this many of the best candidates
CANDIDATE_FEATURES = ("sentence", "second", "question", "passage", "overlap", "named", "about", "relation")


@dataclass(frozen=True)
class Decision:
    status: str  # answered | corrected | abstained
    confidence: float
    reason: str  # answered | corrected | not_a_question | no_passage | low_evidence | practical | known_gap


def _uncovered(question: Question, top, knowledge) -> float:
    words = question.asked
    if not words:
        return 0.0
    prefixes = [knowledge.passage_prefixes[c.sentence.passage_index] for c in top]
    return sum(not any(stem_prefix(w) in p for p in prefixes) for w in words) / len(words)


def decision_features(question: Question, evidence: Evidence, lexicon: Lexicon, knowledge=None) -> dict[str, float]:
    """The features P(answerable) is computed from (the calibration reads them too)."""
    top = evidence.candidates[:TYPED_AMONG]
    # The evidence of the few best candidates, not of the first alone: whether the sources answer does not hang
    # on which of two close sentences the weights put first.
    features = {name: max(c.features[name] for c in top) for name in CANDIDATE_FEATURES} if top else {}
    content = [w for w in question.content if len(w) > 2]
    features["unknown"] = (sum(not lexicon.knows(w) for w in content) / len(content)) if content else 0.0
    # A name the corpus never uses ("Varėna", "Tartu" when no text names it): the sources cannot be about it.
    written = [w for i, w in enumerate(question.written) if i and w[:1].isupper() and len(w) > 3]
    features["unknown_names"] = 0.0 if registry()[question.language].capitalises_nouns else float(
        any(not lexicon.knows(fold(w)) for w in written))
    features["typed_any"] = float(question.asks != "other" and any(c.features["typed"] for c in top))
    # The question's own words (not its names) that none of the best passages, nor their curated questions in
    # any language, use: "How many grandchildren did Serov have?" asks about grandchildren, which none names.
    features["uncovered"] = _uncovered(question, top, knowledge) if knowledge is not None else 0.0
    features["english"] = float(question.language == "en")
    # Whether the question names a subject at all ("named", above, is how much of it the best candidates name).
    features["names_subject"] = float(bool(question.mentions.subjects))
    return features


def logistic(z):
    """1 / (1 + e^-z), z clipped to +-50 so that no weight overflows it; of a number or a numpy array (the
    calibration computes it over every tune question at once)."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def probability(features: dict[str, float], policy: Policy) -> float:
    z = policy.decision.bias + sum(policy.decision.weights.get(k, 0.0) * v for k, v in features.items())
    return float(logistic(z))


class Decider:
    def __init__(self, lexicon: Lexicon, policy: Policy, knowledge=None, gaps=None) -> None:
        self.lexicon = lexicon
        self.policy = policy
        self.knowledge = knowledge
        self.gaps = gaps  # assistant.gaps.GapMatcher (None: no known gaps)

    def gap_scores(self, question: Question, evidence: Evidence) -> tuple[str, float, float]:
        """(the closest known gap, the question's closeness to it, by how much that exceeds its closeness to the
        curated questions of its best candidates); the calibration reads them too. A question that only names a
        subject ("Kersten-Ausschuss") asks for no point the sources are silent on, however close its subject's
        gaps come: it is on none."""
        if self.gaps is None or not evidence.candidates or not question.asked:
            return "", 0.0, 0.0
        gap, closeness = self.gaps.closest(evidence.query)
        asked = max(c.features["question"] for c in evidence.candidates[:TYPED_AMONG])
        return gap, closeness, closeness - asked

    def on_gap(self, question: Question, evidence: Evidence) -> str:
        """The known gap the question asks about, or ""."""
        gap, closeness, margin = self.gap_scores(question, evidence)
        policy = self.policy.gaps
        return gap if gap and closeness >= policy.above and margin >= policy.margin else ""

    def decide(self, question: Question, premise: Premise, evidence: Evidence) -> Decision:
        if not question.content and not question.values and not question.mentions.subjects:
            return Decision("abstained", 0.0, "not_a_question")
        topic, strength = question.practical
        if premise.corrected:  # "my tour guide said each family could take 200 kg": the claim comes first
            return Decision("corrected", 1.0, "corrected")
        if strength == PRACTICAL_PHRASE:  # "What are the opening hours?": the front desk, whatever the sources hold
            return Decision("abstained", 0.0, "practical")
        if evidence.best is None:
            return Decision("abstained", 0.0, "practical" if strength else "no_passage")
        if self.on_gap(question, evidence):  # "what was chalked on the wagons?": the sources are known to be silent on it
            return Decision("abstained", 0.0, "known_gap")
        p = probability(decision_features(question, evidence, self.lexicon, self.knowledge), self.policy)
        if p < self.policy.decision.answer_above:
            return Decision("abstained", p, "practical" if strength else "low_evidence")
        return Decision("answered", p, "answered")
