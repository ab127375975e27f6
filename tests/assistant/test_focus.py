"""The focus of a question: what is counted, which relation, which numbers (assistant/focus.py)."""

from __future__ import annotations

import pytest

from assistant.focus import Focus, Statement, question_focus, states_focus, which_noun


@pytest.mark.parametrize(
    ("question", "lang", "words"),
    [
        ("How many wagons left Riga?", "en", ("wagons",)),
        ("How many Estonian farmers were taken?", "en", ("farmers",)),  # the head of the noun phrase
        ("How many bricks tall is the memorial?", "en", ("bricks",)),  # a measure word is not the thing
        ("How many Estonians perished in the camps?", "en", ("estonians",)),  # nor a verb after it
        ("What was Beria's mother's name?", "en", ("mother",)),
        ("What was the name of the Kersten Committee's secretary?", "en", ("secretary",)),
        ("Who was Merkulov's driver?", "en", ("driver",)),
        ("Who was the Latvian NKVD chief's driver?", "en", ("driver",)),
        ("Wie viele Pferde wurden verladen?", "de", ("pferde",)),
        ("Сколько вагонов ушло из Риги?", "ru", ("вагонов",)),
        ("Kiek buvo vagonų?", "lt", ("vagonu",)),  # "buvo" (was) comes between
        ("Как звали жену Берии?", "ru", ("жену",)),  # "what was X called": the relation, not the name
        ("Kā sauca Berijas dēlu?", "lv", ("delu",)),
        ("Who wrote the Serov Instructions?", "en", ()),  # the deed is not a focus: "signed by" answers it
        # Questions with no focus: nothing is required beyond the kind of answer.
        ("Who was Ivan Serov?", "en", ()),
        ("What did the Serov Instructions say about baggage?", "en", ()),
        ("How much could a family take?", "en", ()),  # "how much" is an amount: its unit varies (kg, lb)
    ],
)
def test_focus_words(question, lang, words):
    assert question_focus(question, lang).words == words


def test_numbers_other_than_dates_and_years_are_focus():
    assert question_focus("What does section 7 of the Serov Instructions say?", "en").numbers == ("7",)
    assert question_focus("How many votes did Resolution 1,346 get?", "en").numbers == ("1346",)
    # A date or a year sets the scene; the passage need not repeat it.
    assert question_focus("What happened on 14 June 1941?", "en").numbers == ()
    assert question_focus("Why can't the Instructions date from 1939?", "en").numbers == ()
    for question, lang in [("Cik cilvēku izsūtīja 1941. gada 14. jūnijā?", "lv"), ("Kas įvyko birželio 14 d.?", "lt"),
                           ("Что случилось 14 июня 1941 года?", "ru"), ("Was geschah am 14. Juni 1941?", "de"),
                           ("Mis juhtus 14. juunil?", "et")]:
        assert question_focus(question, lang).numbers == (), question
    assert question_focus("Compare section 3 and section 4", "en", numbers=False).numbers == ()


def test_first_name_questions_name_the_surname():
    assert question_focus("What was Colonel Ivanov's first name?", "en").first_name_of == "Ivanov"
    assert question_focus("What was the first name of Kobulov?", "en").first_name_of == "Kobulov"
    assert question_focus("What was the full name of the Kersten Committee?", "en").first_name_of == ""


def test_a_count_is_answered_only_by_a_sentence_naming_what_is_counted():
    focus = question_focus("How many votes did the resolution get?", "en")
    # A naive check would accept any number: this sentence has one, but it counts no votes.
    assert not states_focus(focus, Statement.of("The report was issued under H. Res. 346.", "", ()))
    assert states_focus(focus, Statement.of("The resolution passed with 390 votes.", "", ()))
    assert states_focus(focus, Statement.of("It passed by 390 to 0.", "", ("How many votes did the resolution receive?",)))


def test_stems_and_inflections_match():
    focus = question_focus("How many copies were made?", "en")
    assert states_focus(focus, Statement.of("Only one copy was made.", "", ()))  # Snowball: copies / copy
    lithuanian = question_focus("Kiek vagonų išvyko?", "lt")
    assert states_focus(lithuanian, Statement.of("901 wagons left.", "", ("Kiek vagonai išvežė žmonių?",)))
    assert not states_focus(lithuanian, Statement.of("901 wagons left.", "", ("Kiek žmonių išvežė?",)))


def test_a_unit_is_stated_by_its_symbol():
    for question, lang in [("How many kilograms could a family take?", "en"), ("Kiek kilogramų galėjo pasiimti?", "lt"),
                           ("Сколько килограммов можно было взять?", "ru")]:
        focus = question_focus(question, lang)
        assert states_focus(focus, Statement.of("Each family could take up to 100 kg.", "", ())), question
        assert not states_focus(focus, Statement.of("Each family could take 100 items.", "", ())), question


def test_a_number_in_the_question_must_be_in_the_passage():
    focus = question_focus("What does section 7 say?", "en")
    assert not states_focus(focus, Statement.of("Section 1 is headed General Situation.", "Sections 1 to 5 were published.", ()))
    assert states_focus(focus, Statement.of("Section 7 deals with trains.", "Section 7 deals with trains.", ()))


def test_a_first_name_is_a_capitalised_word_before_the_surname_that_is_not_a_title():
    focus = Focus(first_name_of="Petrov")
    common = frozenset({"captain", "security", "was"})
    assert not states_focus(focus, Statement.of("It was signed by Captain Petrov.", "", ()), common)
    assert not states_focus(focus, Statement.of("It was signed by Petrov.", "", ()), common)
    assert states_focus(focus, Statement.of("It was signed by Nikolai Petrov.", "", ()), common)


def test_which_noun():
    assert which_noun("What typewriter was used?", "en") == ("typewriter",)
    assert which_noun("Which Russian historian printed it?", "en") == ("russian", "historian")
    assert which_noun("What was signed in 1939?", "en") == ()
    assert which_noun("What was the typewriter of the Instructions?", "en") == ("typewriter",)
    assert which_noun("Какая зарплата была у Серова?", "ru") == ("зарплата",)
    assert which_noun("Welcher Historiker schrieb das?", "de") == ("historiker",)
