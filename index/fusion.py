"""Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009).

score(d) = sum over lists L of  weight_L / (k + rank_L(d)),  rank starting at 1.

k = 60 is the constant of the original paper: it damps the difference between
the first few ranks so that one list cannot dominate, and it is robust across
collections, so we do not tune it to our small gold set.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hashable]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[Hashable, float]]:
    """Fuse ranked lists of ids into one list of (id, score), best first; ties keep first-seen order."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[Hashable, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
