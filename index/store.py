"""The index artifact on disk: build it atomically, load it, and say clearly what is wrong.

Layout of an index directory:
    manifest.json        corpus hash, model names and dimensions, counts, versions, build time
    units.json           one [passage_id, kind, sentence_index] row per unit
    dense-SPACE.faiss    FAISS index over the unit embeddings of one encoder ("primary", "multilingual")
    vectors-SPACE.npy    those embeddings (the answerer scores sentences with them)
    lexical/             bm25s index over the unit texts
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import faiss
import numpy as np

from corpus import Corpus
from index import dense
from index.encoders import Encoder
from index.lexical import LexicalIndex
from index.units import Unit, corpus_units

FORMAT_VERSION = 1
REBUILD_HINT = "run `serov-qa build` to rebuild it"


class IndexProblem(Exception):
    """The index cannot be used; the message says why and how to fix it."""


class IndexMissing(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


PRIMARY = "primary"
MULTILINGUAL = "multilingual"


@dataclass
class DenseSpace:
    """One encoder's view of the units: its FAISS index and the raw vectors."""

    model: str
    index: faiss.Index
    vectors: np.ndarray


@dataclass
class LoadedIndex:
    directory: Path
    manifest: dict
    units: list[Unit]
    spaces: dict[str, DenseSpace]
    lexical: LexicalIndex

    @property
    def dense(self) -> faiss.Index:
        return self.spaces[PRIMARY].index

    @property
    def vectors(self) -> np.ndarray:
        return self.spaces[PRIMARY].vectors


def as_spaces(encoders: Encoder | dict[str, Encoder]) -> dict[str, Encoder]:
    """A single encoder is the primary space."""
    return dict(encoders) if isinstance(encoders, dict) else {PRIMARY: encoders}


def _versions() -> dict[str, str]:
    names = ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


def build_index(corpus: Corpus, encoders: Encoder | dict[str, Encoder], index_dir: Path, progress: bool = False) -> Path:
    """Embed and index every unit of the corpus; the new index replaces the old one atomically."""
    started = time.perf_counter()
    encoders = as_spaces(encoders)
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    units = corpus_units(corpus)
    texts = [u.text for u in units]
    embedded = {space: encoder.encode_passages(texts, progress=progress) for space, encoder in encoders.items()}
    lexical = LexicalIndex.build(texts)
    workdir = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    try:
        index_types = {}
        for space, vectors in embedded.items():
            faiss_index = dense.make_index(vectors)
            index_types[space] = dense.index_type(faiss_index)
            dense.save(faiss_index, workdir / f"dense-{space}.faiss")
            np.save(workdir / f"vectors-{space}.npy", vectors)
        lexical.save(workdir / "lexical")
        rows = [[corpus.passages[u.passage_index].id, u.kind, u.sentence_index] for u in units]
        (workdir / "units.json").write_text(json.dumps(rows), encoding="utf-8")
        manifest = {
            "format": FORMAT_VERSION,
            "corpus_hash": corpus.content_hash,
            "model": encoders[PRIMARY].name,
            "dim": int(encoders[PRIMARY].dim),
            "models": {space: encoder.name for space, encoder in encoders.items()},
            "dims": {space: int(encoder.dim) for space, encoder in encoders.items()},
            "index_type": index_types,
            "counts": {
                "passages": len(corpus.passages),
                "units": len(units),
                **{kind: sum(u.kind == kind for u in units) for kind in ("sentence", "question")},
            },
            "versions": _versions(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 3),
        }
        # The manifest is written last: a directory without one was never finished.
        (workdir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _swap_in(workdir, index_dir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return index_dir


def _swap_in(new: Path, target: Path) -> None:
    """Replace `target` by `new` with renames only, so readers never see a half-written index.

    Two renames: the old index moves aside, the new one moves in. If the second fails, the old
    one is put back. (A crash between the two leaves no index at `target`: the next start finds
    it missing and rebuilds it; the old copy stays beside it as `.NAME.old-*`.)
    """
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{time.time_ns()}")
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / "manifest.json"
    if not path.exists():
        raise IndexMissing(f"no index at {index_dir} (manifest.json is missing); {REBUILD_HINT}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest {path} is unreadable ({exc}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"the index at {index_dir} has an unknown format; {REBUILD_HINT}")
    return manifest


def load_index(index_dir: Path, corpus: Corpus, models: str | dict[str, str]) -> LoadedIndex:
    """Load an index built from exactly this corpus with these models ({space: model}), or raise IndexProblem."""
    index_dir = Path(index_dir)
    models = dict(models) if isinstance(models, dict) else {PRIMARY: models}
    manifest = read_manifest(index_dir)
    if manifest.get("corpus_hash") != corpus.content_hash:
        raise IndexStale(f"the index at {index_dir} was built from another version of the corpus; {REBUILD_HINT}")
    if manifest.get("models") != models:
        raise IndexStale(
            f"the index at {index_dir} was built with the models {manifest.get('models')!r}, not {models!r}; {REBUILD_HINT}"
        )
    try:
        rows = json.loads((index_dir / "units.json").read_text(encoding="utf-8"))
        position = {p.id: i for i, p in enumerate(corpus.passages)}
        units = []
        for passage_id, kind, sentence_index in rows:
            p_index = position[passage_id]
            passage = corpus.passages[p_index]
            text = passage.sentences[sentence_index] if kind == "sentence" else ""
            units.append(Unit(p_index, kind, int(sentence_index), text))
        spaces = {
            space: DenseSpace(
                model, dense.load(index_dir / f"dense-{space}.faiss"),
                np.load(index_dir / f"vectors-{space}.npy", allow_pickle=False),
            )
            for space, model in models.items()
        }
        lexical = LexicalIndex.load(index_dir / "lexical", len(units))
        expected = manifest["counts"]["units"]
        for space, loaded in spaces.items():
            consistent = len(units) == loaded.index.ntotal == len(loaded.vectors) == expected
            if not consistent or loaded.vectors.ndim != 2 or loaded.vectors.shape[1] != manifest["dims"][space]:
                raise ValueError("the files do not agree with each other")
    except Exception as exc:  # any unreadable or inconsistent file means the same thing to the user
        raise IndexCorrupt(f"the index at {index_dir} is damaged ({type(exc).__name__}: {exc}); {REBUILD_HINT}") from None
    return LoadedIndex(index_dir, manifest, units, spaces, lexical)


def ensure_index(corpus: Corpus, encoders: Encoder | dict[str, Encoder], index_dir: Path,
                 progress: bool = False) -> LoadedIndex:
    """Load the index, building it first if it is missing, stale or damaged."""
    encoders = as_spaces(encoders)
    models = {space: encoder.name for space, encoder in encoders.items()}
    try:
        return load_index(index_dir, corpus, models)
    except IndexProblem:
        build_index(corpus, encoders, index_dir, progress=progress)
        return load_index(index_dir, corpus, models)
