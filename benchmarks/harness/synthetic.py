"""Synthetic corpora for measuring retrieval at 10k-1M passages: texts, vectors, and the real retriever over them.

Why: the shipped corpus has a few thousand search units; the targets are about a million. Texts (seed 0):
each passage is 1-3 sentences; each sentence is a sentence (or curated question) of the shipped corpus in
which every word is kept with probability 0.35 and otherwise replaced by a word drawn from a Zipf
distribution over the shipped corpus's words (most frequent first) followed by 150,000 pronounceable
pseudo-words, so BM25 sees Zipfian term statistics, a vocabulary that grows with the corpus, and the real
questions' terms at realistic document frequencies. Vectors: embedding that many passages takes hours on
two cores, so large corpora get random unit vectors; recall on those says little (everything is about
equally far from a question), so `embedding_like_vectors` makes vectors spread like text embeddings:
normalise(a + w*0.7*b + 0.6*g), a and b real embeddings of two random shipped units, w uniform in [0, 1),
g a random unit vector (questions' nearest-neighbour cosine about 0.78, against 0.80 on the real corpus).
Usage: built = build(corpus, encoder, 100_000, embed_up_to=10_000); built.retriever.search(question); built.dense_s
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np

from .indexes import describe_dense
from .stats import timed

KEEP_WORD = 0.35
PSEUDO_WORDS = 150_000
ZIPF_S = 1.05
SEED = 0
_PIECE = re.compile(r"\w+|[^\w\s]+")
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


class SyntheticText:
    """Deterministic passages with the shipped corpus's sentence shapes and Zipfian word statistics."""

    def __init__(self, corpus, pseudo_words: int = PSEUDO_WORDS, seed: int = SEED):
        rng = np.random.default_rng(seed)
        sentences = [s for p in corpus.passages for s in p.sentences] + [q for p in corpus.passages for q in p.questions]
        counts: dict[str, int] = {}
        for sentence in sentences:
            for word in re.findall(r"\w+", sentence):
                counts[word] = counts.get(word, 0) + 1
        pseudo: set[str] = set()
        while len(pseudo) < pseudo_words:
            lengths, picks = rng.integers(2, 5, size=4096), rng.integers(0, len(_SYLLABLES), size=(4096, 4))
            pseudo.update("".join(_SYLLABLES[j] for j in row[:n]) for n, row in zip(lengths, picks))
        pseudo_list = sorted(pseudo)[:pseudo_words]
        rng.shuffle(pseudo_list)
        self.vocabulary = np.array(sorted(counts, key=lambda w: (-counts[w], w)) + pseudo_list, dtype=object)
        weights = 1.0 / np.arange(1, len(self.vocabulary) + 1) ** ZIPF_S
        self._cdf = np.cumsum(weights) / weights.sum()
        self._templates = [_PIECE.findall(s) for s in sentences]
        self.seed = seed

    def passages(self, count: int, chunk: int = 20_000) -> list[str]:
        rng, templates, out = np.random.default_rng(self.seed + 1), self._templates, []
        for start in range(0, count, chunk):
            per_passage = rng.integers(1, 4, size=min(chunk, count - start))
            chosen = rng.integers(0, len(templates), size=int(per_passage.sum()))
            total = sum(len(templates[t]) for t in chosen)
            keep = rng.random(total) < KEEP_WORD
            replacement = self.vocabulary[np.searchsorted(self._cdf, rng.random(total))]
            pos = sentence = 0
            for n in per_passage:
                parts = []
                for _ in range(n):
                    words = templates[chosen[sentence]]
                    end = pos + len(words)
                    parts.append(" ".join(w if (k or not w[0].isalnum()) else r
                                          for w, k, r in zip(words, keep[pos:end], replacement[pos:end])))
                    pos, sentence = end, sentence + 1
                out.append(" ".join(parts))
        return out


def random_unit_vectors(count: int, dim: int, seed: int = SEED, chunk: int = 100_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, chunk):
        block = rng.standard_normal((min(chunk, count - start), dim), dtype=np.float32)
        vectors[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return vectors


def embedding_like_vectors(real: np.ndarray, count: int, seed: int = SEED + 11, chunk: int = 100_000) -> np.ndarray:
    """`count` unit vectors spread like text embeddings: blends of two real embeddings plus noise (see above)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        a, b = real[rng.integers(0, len(real), size)], real[rng.integers(0, len(real), size)]
        noise = rng.standard_normal((size, real.shape[1]), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        block = a + rng.random((size, 1), dtype=np.float32) * 0.7 * b + 0.6 * noise
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


class _Passages:
    """What HybridRetriever reads of corpus.passages: one placeholder passage per unit (no subjects, no documents)."""

    def __init__(self, count: int):
        from corpus import Passage

        self._count, self._passage = count, Passage(id="synthetic", about=(), sources=(), text="", sentences=())

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int):
        return self._passage


class _Units:
    """What HybridRetriever reads of index.units: unit i belongs to passage i (made on the fly, not stored)."""

    def __init__(self, count: int):
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        return (SimpleNamespace(passage_index=i) for i in range(self._count))


def synthetic_retriever(encoder, dense_index, vectors, lexical):
    """The real HybridRetriever over stand-ins for the corpus and the loaded index (1 unit = 1 passage, one space)."""
    from index import HybridRetriever
    from index.store import PRIMARY

    count = len(vectors)
    index = SimpleNamespace(units=_Units(count), lexical=lexical, dense=dense_index, vectors=vectors,
                            spaces={PRIMARY: SimpleNamespace(model=encoder.name, index=dense_index, vectors=vectors)})
    return HybridRetriever(SimpleNamespace(passages=_Passages(count)), index, encoder)


def build(corpus, encoder, count: int, embed_up_to: int) -> SimpleNamespace:
    """A synthetic corpus of `count` passages and its indexes, each step timed: the texts (generate_s), their vectors
    (embed_s; real embeddings up to `embed_up_to` passages, random unit vectors above; `kind` says which), the dense
    index as index/dense.py makes it (dense_s), the BM25 index (lexical_s), and the real retriever over them."""
    from index import dense
    from index.lexical import LexicalIndex

    texts, generate_s = timed(SyntheticText(corpus).passages, count)
    kind = "real" if count <= embed_up_to else "random"
    vectors, embed_s = timed(encoder.encode_passages, texts) if kind == "real" else timed(random_unit_vectors, count,
                                                                                           encoder.dim)
    print(f"  [{count:,}] texts in {generate_s:.1f} s, {kind} vectors in {embed_s:.1f} s; building the indexes ...",
          flush=True)
    dense_index, dense_s = timed(dense.make_index, vectors)
    lexical, lexical_s = timed(LexicalIndex.build, texts)
    print(f"  [{count:,}] {describe_dense(dense_index)} in {dense_s:.1f} s, BM25 in {lexical_s:.1f} s", flush=True)
    return SimpleNamespace(texts=texts, kind=kind, vectors=vectors, dense_index=dense_index, lexical=lexical,
                           retriever=synthetic_retriever(encoder, dense_index, vectors, lexical), generate_s=generate_s,
                           embed_s=embed_s, dense_s=dense_s, lexical_s=lexical_s)
