"""Decide: answer, correct or decline, in one calibrated decision.

A question whose premise the sources contradict is corrected (assistant.premise). Otherwise the
assistant answers when P(answerable), a logistic function of a few features of the question and of
its best candidate sentence, reaches the policy's threshold; the weights and the threshold are
fitted on the tune questions by `python -m evaluation.calibrate` (config/policy.yaml). A question
with no word that could name a subject (".", "the", an emoji) is declined before anything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.premise import Premise
from assistant.question import Question
from assistant.retrieve import Evidence
from assistant.vocabulary import Lexicon
from config import Policy
from corpus.text import fold

TYPED_AMONG = 3  # the decision reads this many of the best candidates
CANDIDATE_FEATURES = ("sentence", "second", "question", "passage", "overlap", "named", "about", "relation")


@dataclass(frozen=True)
class Decision:
    status: str  # answered | corrected | abstained
    confidence: float
    reason: str  # answered | corrected | not_a_question | no_passage | low_evidence


def decision_features(question: Question, evidence: Evidence, lexicon: Lexicon) -> dict[str, float]:
    """The features P(answerable) is computed from (the calibration reads them too)."""
    top = evidence.candidates[:TYPED_AMONG]
    # The evidence of the few best candidates, not of the first alone: whether the sources answer does not hang
    # on which of two close sentences the weights put first.
    features = {name: max(c.features[name] for c in top) for name in CANDIDATE_FEATURES} if top else {}
    content = [w for w in question.content if len(w) > 2]
    features["unknown"] = (sum(not lexicon.knows(w) for w in content) / len(content)) if content else 0.0
    # A name the corpus never uses ("Varėna", "Tartu" when no text names it): the sources cannot be about it.
    written = [w for i, w in enumerate(question.written) if i and w[:1].isupper() and len(w) > 3]
    features["unknown_names"] = float(any(not lexicon.knows(fold(w)) for w in written)) if question.language != "de" else 0.0
    features["typed_any"] = float(question.asks != "other" and any(c.features["typed"] for c in top))
    features["english"] = float(question.language == "en")
    features["named"] = float(bool(question.mentions.subjects))
    return features


def probability(features: dict[str, float], policy: Policy) -> float:
    z = policy.decision.bias + sum(policy.decision.weights.get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


class Decider:
    def __init__(self, lexicon: Lexicon, policy: Policy) -> None:
        self.lexicon = lexicon
        self.policy = policy

    def decide(self, question: Question, premise: Premise, evidence: Evidence) -> Decision:
        if not question.content and not question.values and not question.mentions.subjects:
            return Decision("abstained", 0.0, "not_a_question")
        if premise.corrected:
            return Decision("corrected", 1.0, "corrected")
        if evidence.best is None:
            return Decision("abstained", 0.0, "no_passage")
        p = probability(decision_features(question, evidence, self.lexicon), self.policy)
        if p < self.policy.decision.answer_above:
            return Decision("abstained", p, "low_evidence")
        return Decision("answered", p, "answered")
