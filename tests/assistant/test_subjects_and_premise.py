"""Subject detection and premise checking: pure, fast, on the shipped subjects.yaml.

Each case is chosen to fail a naive implementation: substring matching ("Serov"
inside "Serov Instructions"), exact matching (typos, other languages), or a
premise check that flags every question naming two documents.
"""

from __future__ import annotations

import pytest

from assistant.premise import find_conflicts
from assistant.subjects import SubjectDetector
from corpus import load_corpus


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def detector(corpus):
    return SubjectDetector(corpus)


@pytest.mark.parametrize(
    ("question", "documents"),
    [
        ("Who signed the Serov Instructions?", ["serov_instructions"]),
        ("serov instrucions date", ["serov_instructions"]),  # typo
        ("001223 signer", ["order_001223"]),  # fragment
        ("Kas pasirašė Serovo instrukciją?", ["serov_instructions"]),  # Lithuanian, inflected
        ("Кто подписал приказ № 001223?", ["order_001223"]),  # Russian
        ("Wann wurde der Befehl Nr. 0054 erlassen?", ["order_0054"]),  # German
        ("What did Serov do in 1956?", []),  # the man, not the document
        ("How do the Serov Instructions differ from Order 001223?", ["serov_instructions", "order_001223"]),
    ],
)
def test_documents_named(detector, question, documents):
    assert detector.detect(question).documents == documents


def test_longest_alias_wins_so_the_person_is_not_also_detected(detector):
    detection = detector.detect("Who signed the Serov Instructions?")
    assert "ivan_serov" not in detection.subjects
    assert "ivan_serov" in detector.detect("When was Ivan Serov born?").subjects


def test_an_attribute_may_take_one_more_word_but_a_name_may_not(detector):
    mentions = detector.mentions("Who ordered separating the heads of families?")
    assert any(m.kind == "attribute" and m.text == "separating heads" for m in mentions)
    names = [m for m in detector.mentions("Was Lavrentiy P. Beria born in 1899?") if m.kind == "alias"]
    assert names and all(m.end - m.start == len(m.text.split()) for m in names)  # no gap in a name
    assert not any(m.kind == "attribute" and m.text == "separating heads"
                   for m in detector.mentions("Who ordered separating the two heads of families?"))


def conflicts(detector, corpus, question):
    return find_conflicts(detector.detect(question), corpus.subjects, question)


@pytest.mark.parametrize(
    ("question", "named", "owner"),
    [
        ("When did Beria sign the Serov Instructions?", "serov_instructions", "order_001223"),
        ("Why did Order 001223 limit baggage to 100 kg?", "order_001223", "serov_instructions"),
        ("Did the Serov Instructions list Esperantists?", "serov_instructions", "order_0054"),
        ("Did Beria set the 100 kg baggage limit?", "order_001223", "serov_instructions"),  # no document named
        ("Kada Berija pasirašė Serovo instrukciją?", "serov_instructions", "order_001223"),
        ("Warum begrenzte der Befehl Nr. 001223 das Gepäck auf 100 kg?", "order_001223", "serov_instructions"),
        ("Why are the Serov Instructions dated 11 October 1939?", "serov_instructions", "order_001223"),
        # Two documents fused into one, with no comparison, list or naming word: checked both ways.
        ("Why do the Serov Instructions carry the number 001223?", "serov_instructions", "order_001223"),
        ("Warum tragen die Serow-Anweisungen die Nummer 001223?", "serov_instructions", "order_001223"),
        # Attributes stated as absences: the Serov Instructions are the undated, unnumbered document.
        ("Why is Order 001223 undated?", "order_001223", "serov_instructions"),
        ("Почему приказ № 001223 без даты?", "order_001223", "serov_instructions"),
        # The deportation title wrongly given to Order 001223.
        ("Did Order 001223 order the deportation of anti-Soviet elements?", "order_001223", "serov_instructions"),
        # An attribute's words with one more word between them ("separating heads" of families).
        ("Why did Order 001223 require separating the heads of families?", "order_001223", "serov_instructions"),
    ],
)
def test_false_premises_are_found(detector, corpus, question, named, owner):
    found = conflicts(detector, corpus, question)
    assert any(c.named == named and c.owner == owner for c in found), found


@pytest.mark.parametrize(
    "question",
    [
        "What is the difference between the Serov Instructions and Order 001223?",  # names both: a comparison
        "Were Esperantists singled out in Beria's order or in the Lithuanian one?",  # a choice
        "How does German Wikipedia mix up Serov and Order 001223?",  # about the mix-up itself
        "Who signed the Serov Instructions?",
        "What did Serov do in 1939?",  # a date without a named document is about the man
        "Did the NKVD take part in the Serov Instructions' deportation?",  # NKVD label is disputed: compatible
        "How was Order 001223 related to the 14 June 1941 deportation?",  # a date inside the event's name
        "Which agencies issued the Serov Instructions and Order 001223?",  # two documents as a list
        "Serov Instructions, Order 001223: who signed which?",
        "Why are the Serov Instructions called Order 001223?",  # about the naming mix-up itself
        "Warum werden die Serow-Anweisungen als Befehl Nr. 001223 bezeichnet?",
        "Did Order 0054 carry out Order 001223 in Lithuania?",  # a real link, declared compatible in the data
        "Why are the Serov Instructions undated?",  # its own attribute
    ],
)
def test_questions_without_a_false_premise_are_left_alone(detector, corpus, question):
    assert conflicts(detector, corpus, question) == []
