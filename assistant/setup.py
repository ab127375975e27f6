"""Put the pipeline together: corpus, encoder, index (built if missing or stale), retriever, assistant."""

from __future__ import annotations

from pathlib import Path

from assistant.answerer import Assistant
from corpus import load_corpus
from index import HybridRetriever, ensure_index, load_encoder


def load_assistant(corpus_dir: Path, index_dir: Path, model: str, progress: bool = False) -> Assistant:
    corpus = load_corpus(corpus_dir)
    encoder = load_encoder(model)
    loaded = ensure_index(corpus, encoder, index_dir, progress=progress)
    return Assistant(corpus, HybridRetriever(corpus, loaded, encoder))
