"""Premise: what in the question is false, and the sentences that say what is true.

Three checks, each from curated data:
- values that contradict a curated fact (assistant.claims, corpus/facts.yaml): "Molotov signed it",
  "200 kg", "Serov died in 1970";
- claims close to a curated misconception and farther from its true counterpart (corpus/misconceptions.yaml):
  "the Instructions were a report written after the deportation";
- claims of order that the curated dates contradict (assistant.sequence): "the deportation came after the
  German invasion";
- document mix-ups, below.

Document mix-ups: a question that names one of the three documents but attaches another's
attribute (signer, date, number, agency, purpose, publication; corpus/subjects.yaml) rests on a
mix-up: "When did Beria sign the Serov Instructions?". A question naming two documents compares
them when it says so (a comparison word, a choice, a question about their names, or the two
joined as a list); otherwise ("Why do the Serov Instructions carry the number 001223?") it fuses
them into one and is checked in both directions. When a question names no document, a signer's
name stands for his document ("Did Beria set the 100 kg limit?"), but then only the signer,
number, purpose and publication count: "What did Serov do in 1939?" is about the man.

For each mix-up the correction quotes, for each of the two documents, a sentence that states its
own value of the attribute (sentences state attributes by the same mentions, found once at load),
the one closest to the question first; the signers first, since they tell the documents apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.claims import ClaimChecker, Contradiction
from assistant.knowledge import Knowledge
from assistant.language import Languages
from assistant.question import Question
from assistant.retrieve import Evidence
from assistant.sequence import SequenceChecker
from assistant.subjects import Mention, SubjectDetector
from config import Policy

IMPLYING_ATTRIBUTE = "signer"
ATTRIBUTES_CHECKED_WITHOUT_A_NAMED_DOCUMENT = ("signer", "number", "purpose", "publication")
MAX_CORRECTED = 2  # mix-ups quoted per answer (each takes up to two quotes)


@dataclass(frozen=True)
class Conflict:
    named: str  # the document the question is about
    owner: str  # the document the mentioned attribute really belongs to
    attribute: str
    mention: str  # the visitor's words that carry it


@dataclass(frozen=True)
class Premise:
    conflicts: tuple[Conflict, ...] = ()  # document mix-ups
    contradictions: tuple[Contradiction, ...] = ()  # values against curated facts
    misconception: str = ""  # the id of the curated misconception the question rests on
    quotes: tuple[tuple[int, int], ...] = ()  # the correcting sentences, most important first
    claims: tuple[str, ...] = field(default=())  # the visitor's words the sources contradict

    @property
    def corrected(self) -> bool:
        return bool(self.conflicts or self.contradictions or self.misconception) and bool(self.quotes)

    @property
    def documents(self) -> frozenset[str]:
        return frozenset(d for c in self.conflicts for d in (c.named, c.owner))


# Which wrong value is corrected first when a question holds several: the signer tells the documents apart.
RELATION_ORDER = ("signer", "ordered_by", "date", "head", "deputy", "body_of", "agency_of", "issued_in", "found_in")


class PremiseChecker:
    def __init__(self, knowledge: Knowledge, detector: SubjectDetector, languages: Languages, policy: Policy,
                 encode=None, space: str = "") -> None:
        """`encode(texts) -> vectors` in `space` embeds the curated misconceptions (none: they are not checked)."""
        self.space = space
        self.knowledge = knowledge
        self.subjects = knowledge.corpus.subjects
        self.documents = detector.documents
        self.policy = policy.premise
        self.claims = ClaimChecker(knowledge.corpus, languages)
        self.sequence = SequenceChecker(knowledge.corpus, languages)
        # (document, attribute) pairs each sentence states, by a mention outside a document's name.
        self.stated = [_attributes_stated(detector.mentions(s.text), self.documents)
                       for s in knowledge.sentences]
        position = {p.id: i for i, p in enumerate(knowledge.corpus.passages)}
        self.fact_sentences = knowledge.fact_sentences
        base = knowledge.corpus.facts
        self.misconceptions = list(base.misconceptions) if base else []
        self._claim_vectors: list[tuple[np.ndarray, np.ndarray]] = []
        if self.misconceptions and encode is not None:
            texts = [[t for texts in m.claims.values() for t in texts] for m in self.misconceptions]
            truths = [[t for texts in m.truths.values() for t in texts] for m in self.misconceptions]
            every = [t for group in texts + truths for t in group]
            vectors = dict(zip(every, encode(every))) if every else {}  # one batch for the whole bank
            for claims, true in zip(texts, truths):
                self._claim_vectors.append((np.stack([vectors[t] for t in claims]),
                                            np.stack([vectors[t] for t in true]) if true else np.zeros((0, 1))))
        self._refuting = [
            [i for pid in m.refuted_by for i in knowledge.passage_sentences[position[pid]]] for m in self.misconceptions]

    def conflicts(self, question: Question) -> list[Conflict]:
        if question.comparison or question.choice:
            return []
        detection = question.mentions
        named = list(detection.documents)
        implied = not named
        if implied:
            named = list(dict.fromkeys(m.subject for m in detection.attributes if m.attribute == IMPLYING_ATTRIBUTE))
            if len(named) > 1:
                return []  # two signers named and no document: a question about the men, not a mix-up
            others = detection.subjects - self.documents - {s for s in detection.subjects
                                                            if self.subjects[s].kind == "person"}
            if others:
                return []  # "Beria's plan for the heads of families": the attribute belongs to the plan named
        if len(named) == 2:
            if question.joins:
                return []
            # Fused into one ("the Serov Instructions' number 001223"): each is checked against the other's words.
            return [c for document, other in (named, named[::-1])
                    for c in self._conflicts(document, question, implied, only_owner=other)]
        if len(named) != 1:
            return []
        return self._conflicts(named[0], question, implied)

    def _conflicts(self, document_id: str, question: Question, implied: bool, only_owner: str | None = None):
        document = self.subjects[document_id]
        own = {m for a in document.attributes.values() for m in a.mentions} | set(document.compatible)
        found = []
        names = [(m.start, m.end) for m in question.mentions.aliases if m.subject in self.documents]
        for mention in question.mentions.attributes:
            if any(start <= mention.start and mention.end <= end and end - start > mention.end - mention.start
                   for start, end in names):
                continue  # the "Serov" of "Serov Instructions" names the document, not its signer
            compatible = mention.text in own or f"{mention.subject}.{mention.attribute}" in document.compatible
            if mention.subject == document.id or compatible or (only_owner and mention.subject != only_owner):
                continue
            if implied and mention.attribute not in ATTRIBUTES_CHECKED_WITHOUT_A_NAMED_DOCUMENT:
                continue
            if mention.attribute == "date" and self._inside_event_name(mention, question):
                continue  # "the 14 June 1941 deportation" names the event; it does not date a document
            found.append(Conflict(document.id, mention.subject, mention.attribute, mention.text))
        return found

    def _inside_event_name(self, mention: Mention, question: Question) -> bool:
        return any(alias.subject not in self.documents and alias.start <= mention.start and mention.end <= alias.end
                   for alias in question.mentions.aliases)

    def check(self, question: Question, evidence: Evidence) -> Premise:
        """The question's false premises and the sentences that correct them (the mix-ups' signers first)."""
        conflicts = self.conflicts(question)
        bindings = [] if question.comparison else self.claims.bindings(question)
        contradictions = [b for b in bindings if not b.holds]
        misconception = self.misconception(question, evidence) if not (conflicts or contradictions) else None
        if not (conflicts or contradictions or misconception is not None):
            # The last resort: a curated misconception about the same order says more than the two dates do.
            contradictions = self.sequence.check(question)
        # A value the question gets right ("Did Beria sign Order 001223?") gets no sentence of its own: quoting
        # the fact it states earned nothing on questions it was not built from (docs/calibration.md).
        if not (conflicts or contradictions or misconception is not None):
            return Premise()
        query = evidence.query[evidence.lead]
        vectors = self.knowledge.vectors(evidence.lead)

        def closeness(i: int) -> float:
            return float(vectors[self.knowledge.sentences[i].row] @ query)

        chosen: list[tuple[int, int]] = []
        claims: list[str] = []
        ordered_facts = sorted(contradictions, key=lambda c: RELATION_ORDER.index(c.fact.relation)
                               if c.fact.relation in RELATION_ORDER else len(RELATION_ORDER))
        for contradiction in ordered_facts[:MAX_CORRECTED]:
            holders = sorted(self.fact_sentences.get(contradiction.fact.id, []), key=lambda i: -closeness(i))
            if not holders:
                continue
            if self.knowledge.sentences[holders[0]].key not in chosen:
                chosen.append(self.knowledge.sentences[holders[0]].key)
            claims.append(contradiction.stated.text)  # named even when its correcting sentence is already quoted
        if misconception is not None:
            refuting = sorted(self._refuting[misconception], key=lambda i: -closeness(i))
            chosen += [self.knowledge.sentences[i].key for i in refuting[:1]]
        chosen += self._conflict_quotes(conflicts, question, closeness, exclude=chosen)
        claims += [c.mention for c in sorted(conflicts, key=lambda c: c.attribute != IMPLYING_ATTRIBUTE)]
        return Premise(conflicts=tuple(conflicts), contradictions=tuple(contradictions),
                       misconception=self.misconceptions[misconception].id if misconception is not None else "",
                       quotes=tuple(dict.fromkeys(chosen)), claims=tuple(dict.fromkeys(claims)))

    def misconception_scores(self, question: Question, evidence: Evidence) -> list[tuple[int, float, float]]:
        """(misconception, closeness to its false claim, by how much closer than to its truth) for every curated
        misconception about a subject the question names (the calibration reads them too)."""
        if not self._claim_vectors or question.comparison or self.space not in evidence.query:
            return []
        query = evidence.query[self.space]
        scores = []
        for i, (claims, truths) in enumerate(self._claim_vectors):
            subjects = set(self.misconceptions[i].subjects)
            if subjects and not subjects & question.mentions.subjects:
                continue
            false_side = float(np.max(claims @ query))
            true_side = float(np.max(truths @ query)) if len(truths) else -1.0
            scores.append((i, false_side, false_side - true_side))
        return scores

    def misconception(self, question: Question, evidence: Evidence) -> int | None:
        """The curated misconception the question is closest to, if it is close enough and farther from the truth."""
        found = [(score, i) for i, score, margin in self.misconception_scores(question, evidence)
                 if score >= self.policy.misconception_above and margin >= self.policy.misconception_margin]
        return max(found)[1] if found else None

    def _conflict_quotes(self, conflicts: list[Conflict], question: Question, closeness, exclude) -> list:
        chosen: list[tuple[int, int]] = []
        # The signer first: it is what tells the documents apart at a glance (Serov's, Beria's).
        ordered = sorted(conflicts, key=lambda c: c.attribute != IMPLYING_ATTRIBUTE)
        for conflict in ordered[:MAX_CORRECTED]:
            pair = {conflict.named, conflict.owner}
            covered: set[str] = set()
            ranked = sorted(
                (i for i, stated in enumerate(self.stated)
                 if any(d in pair and a == conflict.attribute for d, a in stated)),
                key=lambda i: -(closeness(i)
                                + (0.15 if pair <= self.knowledge.passage(self.knowledge.sentences[i]).documents else 0)))
            for i in ranked:
                sentence = self.knowledge.sentences[i]
                # A sentence covers the documents whose attribute it states ("issued to carry out Order 001223
                # of 11 October 1939" gives 001223's date, not 0054's).
                stating = {d for d, a in self.stated[i] if a == conflict.attribute} & pair
                if sentence.key in chosen or sentence.key in exclude or not stating - covered:
                    continue
                documents = self.knowledge.passage(sentence).documents
                if not documents & pair or not documents <= pair | set(question.documents):
                    continue  # a correction of a mix-up quotes the documents themselves
                chosen.append(sentence.key)
                covered |= stating
                if pair <= covered:
                    break
        return chosen


def _attributes_stated(mentions: list[Mention], documents: set[str]) -> frozenset[tuple[str, str]]:
    """(document, attribute) pairs a text states, by a mention outside a document's name: "signed on
    11 October 1939" states Order 001223's date; the "Serov" of "Serov Instructions" is not the signer."""
    names = [(m.start, m.end) for m in mentions if m.kind == "alias" and m.subject in documents]
    return frozenset((m.subject, m.attribute) for m in mentions if m.kind == "attribute"
                     and not any(start < m.end and m.start < end for start, end in names))
