"""Sentence selection: the kind of answer asked for, and the scoring that uses it."""

from assistant.selection import AnswerType, answer_type, has_answer_type, overlap, sentence_score


def test_answer_type_from_question_words_in_several_languages():
    assert answer_type("When was Order 001223 signed?") is AnswerType.DATE
    assert answer_type("Kada buvo pasirašytas įsakymas?") is AnswerType.DATE
    assert answer_type("Wer hat die Serow-Anweisungen unterschrieben?") is AnswerType.PERSON
    assert answer_type("How many people were deported from Estonia?") is AnswerType.NUMBER
    assert answer_type("Сколько людей депортировали?") is AnswerType.NUMBER
    assert answer_type("What were the Serov Instructions?") is AnswerType.OTHER


def test_a_year_is_a_date_but_not_a_count():
    sentence = "NKVD Order No. 001223 was signed in 1939."
    assert has_answer_type(sentence, AnswerType.DATE)
    # "001223" and "1939" are not counts of anything; a naive "has a digit" check would say yes.
    assert has_answer_type("About 10,000 people were deported from Estonia.", AnswerType.NUMBER)
    assert not has_answer_type("The deportation began in 1941.", AnswerType.NUMBER)


def test_person_detection_ignores_the_capital_at_sentence_start():
    names = frozenset({"serov", "beria"})
    assert has_answer_type("The order was signed by Lavrentiy Beria.", AnswerType.PERSON, names)
    assert not has_answer_type("Registration was due by February.", AnswerType.PERSON, names)


def test_overlap_and_score():
    assert overlap({"sign", "serov"}, {"serov", "instruct"}) == 0.5
    assert overlap(set(), {"x"}) == 0.0
    # The sentence holding the asked-for kind of answer beats an equally similar one without it.
    assert sentence_score(0.6, 0.5, True, 0) > sentence_score(0.6, 0.5, False, 0)
