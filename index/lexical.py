"""Lexical search with bm25s over the same units as the dense index.

Tokens are folded (lower case, no diacritics: "Šiauliai" matches "siauliai"),
numbers stay whole ("001223", "10,000"), English stop words are dropped and
words are Snowball-stemmed so "signed" finds "signer" and "sign".

Search uses bm25s's precomputed index (one posting list of BM25 weights per term) but
not its `retrieve`: the numpy backend accumulates with `np.add.at`, which is slow (lexical
p95 about 100-190 ms at 1M units, against a 50 ms budget for the whole hybrid search), and
the numba backend adds numba to every process that imports bm25s (a second or more of
import) plus a JIT compilation of tens of seconds on the first query (bm25s does not cache
it), too much for the server's start-up. Here each query term's posting list is added to a
float32 score array with one vectorised `scores[docs] += weights` (a term's postings name
each unit once, so this equals bm25s's `np.add.at`, term by term in the same order:
bit-identical scores); above HINT_ABOVE units the top k are found from a lower bound taken
in the rarest terms' lists, avoiding a partition of all scores (slow when many units tie). Exact ties are ordered
by unit id (bm25s leaves them in arbitrary order), so the ranking is deterministic;
tests/index/test_lexical.py checks it against bm25s. benchmarks/retrieval.py measures it.
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
        # Fancy indexing wants native-size ints: converting bm25s's int32 doc ids once here, not on
        # every query, nearly halves the scatter-add at 1M units (costs 4 more bytes per posting).
        self._doc_ids = np.asarray(model.scores["indices"], dtype=np.intp)

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
        return self.search_terms(analyze(text), k)

    def search_terms(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """`search` for a text already analysed (`analyze`)."""
        vocab = self._model.vocab_dict
        # Repeated terms count once per occurrence, as in bm25s.
        term_ids = [vocab[t] for t in terms if t in vocab]
        if not term_ids or self.size == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        hint = self._rare_term_units(term_ids, k) if self.size > HINT_ABOVE else None
        return top_k(self.scores(term_ids), k, hint=hint)

    def scores(self, term_ids: list[int]) -> np.ndarray:
        """The BM25 score of every unit for these vocabulary ids (what bm25s's get_scores_from_ids computes)."""
        model = self._model
        index = model.scores
        data, indptr = index["data"], index["indptr"]
        scores = np.zeros(index["num_docs"], dtype=model.dtype)
        for term in term_ids:
            start, end = indptr[term], indptr[term + 1]
            scores[self._doc_ids[start:end]] += data[start:end]  # unique docs per posting list: same as np.add.at
        if model.nonoccurrence_array is not None:  # BM25L / BM25+ only; the default (Lucene) has none
            scores += model.nonoccurrence_array[np.asarray(term_ids)].sum()
        return scores

    def _rare_term_units(self, term_ids: list[int], k: int) -> np.ndarray:
        """Up to HINT_UNITS_PER_K * k distinct units from the shortest posting lists of these terms, for `top_k`.

        Units with a rare query term are likely high scorers; any subset gives a correct bound.
        """
        indptr = self._model.scores["indptr"]
        wanted = HINT_UNITS_PER_K * k
        lists, total = [], 0
        for term in sorted(set(term_ids), key=lambda t: indptr[t + 1] - indptr[t]):
            start = indptr[term]
            lists.append(self._doc_ids[start:min(indptr[term + 1], start + wanted - total)])
            total += len(lists[-1])
            if total >= wanted:
                break
        # One posting list names each unit once; several may share units.
        return lists[0] if len(lists) == 1 else np.unique(np.concatenate(lists))


HINT_UNITS_PER_K = 32  # top_k's hint: enough units from the rarest terms' lists to hold k good scores
HINT_ABOVE = 250_000  # units; below, a plain partition is cheaper than making the hint (measured crossover ~300k)


def top_k(scores: np.ndarray, k: int, hint: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, scores) of the k highest positive scores, best first, ties by ascending id.

    `hint`, distinct unit ids, only makes it faster: the k-th best score among them is a lower
    bound of the k-th best overall, so one comparison pass over all scores leaves a small
    candidate set to sort, where a partition of all scores is slow when many units tie (as they
    do when a frequent term alone matches them). Without it, or if the bound is poor, the
    candidates are cut with np.partition first.
    """
    k = min(k, len(scores))
    kth = 0.0
    if hint is not None and len(hint) >= k:
        values = scores[hint]
        kth = values[np.argpartition(values, len(values) - k)[len(values) - k]]
    # Everything at or above the bound (so ties on the boundary are resolved by id, not by chance).
    candidates = np.flatnonzero(scores >= kth) if kth > 0 else np.flatnonzero(scores > 0)
    if len(candidates) > HINT_UNITS_PER_K * k:  # a poor bound: cut to the exact k-th score before sorting
        values = scores[candidates]
        cut = np.partition(values, len(values) - k)[len(values) - k]
        candidates = candidates[values >= cut]
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    ids = candidates[order]
    return ids.astype(np.int64), scores[ids]
