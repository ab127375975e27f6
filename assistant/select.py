"""Select: the sentences to quote, covering what the question asks.

- the best candidate, with close runners-up: first from its own passage (passages are short and
  written as one unit, so an answer is often split over two of their sentences), then from others;
- never a sentence of a passage about a document the best passage is not about (no conflation);
- each further part of a two-part question ("who signed it and when?") gets its own best sentence;
- a comparison of documents gets, for each compared document, its best sentence;
- a corrected premise leads with the sentences that state the true value (assistant.premise).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.knowledge import Knowledge
from assistant.premise import Premise
from assistant.question import Question
from assistant.retrieve import Candidate, Evidence, holds
from config import Policy


PART_CANDIDATES = 12  # a part's sentence is sought among this many of the best candidates


@dataclass(frozen=True)
class Selection:
    keys: tuple[tuple[int, int], ...]  # (passage, sentence) in quote order
    best: Candidate | None


class Selector:
    def __init__(self, knowledge: Knowledge, policy: Policy) -> None:
        self.knowledge = knowledge
        self.quoting = policy.quoting
        base = knowledge.corpus.facts
        self.facts_by_subject: dict[str, list] = {}
        for fact in (base.facts if base else ()):
            self.facts_by_subject.setdefault(fact.subject, []).append(fact)

    def select(self, question: Question, premise: Premise, evidence: Evidence) -> Selection:
        candidates = evidence.candidates
        if not candidates:
            return Selection((), None)
        chosen: list[tuple[int, int]] = list(premise.quotes)
        best = candidates[0]
        documents = self._documents(best.sentence.passage_index) | self._corrected_documents(premise)
        self._add(chosen, best.sentence.key)
        for candidate in candidates[1:]:
            same = candidate.sentence.passage_index == best.sentence.passage_index
            margin = self.quoting.same_passage_margin if same else self.quoting.other_passage_margin
            if candidate.score < best.score - margin:
                continue
            if not self._documents(candidate.sentence.passage_index) <= documents:
                continue
            self._add(chosen, candidate.sentence.key)
        if len(question.parts) > 1:
            # Each part that asks for a kind of answer ("who signed it" and "when") gets the best sentence holding it.
            allowed = documents | set(question.documents)
            for part in question.parts:
                if part.asks == "other":
                    continue
                top = next((c for c in candidates[:PART_CANDIDATES]
                            if holds(c.sentence, part.asks, question, self.knowledge.person_words)
                            and self._documents(c.sentence.passage_index) <= allowed), None)
                if top is not None:
                    self._add(chosen, top.sentence.key, front=1)
        compared = set(question.documents)
        if len(compared) > 1:
            quoted = set().union(*(self._documents(p) for p, _ in chosen))
            for document in sorted(compared - quoted):
                top = next((c for c in candidates if document in self._documents(c.sentence.passage_index)
                            and self._documents(c.sentence.passage_index) <= compared), None)
                if top is not None:
                    self._add(chosen, top.sentence.key, front=1)
        for key in reversed(self._compared_facts(question, evidence)):
            self._add(chosen, key, front=1)
        return Selection(tuple(self._capped(chosen)), best)

    def _compared_facts(self, question: Question, evidence: Evidence) -> list[tuple[int, int]]:
        """For a comparison ("How do X and Y differ?", "Which came first, X or Y?"), a sentence stating each
        compared subject's asked-for fact: the relation the question names ("signed", "dated"), the date when it
        asks which came first, else the signer. "They differ in signatory" alone tells a visitor nothing."""
        subjects = [s for s in dict.fromkeys(
            [*question.documents, *(e.subject or e.entity for e in question.entities),
             *(a.subject for a in question.mentions.aliases)]) if s in self.facts_by_subject]
        if len(subjects) < 2 or not (question.comparison or question.sequence or len(question.documents) > 1):
            return []
        asked = [r for r, _ in question.relations]
        if question.sequence:
            asked.insert(0, "date")
        asked.append("signer")
        query = evidence.query[evidence.lead]
        vectors = self.knowledge.vectors(evidence.lead)
        keys = []
        for subject in subjects[:3]:
            facts = self.facts_by_subject[subject]
            fact = next((f for relation in asked for f in facts if f.relation == relation
                         and self.knowledge.fact_sentences.get(f.id)), None)
            if fact is None:
                continue
            best = max(self.knowledge.fact_sentences[fact.id],
                       key=lambda i: float(vectors[self.knowledge.sentences[i].row] @ query))
            keys.append(self.knowledge.sentences[best].key)
        return list(dict.fromkeys(keys))

    def _documents(self, passage_index: int) -> frozenset[str]:
        return self.knowledge.corpus.passages[passage_index].documents

    def _corrected_documents(self, premise: Premise) -> frozenset[str]:
        return frozenset().union(*(self._documents(p) for p, _ in premise.quotes)) if premise.quotes else frozenset()

    @staticmethod
    def _add(chosen: list, key: tuple[int, int], front: int | None = None) -> None:
        if key in chosen:
            return
        if front is None:
            chosen.append(key)
        else:
            chosen.insert(min(front, len(chosen)), key)

    def _capped(self, chosen: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """At most max_sentences sentences in at most max_quotes quotes (a passage's sentences make one quote)."""
        kept: list[tuple[int, int]] = []
        passages: list[int] = []
        for key in chosen:
            if len(kept) == self.quoting.max_sentences:
                break
            if key[0] not in passages:
                if len(passages) == self.quoting.max_quotes:
                    continue
                passages.append(key[0])
            kept.append(key)
        return kept
