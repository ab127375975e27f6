"""Dense search with FAISS: exact for small corpora, an inverted-file (IVF) index above a size threshold.

Up to APPROXIMATE_ABOVE vectors, IndexFlatIP scans everything: exact, and well under a
millisecond at the shipped corpus size (about 2 ms at 10k vectors of dimension 384).
A flat scan grows linearly (about 20 ms per 100k vectors on two cores), so above the
threshold we switch to IndexIVFFlat: k-means cuts the space into nlist = 4 * sqrt(n)
cells (IVF_LISTS_PER_SQRT), each vector is filed under its nearest centroid, and a query
scans only the IVF_NPROBE cells nearest to it. The vectors are stored uncompressed, so
the scores are exact cosines; only a neighbour in an unvisited cell can be missed.

Why IVF and not HNSW (the previous choice): on two cores HNSW (M=32, efConstruction=80)
took about 50 minutes to build at 1M vectors; IVF takes under 2 minutes on one thread
(about 4 under heavy load from other processes): k-means on a sample of IVF_TRAIN_PER_LIST
vectors per cell for IVF_TRAIN_ITERATIONS rounds, then one assignment pass. With
nprobe=IVF_NPROBE it answers in about 2 ms at 1M with recall@10 of 0.996 against exact
search on embedding-like vectors (0.978 with nprobe 16). Real embeddings of a narrow corpus
are harder: over 10k real embeddings (400 cells) recall@10 is 0.875 at nprobe 16 and 0.926
at 32, hence 32 cells; at 1M, nprobe 16/32/64 search in about 1.3/2.1/3.7 ms on one thread.
HNSW with cheaper build parameters (M=16, efConstruction=40) was also tried: at 200k vectors
it built slower than IVF (70 s against 57 s, and HNSW insertion slows as the graph grows)
with lower recall (0.90 against 0.98). benchmarks/retrieval.py measures build time, latency
and recall (docs/performance.md, "Retrieval").
Indexes built as HNSW by an earlier version still load and search (index_type "hnsw").
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

APPROXIMATE_ABOVE = 50_000
IVF_LISTS_PER_SQRT = 4  # nlist = 4 * sqrt(n): ~250 vectors per cell at 1M, the usual FAISS rule of thumb
IVF_TRAIN_PER_LIST = 40  # k-means sample: 40 vectors per cell (FAISS warns below 39), capped at n
IVF_TRAIN_ITERATIONS = 10  # k-means rounds (FAISS's default is 25): training is most of the build time
IVF_NPROBE = 32  # cells scanned per query (0.8% of them at 1M); see the docstring for the recall it buys
IVF_SEED = 0
HNSW_EF_SEARCH = 64  # for HNSW indexes built by earlier versions


def ivf_lists(count: int) -> int:
    """The number of IVF cells for `count` vectors (at least 1, at most `count`)."""
    return max(1, min(count, round(IVF_LISTS_PER_SQRT * math.sqrt(count))))


def make_index(vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> faiss.Index:
    """An inner-product index over L2-normalised vectors, its type chosen by size."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dim = vectors.shape
    if count > approximate_above:
        index = _make_ivf(vectors)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def _make_ivf(vectors: np.ndarray) -> faiss.IndexIVFFlat:
    count, dim = vectors.shape
    nlist = ivf_lists(count)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = IVF_TRAIN_ITERATIONS
    index.cp.seed = IVF_SEED
    # A fixed, evenly drawn sample: deterministic builds, and k-means cost independent of n beyond nlist.
    sample_size = min(count, IVF_TRAIN_PER_LIST * nlist)
    sample = np.random.default_rng(IVF_SEED).choice(count, size=sample_size, replace=False) if sample_size < count else None
    index.train(vectors if sample is None else vectors[np.sort(sample)])
    index.nprobe = min(IVF_NPROBE, nlist)
    return index  # the FAISS wrapper keeps a reference to `quantizer` for as long as `index` lives


def index_type(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexIVFFlat):
        return "ivf"
    if isinstance(index, faiss.IndexHNSWFlat):
        return "hnsw"
    return "flat"


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    # Search-time settings are not part of the file's contract: set them from this module.
    if isinstance(index, faiss.IndexIVFFlat):
        index.nprobe = min(IVF_NPROBE, index.nlist)
    elif isinstance(index, faiss.IndexHNSWFlat):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit ids, cosine scores) of the k nearest units, best first."""
    scores, ids = index.search(query.reshape(1, -1).astype(np.float32, copy=False), min(k, index.ntotal))
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
