"""Retrieval: encoders, the on-disk index artifact, lexical and dense search, and their fusion."""

from index.encoders import Encoder, load_encoder
from index.retriever import HybridRetriever, PassageHit, Retrieval
from index.store import IndexProblem, IndexStale, LoadedIndex, build_index, ensure_index, load_index

__all__ = [
    "Encoder", "HybridRetriever", "IndexProblem", "IndexStale", "LoadedIndex", "PassageHit", "Retrieval",
    "build_index", "ensure_index", "load_encoder", "load_index",
]
