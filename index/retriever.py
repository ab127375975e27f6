"""Hybrid retrieval: dense and lexical rankings of passages, fused by reciprocal rank.

Both searches run over units (passage texts, sentences, curated questions); a
passage ranks by its best unit. There is one dense ranking per encoder space
("primary": MiniLM, "multilingual": multilingual-e5; only those the answering policy
searches are built); the caller picks the spaces that suit the question's language. The passage rankings are fused with RRF (k=60,
see index.fusion). When the caller knows which subjects a question is about,
passages about those subjects form a third ranking (ordered by dense score),
fused with weight SUBJECT_WEIGHT: a nudge that lifts on-subject passages
without letting the subject alone outrank a passage that both searches agree on.
`only_documents` filters instead: a passage about one of the three documents is
dropped unless it is about one of the allowed documents, or about one of `also_subjects`
(this is what keeps an answer about one document from quoting a passage about another).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from corpus import Corpus, Passage
from index import dense
from index.encoders import Encoder
from index.fusion import RRF_K, reciprocal_rank_fusion
from index.store import PRIMARY, LoadedIndex, as_spaces

UNITS_PER_SEARCH = 128
SUBJECT_WEIGHT = 0.5
ENCODE_CACHE = 4096  # question vectors kept per retriever (a 384-dimension vector is 1.5 kB: 6 MB at most)
ENCODE_BATCH = 64  # questions per encoder call in encode_many


@dataclass
class PassageHit:
    passage: Passage
    index: int  # position of the passage in the corpus
    score: float  # fused RRF score
    dense: float  # best cosine similarity of any of its units in the first space searched (0 if not found)
    lexical: float  # best BM25 score of any of its units (0 if not found lexically)


@dataclass
class Retrieval:
    question: str
    query_vectors: dict[str, np.ndarray]
    hits: list[PassageHit] = field(default_factory=list)

    @property
    def query_vector(self) -> np.ndarray:
        return self.query_vectors[PRIMARY] if PRIMARY in self.query_vectors else next(iter(self.query_vectors.values()))


def _best_per_passage(unit_ids: np.ndarray, scores: np.ndarray, unit_passage: np.ndarray) -> dict[int, float]:
    best: dict[int, float] = {}
    for unit_id, score in zip(unit_ids.tolist(), scores.tolist()):
        p_index = int(unit_passage[unit_id])
        if p_index not in best:  # results come best first
            best[p_index] = score
    return best


class HybridRetriever:
    def __init__(self, corpus: Corpus, index: LoadedIndex, encoders: Encoder | dict[str, Encoder]):
        self.corpus = corpus
        self.index = index
        self.encoders = as_spaces(encoders)
        self.encoder = self.encoders.get(PRIMARY)
        # The space searched when a caller names none: the primary one if there is one, else the first.
        self.lead = PRIMARY if PRIMARY in self.encoders else next(iter(self.encoders))
        self.unit_passage = np.array([u.passage_index for u in index.units], dtype=np.int64)
        # The same question is often encoded twice in a row: the evaluation measures retrieval beside the answer,
        # the naive baseline searches it again, a kiosk visitor asks a suggestion someone just asked.
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()  # (space, question), oldest first
        self._lock = threading.Lock()

    @property
    def spaces(self) -> tuple[str, ...]:
        return tuple(self.encoders)

    def encode(self, question: str, space: str | None = None) -> np.ndarray:
        space = space or self.lead
        with self._lock:
            vector = self._vectors.get((space, question))
            if vector is not None:
                self._vectors.move_to_end((space, question))
                return vector
        vector = self.encoders[space].encode_queries([question])[0]
        self._remember(space, [question], [vector])
        return vector

    def encode_many(self, questions: list[str], space: str | None = None) -> list[np.ndarray]:
        """The vectors of many questions, those not kept yet encoded in batches (the encoders give the same
        vector in a batch as alone: tests/index/test_query_vectors.py), and kept like encode()'s."""
        space = space or self.lead
        with self._lock:
            missing = sorted({q for q in questions if (space, q) not in self._vectors})
        for start in range(0, len(missing), ENCODE_BATCH):
            batch = missing[start:start + ENCODE_BATCH]
            self._remember(space, batch, self.encoders[space].encode_queries(batch))
        return [self.encode(q, space) for q in questions]

    def forget_questions(self) -> None:
        """Drop the kept question vectors (a benchmark times first-time questions, whose encoding is most of it)."""
        with self._lock:
            self._vectors.clear()

    def _remember(self, space: str, questions: list[str], vectors) -> None:
        with self._lock:
            for question, vector in zip(questions, vectors):
                vector.flags.writeable = False  # shared by every caller
                self._vectors[(space, question)] = vector
                self._vectors.move_to_end((space, question))
            while len(self._vectors) > ENCODE_CACHE:
                self._vectors.popitem(last=False)

    def dense_scores(self, query_vector: np.ndarray, space: str | None = None) -> dict[int, float]:
        space = space or self.lead
        ids, scores = dense.search(self.index.spaces[space].index, query_vector, UNITS_PER_SEARCH)
        return _best_per_passage(ids, scores, self.unit_passage)

    def lexical_scores(self, question: str, terms: list[str] | None = None) -> dict[int, float]:
        lexical = self.index.lexical
        ids, scores = (lexical.search(question, UNITS_PER_SEARCH) if terms is None
                       else lexical.search_terms(terms, UNITS_PER_SEARCH))
        return _best_per_passage(ids, scores, self.unit_passage)

    @staticmethod
    def _allowed(passage: Passage, only_documents: Collection[str] | None, also: Collection[str] = ()) -> bool:
        """A passage about none of the three documents, or about an allowed one, or about one of `also`."""
        return (only_documents is None or not passage.documents or bool(passage.documents & set(only_documents))
                or bool(set(also) & set(passage.about)))

    def search(
        self,
        question: str,
        k: int = 10,
        *,
        spaces: Collection[str] | None = None,
        query_vectors: dict[str, np.ndarray] | None = None,
        subjects: Collection[str] = (),
        only_documents: Collection[str] | None = None,
        also_subjects: Collection[str] = (),
        use_dense: bool = True,
        use_lexical: bool = True,
        terms: list[str] | None = None,
        timings: dict[str, float] | None = None,
    ) -> Retrieval:
        """Passages for a question, best first. `spaces` defaults to the lead space alone; `terms`, the
        question's lexical terms when the caller has them (index.lexical.analyze)."""
        clock = _Clock(timings)
        spaces = tuple(spaces or (self.lead,)) if use_dense else ()
        query_vectors = dict(query_vectors or {})
        for space in spaces:
            if space not in query_vectors:
                query_vectors[space] = self.encode(question, space)
                clock.lap(f"encode {space}")
        dense_by_space = [self.dense_scores(query_vectors[space], space) for space in spaces]
        clock.lap("dense search")
        lexical_best = self.lexical_scores(question, terms) if use_lexical else {}
        clock.lap("lexical search")
        passages = self.corpus.passages
        found = set(lexical_best).union(*dense_by_space)
        allowed = {i for i in found if self._allowed(passages[i], only_documents, also_subjects)}
        dense_rankings = [sorted((i for i in best if i in allowed), key=lambda i: -best[i]) for best in dense_by_space]
        rankings = [*dense_rankings, sorted((i for i in lexical_best if i in allowed), key=lambda i: -lexical_best[i])]
        weights = [1.0] * len(rankings)
        if subjects and dense_rankings:
            wanted = set(subjects)
            rankings.append([i for i in dense_rankings[0] if wanted & set(passages[i].about)])
            weights.append(SUBJECT_WEIGHT)
        fused = reciprocal_rank_fusion(rankings, k=RRF_K, weights=weights)
        hits = [
            PassageHit(passages[i], i, score, dense_by_space[0].get(i, 0.0) if dense_by_space else 0.0,
                       lexical_best.get(i, 0.0))
            for i, score in fused[:k]
        ]
        clock.lap("fusion")
        return Retrieval(question, query_vectors, hits)


class _Clock:
    """Adds the time since the last lap to `timings[name]` (seconds); does nothing without a dict."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        import time

        self._now = time.perf_counter
        self.timings = timings
        self._last = self._now()

    def lap(self, name: str) -> None:
        if self.timings is None:
            return
        now = self._now()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._last
        self._last = now
