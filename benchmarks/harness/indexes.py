"""Building search indexes to measure them: thread counts, an encoder that counts what it embeds, a corpus copy with
one word changed, an index's size on disk (used by retrieval.py; harness.search times the searches).

Why: the retrieval benchmark times the real `build_index` end to end, so the embedding time and the number of
texts embedded are read from inside it (CountingEncoder) rather than by embedding everything a second time;
an incremental build needs a corpus that differs from the built one by exactly one word.
Usage: encoders = {space: CountingEncoder(e) for space, e in load_encoders().items()}; build_index(corpus, encoders, d)
       edited, change = edited_copy(corpus_dir, tmp / "edited")  # one word changed
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from .memory import path_size
from .stats import timed


def set_threads(threads: int) -> dict[str, int]:
    """torch and FAISS threads; what they report back."""
    import faiss
    import torch

    faiss.omp_set_num_threads(threads)
    torch.set_num_threads(threads)
    return {"torch_threads": torch.get_num_threads(), "faiss_threads": faiss.omp_get_max_threads()}


class CountingEncoder:
    """An encoder that counts the passage texts it embeds and the seconds that takes; queries pass through."""

    def __init__(self, encoder) -> None:
        self.encoder, self.name, self.dim = encoder, encoder.name, encoder.dim
        self.reset()

    def reset(self) -> None:
        self.texts, self.seconds = 0, 0.0

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        vectors, seconds = timed(self.encoder.encode_passages, texts, progress=progress)
        self.texts, self.seconds = self.texts + len(texts), self.seconds + seconds
        return vectors

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode_queries(texts)


def copy_corpus(source: Path, dest: Path, passage_files: int = 0) -> Path:
    """The corpus's YAML files and passages copied to `dest`; with `passage_files`, only that many passage files
    and neither facts.yaml nor misconceptions.yaml (they name passages of the other files)."""
    (dest / "passages").mkdir(parents=True)
    for path in Path(source).glob("*.yaml"):
        if not passage_files or path.name in ("sources.yaml", "subjects.yaml"):
            shutil.copy2(path, dest / path.name)
    for path in sorted((Path(source) / "passages").glob("*.md"))[:passage_files or None]:
        shutil.copy2(path, dest / "passages" / path.name)
    return dest


def edit_one_word(corpus) -> str:
    """Capitalise one word of the first passage's first sentence, in its file (a copy: same length, still a valid
    corpus, a different text for the encoders); says which word."""
    passage = corpus.passages[0]
    sentence = passage.sentences[0]
    word = next(w for w in sentence.split()[1:] if w.isalpha() and w.islower() and len(w) > 3)
    text = passage.file.read_text(encoding="utf-8")
    if sentence not in text:
        raise ValueError(f"the first sentence of passage {passage.id} is not on one line of {passage.file}")
    edited = sentence.replace(f" {word}", f" {word.capitalize()}", 1)
    passage.file.write_text(text.replace(sentence, edited, 1), encoding="utf-8")
    return f"'{word}' -> '{word.capitalize()}' in passage {passage.id}"


def edited_copy(source: Path, dest: Path):
    """A copy of the corpus at `source` with one word changed (edit_one_word), loaded; and which word."""
    from corpus import load_corpus

    change = edit_one_word(load_corpus(copy_corpus(source, dest)))
    return load_corpus(dest), change


def describe_dense(index) -> str:
    """"IVF (nlist=..., nprobe=...)" or "flat (exact)"."""
    from index import dense

    return f"IVF (nlist={index.nlist}, nprobe={index.nprobe})" if dense.index_type(index) == "ivf" else "flat (exact)"


def index_sizes(index_dir: Path) -> dict[str, int]:
    """Bytes on disk of an index folder (index.store's layout): its dense and vector files (all spaces), the bm25s
    folder, the vector cache, and the total without the cache."""
    index_dir = Path(index_dir)
    found = {"dense.faiss": sum(path_size(p) for p in index_dir.glob("dense*.faiss")), "lexical": path_size(
        index_dir / "lexical"), "vectors.npy": sum(path_size(p) for p in index_dir.glob("vectors*.npy")),
        "cache": path_size(index_dir / "cache") if (index_dir / "cache").exists() else 0}
    return {**found, "total": path_size(index_dir) - found["cache"]}


def saved_sizes(dense_index, vectors: np.ndarray, lexical) -> dict[str, int]:
    """Bytes on disk of dense.faiss, vectors.npy and the bm25s folder as the store writes them, and their total."""
    from index import dense

    with tempfile.TemporaryDirectory(prefix="serov-bench-") as workdir:
        folder = Path(workdir)
        dense.save(dense_index, folder / "dense.faiss")
        np.save(folder / "vectors.npy", vectors)
        lexical.save(folder / "lexical")
        found = {name: path_size(folder / name) for name in ("dense.faiss", "vectors.npy", "lexical")}
    return {**found, "total": sum(found.values())}
