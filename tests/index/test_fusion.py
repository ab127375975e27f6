"""Reciprocal rank fusion against a plain reference implementation of its definition."""

from __future__ import annotations

import random

import pytest

from index.fusion import RRF_K, reciprocal_rank_fusion


def reference_rrf(rankings, k=RRF_K, weights=None):
    """score(d) = sum over lists of weight / (k + rank), rank from 1; best first, ties in first-seen order."""
    weights = [1.0] * len(rankings) if weights is None else weights
    scores: dict = {}
    first_seen: dict = {}
    for ranking, weight in zip(rankings, weights):
        for position, item in enumerate(ranking):
            first_seen.setdefault(item, len(first_seen))
            scores[item] = scores.get(item, 0.0) + weight / (k + position + 1)
    order = sorted(scores, key=lambda item: (-scores[item], first_seen[item]))
    return [(item, scores[item]) for item in order]


def random_rankings(rng: random.Random, lists: int) -> list[list[str]]:
    pool = [f"p{i}" for i in range(40)]
    return [rng.sample(pool, rng.randint(0, 25)) for _ in range(lists)]


@pytest.mark.parametrize("k", [1, 10, 60, 1000])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_the_reference_on_random_rankings(k, weighted):
    rng = random.Random(20090719 + k + weighted)
    for _ in range(200):
        rankings = random_rankings(rng, rng.randint(1, 4))
        weights = [rng.choice([0.25, 0.5, 1.0, 2.0, 3.0]) for _ in rankings] if weighted else None
        fused = reciprocal_rank_fusion(rankings, k=k, weights=weights)
        expected = reference_rrf(rankings, k=k, weights=weights)
        assert [item for item, _ in fused] == [item for item, _ in expected]
        assert [score for _, score in fused] == pytest.approx([score for _, score in expected], rel=1e-12)


def test_scores_are_the_definition_with_k_60_by_default():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]]))
    assert RRF_K == 60
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)


def test_an_item_found_by_both_lists_beats_one_ranked_first_by_one_list():
    fused = reciprocal_rank_fusion([["solo", "both"], ["other", "both"]])
    assert fused[0][0] == "both"


def test_ties_keep_first_seen_order():
    # a and b swap places: equal scores, so the one seen first (in the first list) wins.
    assert [i for i, _ in reciprocal_rank_fusion([["a", "b"], ["b", "a"]])] == ["a", "b"]
    assert [i for i, _ in reciprocal_rank_fusion([["b", "a"], ["a", "b"]])] == ["b", "a"]
    # Items that are only ever ranked first in their own list tie too.
    assert [i for i, _ in reciprocal_rank_fusion([["x"], ["y"], ["z"]])] == ["x", "y", "z"]
    assert [i for i, _ in reciprocal_rank_fusion([["z"], ["y"], ["x"]])] == ["z", "y", "x"]


def test_weights_change_the_order():
    assert [i for i, _ in reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 1.0])] == ["a", "b"]
    assert [i for i, _ in reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])] == ["b", "a"]
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=10, weights=[0.5, 3.0]))
    assert fused == pytest.approx({"a": 0.5 / 11, "b": 3.0 / 11})


def test_empty_input():
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    assert reciprocal_rank_fusion([[], ["a"]]) == [("a", pytest.approx(1 / 61))]


@pytest.mark.parametrize("weights", [[], [1.0], [1.0, 1.0, 1.0]])
def test_one_weight_per_ranking_is_required(weights):
    with pytest.raises(ValueError, match="one weight per ranking"):
        reciprocal_rank_fusion([["a"], ["b"]], weights=weights)
