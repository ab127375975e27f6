"""Select, decide and compose (assistant/select.py, decide.py, compose.py) on the tiny corpus with the fake encoder."""

from __future__ import annotations

import math

import pytest

from assistant.decide import CANDIDATE_FEATURES, Decider, decision_features, probability
from assistant.premise import Conflict, Premise
from assistant.retrieve import Evidence
from assistant.select import Selection, Selector
from tinyqa import make_policy


def texts(pipeline, keys):
    knowledge = pipeline.knowledge
    return [knowledge.sentences[knowledge.by_key[k]].text for k in keys]


def staged(pipeline, text):
    question = pipeline.understanding.parse(text)
    evidence = pipeline.search.search(question)
    premise = pipeline.premise.check(question, evidence)
    return question, evidence, premise


# --- select -------------------------------------------------------------------------------------------

def test_the_best_sentence_comes_first(pipeline):
    trace = pipeline.trace("Who signed Order 001223?")
    assert texts(pipeline, trace.selection.keys) == [
        "NKVD Order No. 001223 was signed by Lavrentiy Beria on 11 October 1939."]
    assert trace.selection.best is trace.evidence.best


def test_never_a_sentence_about_another_document(pipeline):
    # Both signer sentences are close to the question; only the one about the named document may be quoted.
    for text, wrong in [("Who signed the Serov Instructions?", "order_001223"), ("Who signed Order 001223?", "serov_instructions")]:
        keys = pipeline.trace(text).selection.keys
        assert not any(wrong in pipeline.knowledge.corpus.passages[p].documents for p, _ in keys), text


def test_each_part_of_a_two_part_question_gets_its_sentence(pipeline):
    keys = pipeline.trace("Who signed Order 0054 and how many categories did it list?").selection.keys
    assert set(texts(pipeline, keys)) >= {
        "Lithuanian NKVD Order No. 0054 was issued in Kaunas on 28 November 1940 by Aleksandras Guzevičius.",
        "Order No. 0054 listed 14 categories of people, among them Esperantists and philatelists."}


def test_a_comparison_quotes_the_compared_attribute_of_each_document(pipeline):
    quoted = texts(pipeline, pipeline.trace("How do the Serov Instructions and Order 001223 differ?").selection.keys)
    assert "The Serov Instructions were signed by Ivan Serov, deputy head of the NKGB." in quoted
    assert "NKVD Order No. 001223 was signed by Lavrentiy Beria on 11 October 1939." in quoted


def test_which_came_first_quotes_both_dates(pipeline):
    quoted = " ".join(texts(pipeline, pipeline.trace("Which came first, Order 0054 or Order 001223?").selection.keys))
    assert "28 November 1940" in quoted and "11 October 1939" in quoted


def test_a_correction_leads_with_the_true_value(pipeline):
    question, evidence, premise = staged(pipeline, "Serov died in 1970, right?")
    selection = pipeline.selector.select(question, premise, evidence)
    assert selection.keys[: len(premise.quotes)] == premise.quotes
    assert texts(pipeline, selection.keys)[0] == "Ivan Serov died in Moscow on 1 July 1990."


def test_no_candidates_no_selection(pipeline):
    question = pipeline.understanding.parse("Who signed Order 001223?")
    assert pipeline.selector.select(question, Premise(), Evidence([], {}, "primary")) == Selection((), None)


def test_quotes_and_sentences_are_capped_by_the_policy(pipeline):
    policy = make_policy()
    policy.quoting.max_quotes, policy.quoting.max_sentences = 2, 3
    selector = Selector(pipeline.knowledge, policy)
    chosen = [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (3, 0)]
    assert selector._capped(chosen) == [(0, 0), (0, 1), (1, 0)]
    policy.quoting.max_sentences = 5
    assert selector._capped(chosen) == [(0, 0), (0, 1), (1, 0), (1, 1)]  # a third passage would be a third quote


# --- decide -----------------------------------------------------------------------------------------------

def test_probability_is_the_logistic_of_the_weighted_features():
    policy = make_policy()
    assert probability({"sentence": 1 / 3}, policy) == pytest.approx(0.5)
    assert probability({"sentence": 1.0}, policy) == pytest.approx(1 / (1 + math.exp(-8)))
    assert probability({"sentence": 1.0, "unknown": 1.0, "not_weighted": 5.0}, policy) == pytest.approx(1 / (1 + math.exp(-6)))
    assert probability({"sentence": 1e9}, policy) == pytest.approx(1.0) and probability({"sentence": -1e9}, policy) >= 0.0


def test_decision_features(pipeline):
    question, evidence, _ = staged(pipeline, "Who signed Order 001223?")
    features = decision_features(question, evidence, pipeline.lexicon)
    assert set(features) == set(CANDIDATE_FEATURES) | {"unknown", "english", "names_subject", "unknown_names",
                                                             "typed_any", "uncovered"}
    assert features["sentence"] == evidence.best.features["sentence"]
    assert features["english"] == 1.0 and features["names_subject"] == 1.0 and features["unknown"] == 0.0
    # "named" stays the candidates' share of the question's names, not whether the question names a subject
    assert features["named"] == max(c.features["named"] for c in evidence.candidates[:3])
    strange, evidence, _ = staged(pipeline, "Who signed the Ozymandias Zanzibar treaty?")
    assert decision_features(strange, evidence, pipeline.lexicon)["unknown"] == pytest.approx(3 / 4)


@pytest.mark.parametrize(("text", "status", "reason"), [
    ("Who signed Order 001223?", "answered", "answered"),
    ("Serov died in 1970, right?", "corrected", "corrected"),
    ("What is the capital of Australia?", "abstained", "low_evidence"),
    (".", "abstained", "not_a_question"),
    ("the of and", "abstained", "not_a_question"),
])
def test_one_decision(pipeline, text, status, reason):
    question, evidence, premise = staged(pipeline, text)
    decision = pipeline.decider.decide(question, premise, evidence)
    assert (decision.status, decision.reason) == (status, reason)
    assert 0.0 <= decision.confidence <= 1.0


def test_the_threshold_comes_from_the_policy(pipeline):
    question, evidence, premise = staged(pipeline, "Who signed Order 001223?")
    p = pipeline.decider.decide(question, premise, evidence).confidence
    policy = make_policy()
    policy.decision.answer_above = min(0.99, p + 0.01)
    assert Decider(pipeline.lexicon, policy).decide(question, premise, evidence).status == "abstained"


def test_a_question_on_a_known_gap_is_declined_and_one_beside_it_is_not(pipeline, fake_encoder):
    from assistant.gaps import GapMatcher
    from corpus.gaps import Gap

    gap = Gap("serov-salary", "F000", {"en": ("What salary was Serov paid in 1941?",)})
    policy = make_policy()
    policy.gaps.above, policy.gaps.margin = 0.8, 0.05
    decider = Decider(pipeline.lexicon, policy, pipeline.knowledge,
                      GapMatcher([gap], fake_encoder.encode_queries, space="multilingual"))
    question, evidence, premise = staged(pipeline, "What salary was Serov paid?")
    gap_id, closeness, margin = decider.gap_scores(question, evidence)
    assert gap_id == "serov-salary" and closeness >= 0.8 and margin >= 0.05
    decision = decider.decide(question, premise, evidence)
    assert (decision.status, decision.reason) == ("abstained", "known_gap")
    # A question on the same man, closer to a curated question than to the gap, is decided as without gaps.
    beside, beside_evidence, beside_premise = staged(pipeline, "When did Serov die?")
    assert decider.gap_scores(beside, beside_evidence)[2] < 0.05
    assert decider.decide(beside, beside_premise, beside_evidence) == pipeline.decider.decide(beside, beside_premise,
                                                                                              beside_evidence)
    # The pipeline's own policy puts nothing on a gap (above 1), and without gaps nothing ever is.
    assert pipeline.decider.decide(question, premise, evidence).reason != "known_gap"
    assert Decider(pipeline.lexicon, policy, pipeline.knowledge).gap_scores(question, evidence) == ("", 0.0, 0.0)


def test_no_passage_is_declined(pipeline):
    question = pipeline.understanding.parse("Who signed Order 001223?")
    decision = pipeline.decider.decide(question, Premise(), Evidence([], {}, "primary"))
    assert (decision.status, decision.reason, decision.confidence) == ("abstained", "no_passage", 0.0)


# --- compose ----------------------------------------------------------------------------------------------

def test_quotes_are_verbatim_spans_with_their_sources(pipeline):
    answer = pipeline.answer("Who signed Order 0054 and how many categories did it list?")
    (quote,) = answer.quotes  # two sentences of one passage: one quote, the span from the first to the last
    passage = pipeline.corpus.by_id[quote.passage_id]
    assert quote.text == passage.text and quote.text in answer.answer
    assert quote.about == list(passage.about)
    (source,) = quote.sources
    assert (source.id, source.locator) == ("S02", "p. 2")
    # The original, not the mirror the curator read it on (sources.yaml canonical_url).
    assert source.url == "https://archive.example.org/001223"


def test_the_answer_text_is_fixed_phrases_and_numbered_quotes(pipeline):
    answer = pipeline.answer("Who signed Order 001223?")
    assert answer.answer == ("According to the curated sources:\n\n"
                             "NKVD Order No. 001223 was signed by Lavrentiy Beria on 11 October 1939. [1]")
    assert answer.question == "Who signed Order 001223?" and answer.understood is None


@pytest.mark.parametrize(("lang", "start"), [("lt", "Pagal atrinktus šaltinius"), ("de", "Laut den ausgewählten"),
                                             ("ru", "Согласно отобранным"), ("xx", "According to the curated")])
def test_the_phrases_are_in_the_requested_language_else_the_questions(pipeline, lang, start):
    answer = pipeline.answer("Who signed Order 001223?", lang)
    assert answer.answer.startswith(start) and answer.lang == (lang if lang != "xx" else "en")


def test_a_correction_names_the_visitors_own_words_with_the_languages_quote_marks(pipeline):
    answer = pipeline.answer("Serov died in 1970, right?")
    assert answer.answer.startswith("Note: the sources say otherwise about “1970”.")
    assert answer.corrected_claims == ["1970"]
    german = pipeline.answer("Serov died in 1970, right?", "de")
    assert german.answer.startswith("Hinweis: Die Quellen sagen etwas anderes über „1970“.")


def test_a_correction_without_the_visitors_words_uses_the_mix_up_note(pipeline):
    question, evidence, _ = staged(pipeline, "Who signed Order 001223?")
    premise = Premise(conflicts=(Conflict("order_001223", "serov_instructions", "signer", ""),),
                      quotes=(evidence.best.sentence.key,))
    decision = pipeline.decider.decide(question, premise, evidence)
    selection = pipeline.selector.select(question, premise, evidence)
    answer = pipeline.composer.compose(question, None, decision, premise, selection, evidence)
    assert answer.status == "corrected"
    assert answer.answer.startswith("Note: this question seems to mix up two different documents.")


def test_an_abstention_quotes_nothing(pipeline):
    answer = pipeline.answer("What is the capital of Australia?")
    assert answer.status == "abstained" and answer.quotes == []
    assert answer.answer == "I could not find an answer to this question in the curated sources."
    assert pipeline.answer(".", "en").answer.startswith("Please ask a question about the Serov Instructions")


@pytest.mark.parametrize("text", [".", "?", "👍"])
def test_a_question_without_words_is_answered_in_the_default_language(pipeline, text):
    assert pipeline.answer(text).lang == "en"


def test_a_disputed_passage_gets_the_disputed_note(pipeline):
    answer = pipeline.answer("When was Ivan Serov born?")
    assert answer.status == "answered"
    assert answer.answer.startswith("Note: the sources disagree on this;")


def test_suggestions_are_curated_questions_of_other_passages_in_the_visitors_language(pipeline):
    answer = pipeline.answer("Who signed Order 001223?")
    quoted = {q.passage_id for q in answer.quotes}
    curated = {q: p.id for p in pipeline.corpus.passages for q in p.all_questions}
    assert 1 <= len(answer.suggestions) <= 3
    assert all(curated[s] not in quoted for s in answer.suggestions)
    assert "Who signed Order 001223?" not in answer.suggestions
    lithuanian = pipeline.answer("Kas pasirašė Serovo instrukciją?")
    lt_questions = {q for p in pipeline.corpus.passages for q in p.questions_by_language.get("lt", ())}
    for suggestion in lithuanian.suggestions:
        passage = pipeline.corpus.by_id[curated[suggestion]]
        assert suggestion in lt_questions or "lt" not in passage.questions_by_language


def test_a_question_that_only_names_its_subject_is_on_no_known_gap(pipeline, fake_encoder):
    from assistant.gaps import GapMatcher
    from corpus.gaps import Gap

    # The gap is phrased as the bare name itself, as close as a gap can come; the question still asks nothing
    # the sources are silent on, so it is decided on its evidence.
    gap = Gap("serov-salary", "F000", {"en": ("Ivan Serov", "What salary was Serov paid in 1941?")})
    policy = make_policy()
    policy.gaps.above, policy.gaps.margin = 0.5, -1.0
    decider = Decider(pipeline.lexicon, policy, pipeline.knowledge,
                      GapMatcher([gap], fake_encoder.encode_queries, space="multilingual"))
    question, evidence, premise = staged(pipeline, "Ivan Serov")
    assert decider.gap_scores(question, evidence) == ("", 0.0, 0.0)
    assert decider.decide(question, premise, evidence).reason != "known_gap"
    asking, asking_evidence, _ = staged(pipeline, "What salary was Serov paid?")
    assert decider.gap_scores(asking, asking_evidence)[0] == "serov-salary"
