"""Test doubles for the answering stages: a deterministic fake encoder, a no-op normaliser and a test policy.

The fake encoder is a hashed bag of words: each lower-cased word (diacritics kept, so that a word typed
without them is another word, as it is to a real model) adds 1 to one of DIM coordinates; the vector
is L2-normalised, so the inner product of two texts is the cosine of their word counts. Two texts
with the same words have similarity 1, texts sharing no word 0 (up to hash collisions).
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np

from assistant.language import Language
from assistant.normalize import Normalizer, Rewrite
from config import Policy

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY_CORPUS = FIXTURES / "tiny"
_WORD = re.compile(r"\w+")


class FakeEncoder:
    """Hashed bag-of-words vectors, L2-normalised: deterministic, no model, microseconds per text."""

    def __init__(self, name: str = "fake-bow", dim: int = 512) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.casefold()):
            v[zlib.crc32(word.encode("utf-8")) % self.dim] += 1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.vstack([self.vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self.encode_queries(texts)


class NoOpNormalizer(Normalizer):
    """A version without typing normalisation: the text goes on as typed."""

    def normalize(self, text: str, language: Language) -> tuple[str, tuple[Rewrite, ...]]:
        return text, ()


def make_policy(**premise) -> Policy:
    """A policy whose numbers suit the fake encoder: similarity and overlap decide, and an answer needs a
    best sentence with similarity of about 0.3 or more (P(answerable) = logistic(12 * sentence - 4))."""
    return Policy.model_validate({
        "spaces": {"en": ["primary", "multilingual"], "other": ["multilingual"]},
        "passages_considered": 4,
        "sentence_weights": {"sentence": 1.0, "second": 0.2, "question": 0.3, "passage": 0.1, "overlap": 0.3,
                             "typed": 0.1, "untyped": -0.1, "rank": 0.1, "named": 0.2, "relation": 0.1},
        "quoting": {"max_quotes": 3, "max_sentences": 4, "same_passage_margin": 0.05, "other_passage_margin": 0.02},
        "decision": {"weights": {"sentence": 12.0, "unknown": -2.0}, "bias": -4.0, "answer_above": 0.5},
        "premise": {"misconception_above": 0.6, "misconception_margin": 0.02, **premise},
    })
