"""Put the pipeline together: corpus, encoders, index (built if missing or stale), retriever, assistant."""

from __future__ import annotations

from pathlib import Path

from assistant.answerer import Assistant
from corpus import load_corpus
from index import HybridRetriever, ensure_index
from index.encoders import MULTILINGUAL_DEFAULT, load_encoders


def load_assistant(corpus_dir: Path, index_dir: Path, model: str, multilingual_model: str = MULTILINGUAL_DEFAULT,
                   progress: bool = False) -> Assistant:
    corpus = load_corpus(corpus_dir)
    encoders = load_encoders(model, multilingual_model)
    loaded = ensure_index(corpus, encoders, index_dir, progress=progress)
    # Imported here, not at module level: the primary encoder has imported torch by now, and importing this
    # module (the server does, before it listens) must not cost torch's 2 s.
    import torch

    # One question at a time is encoded in one thread: with two threads, encoding collapses from
    # ~20 ms to ~500 ms as soon as anything else runs (a second request, a build); one costs nothing.
    torch.set_num_threads(1)
    return Assistant(corpus, HybridRetriever(corpus, loaded, encoders))
