"""Evaluation metrics as pure functions (tests compare them with hand-computed values).

Definitions (evaluation/README.md):
- accuracy: status as expected, every must_include item in the answer text
  (case-insensitive; a nested list is a set of alternatives), no must_not_include string.
- conflation: the answer cites a passage whose `about` holds one of the three
  documents that is not in expect.documents, and holds none of expect.documents.
- citation validity: share of quotes whose text is a verbatim substring of the cited passage.
- abstention recall / false-abstention rate, premise correction, recall@k and MRR, latency percentiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from corpus.model import DOCUMENTS


def _text(item: object) -> str:
    return str(item).casefold()


def missing_includes(must_include: Sequence[object], answer_text: str) -> list[str]:
    """The must_include items not found in the answer (alternatives shown joined by ' | ')."""
    folded = answer_text.casefold()
    missing = []
    for item in must_include:
        options = item if isinstance(item, list) else [item]
        if not any(_text(o) in folded for o in options):
            missing.append(" | ".join(str(o) for o in options))
    return missing


def forbidden_present(must_not_include: Sequence[object], answer_text: str) -> list[str]:
    folded = answer_text.casefold()
    return [str(item) for item in must_not_include if _text(item) in folded]


def accuracy_failures(expected_status: str, must_include, must_not_include, status: str, answer_text: str) -> list[str]:
    """Why an answer is wrong (empty list = correct)."""
    reasons = []
    if status != expected_status:
        reasons.append(f"status {status}, expected {expected_status}")
    reasons += [f"missing {m!r}" for m in missing_includes(must_include, answer_text)]
    reasons += [f"contains forbidden {f!r}" for f in forbidden_present(must_not_include, answer_text)]
    return reasons


def conflates(expected_documents: Iterable[str], cited_abouts: Iterable[Iterable[str]]) -> bool:
    expected = set(expected_documents)
    for about in cited_abouts:
        about = set(about)
        wrong_documents = (about & set(DOCUMENTS)) - expected
        if wrong_documents and not about & expected:
            return True
    return False


def quote_is_verbatim(quote_text: str, passage_text: str | None) -> bool:
    return bool(quote_text) and passage_text is not None and quote_text in passage_text


def share(flags: Sequence[bool]) -> float | None:
    """Share of true values; None when there is nothing to count."""
    return sum(flags) / len(flags) if flags else None


def first_relevant_rank(ranked_ids: Sequence[str], relevant: Iterable[str]) -> int | None:
    """1-based rank of the first relevant id, or None if none is ranked."""
    relevant = set(relevant)
    for rank, pid in enumerate(ranked_ids, start=1):
        if pid in relevant:
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    return share([r is not None and r <= k for r in ranks])


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile with linear interpolation (numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None
