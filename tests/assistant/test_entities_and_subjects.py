"""What a text names: subjects and document attributes (assistant/subjects.py, shipped subjects.yaml) and curated
entities and relation words (assistant/entities.py over corpus/forms.py, tiny and shipped facts.yaml).

Each case is chosen to fail a naive implementation: substring matching ("Serov" inside "Serov
Instructions"), exact matching (typos, inflections, other languages).
"""

from __future__ import annotations

import pytest

from corpus.forms import FormMatcher, form_words
from corpus.text import tokens


@pytest.mark.parametrize(("text", "documents"), [
    ("Who signed the Serov Instructions?", ["serov_instructions"]),
    ("serov instrucions date", ["serov_instructions"]),  # typo
    ("001223 signer", ["order_001223"]),  # fragment
    ("Kas pasirašė Serovo instrukciją?", ["serov_instructions"]),  # Lithuanian, inflected
    ("Кто подписал приказ № 001223?", ["order_001223"]),  # Russian
    ("Wann wurde der Befehl Nr. 0054 erlassen?", ["order_0054"]),  # German
    ("What did Serov do in 1956?", []),  # the man, not the document
    ("How do the Serov Instructions differ from Order 001223?", ["serov_instructions", "order_001223"]),
])
def test_documents_named(real, text, documents):
    assert real.subjects.detect(text).documents == documents


def test_the_longest_alias_wins_so_the_person_is_not_also_named(real):
    assert "ivan_serov" not in real.subjects.detect("Who signed the Serov Instructions?").subjects
    assert "ivan_serov" in real.subjects.detect("When was Ivan Serov born?").subjects


def test_an_attribute_may_take_one_more_word_but_a_name_may_not(real):
    mentions = real.subjects.mentions("Who ordered separating the heads of families?")
    assert any(m.kind == "attribute" and m.text == "separating heads" for m in mentions)
    names = [m for m in real.subjects.mentions("Was Lavrentiy P. Beria born in 1899?") if m.kind == "alias"]
    assert names and all(m.end - m.start == len(m.text.split()) for m in names)  # no gap in a name
    assert not any(m.kind == "attribute" and m.text == "separating heads"
                   for m in real.subjects.mentions("Who ordered separating the two heads of families?"))


def test_a_date_is_both_an_event_name_and_an_attribute(real):
    # Each kind claims words separately: "14 June 1941" names the deportation and is a date mention.
    kinds = {m.kind for m in real.subjects.mentions("What happened in the June 1941 deportation?")}
    assert kinds == {"alias", "attribute"}


# --- entities ------------------------------------------------------------------------------------------

def entities(finder, text, documents=()):
    return [(m.entity, m.kind) for m in finder.find(tokens(text), documents)]


def test_entities_in_any_language_and_inflection(pipeline):
    finder = pipeline.understanding.entities
    assert entities(finder, "Molotovs, Молотова and Molotow") == [("vyacheslav_molotov", "person")] * 3
    # "Kauną" is no form, but one edit from "Kaune".
    assert entities(finder, "Iš Lietuvos į Kauną?") == [("lithuania", "place"), ("kaunas", "place")]
    assert entities(finder, "from Kaunas") == [("kaunas", "place")]
    assert entities(finder, "in Tallin") == [("tallinn", "place")]  # a prefix form takes the misspelling


def test_an_entity_inside_a_documents_name_is_left_out(pipeline):
    finder = pipeline.understanding.entities
    words = tokens("Did Beria sign the Serov Instructions?")
    span = (4, 6, "serov_instructions")
    assert [m.entity for m in finder.find(words, [span])] == ["lavrentiy_beria"]
    assert [m.entity for m in finder.find(words)] == ["lavrentiy_beria", "ivan_serov"]


def test_an_entity_standing_for_a_subject_carries_it(pipeline):
    (mention,) = pipeline.understanding.entities.find(tokens("Ivan Serov"))
    assert (mention.entity, mention.subject) == ("ivan_serov", "ivan_serov")
    assert pipeline.understanding.entities.named_in("Ivan Serov died in Moscow.") == {"ivan_serov", "moscow"}


@pytest.mark.parametrize(("text", "lang", "relations"), [
    ("Who signed it?", "en", ["signer"]),
    ("Kas pasirašė?", "lt", ["signer"]),
    ("Кто подписал?", "ru", ["signer"]),
    ("Wann starb Serow?", "de", ["died"]),
    ("When did Serov die and when was he born?", "en", ["date", "date", "born"]),
    ("Kas pasirašė? Who signed?", "lt", ["signer", "signer"]),  # English cues count in every language
])
def test_relation_words(pipeline, text, lang, relations):
    found = pipeline.understanding.entities.relations(tokens(text), lang)
    assert [r for r, _ in found] == relations


def test_sentences_know_what_they_name_and_state(pipeline):
    knowledge = pipeline.knowledge
    sentence = next(s for s in knowledge.sentences if s.text.startswith("NKVD Order No. 001223 was signed"))
    assert {"order_001223", "lavrentiy_beria"} <= sentence.named
    assert "signer" in sentence.relations


# --- the form matcher ---------------------------------------------------------------------------------------

def test_forms_match_whole_folded_words_prefixes_and_one_typo():
    matcher = FormMatcher([("Molotov*", "m"), ("House of Representatives", "h"), ("Riga", "r"), ("Kersten", "k")])
    found = lambda text: [(x.payload, x.start, x.end) for x in matcher.find(tokens(text))]  # noqa: E731
    assert found("molotovo and the house of representatives") == [("m", 0, 1), ("h", 3, 6)]
    assert found("Rīga") == [("r", 0, 1)]
    assert found("rigas") == []  # no "*": no ending, and a four-letter word takes no typo
    assert found("Kerstein") == [("k", 0, 1)]  # one edit in a word of five letters or more
    assert found("mol") == []
    assert form_words("Molotov*") == (("molotov", True),)


def test_longer_forms_win_unless_overlapping_is_asked_for():
    matcher = FormMatcher([("signed in", "issued_in"), ("signed", "date"), ("sign*", "signer")])
    words = tokens("signed in 1941")
    assert [m.payload for m in matcher.find(words)] == ["issued_in"]
    assert sorted(m.payload for m in matcher.find(words, overlapping=True)) == ["date", "issued_in", "signer"]
