"""The index artifact on disk: build it atomically, load it, and say clearly what is wrong.

Layout of an index directory:
    manifest.json        corpus hash, model names and dimensions, counts, versions, build time, and
                         the size and SHA-256 of every other file (checked at load: a truncated or
                         replaced file is reported as damage, not loaded)
    units.json           one [passage_id, kind, sentence_index] row per unit
    dense-SPACE.faiss    FAISS index over the unit embeddings of one encoder ("primary", "multilingual")
    vectors-SPACE.npy    those embeddings (the answerer scores sentences with them)
    lexical/             bm25s index over the unit texts

Beside it, in the parent folder: `.NAME-build.lock` (held while a build runs, so two builds wait for each
other and leftovers of crashed ones can be told apart from a build in progress), and only while a
build runs, `.NAME.building-*` and `.NAME.old-*`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import faiss
import numpy as np

from corpus import Corpus
from index import dense
from index.encoders import Encoder
from index.lexical import LexicalIndex
from index.cache import VectorCache
from index.units import Unit, corpus_units

FORMAT_VERSION = 1
REBUILD_HINT = "run `serov-qa build` to rebuild it"
REBUILD_POLICIES = ("never", "stale", "always")  # SEROV_QA_INDEX_REBUILD
HASH_CHUNK = 1 << 20

log = logging.getLogger("serov_qa.index")


class IndexProblem(Exception):
    """The index cannot be used; the message says why and how to fix it."""


class IndexMissing(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


def may_rebuild(problem: IndexProblem, policy: str) -> bool:
    """Whether the rebuild policy allows fixing this problem by building the index again.

    A missing or stale index is the normal result of editing the corpus. Damage is not: builds are
    atomic, so a damaged file was changed after its build (a disk error, a bad copy, tampering), and
    an operator should hear of it rather than have it papered over (`always` does that anyway)."""
    if policy == "always":
        return True
    return policy == "stale" and isinstance(problem, (IndexMissing, IndexStale))


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
    def lead(self) -> str:
        """The space searched when a caller names none: the primary one if built, else the first."""
        return PRIMARY if PRIMARY in self.spaces else next(iter(self.spaces))

    @property
    def dense(self) -> faiss.Index:
        return self.spaces[self.lead].index

    @property
    def vectors(self) -> np.ndarray:
        return self.spaces[self.lead].vectors


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


CACHE_DIR = "cache"  # embeddings kept across builds (index.cache); they change at run time, so no checksum


def _data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != "manifest.json"
                  and CACHE_DIR not in p.relative_to(directory).parts[:1])


def cache_path(index_dir: Path, space: str) -> Path:
    """The embedding cache of one dense space (index.cache.VectorCache)."""
    return Path(index_dir) / CACHE_DIR / f"{space}.npz"


def misconception_texts(corpus: Corpus) -> list[str]:
    """The curated claims and truths of the misconception bank, embedded as queries at build time too."""
    base = corpus.facts
    return [t for m in (base.misconceptions if base else ()) for texts in (*m.claims.values(), *m.truths.values())
            for t in texts]


def file_checksums(directory: Path) -> dict[str, dict]:
    """{relative path: {"bytes": size, "sha256": hex}} of every file but the manifest."""
    return {p.relative_to(directory).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in _data_files(directory)}


def verify_files(index_dir: Path, manifest: dict) -> None:
    """Raise IndexCorrupt naming the first file that is missing or differs from its build."""
    files = manifest.get("files")
    if files is None:
        log.warning("the index at %s records no checksums (built by an older version), so damage to its files "
                    "cannot be detected; %s", index_dir, REBUILD_HINT)
        return
    if not isinstance(files, dict):
        raise IndexCorrupt(f"the index manifest at {index_dir} is damaged (its file list is unreadable); {REBUILD_HINT}")
    for name, expected in sorted(files.items()):
        path = index_dir / name
        try:
            size = path.stat().st_size
            if size != expected["bytes"]:
                why = f"{size} bytes instead of {expected['bytes']}"
            elif _sha256(path) != expected["sha256"]:
                why = "its content changed after the build (checksum mismatch)"
            else:
                continue
        except FileNotFoundError:
            why = "the file is missing"
        except (OSError, KeyError, TypeError) as exc:
            why = f"it cannot be checked ({type(exc).__name__}: {exc})"
        raise IndexCorrupt(f"the index at {index_dir} is damaged: {name}: {why}; {REBUILD_HINT}")


@contextmanager
def _build_lock(index_dir: Path, wait: bool) -> Iterator[bool]:
    """Yield True while holding the index folder's build lock, False if another build holds it (wait=False)
    or the folder cannot have a lock (a read-only index artifact: nothing will be built there either)."""
    try:
        handle = open(index_dir.parent / f".{index_dir.name}-build.lock", "a+")
    except OSError:
        yield False
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(index_dir: Path) -> list[str]:
    """Delete `.NAME.building-*` and `.NAME.old-*` folders; only call it holding the build lock."""
    removed = []
    for pattern in (f".{index_dir.name}.building-*", f".{index_dir.name}.old-*"):
        for path in index_dir.parent.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def remove_leftovers(index_dir: Path) -> list[str]:
    """Remove what crashed builds left beside the index, unless a build is running now; return the names."""
    index_dir = Path(index_dir)
    if not index_dir.parent.is_dir():
        return []
    with _build_lock(index_dir, wait=False) as locked:
        removed = _remove_leftovers(index_dir) if locked else []
    if removed:
        log.warning("removed %d folder(s) left by interrupted index builds: %s", len(removed), ", ".join(removed))
    return removed


def _say(report: Callable[[str], None] | None, message: str) -> None:
    (report or log.info)(message)


def build_index(corpus: Corpus, encoders: Encoder | dict[str, Encoder], index_dir: Path, progress: bool = False,
                report: Callable[[str], None] | None = None) -> Path:
    """Embed and index every unit of the corpus; the new index replaces the old one atomically.

    `report` gets a line per stage (the server logs them, the CLI prints them); `progress` draws
    progress bars on a terminal."""
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(index_dir, wait=True):
        _remove_leftovers(index_dir)
        return _build(corpus, as_spaces(encoders), index_dir, progress, report)


def _build(corpus: Corpus, encoders: dict[str, Encoder], index_dir: Path, progress: bool,
           report: Callable[[str], None] | None) -> Path:
    started = time.perf_counter()
    units = corpus_units(corpus)
    texts = [u.text for u in units]
    workdir = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.building-", dir=index_dir.parent))
    if (index_dir / CACHE_DIR).is_dir():  # the last build's embeddings: only new or changed texts are embedded
        shutil.copytree(index_dir / CACHE_DIR, workdir / CACHE_DIR)
    embedded = {}
    lead = PRIMARY if PRIMARY in encoders else next(iter(encoders))
    try:
        for number, (space, encoder) in enumerate(encoders.items(), start=1):
            cache = VectorCache(cache_path(workdir, space), encoder.name)
            fresh = cache.missing(texts, "passage")
            _say(report, f"building the index at {index_dir}: {len(texts)} texts, {len(fresh)} to embed with "
                         f"{encoder.name} ({number} of {len(encoders)}) ...")
            begun = time.perf_counter()
            embedded[space] = cache.vectors(texts, "passage", lambda batch: encoder.encode_passages(batch, progress=progress))
            seconds = time.perf_counter() - begun
            _say(report, f"  {encoder.name}: {seconds:.1f} s" + (f" ({len(fresh) / seconds:.0f} texts/s)" if fresh and seconds else ""))
            # The misconception bank is embedded now too, so the first start after a build does not wait for it.
            cache.vectors(misconception_texts(corpus), "query", encoder.encode_queries)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    lexical = LexicalIndex.build(texts)
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
            "model": encoders[lead].name,
            "dim": int(encoders[lead].dim),
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
            "files": file_checksums(workdir),
        }
        # The manifest is written last: a directory without one was never finished.
        (workdir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _swap_in(workdir, index_dir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    _say(report, f"built the index at {index_dir} in {time.perf_counter() - started:.0f} s")
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


def expected_models(model: str, multilingual_model: str, spaces: Collection[str] | None = None) -> dict[str, str]:
    """{space: model name} as the settings ask for them: the second space unless it is off, and, when `spaces`
    (those the answering policy searches) is given, only those of them; the primary space stands in when
    nothing else is left, so there is always one."""
    models = {PRIMARY: model}
    if multilingual_model not in ("", "off", "none"):
        models[MULTILINGUAL] = multilingual_model
    if spaces is not None:
        models = {space: name for space, name in models.items() if space in spaces} or {PRIMARY: model}
    return models


def check_index(index_dir: Path, corpus: Corpus, models: str | dict[str, str]) -> dict:
    """The manifest of an index built from exactly this corpus with these models, whose files are as built;
    else IndexProblem. Reads and hashes the files, loads nothing."""
    index_dir = Path(index_dir)
    models = dict(models) if isinstance(models, dict) else {PRIMARY: models}
    manifest = read_manifest(index_dir)
    if manifest.get("corpus_hash") != corpus.content_hash:
        raise IndexStale(f"the index at {index_dir} was built from another version of the corpus; {REBUILD_HINT}")
    if manifest.get("models") != models:
        raise IndexStale(
            f"the index at {index_dir} was built with the models {manifest.get('models')!r}, not {models!r}; {REBUILD_HINT}"
        )
    counts, dims = manifest.get("counts"), manifest.get("dims")
    if not (isinstance(counts, dict) and isinstance(counts.get("units"), int) and isinstance(dims, dict)
            and all(isinstance(dims.get(space), int) for space in models)):
        raise IndexCorrupt(f"the index manifest at {index_dir} is damaged (counts or dimensions missing); {REBUILD_HINT}")
    verify_files(index_dir, manifest)
    return manifest


def load_index(index_dir: Path, corpus: Corpus, models: str | dict[str, str]) -> LoadedIndex:
    """Load an index built from exactly this corpus with these models ({space: model}), or raise IndexProblem."""
    index_dir = Path(index_dir)
    models = dict(models) if isinstance(models, dict) else {PRIMARY: models}
    manifest = check_index(index_dir, corpus, models)
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


def prepare_index(corpus: Corpus, models: dict[str, str], index_dir: Path, *, rebuild: str,
                  encoders: Callable[[], dict[str, Encoder]], report: Callable[[str], None] | None = None,
                  progress: bool = False, on_build: Callable[[], None] | None = None) -> None:
    """Make sure a usable index is at index_dir, building it only when the rebuild policy allows.

    Removes folders left by crashed builds; checks the index; if it is missing, stale or damaged and
    `rebuild` allows, says so through `report` and builds it (`encoders()` is called only then, and
    `on_build` first); otherwise raises the IndexProblem, whose message says how to fix it."""
    if rebuild not in REBUILD_POLICIES:
        raise ValueError(f"the index rebuild policy must be one of {', '.join(REBUILD_POLICIES)}, not {rebuild!r}")
    index_dir = Path(index_dir)
    remove_leftovers(index_dir)
    try:
        check_index(index_dir, corpus, models)
        return
    except IndexProblem as problem:
        if not may_rebuild(problem, rebuild):
            raise
        _say(report, f"{problem}".replace(f"; {REBUILD_HINT}", "") + f" (rebuild policy '{rebuild}'): building it now")
    if on_build is not None:
        on_build()
    build_index(corpus, encoders(), index_dir, progress=progress, report=report)
    check_index(index_dir, corpus, models)


def ensure_index(corpus: Corpus, encoders: Encoder | dict[str, Encoder], index_dir: Path,
                 progress: bool = False, rebuild: str = "always") -> LoadedIndex:
    """Load the index, building it first if it is missing, stale or damaged (as `rebuild` allows).

    The server and the CLI call prepare_index with the configured policy first, so here the index is
    normally fine already; a rebuild here is logged, never silent."""
    encoders = as_spaces(encoders)
    models = {space: encoder.name for space, encoder in encoders.items()}
    prepare_index(corpus, models, index_dir, rebuild=rebuild, encoders=lambda: encoders, progress=progress,
                  report=log.warning)
    return load_index(index_dir, corpus, models)
