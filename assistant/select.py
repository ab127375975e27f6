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
from assistant.retrieve import Candidate, Evidence, Retriever
from config import Policy


@dataclass(frozen=True)
class Selection:
    keys: tuple[tuple[int, int], ...]  # (passage, sentence) in quote order
    best: Candidate | None


class Selector:
    def __init__(self, knowledge: Knowledge, retriever: Retriever, policy: Policy) -> None:
        self.knowledge = knowledge
        self.retriever = retriever
        self.quoting = policy.quoting

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
        for part in question.parts[1:]:
            if part.asks == question.asks and part.asks == "other":
                continue
            ranked = self.retriever.candidates(question, evidence, asks=part.asks)
            top = next((c for c in ranked if self._documents(c.sentence.passage_index) <= documents | set(
                question.documents)), None)
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
        return Selection(tuple(self._capped(chosen)), best)

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
