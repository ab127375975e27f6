"""Fixtures of the answering-stage tests: the tiny corpus (fixtures/tiny), a real index over it built with
the fake encoder, the pipeline over them; and the parsing stages over the real corpus, with no encoder.

Everything here is built once per session and takes a few seconds; no model is loaded.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import pytest

from tinyqa import TINY_CORPUS, FakeEncoder, NoOpNormalizer, make_policy


@pytest.fixture(scope="session")
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="session")
def tiny_corpus():
    from corpus import load_corpus

    return load_corpus(TINY_CORPUS)


@pytest.fixture(scope="session")
def tiny_index(tiny_corpus, fake_encoder, tmp_path_factory: pytest.TempPathFactory):
    """A real index (FAISS, BM25, manifest) over the tiny corpus, built with the fake encoder in both spaces."""
    from index import build_index, load_index

    encoders = {"primary": fake_encoder, "multilingual": fake_encoder}
    directory = tmp_path_factory.mktemp("tiny-index") / "index"
    build_index(tiny_corpus, encoders, directory)
    return load_index(directory, tiny_corpus, {space: e.name for space, e in encoders.items()})


@pytest.fixture(scope="session")
def policy():
    return make_policy()


@pytest.fixture(scope="session")
def pipeline(tiny_corpus, tiny_index, fake_encoder, policy):
    """The whole pipeline over the tiny corpus: every stage real, only the encoder is fake."""
    from assistant.pipeline import Pipeline

    return Pipeline(tiny_corpus, tiny_index, {"primary": fake_encoder, "multilingual": fake_encoder}, policy)


@pytest.fixture(scope="session")
def raw_understanding(pipeline):
    """The tiny pipeline's Understanding with a no-op normaliser: what a version without normalisation parses."""
    from assistant.question import Understanding

    u = pipeline.understanding
    return Understanding(u.detector, NoOpNormalizer(pipeline.lexicon, u.normalizer.names), u.subjects, u.entities)


class RealParts:
    """The parsing stages over the shipped corpus (corpus.load_corpus()), with no encoder and no index."""

    def __init__(self) -> None:
        from assistant.claims import ClaimChecker
        from assistant.entities import EntityFinder
        from assistant.language import LanguageDetector, registry
        from assistant.normalize import Normalizer
        from assistant.question import Understanding
        from assistant.subjects import SubjectDetector
        from assistant.vocabulary import Lexicon
        from corpus import load_corpus

        self.corpus = load_corpus()
        self.languages = registry()
        self.lexicon = Lexicon.from_corpus(self.corpus, self.languages.codes)
        self.entities = EntityFinder(self.corpus, self.languages.codes)
        self.subjects = SubjectDetector(self.corpus)
        self.detector = LanguageDetector(self.lexicon.own.get("en", {}), self.languages)
        self.normalizer = Normalizer(self.lexicon, self.entities.matcher)
        self.understanding = Understanding(self.detector, self.normalizer, self.subjects, self.entities)
        self.raw = Understanding(self.detector, NoOpNormalizer(self.lexicon, self.entities.matcher),
                                 self.subjects, self.entities)
        self.claims = ClaimChecker(self.corpus, self.languages)

    @cached_property
    def premise(self):
        """A PremiseChecker over the shipped corpus for its document mix-ups (no vectors: misconceptions unchecked)."""
        from assistant.knowledge import Knowledge
        from assistant.premise import PremiseChecker
        from config import load_policy
        from index import LoadedIndex
        from index.units import corpus_units

        units_only = LoadedIndex(Path("."), {}, corpus_units(self.corpus), {}, None)
        knowledge = Knowledge(self.corpus, units_only, self.entities, self.subjects)
        return PremiseChecker(knowledge, self.subjects, self.languages, load_policy())

    def parse(self, text: str):
        return self.understanding.parse(text)

    def bindings(self, text: str):
        return self.claims.bindings(self.parse(text))

    def contradicted(self, text: str) -> list[tuple[str, str]]:
        """(fact id, the visitor's words) of every value in the question that the curated facts contradict."""
        return [(b.fact.id, b.stated.text) for b in self.claims.check(self.parse(text))]


@pytest.fixture(scope="session")
def real() -> RealParts:
    return RealParts()


@pytest.fixture(scope="session")
def tiny_dir() -> Path:
    return TINY_CORPUS
