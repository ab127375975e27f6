"""Retrieve (assistant/retrieve.py) and what it reads about the corpus (assistant/knowledge.py), on the tiny
corpus with the fake encoder: which passages may be quoted, the candidates' features and their score.
"""

from __future__ import annotations

import pytest

from assistant.premise import Premise
from assistant.retrieve import FEATURES, Evidence, holds, sentence_score


@pytest.fixture(scope="module")
def parse(pipeline):
    return pipeline.understanding.parse


def sentence(pipeline, start):
    return next(s for s in pipeline.knowledge.sentences if s.text.startswith(start))


# --- pure functions -------------------------------------------------------------------------------------

def test_sentence_score_is_the_weighted_sum_of_the_features():
    assert sentence_score({"sentence": 0.5, "overlap": 1.0}, {"sentence": 2.0, "overlap": -1.0}) == 0.0
    assert sentence_score({"sentence": 0.5, "unweighted": 9.0}, {"sentence": 2.0}) == 1.0
    assert sentence_score({}, {"sentence": 2.0}) == 0.0


def test_holds_the_kind_of_answer_beyond_what_the_question_says(pipeline, parse):
    dated = sentence(pipeline, "NKVD Order No. 001223 was signed")
    counted = sentence(pipeline, "Order No. 0054 listed 14")
    question = parse("When was Order 001223 signed?")
    assert holds(dated, "date", question, pipeline.knowledge.person_words)
    assert not holds(counted, "date", question, pipeline.knowledge.person_words)
    # The only date is the one the question gives: no answer to "when".
    assert not holds(dated, "date", parse("What happened on 11 October 1939?"), pipeline.knowledge.person_words)
    assert holds(counted, "number", parse("How many categories?"), pipeline.knowledge.person_words)
    assert not holds(counted, "number", parse("Why 14 categories?"), pipeline.knowledge.person_words)
    assert holds(dated, "person", parse("Who signed it?"), pipeline.knowledge.person_words)
    assert not holds(dated, "person", parse("What did Lavrentiy Beria sign?"), pipeline.knowledge.person_words)
    assert holds(counted, "other", question, pipeline.knowledge.person_words)


# --- what the corpus says, read once -----------------------------------------------------------------------

def test_sentences_know_their_dates_counts_and_names(pipeline):
    signed = sentence(pipeline, "NKVD Order No. 001223 was signed")
    assert signed.dates == ("11 october", "1939") and signed.counts == () and {"lavrentiy", "beria"} <= set(signed.names)
    # A number that names (Order No. 0054) or dates is no count; "14 categories" and "12,832" are.
    assert sentence(pipeline, "Lithuanian NKVD Order No. 0054").counts == ()
    assert sentence(pipeline, "Order No. 0054 listed 14").counts == ("14",)
    assert sentence(pipeline, "Estimates of the people").counts == ("12,832", "17,500")
    assert sentence(pipeline, "Ivan Serov was born").dates == ("1905", "1900")


def test_every_sentence_has_its_index_row_and_each_fact_its_sentences(pipeline, tiny_index):
    knowledge = pipeline.knowledge
    corpus = knowledge.corpus
    assert len(knowledge.sentences) == sum(len(p.sentences) for p in corpus.passages)
    for s in knowledge.sentences:
        unit = tiny_index.units[s.row]
        assert (unit.kind, unit.passage_index, unit.sentence_index) == ("sentence", s.passage_index, s.index)
        assert corpus.passages[s.passage_index].sentences[s.index] == s.text
    died = knowledge.fact_sentences["ivan_serov.died"]
    assert [knowledge.sentences[i].text for i in died] == ["Ivan Serov died in Moscow on 1 July 1990."]


# --- the plan: which passages may be quoted -------------------------------------------------------------

@pytest.mark.parametrize(("text", "documents", "others"), [
    ("Who signed Order 001223?", ["order_001223"], []),
    ("How do the Serov Instructions and Order 001223 differ?", ["serov_instructions", "order_001223"], []),
    ("How much baggage could a family take?", ["serov_instructions"], []),  # "baggage" is the Instructions'
    ("When did Beria sign the Serov Instructions?", ["serov_instructions"], ["lavrentiy_beria"]),
    ("Who was Serov?", None, ["ivan_serov"]),  # naming no document, any passage may answer
])
def test_plan(pipeline, parse, text, documents, others):
    assert pipeline.search.plan(parse(text)) == (documents, others)


def test_no_passage_about_another_document_is_searched(pipeline, parse):
    evidence = pipeline.search.search(parse("Who signed Order 001223?"))
    assert evidence.allowed == ["order_001223"]
    assert all(not h.passage.documents or h.passage.documents & {"order_001223"} for h in evidence.hits)
    assert all(not c.sentence.text.startswith("The Serov Instructions") for c in evidence.candidates)


def test_a_question_naming_no_document_may_be_answered_from_a_passage_about_one(pipeline, parse):
    evidence = pipeline.search.search(parse("How much could each family take?"))
    assert "si-baggage" in [h.passage.id for h in evidence.hits]


def test_a_document_described_in_other_words_is_the_best_hit_s(pipeline, parse):
    # "the operational plan" names no document and implies none; with only a passage about a document found,
    # the best hit's document is the one meant, instead of nothing to answer from.
    question = parse("Who drew up the operational plan?")
    assert pipeline.search.plan(question) == (None, [])
    evidence = pipeline.search.search(question, k=1)
    assert [h.passage.id for h in evidence.hits] == ["si-signer"]
    assert evidence.allowed == ["serov_instructions"] and evidence.candidates
    assert {pipeline.knowledge.passage(c.sentence).id for c in evidence.candidates} == {"si-signer"}
    # With a passage about no document among the hits, nothing is inferred: the filter stands.
    assert pipeline.search.search(parse("When did Serov die?")).allowed is None


def test_a_comparison_searches_each_compared_document(pipeline, parse):
    evidence = pipeline.search.search(parse("How do the Serov Instructions and Order 001223 differ?"))
    covered = set().union(*(h.passage.documents for h in evidence.hits))
    assert {"serov_instructions", "order_001223"} <= covered


def test_spaces_per_language_come_from_the_policy(pipeline):
    assert pipeline.search.spaces_for("en") == ("primary", "multilingual")
    assert pipeline.search.spaces_for("lt") == ("multilingual",)


def test_an_index_of_the_multilingual_space_alone_leads_with_it(tiny_corpus, fake_encoder, policy, tmp_path):
    """Only the spaces the policy searches are built: without a primary space, the first built one leads."""
    from assistant.pipeline import Pipeline
    from index import build_index, load_index

    build_index(tiny_corpus, {"multilingual": fake_encoder}, tmp_path / "index")
    index = load_index(tmp_path / "index", tiny_corpus, {"multilingual": fake_encoder.name})
    assert index.lead == "multilingual" and index.manifest["model"] == fake_encoder.name
    alone = Pipeline(tiny_corpus, index, {"multilingual": fake_encoder}, policy)
    assert alone.retriever.lead == "multilingual"
    assert alone.search.spaces_for("en") == ("multilingual",)  # the policy's primary is not built: skipped
    assert alone.retriever.search("Who signed Order No. 001223?").hits  # the default space is the lead one
    answer = alone.answer("Who signed Order No. 001223?")
    assert answer.status == "answered" and "Beria" in answer.answer


# --- candidates and their features ------------------------------------------------------------------------

def test_candidates_have_the_named_features_and_their_score(pipeline, parse):
    question = parse("Who signed Order No. 001223?")
    evidence = pipeline.search.search(question)
    weights = pipeline.policy.sentence_weights
    assert isinstance(evidence, Evidence) and evidence.lead == "primary"
    assert [c.score for c in evidence.candidates] == sorted((c.score for c in evidence.candidates), reverse=True)
    for candidate in evidence.candidates:
        assert set(candidate.features) == set(FEATURES)
        assert candidate.score == pytest.approx(sentence_score(candidate.features, weights))
    best = evidence.best
    assert best.sentence.text.startswith("NKVD Order No. 001223 was signed by Lavrentiy Beria")
    assert best.features["typed"] == 1.0 and best.features["untyped"] == 0.0  # names a person beyond the question
    assert best.features["named"] == 1.0 and best.features["relation"] == 1.0 and best.features["about"] == 1.0
    assert best.features["question"] == pytest.approx(1.0)  # the curated question, word for word
    assert best.features["rank"] == 1.0


def test_the_features_measure_what_they_say(pipeline, parse, fake_encoder):
    question = parse("Who signed Order 001223?")
    evidence = pipeline.search.search(question)
    candidate = next(c for c in evidence.candidates if c.sentence.text.startswith("Order No. 001223 set up"))
    assert candidate.features["sentence"] == pytest.approx(
        float(fake_encoder.vector(candidate.sentence.text) @ fake_encoder.vector(question.text)), abs=1e-5)
    assert candidate.features["overlap"] == pytest.approx(len(question.terms & candidate.sentence.terms) / len(question.terms))
    assert candidate.features["typed"] == 0.0 and candidate.features["untyped"] == 1.0  # no person in it


def test_candidates_for_one_part_of_a_question(pipeline, parse):
    question = parse("Who signed Order 0054 and how many categories did it list?")
    evidence = pipeline.search.search(question)
    counted = next(c for c in evidence.candidates if c.sentence.text.startswith("Order No. 0054 listed 14"))
    assert counted.features["typed"] == 0.0  # the question's first part asks who
    assert holds(counted.sentence, "number", question, pipeline.knowledge.person_words)  # its second part, how many
    assert counted.sentence.key in pipeline.selector.select(question, Premise(), evidence).keys


def test_the_question_is_encoded_once_per_space(pipeline, parse, fake_encoder):
    # A question no other test asks: the retriever keeps the vectors of the questions it encoded.
    question = parse("Who issued Order 0054, and how many categories of people did it list in all?")
    before = fake_encoder.calls
    pipeline.search.search(question)
    assert fake_encoder.calls - before == len(pipeline.search.spaces_for("en"))
    # Asked again (the evaluation measures retrieval beside the answer), it is not encoded again.
    again = pipeline.search.search(question)
    assert fake_encoder.calls - before == len(pipeline.search.spaces_for("en")) and again.candidates
