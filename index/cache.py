"""Vectors cached by (model, mode, text), so that a text is embedded once, not at every start or build.

Why: embedding is most of the cost of building the index and of loading the misconception bank (about
15 ms a text for multilingual-e5 on one thread); the same texts come back at every start and after
every small corpus edit. Vectors are keyed by a hash of the mode ("query" or "passage": e5 embeds them
differently) and the text; a file holds one model's vectors, so changing the model starts a new file.
The file is written atomically (a temporary file, then a rename); a damaged file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def text_key(mode: str, text: str) -> str:
    return hashlib.sha1(f"{mode}\0{text}".encode("utf-8")).hexdigest()


class VectorCache:
    def __init__(self, path: Path, model: str) -> None:
        self.path = Path(path)
        self.model = model
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    if str(data["model"]) == self.model:
                        self._vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, KeyError, ValueError):
                pass  # missing or damaged: every text is embedded again
        return self._vectors

    def missing(self, texts: Sequence[str], mode: str) -> list[str]:
        """The texts not cached yet (distinct, in order)."""
        known = self._load()
        return list(dict.fromkeys(t for t in texts if text_key(mode, t) not in known))

    def vectors(self, texts: Sequence[str], mode: str, encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The vectors of the texts, embedding (in one batch) and saving only those not cached yet."""
        known = self._load()
        keys = [text_key(mode, t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        if missing:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            fresh = encode([texts[first[k]] for k in missing])
            for key, vector in zip(missing, fresh):
                known[key] = np.asarray(vector, dtype=np.float32)
            self.save()
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[k] for k in keys])

    def save(self) -> None:
        known = self._load()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, model=np.array(self.model), keys=np.array(list(known)),
                         vectors=np.stack(list(known.values())) if known else np.zeros((0, 0), np.float32))
            os.replace(temporary, self.path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)  # a read-only index folder: the vectors stay in memory
