"""Lexical search: LexicalIndex.search ranks exactly as bm25s's own retrieve did, on the shipped corpus.

LexicalIndex.search scores with a vectorised scatter-add instead of bm25s's `retrieve` (see
index/lexical.py); these tests pin that the scores are bit-identical to bm25s's, that the
ranking is bm25s's up to the order of exact ties (now by unit id), and the edge cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from index.lexical import LexicalIndex, analyze, top_k

ROOT = Path(__file__).resolve().parents[2]
K = 128  # what the retriever asks for (index.retriever.UNITS_PER_SEARCH)


@pytest.fixture(scope="module")
def shipped_lexical() -> LexicalIndex:
    from corpus import load_corpus
    from index.units import corpus_units

    return LexicalIndex.build([u.text for u in corpus_units(load_corpus())])


def gold_questions() -> list[str]:
    found = []
    for name in ("questions.yaml", "questions-multilingual.yaml"):
        items = yaml.safe_load((ROOT / "evaluation" / name).read_text(encoding="utf-8"))
        found += [item["question"] for item in items if item.get("question")]
    return found


def bm25s_reference(index: LexicalIndex, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """What LexicalIndex.search returned when it called bm25s's numpy `retrieve`."""
    terms = [t for t in analyze(text) if t in index._model.vocab_dict]
    if not terms:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    ids, scores = index._model.retrieve([terms], k=min(k, index.size), show_progress=False, n_threads=0)
    keep = scores[0] > 0
    return ids[0][keep].astype(np.int64), scores[0][keep]


def test_same_ranking_as_bm25s_on_the_shipped_corpus(shipped_lexical):
    questions = gold_questions()
    assert len(questions) > 50
    compared = ties = 0
    for question in questions:
        for k in (K, 10):
            ids, scores = shipped_lexical.search(question, k)
            ref_ids, ref_scores = bm25s_reference(shipped_lexical, question, k)
            # Bit-identical scores, in the same (descending) order.
            assert scores.dtype == ref_scores.dtype
            np.testing.assert_array_equal(scores, ref_scores)
            # The same units: exactly, except for the order within a tie, and, on the boundary score,
            # which of the tied units made the cut (bm25s picks them arbitrarily, we take the lowest ids).
            boundary = scores[-1] if len(scores) else None
            for value in np.unique(scores):
                mine, theirs = set(ids[scores == value]), set(ref_ids[ref_scores == value])
                if value == boundary:
                    all_tied = set(np.flatnonzero(shipped_lexical.scores(_term_ids(shipped_lexical, question)) == value))
                    assert mine <= all_tied and theirs <= all_tied and len(mine) == len(theirs)
                else:
                    assert mine == theirs, question
                ties += len(mine) > 1
            compared += 1
    assert compared == 2 * len(questions)
    assert ties > 0  # the corpus does have exact ties, so the tie rule is exercised


def _term_ids(index: LexicalIndex, text: str) -> list[int]:
    return [index._model.vocab_dict[t] for t in analyze(text) if t in index._model.vocab_dict]


def test_scores_are_bm25s_get_scores_and_ranking_is_by_score_then_id(shipped_lexical):
    for question in gold_questions()[:40]:
        term_ids = _term_ids(shipped_lexical, question)
        if not term_ids:
            continue
        full = shipped_lexical.scores(term_ids)
        np.testing.assert_array_equal(full, shipped_lexical._model.get_scores_from_ids(term_ids))
        positive = np.flatnonzero(full > 0)
        expected = positive[np.lexsort((positive, -full[positive]))][:K]
        ids, scores = shipped_lexical.search(question, K)
        np.testing.assert_array_equal(ids, expected)
        np.testing.assert_array_equal(scores, full[expected])


def test_top_k_breaks_ties_by_id_and_drops_zero_scores():
    scores = np.array([0.0, 2.0, 1.0, 2.0, 1.0, 0.0, 1.0, 3.0], dtype=np.float32)
    ids, values = top_k(scores, 4)
    assert ids.tolist() == [7, 1, 3, 2]
    assert values.tolist() == [3.0, 2.0, 2.0, 1.0]
    ids, values = top_k(scores, 100)  # more than there are: only the positive ones
    assert ids.tolist() == [7, 1, 3, 2, 4, 6]
    ids, _ = top_k(np.zeros(5, dtype=np.float32), 3)
    assert ids.tolist() == []


def test_repeated_query_terms_count_twice_as_in_bm25s(shipped_lexical):
    question = "Serov Serov instructions deportation"
    ids, scores = shipped_lexical.search(question, K)
    _, ref_scores = bm25s_reference(shipped_lexical, question, K)
    np.testing.assert_array_equal(scores, ref_scores)


def test_no_known_terms_finds_nothing(shipped_lexical):
    for text in ("", "the and of", "zzzqqqxxyy"):
        ids, scores = shipped_lexical.search(text, K)
        assert ids.size == 0 and scores.size == 0


def test_save_load_round_trip(shipped_lexical, tmp_path):
    shipped_lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", shipped_lexical.size)
    for question in gold_questions()[:20]:
        a, b = shipped_lexical.search(question, K), loaded.search(question, K)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


# -- the top-k shortcut (a lower bound from the rarest terms' units) ----------------------------------
@pytest.fixture(scope="module")
def zipf_lexical() -> LexicalIndex:
    """20,000 short texts over a Zipfian vocabulary: a few very frequent words, a long tail of rare ones."""
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}x" for i in range(5000)])
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.05
    picks = rng.choice(len(words), size=20_000 * 24, p=weights / weights.sum())
    lengths = rng.integers(8, 40, size=20_000)
    texts, at = [], 0
    for n in lengths:
        texts.append(" ".join(words[picks[at:at + n]]))
        at += n
    return LexicalIndex.build(texts)


def zipf_queries(count: int = 300) -> list[str]:
    rng = np.random.default_rng(1)
    queries = []
    for _ in range(count):
        common = [f"w{i}x" for i in rng.integers(0, 20, size=rng.integers(1, 4))]
        rare = [f"w{i}x" for i in rng.integers(20, 5000, size=rng.integers(0, 4))]
        queries.append(" ".join(rng.permutation(common + rare + ["nosuchword"]).tolist()))
    return queries + ["w0x w0x w7x w900x", "w4999x", "w0x", "w1x w2x"]


@pytest.mark.parametrize("corpus", ["zipf", "shipped"])
def test_search_equals_sorting_all_scores(corpus, zipf_lexical, shipped_lexical):
    index, queries = (zipf_lexical, zipf_queries()) if corpus == "zipf" else (shipped_lexical, gold_questions())
    for query in queries:
        full = index.scores(_term_ids(index, query))
        positive = np.flatnonzero(full > 0)
        ranked = positive[np.lexsort((positive, -full[positive]))]
        for k in (128, 10, 1):
            ids, scores = index.search(query, k)
            np.testing.assert_array_equal(ids, ranked[:k], err_msg=query)
            np.testing.assert_array_equal(scores, full[ranked[:k]], err_msg=query)
            # Both top_k paths: with the hint (used above HINT_ABOVE units) and without (the partition).
            term_ids = _term_ids(index, query)
            for hint in (index._rare_term_units(term_ids, k), None):
                found = top_k(full, k, hint=hint)
                np.testing.assert_array_equal(found[0], ranked[:k], err_msg=query)
                np.testing.assert_array_equal(found[1], full[ranked[:k]], err_msg=query)


def test_a_poor_hint_falls_back_to_the_partition():
    scores = np.array([1.0] * 50 + [2.0, 3.0], dtype=np.float32)
    ids, values = top_k(scores, 3, hint=np.arange(10))  # a hint of low scorers only: bound 1.0, 52 candidates
    assert ids.tolist() == [51, 50, 0] and values.tolist() == [3.0, 2.0, 1.0]
    ids, _ = top_k(scores, 3, hint=np.array([0, 1]))  # fewer hint units than k
    assert ids.tolist() == [51, 50, 0]
