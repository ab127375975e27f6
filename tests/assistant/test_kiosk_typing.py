"""Kiosk-typed questions in every language: right with the Normalizer, wrong without it.

Each case is parsed twice on the tiny corpus: by the pipeline's Understanding, and by the same
Understanding with a no-op normaliser (tinyqa.NoOpNormalizer: what a version without normalisation
sees). The check says what a later stage needs: the document named (the tiny corpus has no alias
"1223"), a year a fact can contradict, the kind of answer asked for, a yes/no question.
"""

from __future__ import annotations

import copy

import pytest


def named(document):
    return lambda question, claims: question.documents == [document]


def contradicts(fact):
    return lambda question, claims: fact in {b.fact.id for b in claims.check(question)}


def asks(kind):
    return lambda question, claims: question.asks == kind


def yes_no(question, claims):
    return question.yes_no


def year(number):
    return lambda question, claims: any(v.kind == "year" and v.number == number for v in question.values)


CASES = [
    # English: an identifier without its zeros, a two-digit year, chat spellings, a typo.
    ("en", "who signed order 1223", named("order_001223")),
    ("en", "serov died in 70?", contradicts("ivan_serov.died")),
    ("en", "whos lavrentiy beria", asks("person")),
    ("en", "wat yr was order 001223 signed", asks("date")),
    ("en", "serov diied in 1970 rite", contradicts("ivan_serov.died")),
    ("en", "deportation of 41, how many ppl", year(1941)),
    # Lithuanian
    ("lt", "kas pasirase isakyma 1223", named("order_001223")),
    ("lt", "Serovas mirė 70 m.?", contradicts("ivan_serov.died")),
    ("lt", "kiek zmoniu istreme is lietuvos 41", year(1941)),
    # Latvian
    ("lv", "Kas parakstīja pavēli 1223?", named("order_001223")),
    ("lv", "Serovs nomira 70. gadā?", contradicts("ivan_serov.died")),
    # Estonian
    ("et", "Kes allkirjastas käskkirja 1223?", named("order_001223")),
    ("et", "Serov suri 70. aastal?", contradicts("ivan_serov.died")),
    # Russian
    ("ru", "Кто подписал приказ 1223?", named("order_001223")),
    ("ru", "Серов умер в 70 году?", contradicts("ivan_serov.died")),
    ("ru", "кто подписал приказ 54", named("order_0054")),
    # German
    ("de", "Wer unterschrieb Befehl 1223?", named("order_001223")),
    ("de", "Serow starb im Jahr 70?", contradicts("ivan_serov.died")),
    ("de", "gibts Fotos von Serow?", yes_no),
]


@pytest.mark.parametrize(("lang", "typed", "right"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_kiosk_typing_is_understood_only_with_normalisation(pipeline, raw_understanding, lang, typed, right):
    claims = pipeline.premise.claims
    normalised = pipeline.understanding.parse(typed)
    raw = raw_understanding.parse(typed)
    assert normalised.language == lang
    assert right(normalised, claims), (normalised.text, normalised.rewrites)
    assert not right(raw, claims), raw.text


def test_every_language_has_a_kiosk_case():
    from assistant.language import LANGUAGES

    assert {lang for lang, *_ in CASES} == set(LANGUAGES)


@pytest.fixture(scope="module")
def unnormalised(pipeline, raw_understanding):
    """The tiny pipeline with the no-op normaliser in its first stage, every later stage the same."""
    other = copy.copy(pipeline)
    other.understanding = raw_understanding
    return other


def test_an_identifier_without_zeros_gets_the_documents_answer(pipeline, unnormalised):
    answer = pipeline.answer("who signed order 1223")
    assert answer.status == "answered" and "Lavrentiy Beria" in answer.quotes[0].text
    assert answer.understood == "who signed order 001223"
    assert answer.answer.startswith("Showing answers for: who signed order 001223")
    # Without normalisation no document is named, and the passages about a document are not searched.
    assert not any("Beria" in q.text for q in unnormalised.answer("who signed order 1223").quotes)


@pytest.mark.parametrize(("typed", "lang", "understood_line"), [
    ("serov died in 70?", "en", "Showing answers for: serov died in 1970?"),
    ("Serovas mirė 70 m.?", "lt", "Rodomi atsakymai į: Serovas mirė 1970 m.?"),
    ("Серов умер в 70 году?", "ru", "Ответы на вопрос: Серов умер в 1970 году?"),
])
def test_a_two_digit_year_is_corrected_and_the_answer_says_what_was_understood(pipeline, unnormalised, typed, lang,
                                                                                understood_line):
    answer = pipeline.answer(typed)
    assert answer.status == "corrected" and answer.lang == lang
    assert answer.answer.startswith(understood_line)
    assert "1990" in answer.quotes[0].text
    assert unnormalised.answer(typed).status != "corrected"


def test_restored_diacritics_find_the_curated_question_as_written(pipeline, raw_understanding):
    # The encoder sees "daiktų", not "daiktu": with a real model, as with the fake one, that is another word.
    typed = "kiek kilogramu daiktu galejo pasiimti seima"
    knowledge = pipeline.knowledge
    baggage = next(i for i, p in enumerate(knowledge.corpus.passages) if p.id == "si-baggage")

    def curated_question_similarity(question):
        query = pipeline.search.encode(question)["multilingual"]
        return float((knowledge.vectors("multilingual")[knowledge.question_rows[baggage]] @ query).max())

    assert curated_question_similarity(pipeline.understanding.parse(typed)) == pytest.approx(1.0, abs=1e-5)
    assert curated_question_similarity(raw_understanding.parse(typed)) < 0.5
