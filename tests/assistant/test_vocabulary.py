"""Names the corpus never mentions make the assistant decline (assistant/vocabulary.py)."""

from __future__ import annotations

import pytest

from assistant.vocabulary import CorpusVocabulary
from corpus import load_corpus


@pytest.fixture(scope="module")
def vocabulary() -> CorpusVocabulary:
    return CorpusVocabulary(load_corpus())


@pytest.mark.parametrize(
    ("question", "lang", "unknown"),
    [
        ("How many deportees were from Zanzibar?", "en", ["Zanzibar"]),
        ("What did Serov's wife Ozymandia think?", "en", ["Ozymandia"]),
        ("Kiek žmonių ištrėmė iš Zanzibaro?", "lt", ["Zanzibaro"]),
        # Known names, also inflected ("Vilniuje" is Vilnius) or hyphenated: nothing unknown.
        ("When was the Molotov-Ribbentrop Pact signed?", "en", []),
        ("Kada Serovas buvo Vilniuje?", "lt", []),
        ("Who signed Order 001223 for the NKVD?", "en", []),
        ("When did Lavrentiy Berya sign the order?", "en", []),  # a typo in a known name
        ("How many people were deported from Zanzibart?", "en", ["Zanzibart"]),  # close to no known word
        # Capitals that say nothing: the first word, Title Case, CAPITALS, and German nouns.
        ("Zanzibar deportations?", "en", []),
        ("Which Hobbyists Were On The Suspect List", "en", []),
        ("WHO WROTE THE ZANZIBAR ORDER", "en", []),
        ("Wie viele Menschen kamen aus Zanzibar?", "de", []),
    ],
)
def test_unknown_names(vocabulary, question, lang, unknown):
    assert vocabulary.unknown_names(question, lang) == unknown


def test_a_word_is_known_by_its_stem(vocabulary):
    assert vocabulary.knows("serov")
    assert vocabulary.knows("deportations")  # "deportation" is in the corpus
    assert not vocabulary.knows("ozymandia")


def test_snowball_stems_know_short_inflected_words(vocabulary):
    # "датой" (instrumental of "дата") shares too few letters with "дата" for the prefix rule.
    assert not vocabulary.knows("датои")
    assert vocabulary.knows_or_misspelt("датой", "ru")
    assert not vocabulary.knows_or_misspelt("зарплата", "ru")  # salary: no curated text speaks of it
    assert not vocabulary.knows_or_misspelt("typewriter", "en")
