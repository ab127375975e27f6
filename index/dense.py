"""Dense search with FAISS: exact for small corpora, HNSW above a size threshold.

Up to APPROXIMATE_ABOVE vectors, IndexFlatIP scans everything (exact; well under
a millisecond at the shipped corpus size). Above it, a flat scan grows linearly
(about 20 ms per 100k vectors of dimension 384 on two cores), so we switch to
HNSW (M=32, efSearch=64), which keeps queries at about a millisecond at 1M
vectors with recall close to exact search (benchmarks/retrieval.py measures it).
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

APPROXIMATE_ABOVE = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64


def make_index(vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> faiss.Index:
    """An inner-product index over L2-normalised vectors, its type chosen by size."""
    count, dim = vectors.shape
    if count > approximate_above:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def index_type(index: faiss.Index) -> str:
    return "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat"


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit ids, cosine scores) of the k nearest units, best first."""
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32, copy=False), min(k, index.ntotal))
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
