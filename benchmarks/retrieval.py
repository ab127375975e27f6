"""Retrieval speed and memory, on the shipped corpus and on synthetic corpora of 10k, 100k and 1M passages.

What: for each corpus, the index build time (embedding, dense index, BM25 index), the
index size on disk, the resident memory once built, and the query latency p50/p95 of
(a) encoding one question, (b) the dense search, (c) the lexical search and (d) the whole
hybrid retrieval (encode + dense + lexical + reciprocal rank fusion), each timed over
realistic questions (the `question` field of evaluation/questions.yaml) after a warm-up.

Why: the hybrid retriever must stay interactive on a small two-core machine. Targets:
hybrid p50 within 1.5x of encode + dense search alone on the shipped corpus, and hybrid
p95 under 50 ms (encode included) at 1M passages with the approximate (IVF) index.
For every approximate dense index it also measures recall@10 against exact search
(IndexFlatIP over the same vectors) on the timed questions, at the shipped nprobe and a
few others, which is what index/dense.py's IVF_NPROBE was chosen from.
The script writes its figures into docs/performance.md, between the markers
<!-- retrieval:start --> and <!-- retrieval:end -->, leaving the other sections alone.

How the synthetic corpora are made (deterministic, seed 0): each passage is 1-3 sentences;
each sentence is a sentence (or curated question) of the shipped corpus in which every word
is kept with probability 0.35 and otherwise replaced by a word drawn from a Zipf
distribution over a vocabulary of the shipped corpus's words (most frequent first)
followed by 150,000 pronounceable pseudo-words. So BM25 sees Zipfian term statistics,
a vocabulary that grows with the corpus, and the real questions' terms with realistic,
rather high, document frequencies. One synthetic passage is one search unit. Corpora up
to --embed-up-to passages are embedded with the real encoder (its throughput is reported);
larger ones get random L2-normalised float32 vectors instead, because embedding 100k-1M
passages takes hours on two cores. Queries are always real encoded questions. Recall on
isotropic random vectors says little (every vector is about equally far from a question,
so IVF cells do not match neighbourhoods), so where the vectors are random the run also
builds the same IVF index over "embedding-like" vectors of the same count and measures
latency and recall there: each is normalise(a + w*0.7*b + 0.6*g), with a and b real MiniLM
embeddings of two random shipped units, w uniform in [0, 1) and g a random unit vector,
which gives questions nearest-neighbour cosines like real ones (about 0.78 against 0.80).
At 10k (real embeddings, normally a flat index) IVF is also built over the real vectors.
Each corpus runs in its own fresh process, so memory figures do not leak between sizes.

Usage: python benchmarks/retrieval.py [--sizes 10000,100000,1000000] [--queries 200] [--skip-large]
       [--lexical-experiments] [--no-recall] [--output docs/performance.md]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    ROOT, report_header, busy_cpu_s, ensure_project_on_path, facts_line, fmt_bytes, fmt_ms, fmt_seconds, machine_facts, markdown_table,
    path_size, peak_rss_mb, rss_mb, summarize, usable_cores, wait_for_idle, write_section,
)

ensure_project_on_path()
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

SECTION = "retrieval"
QUESTIONS_FILE = ROOT / "evaluation" / "questions.yaml"
MULTILINGUAL_QUESTIONS_FILE = ROOT / "evaluation" / "questions-multilingual.yaml"
SHIPPED = "shipped"
LARGE_ABOVE = 100_000  # --skip-large drops sizes above this
RATIO_TARGET = 1.5  # hybrid p50 / (encode + dense) p50 on the shipped corpus
P95_TARGET_MS = 50.0  # hybrid p95 at 1M passages, encode included
P95_TARGET_SIZE = 1_000_000
KEEP_WORD = 0.35
PSEUDO_WORDS = 150_000
ZIPF_S = 1.05
SEED = 0
NPROBE_SWEEP = (4, 8, 16, 32, 64)  # IVF cells scanned per query, for the recall table
RECALL_AT = 10


# --- inputs ---------------------------------------------------------------------------------------

def load_questions(count: int, seed: int = SEED, path: Path = QUESTIONS_FILE) -> list[str]:
    """`count` questions from a gold file, in a fixed shuffled order (cycled if more are asked for)."""
    import yaml

    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions = [item["question"] for item in items if item.get("question")]
    random.Random(seed).shuffle(questions)
    return [questions[i % len(questions)] for i in range(count)]


_PIECE = re.compile(r"\w+|[^\w\s]+")
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


class SyntheticText:
    """Deterministic passages with the shipped corpus's sentence shapes and Zipfian word statistics."""

    def __init__(self, corpus, pseudo_words: int = PSEUDO_WORDS, seed: int = SEED):
        rng = np.random.default_rng(seed)
        sentences = [s for p in corpus.passages for s in p.sentences] + [q for p in corpus.passages for q in p.questions]
        counts: dict[str, int] = {}
        for sentence in sentences:
            for word in re.findall(r"\w+", sentence):
                counts[word] = counts.get(word, 0) + 1
        corpus_words = sorted(counts, key=lambda w: (-counts[w], w))
        pseudo: set[str] = set()
        while len(pseudo) < pseudo_words:
            lengths = rng.integers(2, 5, size=4096)
            picks = rng.integers(0, len(_SYLLABLES), size=(4096, 4))
            pseudo.update("".join(_SYLLABLES[j] for j in row[:n]) for n, row in zip(lengths, picks))
        pseudo_list = sorted(pseudo)[:pseudo_words]
        rng.shuffle(pseudo_list)
        self.vocabulary = np.array(corpus_words + pseudo_list, dtype=object)
        weights = 1.0 / np.arange(1, len(self.vocabulary) + 1) ** ZIPF_S
        self._cdf = np.cumsum(weights) / weights.sum()
        self._templates = [_PIECE.findall(s) for s in sentences]
        self.seed = seed

    def passages(self, count: int, chunk: int = 20_000) -> list[str]:
        rng = np.random.default_rng(self.seed + 1)
        templates = self._templates
        out: list[str] = []
        for start in range(0, count, chunk):
            size = min(chunk, count - start)
            per_passage = rng.integers(1, 4, size=size)
            chosen = rng.integers(0, len(templates), size=int(per_passage.sum()))
            total = sum(len(templates[t]) for t in chosen)
            keep = rng.random(total) < KEEP_WORD
            replacement = self.vocabulary[np.searchsorted(self._cdf, rng.random(total))]
            pos = sentence = 0
            for n in per_passage:
                parts = []
                for _ in range(n):
                    words = templates[chosen[sentence]]
                    end = pos + len(words)
                    parts.append(" ".join(
                        w if (k or not w[0].isalnum()) else r
                        for w, k, r in zip(words, keep[pos:end], replacement[pos:end])
                    ))
                    pos, sentence = end, sentence + 1
                out.append(" ".join(parts))
        return out


def random_unit_vectors(count: int, dim: int, seed: int = SEED, chunk: int = 100_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, chunk):
        block = rng.standard_normal((min(chunk, count - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start:start + len(block)] = block
    return vectors


# --- measuring ------------------------------------------------------------------------------------

def time_queries(retriever, questions: Sequence[str], warmup: int, space: str | None = None) -> dict:
    """Per question: encode, dense search, lexical search, then the whole hybrid search (which encodes again).

    `space` None is the default (primary, English) dense space; another names the one space searched.
    """
    from time import perf_counter

    on = {} if space is None else {"space": space}
    search_on = {} if space is None else {"spaces": (space,)}
    times: dict[str, list[float]] = {"encode": [], "dense": [], "lexical": [], "hybrid": [], "encode+dense": []}
    lexical_hits: list[int] = []
    for i, question in enumerate(questions):
        t0 = perf_counter()
        vector = retriever.encode(question, **on)
        t1 = perf_counter()
        retriever.dense_scores(vector, **on)
        t2 = perf_counter()
        lexical = retriever.lexical_scores(question)
        t3 = perf_counter()
        retriever.search(question, **search_on)
        t4 = perf_counter()
        if i < warmup:
            continue
        times["encode"].append(t1 - t0)
        times["dense"].append(t2 - t1)
        times["lexical"].append(t3 - t2)
        times["hybrid"].append(t4 - t3)
        times["encode+dense"].append(t2 - t0)
        lexical_hits.append(len(lexical))
    result = {name: summarize(values) for name, values in times.items()}
    result["lexical_hit_rate"] = float(np.mean([h > 0 for h in lexical_hits])) if lexical_hits else 0.0
    result["lexical_mean_hits"] = float(np.mean(lexical_hits)) if lexical_hits else 0.0
    return result


def postings_per_query(lexical, questions: Sequence[str]) -> dict[str, float]:
    """How much of the BM25 index each question touches: the summed document frequencies of its terms, over units.

    This is what the lexical search's cost grows with (besides a pass over one score per unit),
    and a check that synthetic corpora give the real questions' terms realistic frequencies.
    """
    from index.lexical import analyze

    model = lexical._model
    indptr, vocab = model.scores["indptr"], model.vocab_dict
    units = max(lexical.size, 1)
    fractions = []
    for question in dict.fromkeys(questions):
        ids = [vocab[t] for t in analyze(question) if t in vocab]
        fractions.append(sum(int(indptr[i + 1] - indptr[i]) for i in ids) / units)
    return {"p50": float(np.percentile(fractions, 50)), "p95": float(np.percentile(fractions, 95))}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - started


def _describe_dense(index) -> str:
    from index import dense

    kind = dense.index_type(index)
    if kind == "ivf":
        return f"IVF (nlist={index.nlist}, nprobe={index.nprobe})"
    if kind == "hnsw":
        return f"HNSW (efSearch={index.hnsw.efSearch})"
    return "flat (exact)"


def embedding_like_vectors(real: np.ndarray, count: int, seed: int = SEED + 11, chunk: int = 100_000) -> np.ndarray:
    """`count` unit vectors spread like text embeddings: blends of two real embeddings plus noise (see the docstring)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        a = real[rng.integers(0, len(real), size)]
        b = real[rng.integers(0, len(real), size)]
        noise = rng.standard_normal((size, real.shape[1]), dtype=np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        block = a + rng.random((size, 1), dtype=np.float32) * 0.7 * b + 0.6 * noise
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def dense_recall(index, vectors: np.ndarray, queries: np.ndarray, warmup: int) -> dict:
    """Latency and recall@10 of an IVF index against exact search over the same vectors, for several nprobe.

    Latency is one question at a time fetching UNITS_PER_SEARCH units, as the retriever searches.
    """
    import faiss

    from index import dense
    from index.retriever import UNITS_PER_SEARCH

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, RECALL_AT)
    del exact
    shipped = index.nprobe
    found = {"shipped_nprobe": shipped, "by_nprobe": {}, "queries": len(queries)}
    try:
        for nprobe in sorted({*NPROBE_SWEEP, shipped}):
            if nprobe > index.nlist:
                continue
            index.nprobe = nprobe
            times, hits = [], 0
            for i, q in enumerate(queries):
                started = time.perf_counter()
                ids, _ = dense.search(index, q, UNITS_PER_SEARCH)
                times.append(time.perf_counter() - started)
                hits += len(set(ids[:RECALL_AT].tolist()) & set(truth[i].tolist()))
            found["by_nprobe"][nprobe] = {"recall": hits / (len(queries) * RECALL_AT), "search": summarize(times[warmup:])}
    finally:
        index.nprobe = shipped
    return found


def ivf_calibration(vectors: np.ndarray, queries: np.ndarray, warmup: int, label: str) -> dict:
    """Build the shipped IVF index over `vectors` (whatever their count) and measure build time, latency and recall."""
    from index import dense

    index, build_s = timed(dense.make_index, vectors, approximate_above=0)
    found = dense_recall(index, vectors, queries, warmup)
    found.update(label=label, build_s=build_s, count=len(vectors), nlist=index.nlist)
    return found


def _worker_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _primary_space() -> str:
    try:
        from index.store import PRIMARY
    except ImportError:  # an index with a single dense space
        return "primary"
    return PRIMARY


def _configured_models() -> tuple[str, str | None]:
    """(primary model, multilingual model or None), as `make index` and the server configure them."""
    from index.encoders import DEFAULT_MODEL

    try:
        from config.settings import Settings

        settings = Settings()
    except Exception:  # noqa: BLE001 - settings are optional here; fall back to the defaults
        return DEFAULT_MODEL, None
    return settings.model, getattr(settings, "multilingual_model", None)


def _setup_worker(spec: dict):
    import faiss
    import torch

    faiss.omp_set_num_threads(spec["threads"])
    torch.set_num_threads(spec["threads"])
    from index import load_encoder

    baseline = rss_mb()
    encoder, load_s = timed(load_encoder, _configured_models()[0])
    questions = load_questions(spec["warmup"] + spec["queries"])
    return encoder, load_s, questions, {
        "rss_python_mb": baseline, "torch_threads": torch.get_num_threads(), "faiss_threads": faiss.omp_get_max_threads(),
    }


def run_shipped(spec: dict) -> dict:
    """The real pipeline: the encoders `load_assistant` uses, `build_index`, `load_index`, `HybridRetriever`."""
    from corpus import load_corpus
    from index import HybridRetriever, dense
    from index.lexical import LexicalIndex
    from index.store import build_index, load_index
    from index.units import corpus_units

    encoder, load_s, questions, info = _setup_worker(spec)
    primary = _primary_space()
    encoders = {primary: encoder}
    multilingual_model = _configured_models()[1]
    multilingual_space = None
    if multilingual_model:
        from index.encoders import load_multilingual_encoder
        from index.store import MULTILINGUAL

        second = load_multilingual_encoder(multilingual_model)
        if second is not None:
            encoders[MULTILINGUAL] = second
            multilingual_space = MULTILINGUAL
    corpus = load_corpus()
    texts = [u.text for u in corpus_units(corpus)]
    # The components once on their own (for the breakdown), then the real build_index end to end.
    embed = {}
    dense_s = 0.0
    for space, enc in encoders.items():
        vectors, seconds = timed(enc.encode_passages, texts)
        embed[space] = (enc.name, seconds)
        dense_s += timed(dense.make_index, vectors)[1]
        del vectors
    lexical, lexical_s = timed(LexicalIndex.build, texts)
    del lexical
    rss_before = rss_mb()
    single = len(encoders) == 1
    workdir = Path(tempfile.mkdtemp(prefix="serov-bench-"))
    try:
        index_dir, build_s = timed(build_index, corpus, encoder if single else encoders, workdir / "index")
        models = encoder.name if single else {space: enc.name for space, enc in encoders.items()}
        loaded = load_index(index_dir, corpus, models)
        retriever = HybridRetriever(corpus, loaded, encoder if single else encoders)
        rss_after = rss_mb()
        files = {
            "dense.faiss": sum(path_size(p) for p in index_dir.glob("dense*.faiss")),
            "vectors.npy": sum(path_size(p) for p in index_dir.glob("vectors*.npy")),
            "lexical": path_size(index_dir / "lexical"),
        }
        disk_total = path_size(index_dir)
        latency = time_queries(retriever, questions, spec["warmup"])
        latency["postings"] = postings_per_query(loaded.lexical, questions)
        latency_multilingual = None
        if multilingual_space:
            other = load_questions(spec["warmup"] + spec["queries"], path=MULTILINGUAL_QUESTIONS_FILE)
            latency_multilingual = time_queries(retriever, other, spec["warmup"], space=multilingual_space)
            latency_multilingual["postings"] = postings_per_query(loaded.lexical, other)
        dense_kind = _describe_dense(loaded.dense)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    embed_s = sum(seconds for _, seconds in embed.values())
    return {
        "name": SHIPPED, "passages": len(corpus.passages), "units": len(texts), "dense_indexed": len(texts),
        "dense_kind": dense_kind, "vectors": "real", "encoder_load_s": load_s, "spaces": len(encoders),
        "embed_s": embed_s, "embed_rate": len(texts) / embed[primary][1],
        "embed_label": " + ".join(f"{name} {fmt_seconds(sec)} ({len(texts) / sec:.0f}/s)" for name, sec in embed.values()),
        "dense_build_s": dense_s, "lexical_build_s": lexical_s,
        "build_total_s": build_s, "build_total_label": "build_index (embed + dense + lexical + write)",
        "disk": {**files, "total": disk_total}, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
        "peak_rss_mb": peak_rss_mb(), "latency": latency, "latency_multilingual": latency_multilingual,
        "multilingual_model": encoders[multilingual_space].name if multilingual_space else None,
        **info,
    }


class _SyntheticPassages:
    """What HybridRetriever reads of corpus.passages: one placeholder passage per unit (no subjects, no documents)."""

    def __init__(self, count: int):
        from corpus import Passage

        self._count = count
        self._passage = Passage(id="synthetic", about=(), sources=(), text="", sentences=())

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int):
        return self._passage


class _SyntheticUnits:
    """What HybridRetriever reads of index.units: unit i belongs to passage i (made on the fly, not stored)."""

    def __init__(self, count: int):
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        return (SimpleNamespace(passage_index=i) for i in range(self._count))


def synthetic_retriever(encoder, dense_index, vectors, lexical, count: int):
    """The real HybridRetriever over stand-ins for the corpus and the loaded index (1 unit = 1 passage, one dense space)."""
    from index import HybridRetriever

    index = SimpleNamespace(
        units=_SyntheticUnits(count), lexical=lexical, dense=dense_index, vectors=vectors,
        spaces={_primary_space(): SimpleNamespace(model=encoder.name, index=dense_index, vectors=vectors)},
    )
    return HybridRetriever(SimpleNamespace(passages=_SyntheticPassages(count)), index, encoder)


def lexical_experiments(retriever, lexical, questions: Sequence[str], warmup: int) -> dict:
    """Lexical and hybrid latency when LexicalIndex.search goes through bm25s's own `retrieve` (the previous code).

    The numpy backend is what index/lexical.py used before its own scorer; the numba backend is
    timed too when numba is importable (it is not a dependency; see index/lexical.py for why).
    """
    import bm25s

    from index.lexical import analyze

    model = lexical._model

    def via_bm25s(text: str, k: int):
        terms = [t for t in analyze(text) if t in model.vocab_dict]
        if not terms:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        ids, scores = model.retrieve([terms], k=min(k, lexical.size), show_progress=False, n_threads=0)
        keep = scores[0] > 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    backends = ["numpy"] + (["numba"] if getattr(bm25s, "NUMBA_AVAILABLE", False) else [])
    found = {}
    original_backend = model.backend
    try:
        lexical.search = via_bm25s  # an instance attribute: the retriever calls lexical.search
        for backend in backends:
            model.backend = backend
            _, first_s = timed(lexical.search, questions[0], 10)  # numba compiles on the first call
            times = time_queries(retriever, questions, warmup)
            label = f"bm25s retrieve, {backend} backend"
            found[label] = {"lexical": times["lexical"], "hybrid": times["hybrid"], "first_call_s": first_s}
            print(f"    lexical experiment {label}: lexical p50/p95 {fmt_ms(times['lexical']['p50'])}/"
                  f"{fmt_ms(times['lexical']['p95'])} ms, hybrid {fmt_ms(times['hybrid']['p50'])}/"
                  f"{fmt_ms(times['hybrid']['p95'])} ms", flush=True)
    finally:
        del lexical.search
        model.backend = original_backend
    return found


def lexical_shape(texts: Sequence[str], sample: int = 20_000) -> dict[str, float]:
    """Mean words and BM25 terms per unit (over the first `sample` texts): is the synthetic text shaped like the real one?"""
    from index.lexical import analyze

    chosen = texts[:sample]
    return {"words": float(np.mean([len(t.split()) for t in chosen])),
            "terms": float(np.mean([len(analyze(t)) for t in chosen]))}


def run_synthetic(spec: dict) -> dict:
    from corpus import load_corpus
    from index import dense
    from index.lexical import LexicalIndex
    from index.units import corpus_units

    count = spec["size"]
    encoder, load_s, questions, info = _setup_worker(spec)
    corpus = load_corpus()
    generator = SyntheticText(corpus)
    rss_before = rss_mb()
    texts, generate_s = timed(generator.passages, count)
    if count <= spec["embed_up_to"]:
        vectors, embed_s = timed(encoder.encode_passages, texts)
        kind = "real"
    else:
        vectors, embed_s = timed(random_unit_vectors, count, encoder.dim)
        kind = "random"
    print(f"  [{count:,}] texts in {generate_s:.1f} s; {kind} vectors in {embed_s:.1f} s; "
          f"building the dense index ...", flush=True)
    dense_index, dense_s = timed(dense.make_index, vectors)
    print(f"  [{count:,}] dense index ({_describe_dense(dense_index)}) in {dense_s:.1f} s; building the BM25 index ...",
          flush=True)
    lexical, lexical_s = timed(LexicalIndex.build, texts)
    print(f"  [{count:,}] BM25 index in {lexical_s:.1f} s; measuring ...", flush=True)
    retriever = synthetic_retriever(encoder, dense_index, vectors, lexical, count)
    # Alive now, as in a serving process: encoder, dense index, unit vectors (LoadedIndex keeps them), BM25, texts.
    rss_after = rss_mb()
    workdir = Path(tempfile.mkdtemp(prefix="serov-bench-", dir=spec.get("scratch")))
    try:
        dense.save(dense_index, workdir / "dense.faiss")
        np.save(workdir / "vectors.npy", vectors)
        lexical.save(workdir / "lexical")
        files = {name: path_size(workdir / name) for name in ("dense.faiss", "vectors.npy", "lexical")}
        # Loading must give the same index back (and is part of a server's start-up).
        _, dense_load_s = timed(dense.load, workdir / "dense.faiss")
        _, lexical_load_s = timed(LexicalIndex.load, workdir / "lexical", count)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    latency = time_queries(retriever, questions, spec["warmup"])
    latency["postings"] = postings_per_query(lexical, questions)
    peak_rss = peak_rss_mb()  # before the calibration below builds more indexes
    experiments = None
    if spec.get("lexical_experiments"):
        print(f"  [{count:,}] lexical experiments ...", flush=True)
        experiments = lexical_experiments(retriever, lexical, questions, spec["warmup"])
    shape = lexical_shape(texts)
    units = corpus_units(corpus)
    real_units = [u.text for u in units]
    shipped_shape = {kind: lexical_shape([u.text for u in units if u.kind == kind]) for kind in ("passage", "sentence")}
    result = {
        "name": f"{count:,}", "passages": count, "units": count, "dense_indexed": count,
        "dense_kind": _describe_dense(dense_index), "vectors": kind, "encoder_load_s": load_s,
        "generate_s": generate_s, "embed_s": embed_s, "embed_rate": count / embed_s if kind == "real" else None,
        "dense_build_s": dense_s, "dense_build_rate": count / dense_s, "lexical_build_s": lexical_s,
        "build_total_s": embed_s + dense_s + lexical_s, "build_total_label": "embed/random + dense + lexical",
        "dense_load_s": dense_load_s, "lexical_load_s": lexical_load_s,
        "lexical_vocabulary": len(lexical._model.vocab_dict), "shape": shape, "shipped_shape": shipped_shape,
        "disk": {**files, "total": sum(files.values())}, "rss_before_mb": rss_before, "rss_after_mb": rss_after,
        "peak_rss_mb": peak_rss, "latency": latency, "lexical_experiments": experiments, **info,
    }
    del retriever, lexical, texts
    if not spec.get("recall", True):
        return result
    queries = encoder.encode_queries(list(questions))
    calibrations = []
    if dense.index_type(dense_index) == "ivf":
        print(f"  [{count:,}] recall of the IVF index against exact search ...", flush=True)
        found = dense_recall(dense_index, vectors, queries, spec["warmup"])
        found.update(label=f"{kind} vectors (the benchmark's index)", build_s=dense_s, count=count, nlist=dense_index.nlist)
        calibrations.append(found)
    elif kind == "real":
        print(f"  [{count:,}] IVF over the real embeddings (forced) ...", flush=True)
        calibrations.append(ivf_calibration(vectors, queries, spec["warmup"], "real embeddings (IVF forced)"))
    if kind == "random":
        del dense_index, vectors
        print(f"  [{count:,}] IVF over {count:,} embedding-like vectors ...", flush=True)
        real = encoder.encode_passages(real_units)
        like = embedding_like_vectors(real, count)
        calibrations.append(ivf_calibration(like, queries, spec["warmup"], "embedding-like vectors"))
    result["calibration"] = calibrations
    for c in calibrations:
        at = c["by_nprobe"][c["shipped_nprobe"]]
        print(f"  [{count:,}] {c['label']}: IVF build {c['build_s']:.1f} s, nprobe {c['shipped_nprobe']}: recall@{RECALL_AT} "
              f"{at['recall']:.3f}, search p50/p95 {fmt_ms(at['search']['p50'])}/{fmt_ms(at['search']['p95'])} ms", flush=True)
    return result


def run_case(spec: dict) -> dict:
    try:
        started = time.perf_counter()
        result = run_shipped(spec) if spec["size"] == SHIPPED else run_synthetic(spec)
        result["wall_s"] = time.perf_counter() - started
        result["cpu_s"] = _worker_cpu_s()
        return result
    except Exception:  # report the failure in the table instead of losing the other sizes
        return {"name": str(spec["size"]), "error": traceback.format_exc()}


# --- reporting ------------------------------------------------------------------------------------

def _dense_cell(r: dict) -> str:
    kind = r["dense_kind"].split(" (")[0]
    if r["dense_indexed"] < r["units"]:
        kind += f" over first {r['dense_indexed']:,}"
    return f"{kind}, {r['vectors']} vectors"


def build_table(results: list[dict]) -> str:
    rows = []
    for r in results:
        if "error" in r:
            continue
        embed = fmt_seconds(r["embed_s"])
        if r.get("embed_label"):
            embed = r["embed_label"]
        elif r.get("embed_rate"):
            embed += f" ({r['embed_rate']:.0f}/s)"
        else:
            embed += " (random)"
        dense_build = fmt_seconds(r["dense_build_s"])
        if r.get("dense_build_rate") and "IVF" in r["dense_kind"]:
            dense_build += f" ({r['dense_build_rate']:.0f}/s)"
        d = r["disk"]
        rows.append([
            r["name"], f"{r['units']:,}", _dense_cell(r), embed, dense_build, fmt_seconds(r["lexical_build_s"]),
            fmt_seconds(r["build_total_s"]),
            f"{fmt_bytes(d['dense.faiss'])} / {fmt_bytes(d['vectors.npy'])} / {fmt_bytes(d['lexical'])} / {fmt_bytes(d['total'])}",
            f"{r['rss_after_mb']:.0f} MB (+{r['rss_after_mb'] - r['rss_before_mb']:.0f})", f"{r['peak_rss_mb']:.0f} MB",
        ])
    return markdown_table(
        ["corpus", "units", "dense index", "embed", "dense build", "lexical build", "build total",
         "disk: dense.faiss / vectors.npy / lexical / total", "RSS after build (+index)", "peak RSS"],
        rows, align="lrlrrrrrrr",
    )


def latency_table(results: list[dict]) -> str:
    rows = []
    for r in results:
        if "error" in r:
            continue
        variants = [(r["name"], r["latency"])]
        if r.get("latency_multilingual"):
            variants.append((f"{r['name']}, other languages ({r['multilingual_model']} space)", r["latency_multilingual"]))
        for label, lat in variants:
            cells = [label]
            for name in ("encode", "dense", "lexical", "hybrid", "encode+dense"):
                cells.append(f"{fmt_ms(lat[name]['p50'])} / {fmt_ms(lat[name]['p95'])}")
            cells.append(f"{lat['lexical_hit_rate'] * 100:.0f}% / {lat['lexical_mean_hits']:.0f}")
            cells.append(f"{lat['postings']['p50']:.2f} / {lat['postings']['p95']:.2f}")
            cells.append(f"{r.get('others_cpu_share', float('nan')) * 100:.0f}%")
            rows.append(cells)
    return markdown_table(
        ["corpus", "(a) encode", "(b) dense", "(c) lexical", "(d) hybrid", "encode + dense",
         "lexical: questions with hits / mean passages", "BM25 postings per question, x units (p50 / p95)",
         "CPU used by other processes"],
        rows,
    )


def experiments_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        for label, found in (r.get("lexical_experiments") or {}).items():
            if not rows or rows[-1][0] != r["name"]:
                lat = r["latency"]
                rows.append([r["name"], "shipped: LexicalIndex.search (scatter-add + bounded top-k)",
                             f"{fmt_ms(lat['lexical']['p50'])} / {fmt_ms(lat['lexical']['p95'])}",
                             f"{fmt_ms(lat['hybrid']['p50'])} / {fmt_ms(lat['hybrid']['p95'])}", ""])
            rows.append([r["name"], label, f"{fmt_ms(found['lexical']['p50'])} / {fmt_ms(found['lexical']['p95'])}",
                         f"{fmt_ms(found['hybrid']['p50'])} / {fmt_ms(found['hybrid']['p95'])}",
                         fmt_seconds(found["first_call_s"])])
    if not rows:
        return []
    return [
        "### Lexical search experiments (not the shipped configuration), ms (p50 / p95)",
        "",
        "Same index and questions, searched through bm25s's own `retrieve` instead (what index/lexical.py did before): "
        "its numpy backend accumulates with `np.add.at`; its numba backend (only if numba is importable) compiles its "
        "scorer and top-k on the first call.",
        "",
        markdown_table(["corpus", "lexical variant", "lexical", "hybrid", "first call"], rows, align="llrrr"),
        "",
    ]


def recall_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        for c in r.get("calibration") or []:
            shipped = c["shipped_nprobe"]
            for nprobe, found in c["by_nprobe"].items():
                rows.append([
                    r["name"], c["label"], f"{c['count']:,}", f"{c['nlist']:,}", f"**{nprobe}**" if nprobe == shipped else str(nprobe),
                    f"{found['recall']:.3f}", f"{fmt_ms(found['search']['p50'])} / {fmt_ms(found['search']['p95'])}",
                    fmt_seconds(c["build_s"]),
                ])
    if not rows:
        return []
    return [
        f"### Approximate dense index: recall@{RECALL_AT} against exact search, and search latency",
        "",
        f"IVF as index/dense.py builds it; recall@{RECALL_AT} = share of the exact top {RECALL_AT} (IndexFlatIP over the "
        f"same vectors) found in the IVF top {RECALL_AT}, over the timed questions; latency is one question fetching 128 "
        "units, ms (p50 / p95). The shipped nprobe is in bold. \"random vectors\" rows are the benchmark's own index "
        "(recall there is pessimistic: nothing is near anything); \"embedding-like\" rows are the same index type "
        "over vectors built from real embeddings (see notes), the realistic recall at that size.",
        "",
        markdown_table(["corpus", "vectors", "count", "nlist", "nprobe", f"recall@{RECALL_AT}", "search", "IVF build"],
                       rows, align="llrrrrrr"),
        "",
    ]


def target_lines(results: list[dict]) -> list[str]:
    lines = []
    by_name = {r["name"]: r for r in results if "error" not in r}
    shipped = by_name.get(SHIPPED)
    if shipped:
        lat = shipped["latency"]
        ratio = lat["hybrid"]["p50"] / lat["encode+dense"]["p50"]
        verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
        lines.append(
            f"Shipped corpus: hybrid p50 / (encode+dense) p50 = {fmt_ms(lat['hybrid']['p50'])} / "
            f"{fmt_ms(lat['encode+dense']['p50'])} ms = {ratio:.2f}x (target <= {RATIO_TARGET}x): {verdict}"
        )
    large = by_name.get(f"{P95_TARGET_SIZE:,}")
    if large:
        lat = large["latency"]
        p95 = lat["hybrid"]["p95"]
        verdict = "PASS" if p95 < P95_TARGET_MS else "FAIL"
        line = (f"{P95_TARGET_SIZE:,} passages: hybrid p95 (encode included) = {fmt_ms(p95)} ms "
                f"(target < {P95_TARGET_MS:.0f} ms): {verdict}")
        line += f" [{large['dense_kind']} over {large['vectors']} vectors]"
        if verdict == "FAIL":
            parts = {name: lat[name]["p95"] for name in ("encode", "dense", "lexical")}
            worst = max(parts, key=parts.get)
            line += f"; the largest component p95 is {worst} ({fmt_ms(parts[worst])} ms)"
        lines.append(line)
    elif P95_TARGET_SIZE in SIZES_REQUESTED:
        lines.append(f"{P95_TARGET_SIZE:,} passages: not measured in this run")
    return lines


SIZES_REQUESTED: list[int] = []


def notes(results: list[dict], args: argparse.Namespace) -> list[str]:
    ok = [r for r in results if "error" not in r]
    out = []
    if ok:
        r0 = ok[0]
        out.append(f"Threads: torch {r0['torch_threads']}, FAISS {r0['faiss_threads']}, lexical search 1 (`LexicalIndex.search` is plain numpy in the calling thread). "
                   f"Latencies over {args.queries} questions from evaluation/questions.yaml after {args.warmup} warm-up "
                   "questions; dense and lexical each fetch 128 units (`UNITS_PER_SEARCH`) and map them to passages; "
                   "hybrid is `HybridRetriever.search` (encode + dense + lexical + RRF), so it encodes the question again.")
    for r in ok:
        if r["name"] == SHIPPED:
            text = (f"Shipped corpus: {r['passages']} passages, {r['units']:,} units (passages, sentences, curated "
                    f"questions); built with the real `build_index` into a temporary directory and loaded with "
                    f"`load_index`; the embed/dense/lexical columns time the same steps once more on their own. "
                    f"Disk total includes units.json and manifest.json. ")
            if r.get("multilingual_model"):
                text += (f"It has {r['spaces']} dense spaces, as `make index` builds it (MiniLM for English, "
                         f"{r['multilingual_model']} for other languages): build, disk and RSS cover both. The first "
                         "latency row is the English path (questions.yaml, primary space), which the targets are about; "
                         "the second times questions-multilingual.yaml on the multilingual space, as the assistant "
                         "searches for other languages.")
            out.append(text)
    synthetic = [r for r in ok if r["name"] != SHIPPED]
    if synthetic:
        random_ones = [r["name"] for r in synthetic if r["vectors"] == "random"]
        real_ones = [r["name"] for r in synthetic if r["vectors"] == "real"]
        words = np.mean([r["shape"]["words"] for r in synthetic])
        text = (f"Synthetic corpora: 1 unit = 1 passage of 1-3 sentences (about {words:.0f} words), generated from the shipped "
                f"corpus's sentences with {int((1 - KEEP_WORD) * 100)}% of the words replaced by Zipf-distributed "
                f"draws over its vocabulary plus {PSEUDO_WORDS:,} pseudo-words (seed {SEED}). ")
        if real_ones:
            text += f"Embedded with the real encoder: {', '.join(real_ones)}. "
        if random_ones:
            text += (f"**Random L2-normalised vectors, not embeddings: {', '.join(random_ones)}** (embedding that many "
                     "passages takes hours on two cores); queries are still real encoded questions. Recall is measured "
                     "on them and, more meaningfully, on embedding-like vectors of the same count: normalise(a + w*0.7*b "
                     "+ 0.6*g) with a, b real MiniLM embeddings of random shipped units, w uniform in [0, 1), g a random "
                     "unit vector (questions' nearest-neighbour cosine about 0.78, against 0.80 on the real corpus). ")
        out.append(text + "Disk sizes: dense.faiss + vectors.npy (the store keeps the raw vectors too) + bm25s folder. "
                   "RSS is measured in a fresh process per corpus, with the encoder, indexes, vectors and passage texts "
                   "alive; (+index) is the growth over the same process before the corpus was generated.")
    for r in synthetic:
        vocab = r.get("lexical_vocabulary")
        if vocab:
            shape, real = r["shape"], r["shipped_shape"]
            out.append(f"{r['name']}: BM25 vocabulary {vocab:,} terms; {shape['words']:.1f} words and {shape['terms']:.1f} "
                       f"BM25 terms per unit on average (shipped passages: {real['passage']['words']:.1f} and "
                       f"{real['passage']['terms']:.1f}; shipped sentence units: {real['sentence']['words']:.1f} and "
                       f"{real['sentence']['terms']:.1f}); text generation {fmt_seconds(r['generate_s'])} "
                       f"(not in build time); loading the saved indexes: dense {fmt_seconds(r['dense_load_s'])}, "
                       f"BM25 {fmt_seconds(r['lexical_load_s'])}.")
    busy = [r for r in ok if r.get("others_cpu_share", 0) > 0.10]
    if busy:
        out.append("**Other processes used more than 10% of the CPUs while these were measured: "
                   f"{', '.join(r['name'] for r in busy)}; their timings are inflated accordingly.** "
                   "(Last column of the latency table: CPU time used by everything but this benchmark, "
                   "as a share of all cores, over that corpus's whole run.)")
    for r in results:
        if "error" in r:
            last = r["error"].strip().splitlines()[-1]
            out.append(f"**{r['name']}: failed** ({last}).")
    return out


def render(results: list[dict], args: argparse.Namespace, command: str, total_s: float, facts: dict,
           waited_s: float = 0.0) -> str:
    parts = [
        *report_header("## Retrieval", command, facts, total_s, waited_s),
        "### Targets",
        "",
        *[f"- {line}" for line in target_lines(results)],
        "",
        "### Build, size on disk, memory",
        "",
        build_table(results),
        "",
        "### Query latency, ms (p50 / p95)",
        "",
        latency_table(results),
        "",
        *recall_section(results),
        *experiments_section(results),
        "### Notes",
        "",
        *[f"- {line}" for line in notes(results, args)],
    ]
    return "\n".join(parts)


# --- main -----------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated synthetic corpus sizes in passages (default: %(default)s); '' for none")
    parser.add_argument("--queries", type=int, default=200, help="timed questions per corpus (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed warm-up questions per corpus (default: %(default)s)")
    parser.add_argument("--skip-large", action="store_true", help=f"skip synthetic sizes above {LARGE_ABOVE:,}")
    parser.add_argument("--skip-shipped", action="store_true", help="skip the shipped corpus")
    parser.add_argument("--embed-up-to", type=int, default=10_000,
                        help="embed synthetic corpora up to this size with the real encoder; random vectors above (default: %(default)s)")
    parser.add_argument("--no-recall", action="store_true",
                        help="skip the recall measurements (exact search, and at sizes with random vectors a second "
                             "IVF index over embedding-like vectors)")
    parser.add_argument("--lexical-experiments", action="store_true",
                        help="on synthetic corpora, also time lexical and hybrid search through bm25s's own retrieve "
                             "(numpy backend, and numba if importable): the code index/lexical.py replaced")
    parser.add_argument("--scratch", default=None,
                        help="folder for the temporary index files written to measure disk size (default: the system temp dir)")
    parser.add_argument("--wait-for-idle", type=float, default=0, metavar="SECONDS",
                        help="before each corpus, wait up to this long for other processes to leave the CPUs "
                             "(< 10%% busy over 10 s); 0 = do not wait (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=usable_cores(), help="torch and FAISS threads (default: all cores, %(default)s)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md", help="markdown file to update (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write the markdown file")
    args = parser.parse_args(argv)
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.skip_large:
        args.size_list = [s for s in args.size_list if s <= LARGE_ABOVE]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    SIZES_REQUESTED[:] = args.size_list
    command = shlex.join(["python", "benchmarks/retrieval.py", *(sys.argv[1:] if argv is None else argv)])
    facts = machine_facts(("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy"))
    cases = ([] if args.skip_shipped else [SHIPPED]) + args.size_list
    print(f"{command}\n{facts_line(facts)}; load average {os.getloadavg()[0]:.2f}", flush=True)
    started = time.perf_counter()
    waited_total = 0.0
    results = []
    for size in cases:
        spec = {"size": size, "queries": args.queries, "warmup": args.warmup, "embed_up_to": args.embed_up_to,
                "threads": args.threads, "recall": not args.no_recall, "scratch": args.scratch,
                "lexical_experiments": args.lexical_experiments}
        label = size if size == SHIPPED else f"{size:,} synthetic passages"
        print(f"- {label} ...", flush=True)
        # A fresh process per corpus: clean RSS and peak RSS, and all memory handed back between sizes.
        waited = 0.0
        if args.wait_for_idle:
            waited = wait_for_idle(args.wait_for_idle)
            waited_total += waited
            print(f"  waited {waited:.0f} s for idle CPUs", flush=True)
        busy_before, wall_before = busy_cpu_s(), time.perf_counter()
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            try:
                result = pool.submit(run_case, spec).result()
            except Exception as exc:  # e.g. the worker was killed for lack of memory
                result = {"name": str(size), "error": f"{type(exc).__name__}: {exc}"}
        if "cpu_s" in result:
            # CPU time the rest of the machine used meanwhile, as a share of all cores: other work skews the timings.
            others = busy_cpu_s() - busy_before - result["cpu_s"]
            result["others_cpu_share"] = max(0.0, others) / ((time.perf_counter() - wall_before) * usable_cores())
        results.append(result)
        if "error" in result:
            print(f"  FAILED: {result['error']}", flush=True)
        else:
            lat = result["latency"]
            print(f"  done in {fmt_seconds(result['wall_s'])}: hybrid p50/p95 {fmt_ms(lat['hybrid']['p50'])}/"
                  f"{fmt_ms(lat['hybrid']['p95'])} ms; other processes used "
                  f"{result['others_cpu_share'] * 100:.0f}% of the CPUs meanwhile", flush=True)
    total_s = time.perf_counter() - started - waited_total
    section = render(results, args, command, total_s, facts, waited_total)
    print("\n" + section)
    if not args.no_write:
        path = write_section(SECTION, section, args.output)
        print(f"\nwrote the '{SECTION}' section of {path}")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
