"""Passage retrieval on the gold questions: dense only, lexical only and hybrid, side by side.

Uses the real shipped corpus and index with both encoders (the session `assistant`). The relevance
labels are expect.passages of the gold questions (questions without labels are not measured). Each
question is searched in the spaces its detected language routes it to: once without subject hints
(the retriever itself), once as the assistant searches ("+plan": document filter, and the boost of a
mix-up's real owner). `pytest -s` prints the table.
"""

from __future__ import annotations

import pytest

from evaluation import metrics

MIN_HYBRID_RECALL_AT_5 = 0.93  # floor under today's 0.943 without hints; the assistant's premise-aware
# search reaches the 0.95 target (0.962, tests/evaluation/test_gold_regression.py)
MIN_HYBRID_MRR = 0.85  # the retrieval issue's target (0.869 today)
METHODS = {
    "dense": {"use_lexical": False},
    "lexical": {"use_dense": False},
    "hybrid": {},
}
# As the assistant searches (Assistant.search_plan): the named documents filter the passages, and a
# question resting on a mix-up boosts the document its attribute belongs to. The retrieval issue's targets.
PLANNED = {f"{method}+plan": options for method, options in METHODS.items()}
MIN_PLANNED_RECALL_AT_5 = 0.95
MIN_PLANNED_MRR = 0.85


@pytest.fixture(scope="module")
def retrieval_scores(assistant, gold_questions, gold_query_vectors) -> dict[str, dict[str, float]]:
    labelled = [q for q in gold_questions if q.expect.passages]
    assert len(labelled) >= 200
    spaces_of = {q.question: assistant.spaces_for(assistant.language.detect(q.question)) for q in labelled}
    encoded = {space: gold_query_vectors.get(space, [q for q, spaces in spaces_of.items() if space in spaces])
               for space in assistant.retriever.spaces}
    ranks: dict[str, dict[str, list[int | None]]] = {m: {"all": [], "en": [], "other": []} for m in METHODS | PLANNED}
    for gold in labelled:
        spaces = spaces_of[gold.question]
        vectors = {space: encoded[space][gold.question] for space in spaces}
        group = "en" if gold.lang == "en" else "other"
        _, only, boost = assistant.search_plan(gold.question, assistant.detector.detect(gold.question))
        for method, options in (METHODS | PLANNED).items():
            plan = {"only_documents": only, "subjects": boost} if method in PLANNED else {}
            hits = assistant.retriever.search(gold.question, k=10, spaces=spaces, query_vectors=vectors,
                                              **options, **plan).hits
            rank = metrics.first_relevant_rank([h.passage.id for h in hits], gold.expect.passages)
            ranks[method]["all"].append(rank)
            ranks[method][group].append(rank)

    scores = {
        method: {
            "recall@1": metrics.recall_at(by_group["all"], 1),
            "recall@5": metrics.recall_at(by_group["all"], 5),
            "mrr": metrics.mean_reciprocal_rank(by_group["all"]),
            "mrr en": metrics.mean_reciprocal_rank(by_group["en"]),
            "mrr other": metrics.mean_reciprocal_rank(by_group["other"]),
        }
        for method, by_group in ranks.items()
    }
    counts = {group: len(values) for group, values in ranks["hybrid"].items()}
    print(f"\nPassage retrieval on {counts['all']} labelled gold questions "
          f"({counts['en']} English, {counts['other']} other languages), k=10:")
    columns = list(next(iter(scores.values())))
    print(f"{'method':13}" + "".join(f"{c:>11}" for c in columns))
    for method, row in scores.items():
        print(f"{method:13}" + "".join(f"{row[c]:11.3f}" for c in columns))
    return scores


def test_hybrid_recall_at_5(retrieval_scores):
    assert retrieval_scores["hybrid"]["recall@5"] >= MIN_HYBRID_RECALL_AT_5


def test_hybrid_mrr(retrieval_scores):
    assert retrieval_scores["hybrid"]["mrr"] >= MIN_HYBRID_MRR


def test_as_the_assistant_searches_the_retrieval_targets_are_met(retrieval_scores):
    assert retrieval_scores["hybrid+plan"]["recall@5"] >= MIN_PLANNED_RECALL_AT_5
    assert retrieval_scores["hybrid+plan"]["mrr"] >= MIN_PLANNED_MRR
    assert retrieval_scores["hybrid+plan"]["mrr"] > max(retrieval_scores[f"{m}+plan"]["mrr"] for m in ("dense", "lexical"))


@pytest.mark.parametrize("single", ["dense", "lexical"])
def test_hybrid_beats_each_single_method_on_mrr(retrieval_scores, single):
    assert retrieval_scores["hybrid"]["mrr"] > retrieval_scores[single]["mrr"]
