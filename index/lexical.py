"""Lexical search with bm25s over the same units as the dense index.

Tokens are folded (lower case, no diacritics: "Šiauliai" matches "siauliai"),
numbers stay whole ("001223", "10,000"), English stop words are dropped and
words are Snowball-stemmed so "signed" finds "signer" and "sign".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from corpus.text import tokens

_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def analyze(text: str) -> list[str]:
    """The lexical terms of a text."""
    return [_stem(t) for t in tokens(text) if t not in _STOPWORDS]


class LexicalIndex:
    """BM25 over a list of texts; `search` returns (unit ids, scores) with score > 0."""

    def __init__(self, model: bm25s.BM25, size: int):
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        model = bm25s.BM25()
        # An empty text would make bm25s drop the row; a placeholder keeps unit ids aligned.
        model.index([analyze(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(model, len(texts))

    def save(self, directory: Path) -> None:
        self._model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> "LexicalIndex":
        return cls(bm25s.BM25.load(str(directory), mmap=False, show_progress=False), size)

    def search(self, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        terms = [t for t in analyze(text) if t in self._model.vocab_dict]
        if not terms or self.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        ids, scores = self._model.retrieve([terms], k=min(k, self.size), show_progress=False, n_threads=0)
        keep = scores[0] > 0
        return ids[0][keep].astype(np.int64), scores[0][keep]
