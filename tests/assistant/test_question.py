"""Understanding.parse: one parsed Question, built once (assistant/question.py), on the tiny corpus.

The parse reads only the language files and the corpus data; the encoder plays no part. Each case says
what a later stage relies on: the values and their normal forms, the parts of a two-part question,
yes/no and choice, the language.
"""

from __future__ import annotations

import pytest

from assistant.question import MAX_QUESTION_CHARS, QuestionError, validate_question


@pytest.fixture(scope="module")
def parse(pipeline):
    return pipeline.understanding.parse


def values(question):
    return [(v.kind, v.number, v.unit, v.month, v.day) for v in question.values]


# --- validation -----------------------------------------------------------------------------------------

def test_validation_removes_invisible_and_control_characters_and_collapses_spaces():
    assert validate_question("  Who\u200b signed\tthe\u00a0Serov\u2066 Instructions?\x07  ") == \
        "Who signed the Serov Instructions?"


def test_a_lone_surrogate_does_not_reach_the_pipeline():
    text = validate_question("Who signed it?\ud800")
    text.encode("utf-8")  # would raise on a lone surrogate


@pytest.mark.parametrize(("raw", "message"), [("", "empty"), (" \u200b\t", "empty"), (5, "text"), (None, "text"),
                                              ("x" * (MAX_QUESTION_CHARS + 1), "limit")])
def test_what_cannot_be_a_question_is_a_readable_error(raw, message):
    with pytest.raises(QuestionError, match=message):
        validate_question(raw)


def test_the_limit_counts_runs_of_spaces_as_one():
    assert len(validate_question("a" + " " * 1000 + "b")) == 3


# --- language -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "language"), [
    ("Who signed the Serov Instructions?", "en"),
    ("Kas pasirašė Serovo instrukciją?", "lt"),
    ("Kas parakstīja Serova instrukciju?", "lv"),
    ("Kes allkirjastas Serovi juhendi?", "et"),
    ("Кто подписал инструкцию Серова?", "ru"),
    ("Wer hat die Serow-Anweisungen unterschrieben?", "de"),
    ("wat r the serov instructions", "en"),  # English once its chat spellings are undone
])
def test_language(parse, text, language):
    assert parse(text).language == language


def test_a_chat_spelling_makes_a_short_question_english(parse):
    assert parse("whos serov").language == "en"


def test_a_fragment_of_corpus_words_is_english_whatever_the_identifier_says(pipeline):
    # py3langid alone takes name-heavy fragments for Baltic languages; most words the English corpus uses: English.
    assert pipeline.understanding.detector.detect("serov instructions signed") == "en"


# --- what kind of answer, and the parts ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "asks"), [
    ("When was Order 001223 signed?", "date"),
    ("Kada buvo pasirašytas įsakymas?", "date"),
    ("Wann starb Serow?", "date"),
    ("Millal suri Serov?", "date"),
    ("Wer hat die Serow-Anweisungen unterschrieben?", "person"),
    ("Кто подписал приказ № 001223?", "person"),
    ("How many people were deported from Estonia?", "number"),
    ("Сколько людей депортировали?", "number"),
    ("Cik cilvēku izsūtīja?", "number"),
    ("Mitu inimest küüditati?", "number"),
    ("Где был издан приказ 0054?", "place"),
    ("Kur buvo išleistas įsakymas?", "place"),
    ("What were the Serov Instructions?", "other"),
])
def test_the_kind_of_answer_asked_for(parse, text, asks):
    assert parse(text).asks == asks


@pytest.mark.parametrize(("text", "parts"), [
    ("Who signed Order 001223 and when?", [("who signed order 001223", "person"), ("when", "date")]),
    ("Who signed Order 001223 and when was it sent?", [("who signed order 001223", "person"), ("when was it sent", "date")]),
    ("Kas pasirašė įsakymą ir kada?", [("kas pasirase isakyma", "person"), ("kada", "date")]),
    ("Wer unterschrieb den Befehl und wann?", [("wer unterschrieb den befehl", "person"), ("wann", "date")]),
    ("Serov was born in 1900, right? And where?", [("serov was born in 1900 right", "other"), ("where", "place")]),
    # "and" joining two names is not a second question.
    ("Who were Serov and Beria?", [("who were serov and beria", "person")]),
])
def test_two_part_questions_are_split_where_a_new_question_word_follows(parse, text, parts):
    assert [(p.text, p.asks) for p in parse(text).parts] == parts


# --- values ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "What happened on 14 June 1941?", "Was geschah am 14. Juni 1941?", "Что случилось 14 июня 1941 года?",
    "Mis juhtus 14. juunil 1941?",
    # The year first, as Lithuanian and Latvian write a date: one date, not a year beside a day of no year.
    "Kas nutiko 1941 m. birželio 14 d.?", "Kas notika 1941. gada 14. jūnijā?",
])
def test_dates_in_several_languages_have_one_normal_form(parse, text):
    assert values(parse(text)) == [("date", 1941, "", 6, 14)]


def test_a_date_without_a_year(parse):
    assert values(parse("What happened on 14 June?")) == [("date", 0, "", 6, 14)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Could a family take 100 kg?", [("measure", 100, "kg", 0, 0)]),
    ("Was the limit 100kg?", [("measure", 100, "kg", 0, 0)]),  # glued to its unit
    ("Could a family take 220 lb?", [("measure", 220, "lb", 0, 0)]),
    ("Сколько можно было взять, 100 килограммов?", [("measure", 100, "kg", 0, 0)]),
    ("Were 40% of them children?", [("measure", 40, "%", 0, 0)]),
    ("Were 15,000 people deported?", [("count", 15000, "", 0, 0)]),
    ("Were 15 000 people deported?", [("count", 15000, "", 0, 0)]),  # a space between thousands
    ("Were 15 tūkst. people deported?", [("count", 15000, "", 0, 0)]),
    ("17 тыс. человек?", [("count", 17000, "", 0, 0)]),
    ("Were 17k people deported?", [("count", 17000, "", 0, 0)]),
    ("What did Serov do in 1956?", [("year", 1956, "", 0, 0)]),
])
def test_numbers_have_their_normal_form_and_kind(parse, text, expected):
    assert values(parse(text)) == expected


def test_a_number_with_a_leading_zero_or_after_an_order_word_is_an_identifier_not_a_count(parse):
    assert values(parse("Who signed Order 001223?")) == [("identifier", 1223, "", 0, 0)]
    assert [v.kind for v in parse("What did Order 0054 say?").values] == ["identifier"]


def test_values_know_their_token_position(parse):
    question = parse("Serov died in 1970, right?")
    (value,) = question.values
    assert question.words[value.position] == "1970"


@pytest.mark.parametrize("text", ["Serov died in 1970…", "Правда ли, что приказ № 001223 подписан в 1941 году?",
                                  "Serow starb 1970, das weiß ich"])
def test_one_character_that_folds_to_two_does_not_drop_the_questions_numbers(parse, text):
    assert any(v.kind == "year" for v in parse(text).values)


# --- yes/no, choice, negation, comparison ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Did Serov sign Order 001223?",
    "Serov died in 1990, right?",
    "Serov died in 1990, didn't he?",
    "My teacher said Serov died in 1970",  # passes on a belief
    "Ar Serovas pasirašė?",
    "Vai Serovs nomira 1990. gadā?",
    "Kas Serov suri 1990?",
    "Правда ли, что Серов умер в 1970 году?",
    "Подписал ли Берия инструкцию Серова?",  # the particle "ли"
    "Hat Serow unterschrieben, oder?",
    "Serov was born in 1900, right? And where?",  # one sentence of several asks for confirmation
])
def test_yes_no_and_tag_questions(parse, text):
    assert parse(text).yes_no


@pytest.mark.parametrize("text", ["Who signed the Serov Instructions?", "Wann starb Serow?", "Kas pasirašė Serovo instrukciją?"])
def test_open_questions_are_not_yes_no(parse, text):
    assert not parse(text).yes_no


def test_a_question_ending_in_yes_asks_for_confirmation(parse):
    assert parse("Serov died in 1970, yes?").yes_no


def test_a_tag_typed_without_its_apostrophe_still_asks_for_confirmation(parse):
    assert parse("Serov died in 1970, didnt he?").yes_no


@pytest.mark.parametrize(("text", "choice"), [
    ("Did Serov or Beria sign it?", True),
    ("Serovas ar Berija pasirašė?", True),  # "ar" after the first word is "or"
    ("Ar Serovas pasirašė?", False),  # ... and opening the question it asks yes or no
    ("Hat Serow unterschrieben, oder?", False),  # ... "oder" ending it is a tag
    ("Hat Serow oder Berija unterschrieben?", True),
    ("Who signed the Serov Instructions?", False),
])
def test_choice(parse, text, choice):
    assert parse(text).choice is choice


def test_negation_comparison_and_sequence(parse):
    assert parse("Order 001223 was not signed by Serov").negated
    assert not parse("Order 001223 was signed by Beria").negated
    assert parse("How do the Serov Instructions and Order 001223 differ?").comparison
    which = parse("Which came first, Order 0054 or Order 001223?")
    assert which.sequence and which.comparison
    assert parse("Why is Order 0054 called the Lithuanian order?").joins


# --- subjects, entities, relations ---------------------------------------------------------------------

def test_documents_entities_and_relations(parse):
    question = parse("When did Beria sign the Serov Instructions?")
    assert question.documents == ["serov_instructions"]
    # The "Serov" of "Serov Instructions" is the document, not the man.
    assert [e.entity for e in question.entities] == ["lavrentiy_beria"]
    assert dict(question.relations) == {"date": 0, "signer": 3}
    assert question.named == {"serov_instructions", "lavrentiy_beria"}


def test_the_parse_is_of_the_normalised_text_and_keeps_the_original(parse):
    question = parse("who signed order 1223")
    assert question.original == "who signed order 1223"
    assert question.text == "who signed order 001223"
    assert question.changed and [(r.typed, r.understood, r.kind) for r in question.rewrites] == [
        ("1223", "001223", "identifier")]
    assert question.documents == ["order_001223"]
    assert "001223" in question.words and "001223" in question.lexical


def test_written_forms_keep_case_and_diacritics(parse):
    question = parse("Was the Šiauliai copy found in Latvia?")
    assert "siauliai" in question.words and "Šiauliai" in question.written


def test_stems_are_in_the_questions_language(parse):
    assert "sign" in parse("Who signed the Serov Instructions?").stems
    assert parse("Кто подписал инструкцию Серова?").stems >= {"подписа"}


def test_romanized_russian_is_parsed_as_russian_and_shown_as_understood(parse):
    question = parse("berija kogda rodilsja i gde?")
    assert question.language == "ru"
    assert question.text.startswith("берия когда родился")
    assert question.rewrites[0].kind == "script" and question.changed
    assert "lavrentiy_beria" in question.mentions.subjects
