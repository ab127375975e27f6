"""Sentence selection: the kind of answer asked for, and the scoring that uses it."""

from assistant.selection import AnswerType, answer_type, has_answer_type, overlap, sentence_score


def test_answer_type_from_question_words_in_several_languages():
    assert answer_type("When was Order 001223 signed?") is AnswerType.DATE
    assert answer_type("Kada buvo pasirašytas įsakymas?") is AnswerType.DATE
    assert answer_type("Wer hat die Serow-Anweisungen unterschrieben?") is AnswerType.PERSON
    assert answer_type("How many people were deported from Estonia?") is AnswerType.NUMBER
    assert answer_type("Сколько людей депортировали?") is AnswerType.NUMBER
    assert answer_type("What were the Serov Instructions?") is AnswerType.OTHER
    assert answer_type("What was Captain Petrov's first name?") is AnswerType.PERSON
    assert answer_type("What is the name of the Lithuanian order?") is AnswerType.OTHER


def test_a_year_is_a_date_but_not_a_count():
    sentence = "NKVD Order No. 001223 was signed in 1939."
    assert has_answer_type(sentence, AnswerType.DATE)
    # "001223" and "1939" are not counts of anything; a naive "has a digit" check would say yes.
    assert has_answer_type("About 10,000 people were deported from Estonia.", AnswerType.NUMBER)
    assert not has_answer_type("The deportation began in 1941.", AnswerType.NUMBER)


def test_what_the_question_already_says_is_not_an_answer():
    # The only number is the one in the question; a naive check would call this a count.
    assert not has_answer_type("House Resolution 346 was passed in 1953.", AnswerType.NUMBER,
                               question="How many votes did House Resolution 346 get?")
    # A day of the month inside a date is not a count either.
    assert not has_answer_type("Ivan Serov died on 1 July 1990.", AnswerType.NUMBER)
    assert not has_answer_type("The deportation of 14 June 1941 began at night.", AnswerType.DATE,
                               question="What happened on 14 June 1941?")
    assert has_answer_type("The deportation of 14 June 1941 ended on 17 June.", AnswerType.DATE,
                           question="What happened on 14 June 1941?")
    names = frozenset({"serov", "beria"})
    assert not has_answer_type("Beria signed Order No. 001223.", AnswerType.PERSON, names,
                               question="Whom did Beria appoint?", common_words=frozenset({"order", "no"}))
    assert has_answer_type("Beria appointed Vsevolod Merkulov.", AnswerType.PERSON, names,
                           question="Whom did Beria appoint?", common_words=frozenset({"order", "no"}))


def test_a_number_that_names_a_document_or_a_section_is_not_a_count():
    for sentence in ["It was carried out through Lithuanian Order No. 0054.", "It was issued under H. Res. 438.",
                     "§5 deals with separating families.", "The translation is on p. 75.", "See Order 0054."]:
        assert not has_answer_type(sentence, AnswerType.NUMBER, question="How many people were registered?"), sentence
    assert has_answer_type("Order No. 0054 listed 14 categories.", AnswerType.NUMBER, question="How many categories?")


def test_person_detection_ignores_the_capital_at_sentence_start():
    names = frozenset({"serov", "beria"})
    assert has_answer_type("The order was signed by Lavrentiy Beria.", AnswerType.PERSON, names)
    assert not has_answer_type("Registration was due by February.", AnswerType.PERSON, names)


def test_overlap_and_score():
    assert overlap({"sign", "serov"}, {"serov", "instruct"}) == 0.5
    assert overlap(set(), {"x"}) == 0.0
    # The sentence holding the asked-for kind of answer beats an equally similar one without it.
    assert sentence_score(0.6, 0.5, True, 0) > sentence_score(0.6, 0.5, False, 0)
