"""Dense search: exact (flat) below the size threshold, IVF above it; save/load round trips; older HNSW files.

The threshold is lowered through make_index's `approximate_above` argument, so the IVF
path runs on a few thousand small synthetic vectors in well under a second.
"""

from __future__ import annotations

import functools

import faiss
import numpy as np
import pytest

from index import dense

DIM = 32


def clustered_unit_vectors(count: int, seed: int = 0, clusters: int = 40) -> np.ndarray:
    """Unit vectors around a few random centres: neighbourhoods an IVF index can find, like text embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, clusters, count)] + 0.5 * rng.standard_normal((count, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered_unit_vectors(3000)


@pytest.fixture(scope="module")
def ivf(vectors) -> faiss.Index:
    return dense.make_index(vectors, approximate_above=1000)


def test_small_corpora_get_an_exact_flat_index(vectors):
    index = dense.make_index(vectors[:500], approximate_above=1000)
    assert dense.index_type(index) == "flat"
    assert dense.make_index(vectors[:1000], approximate_above=1000).ntotal == 1000  # the threshold itself is flat
    ids, scores = dense.search(index, vectors[7], 5)
    assert ids[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-5)


def test_above_the_threshold_the_index_is_ivf(ivf, vectors):
    assert dense.index_type(ivf) == "ivf"
    assert isinstance(ivf, faiss.IndexIVFFlat)
    assert ivf.ntotal == len(vectors)
    assert ivf.nlist == dense.ivf_lists(len(vectors)) == round(4 * np.sqrt(3000))
    assert ivf.nprobe == dense.IVF_NPROBE
    assert ivf.metric_type == faiss.METRIC_INNER_PRODUCT


def test_ivf_finds_each_stored_vector_first(ivf, vectors):
    # A stored vector's own cell is the one nearest to it, so it is always scanned: the top hit is exact.
    for i in range(0, len(vectors), 37):
        ids, scores = dense.search(ivf, vectors[i], 10)
        assert ids[0] == i
        assert scores[0] == pytest.approx(1.0, abs=1e-5)
        assert np.all(np.diff(scores) <= 1e-6)  # best first


def test_ivf_scores_are_exact_cosines_and_recall_is_high(ivf, vectors):
    exact = dense.make_index(vectors)  # flat
    queries = clustered_unit_vectors(50, seed=1)
    found = 0
    for q in queries:
        ids, scores = dense.search(ivf, q, 10)
        np.testing.assert_allclose(scores, vectors[ids] @ q, rtol=1e-5, atol=1e-5)
        true_ids, _ = dense.search(exact, q, 10)
        found += len(set(ids) & set(true_ids))
    assert found / (10 * len(queries)) >= 0.9


def test_ivf_build_is_deterministic(vectors, ivf):
    again = dense.make_index(vectors, approximate_above=1000)
    for q in clustered_unit_vectors(10, seed=2):
        np.testing.assert_array_equal(dense.search(again, q, 20)[0], dense.search(ivf, q, 20)[0])


def test_ivf_save_load_round_trip(ivf, vectors, tmp_path):
    path = tmp_path / "dense.faiss"
    dense.save(ivf, path)
    loaded = dense.load(path)
    assert dense.index_type(loaded) == "ivf"
    assert loaded.ntotal == ivf.ntotal and loaded.nlist == ivf.nlist
    assert loaded.nprobe == dense.IVF_NPROBE
    for q in clustered_unit_vectors(20, seed=3):
        a, b = dense.search(ivf, q, 25), dense.search(loaded, q, 25)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_k_larger_than_the_index(vectors):
    index = dense.make_index(vectors[:50], approximate_above=10)
    ids, _ = dense.search(index, vectors[0], 128)
    assert ids[0] == 0 and len(ids) <= 50 and len(set(ids.tolist())) == len(ids)


def test_an_older_hnsw_index_still_loads_and_searches(vectors, tmp_path):
    old = faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
    old.add(vectors[:1000])
    dense.save(old, tmp_path / "old.faiss")
    loaded = dense.load(tmp_path / "old.faiss")
    assert dense.index_type(loaded) == "hnsw"
    assert loaded.hnsw.efSearch == dense.HNSW_EF_SEARCH
    assert dense.search(loaded, vectors[5], 10)[0][0] == 5


def test_the_store_builds_and_loads_an_ivf_index(tiny, tmp_path, minilm, monkeypatch):
    """build_index -> manifest -> load_index -> search, with the threshold lowered so the tiny corpus gets IVF."""
    from index import HybridRetriever, build_index, load_index
    from index.encoders import DEFAULT_MODEL
    from index.store import PRIMARY

    monkeypatch.setattr(dense, "make_index", functools.partial(dense.make_index, approximate_above=0))
    corpus = tiny.corpus()
    index_dir = build_index(corpus, minilm, tmp_path / "index")
    loaded = load_index(index_dir, corpus, DEFAULT_MODEL)
    assert loaded.manifest["index_type"] == {PRIMARY: "ivf"}
    assert dense.index_type(loaded.spaces[PRIMARY].index) == "ivf"
    retriever = HybridRetriever(corpus, loaded, minilm)
    hit = retriever.search("Which congressman from Wisconsin led the committee?", k=4, use_lexical=False).hits[0]
    assert hit.passage.id == "tiny-chair"
