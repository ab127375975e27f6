"""Retrieve: the passages a question may be answered from, and their sentences as scored candidates.

Hybrid search (index.HybridRetriever: dense and BM25 over passages, sentences and curated questions,
fused by reciprocal rank) over the normalised question, with the passages about a document the
question does not concern filtered out (that is what keeps an answer about one document from quoting
a passage about another). Every sentence of the top passages becomes a candidate with a few named
features; `sentence_score` weighs them with the policy's weights (calibrated, config/policy.yaml).
"""

from __future__ import annotations

from collections.abc import Collection
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.knowledge import Knowledge, Sentence
from assistant.question import Question
from config import Policy
from index import HybridRetriever, PassageHit

MISSING_DOCUMENT_K = 10  # passages searched for a compared document none of the hits is about

# Attributes whose mention ties a question to a document even when it names none ("could they take 100 kg?").
IMPLYING_ATTRIBUTES = ("purpose", "number", "publication")
FEATURES = ("sentence", "second", "question", "passage", "overlap", "typed", "untyped", "rank", "named", "about",
            "relation")


@dataclass
class Candidate:
    sentence: Sentence
    rank: int  # of its passage among the hits
    features: dict[str, float]
    score: float = 0.0


@dataclass
class Evidence:
    hits: list[PassageHit]
    query: dict[str, np.ndarray]  # the question's vector in each space searched
    lead: str  # the space whose similarities lead
    candidates: list[Candidate] = field(default_factory=list)  # best first
    allowed: list[str] | None = None  # the documents whose passages may be quoted (None: any)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def sentence_score(features: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights.get(name, 0.0) * value for name, value in features.items())


def holds(sentence: Sentence, asks: str, question: Question, person_words: frozenset[str]) -> bool:
    """Whether the sentence holds the kind of answer asked for beyond what the question says: "How many
    votes did Resolution 346 get?" is not answered by a sentence whose only number is 346."""
    given = set(question.words)
    if asks == "date":
        return any(not set(d.split()) <= given for d in sentence.dates)
    if asks == "number":
        return any(c not in given for c in sentence.counts)
    if asks == "person":
        return bool(set(sentence.names) - given)
    if asks == "place":
        return bool(sentence.places - set(question.named))
    return True


class Retriever:
    def __init__(self, knowledge: Knowledge, retriever: HybridRetriever, policy: Policy) -> None:
        self.knowledge = knowledge
        self.retriever = retriever
        self.policy = policy

    def spaces_for(self, language: str) -> tuple[str, ...]:
        wanted = self.policy.spaces.get(language) or self.policy.spaces["other"]
        available = tuple(s for s in wanted if s in self.retriever.spaces)
        return available or (self.retriever.lead,)

    def encode(self, question: Question, timings: dict[str, float] | None = None) -> dict[str, np.ndarray]:
        vectors = {}
        spaces = self.spaces_for(question.language)
        for space in spaces:
            started = time.perf_counter()
            vectors[space] = self.retriever.encode(question.text, space)
            if timings is not None:
                timings[f"encode {space}"] = timings.get(f"encode {space}", 0.0) + time.perf_counter() - started
        return vectors

    def plan(self, question: Question) -> tuple[list[str] | None, list[str]]:
        """(documents whose passages may be quoted, other subjects whose passages may be quoted even when they
        are about a document). The documents are those the question names, or, naming none, those whose
        attributes it mentions ("100 kg" is the Instructions'); a passage about a document is also allowed when
        it is about a person or event the question names (the Serov biography, for "Serov")."""
        documents = list(question.documents)
        if not documents:
            documents = sorted({m.subject for m in question.mentions.attributes if m.attribute in IMPLYING_ATTRIBUTES}
                               | {self.knowledge.implied_by[r] for r, _ in question.relations if r in self.knowledge.implied_by})
        others = sorted(question.mentions.subjects - set(self.knowledge.documents))
        # Naming no document and implying none, the question may be answered from any passage (the selection
        # still never mixes the documents of the quoted passages).
        return documents or None, others

    def search(self, question: Question, k: int | None = None, query: dict[str, np.ndarray] | None = None,
               timings: dict[str, float] | None = None) -> Evidence:
        query = query or self.encode(question, timings)
        spaces = tuple(query)
        k = k or self.policy.passages_considered
        only_documents, also = self.plan(question)
        retrieval = self.retriever.search(question.text, k=k, spaces=spaces, query_vectors=query,
                                          only_documents=only_documents, also_subjects=also,
                                          terms=list(question.lexical), timings=timings)
        evidence = Evidence(retrieval.hits, query, spaces[0], allowed=only_documents)
        hits = list(retrieval.hits)
        if len(question.documents) > 1:
            hits += self._missing_documents(question, query, question.documents, hits)
            evidence.hits = hits
        started = time.perf_counter()
        evidence.candidates = self.candidates(question, evidence)
        if not evidence.candidates and only_documents is None:
            # Every hit is about a document the question neither names nor implies: it describes one in words of
            # its own ("the operation manual", "the two documents"). The best hit's documents are then the ones
            # it means; without this the question is declined with nothing to weigh.
            first = next((h for h in hits if h.passage.documents), None)
            if first is not None:
                evidence.allowed = sorted(first.passage.documents)
                evidence.candidates = self.candidates(question, evidence)
        if timings is not None:
            timings["candidates"] = time.perf_counter() - started
        return evidence

    def _missing_documents(self, question: Question, query, documents: list[str], hits: list[PassageHit]):
        """For a question naming several documents, the best passage about each named document that no hit
        is about (searched again with the same vectors, so nothing is re-encoded)."""
        covered = set().union(*(h.passage.documents for h in hits)) if hits else set()
        extra = []
        for document in documents:
            if document in covered:
                continue
            found = self.retriever.search(question.text, k=MISSING_DOCUMENT_K, spaces=tuple(query), query_vectors=query,
                                          only_documents=[document], terms=list(question.lexical)).hits
            about = [h for h in found if document in h.passage.documents]
            if about:
                extra.append(about[0])
                covered |= about[0].passage.documents
        return extra

    def candidates(self, question: Question, evidence: Evidence) -> list[Candidate]:
        """Every sentence of the hit passages with its features, scored and sorted best first."""
        knowledge = self.knowledge
        query = evidence.query
        lead = evidence.lead
        second = next((s for s in query if s != lead), lead)
        asks = question.asks
        lead_vectors, second_vectors = knowledge.vectors(lead), knowledge.vectors(second)
        weights = self.policy.sentence_weights
        terms = question.terms
        named = question.named
        # The relations the question's words state ("cik vagonu": wagons), in any language: the sentence that
        # states the same relation in English speaks of what is asked.
        relations = {r for r, _ in question.relations}
        found = []
        linked = set(evidence.allowed or ())
        for rank, hit in enumerate(evidence.hits):
            p = hit.index
            # A passage about one of the documents is a candidate only when the question points to that document
            # (names it, or one of its attributes) or to another subject of the passage (the man, the event):
            # "Where were the families sent?" is not answered from the Instructions' rules alone.
            documents = hit.passage.documents
            if documents and not documents & linked and not named & set(hit.passage.about):
                continue
            rows = knowledge.question_rows[p]
            question_sim = float(np.max(lead_vectors[rows] @ query[lead])) if len(rows) else 0.0
            passage_sim = float(lead_vectors[knowledge.passage_row[p]] @ query[lead])
            # The passage is about something the question names (its subjects, or people and places it names).
            about = float(bool(named & (set(hit.passage.about) | knowledge.passage_named[p])))
            for position in knowledge.passage_sentences[p]:
                sentence = knowledge.sentences[position]
                typed = asks != "other" and holds(sentence, asks, question, knowledge.person_words)
                features = {
                    "sentence": float(lead_vectors[sentence.row] @ query[lead]),
                    "second": float(second_vectors[sentence.row] @ query[second]),
                    "question": question_sim,
                    "passage": passage_sim,
                    "overlap": len(terms & sentence.terms) / len(terms) if terms else 0.0,
                    "typed": float(typed),
                    "untyped": float(asks != "other" and not typed),
                    "rank": 1.0 / (1 + rank),
                    # Share of what the question names that the sentence names too (multilingual: entity forms).
                    "named": len(named & sentence.named) / len(named) if named else 0.0,
                    "about": about,
                    "relation": len(relations & sentence.relations) / len(relations) if relations else 0.0,
                }
                found.append(Candidate(sentence, rank, features, sentence_score(features, weights)))
        found.sort(key=lambda c: -c.score)
        return found
