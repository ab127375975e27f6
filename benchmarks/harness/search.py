"""Timing searches: the stages of one hybrid retrieval, what BM25 touches per question, and an IVF index's recall.

Why: the retrieval targets are about these figures, so they are defined once, here, for the shipped corpus and
the synthetic ones alike: (a) encoding a question, (b) the dense search, (c) the lexical search, (d) the whole
`HybridRetriever.search` (encode + dense + lexical + RRF; it encodes again), each after a warm-up; and
recall@10 of an IVF index = share of the exact top 10 (IndexFlatIP over the same vectors) in the IVF top 10.
Usage: latency = time_queries(retriever, questions, warmup=20)["hybrid"]["p95"]
       found = forced_ivf(vectors, query_vectors, 20, "embedding-like vectors")["by_nprobe"][32]["recall"]
"""

from __future__ import annotations

import time

import numpy as np

from .stats import summarize, timed

NPROBE_SWEEP = (4, 8, 16, 32, 64)  # IVF cells scanned per query, for the recall table
RECALL_AT = 10


def time_queries(retriever, questions: list[str], warmup: int, space: str | None = None) -> dict:
    """Per question: encode, dense search, lexical search, then the whole hybrid search (which encodes again);
    `space` None is the primary (English) dense space, another names the one space searched."""
    on, search_on = ({}, {}) if space is None else ({"space": space}, {"spaces": (space,)})
    times: dict[str, list[float]] = {"encode": [], "dense": [], "lexical": [], "hybrid": [], "encode+dense": []}
    hits = []
    for i, question in enumerate(questions):
        t0 = time.perf_counter()
        vector = retriever.encode(question, **on)
        t1 = time.perf_counter()
        retriever.dense_scores(vector, **on)
        t2 = time.perf_counter()
        lexical = retriever.lexical_scores(question)
        t3 = time.perf_counter()
        retriever.search(question, **search_on)
        t4 = time.perf_counter()
        if i >= warmup:
            for name, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t2 - t0)):
                times[name].append(seconds)
            hits.append(len(lexical))
    found = {name: summarize(values) for name, values in times.items()}
    found["postings"] = postings_per_query(retriever.index.lexical, questions)
    return {**found, "lexical_hit_rate": float(np.mean([h > 0 for h in hits])), "lexical_mean_hits": float(np.mean(hits))}


def postings_per_query(lexical, questions: list[str]) -> dict[str, float]:
    """The summed document frequencies of a question's BM25 terms, over units: what the lexical search's cost grows
    with, and a check that synthetic corpora give the real questions' terms realistic frequencies."""
    from index.lexical import analyze

    indptr, vocab = lexical._model.scores["indptr"], lexical._model.vocab_dict
    fractions = [sum(int(indptr[vocab[t] + 1] - indptr[vocab[t]]) for t in analyze(q) if t in vocab) / max(lexical.size, 1)
                 for q in dict.fromkeys(questions)]
    return {"p50": float(np.percentile(fractions, 50)), "p95": float(np.percentile(fractions, 95))}


def dense_recall(index, vectors: np.ndarray, queries: np.ndarray, warmup: int, label: str, build_s: float) -> dict:
    """Latency (one question fetching UNITS_PER_SEARCH units) and recall@10 of an IVF index against exact search
    over the same vectors, for several nprobe."""
    import faiss

    from index import dense
    from index.retriever import UNITS_PER_SEARCH

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    truth = exact.search(queries, RECALL_AT)[1]
    shipped, by_nprobe = index.nprobe, {}
    try:
        for nprobe in sorted(n for n in {*NPROBE_SWEEP, shipped} if n <= index.nlist):
            index.nprobe, times, hits = nprobe, [], 0
            for q, true in zip(queries, truth):
                (ids, _), seconds = timed(dense.search, index, q, UNITS_PER_SEARCH)
                times.append(seconds)
                hits += len(set(ids[:RECALL_AT].tolist()) & set(true.tolist()))
            by_nprobe[nprobe] = {"recall": hits / (len(queries) * RECALL_AT), "search": summarize(times[warmup:])}
    finally:
        index.nprobe = shipped
    return {"label": label, "build_s": build_s, "count": len(vectors), "nlist": index.nlist, "shipped_nprobe": shipped,
            "by_nprobe": by_nprobe}


def forced_ivf(vectors: np.ndarray, queries: np.ndarray, warmup: int, label: str) -> dict:
    """The shipped IVF index type built over `vectors` whatever their count, and its recall."""
    from index import dense

    index, build_s = timed(dense.make_index, vectors, approximate_above=0)
    return dense_recall(index, vectors, queries, warmup, label, build_s)
