"""The whole pipeline on the real models, index and corpus (the session fixture `assistant`).

Only what a unit test on the tiny corpus cannot show: that real retrieval over the shipped corpus quotes
verbatim, never conflates the documents on the classic mix-up questions, corrects a false premise with
the true value, and declines what the sources do not answer. The rest is in the stage tests.
"""

from __future__ import annotations

import pytest

from assistant import MAX_QUESTION_CHARS, QuestionError
from evaluation.metrics import conflates

DOCUMENTS = {"serov_instructions", "order_001223", "order_0054"}


def assert_extractive(answer, corpus):
    for quote in answer.quotes:
        passage = corpus.by_id[quote.passage_id]
        assert quote.text in passage.text
        assert quote.text in answer.answer
        assert quote.sources and all(s.url and s.locator and s.title for s in quote.sources)


@pytest.mark.parametrize(("question", "documents", "expected"), [
    ("Who signed the Serov Instructions?", {"serov_instructions"}, "Ivan Serov"),
    ("When was Order 001223 signed?", {"order_001223"}, "11 October 1939"),
    ("Who signed Order 001223?", {"order_001223"}, "Lavrentiy Beria"),
    ("When was Order 0054 issued?", {"order_0054"}, "28 November 1940"),
    ("How much baggage could a family take under the Serov Instructions?", {"serov_instructions"}, "100 kg"),
    ("Kas pasirašė Serovo instrukciją?", {"serov_instructions"}, "Ivan Serov"),
    ("Кто подписал приказ № 001223?", {"order_001223"}, "Beria"),
])
def test_questions_on_one_document_are_answered_from_it_alone(assistant, question, documents, expected):
    answer = assistant.answer(question)
    assert answer.status == "answered"
    assert expected in answer.quotes[0].text
    assert not conflates(documents, [q.about for q in answer.quotes])
    assert_extractive(answer, assistant.corpus)


@pytest.mark.parametrize(
    "question",
    ["When did Beria sign the Serov Instructions?", "Why did Order 001223 limit baggage to 100 kg?",
     "Did the Serov Instructions list Esperantists?", "Why is Order 0054 dated 11 October 1939?"],
)
def test_classic_mix_ups_are_corrected_with_quotes_on_both_documents(assistant, question):
    answer = assistant.answer(question)
    assert answer.status == "corrected" and answer.answer.startswith("Note:")
    cited = {d for q in answer.quotes for d in q.about} & DOCUMENTS
    assert len(cited) >= 2, cited
    assert_extractive(answer, assistant.corpus)


def test_a_correction_of_a_date_quotes_the_date_of_each_document(assistant):
    answer = assistant.answer("Why is Order 0054 dated 11 October 1939?")
    assert "28 November 1940" in answer.answer and "11 October 1939" in answer.answer


@pytest.mark.parametrize(("question", "lang", "note"), [
    ("Serov died in 1970, didn't he?", "en", "Note: the sources say otherwise about “1970”."),
    ("Ar tiesa, kad Serovas mirė 1970 m.?", "lt", "Pastaba: šaltiniai teigia kitaip apie „1970“."),
])
def test_a_wrong_value_is_corrected_in_the_visitors_words_with_the_true_value_first(assistant, question, lang, note):
    answer = assistant.answer(question)
    assert answer.status == "corrected" and answer.lang == lang
    assert answer.corrected_claims == ["1970"] and answer.answer.startswith(note)
    assert "1990" in answer.quotes[0].text
    assert_extractive(answer, assistant.corpus)


def test_a_true_premise_is_answered_not_corrected(assistant):
    answer = assistant.answer("Did Beria sign Order 001223?")
    assert answer.status == "answered" and "Beria" in answer.quotes[0].text


def test_a_comparison_states_each_documents_signer_not_just_that_they_differ(assistant):
    answer = assistant.answer("How are the Serov Instructions and Order 001223 different?")
    assert answer.status == "answered"
    assert "signed by Lavrentiy Beria" in answer.answer and "signed by Ivan Serov" in answer.answer
    assert_extractive(answer, assistant.corpus)


def test_a_comparison_of_dates_quotes_both_dates(assistant):
    answer = assistant.answer("Compare the dates of Order 0054 and Order 001223.")
    assert "28 November 1940" in answer.answer and "11 October 1939" in answer.answer


def test_a_comparison_of_three_documents_quotes_each_of_them(assistant):
    answer = assistant.answer("How do the Serov Instructions, Order 001223 and Order 0054 differ?")
    assert answer.status == "answered"
    assert DOCUMENTS <= {d for quote in answer.quotes for d in quote.about}
    assert_extractive(answer, assistant.corpus)


@pytest.mark.parametrize("question", ["What is the capital of Australia?", "Who won the battle of Waterloo?",
                                      "how tall is the eiffel tower",
                                      # declined as a known gap (serov-private-life in corpus/gaps.yaml): no
                                      # decision feature tells a family the sources never mention from a post they do
                                      "How many grandchildren did Ivan Serov have?",
                                      "How many typists worked on Order 001223?"])
def test_what_the_sources_do_not_answer_is_declined(assistant, question):
    answer = assistant.answer(question)
    assert answer.status == "abstained" and answer.quotes == []
    assert "could not find" in answer.answer


@pytest.mark.parametrize(("question", "status"), [
    ("What did the chalk writing on the 1941 deportation trains say?", "abstained"),
    ("Kas 1941. aasta vagunitele kirjutati kriidiga midagi peale?", "abstained"),
    # Beside the gaps, what the sources do cover: the wagons' count, how long families had in practice.
    ("How many wagons left Estonia in June 1941?", "answered"),
    ("How long did families have to pack?", "answered"),
])
def test_a_point_the_sources_are_known_not_to_cover_is_declined_and_its_neighbours_are_not(assistant, question,
                                                                                             status):
    answer = assistant.answer(question)
    assert answer.status == status
    assert (answer.reason == "known_gap") == (status == "abstained")


def test_kiosk_typing(assistant):
    assert "Beria" in assistant.answer("001223 signer").answer
    assert assistant.answer("serov instrucions baggage limit").status == "answered"
    answer = assistant.answer("Who signed order 1223?")
    assert answer.understood == "Who signed order 001223?" and "Lavrentiy Beria" in answer.quotes[0].text


@pytest.mark.parametrize(("question", "message"), [("", "empty"), ("   ", "empty"),
                                                   ("x" * (MAX_QUESTION_CHARS + 1), "limit")])
def test_empty_and_over_long_questions_are_clear_errors(assistant, question, message):
    with pytest.raises(QuestionError, match=message):
        assistant.answer(question)


# --- what the stage tests found, as the visitor sees it (strict xfails) ----------------------------------

def test_a_correction_never_names_a_true_word_of_the_visitors(assistant):
    answer = assistant.answer("Why do the Serov Instructions carry the number 001223?")
    assert answer.status == "corrected" and answer.corrected_claims == ["001223"]


def test_a_wrong_year_of_signing_is_corrected(assistant):
    assert assistant.answer("Was Order 001223 signed in 1942?").status == "corrected"


def test_a_wrong_year_of_death_asked_in_german_is_corrected(assistant):
    assert assistant.answer("Stimmt es, dass Serow 1970 starb?").status == "corrected"


def test_a_question_naming_no_document_reaches_the_documents_passages(assistant):
    assert "100 kg" in assistant.answer("How much could a family take?").answer


def test_two_true_claims_with_one_verb_are_not_corrected(assistant):
    assert assistant.answer("Beria signed Order 001223 and Serov the Instructions, right?").status != "corrected"
