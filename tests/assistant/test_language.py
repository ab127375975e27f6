"""The language registry: one data file per language (assistant/lang/*.yaml) read by assistant/language.py.

The code never names a language: adding one is adding a file. These tests check that every file is
read as written and has what the stages read, and the small matching helpers (cue text, phrase sets).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import Stemmer
import yaml

from assistant.language import ANSWER_KINDS, DEFAULT_LANGUAGE, LANG_DIR, LANGUAGES, Languages, PhraseSet, cue_text, registry

FILES = sorted(LANG_DIR.glob("*.yaml"))
PHRASES = ("intro", "corrected", "corrected_claims", "corrected_generic", "disputed", "abstained", "understood",
           "not_a_question", "quote_open", "quote_close")


def test_the_registry_is_the_files_english_first():
    # In the order of the files' `position`: English, the three Baltic languages, Russian, German.
    assert LANGUAGES == registry().codes == ("en", "lt", "lv", "et", "ru", "de")
    assert set(LANGUAGES) == {"en", "lt", "lv", "et", "ru", "de"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_file_has_what_the_stages_read(path):
    language = registry()[path.stem]
    assert language.code == path.stem and language.name
    assert all(language.asks[kind] for kind in ANSWER_KINDS), "asks needs number, date, person and place phrases"
    assert language.tags and language.choice and language.conjunctions and language.negations and language.stop_words
    assert len(set(language.months.values())) == 12
    assert set(PHRASES) <= set(language.phrases), set(PHRASES) - set(language.phrases)
    assert "{claims}" in language.phrases["corrected_claims"] and "{question}" in language.phrases["understood"]


def _items(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _items(value)
    elif isinstance(data, list):
        for value in data:
            yield from _items(value)
    else:
        yield data


def test_every_word_in_the_language_files_is_read_as_a_word():
    # The registry reads the files as plain strings (BaseLoader); any other YAML tool would turn an unquoted
    # yes/no/on into a boolean, so the files quote them.
    found = {path.name: [item for item in _items(yaml.safe_load(path.read_text(encoding="utf-8")))
                         if isinstance(item, bool)] for path in FILES}
    assert not any(found.values()), found


def test_a_phrase_missing_in_a_language_falls_back_to_english(tmp_path: Path):
    shutil.copy(LANG_DIR / "en.yaml", tmp_path / "en.yaml")
    data = yaml.safe_load((LANG_DIR / "lt.yaml").read_text(encoding="utf-8"))
    del data["phrases"]["abstained"]
    (tmp_path / "lt.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    languages = Languages(tmp_path)
    assert languages["lt"].phrase("abstained") == registry()["en"].phrase("abstained")
    assert languages["lt"].phrase("understood", question="x") == "Rodomi atsakymai į: x"


def test_adding_a_language_is_adding_a_file(tmp_path: Path):
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((LANG_DIR / "de.yaml").read_text(encoding="utf-8"))
    data.update(code="nl", name="Nederlands", stemmer="dutch", wordfreq="nl")
    data["asks"]["date"] = ["wanneer", "in welk jaar"]
    (tmp_path / "nl.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    languages = Languages(tmp_path)
    assert "nl" in languages.codes and languages.codes[0] == DEFAULT_LANGUAGE
    assert languages["nl"].asks_for(cue_text("Wanneer werd het bevel getekend?")) == "date"
    assert languages["nl"].stem("getekend") == Stemmer.Stemmer("dutch").stemWord("getekend")


def test_a_folder_without_english_is_refused(tmp_path: Path):
    shutil.copy(LANG_DIR / "de.yaml", tmp_path / "de.yaml")
    with pytest.raises(ValueError, match="en.yaml"):
        Languages(tmp_path)


def test_get_falls_back_to_english():
    assert registry().get(None).code == "en" and registry().get("xx").code == "en" and registry().get("ru").code == "ru"


def test_cue_text_is_folded_words_with_apostrophes_dropped():
    assert cue_text("Isn't it   TRUE, that Šiauliai’s copy…?") == "isnt it true that siauliais copy"


def test_phrase_sets_match_whole_words_longest_first():
    phrases = PhraseSet(["or", "or not", "is it true"])
    assert [m.group(0) for m in phrases.find("serov or not")] == ["or not"]
    assert not phrases.search("order of the day")  # "or" inside "order" is no match
    assert phrases.at_start("is it true that") and not phrases.at_start("that is it true")
    assert phrases.at_end("serov or beria or not") and not phrases.at_end("serov or beria")
    assert not PhraseSet([]) and not PhraseSet([]).search("anything")


def test_stems_fold_after_stemming_and_latvian_uses_word_prefixes():
    languages = registry()
    assert languages["ru"].stem("датой") == languages["ru"].stem("дата")  # stemmed before folding
    assert languages["en"].stem("Signed") == "sign"
    assert languages["lv"].stemmer_name is None and languages["lv"].stem("parakstīja") == "parakst"


@pytest.mark.parametrize(("lang", "text", "kind"), [
    ("en", "how many people", "number"), ("en", "when was it", "date"), ("en", "who signed", "person"),
    ("en", "where was it", "place"), ("lt", "kiek zmoniu", "number"), ("lv", "kad notika", "date"),
    ("et", "kes allkirjastas", "person"), ("ru", "где был", "place"), ("de", "wie viele", "number"),
    ("de", "warum", "other"),
])
def test_asks_for(lang, text, kind):
    assert registry()[lang].asks_for(cue_text(text)) == kind


def test_number_words_are_data_merged_over_every_language(tmp_path: Path):
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((LANG_DIR / "lt.yaml").read_text(encoding="utf-8"))
    data["units"]["lb"] = ["svarai", "svarų"]
    data["thousands"].append("tūkstantis")
    (tmp_path / "lt.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    languages = Languages(tmp_path)
    assert languages.units["svaru"] == "lb" and languages.units["kg"] == "kg"  # folded; English's kg still there
    assert "tūkstantis" in languages.thousands_pattern.split("|")
    assert r"tūkst\.?" in languages.thousands_pattern.split("|")  # "x." reads with or without its dot
    assert {"iki", "until", "bis"} <= languages.span_words
    assert languages["de"].capitalises_nouns and not languages["lt"].capitalises_nouns


# --- a language typed in Latin letters (assistant/romanized.py) ----------------------------------------------

@pytest.mark.parametrize("typed, native", [
    ("berija kogda rodilsja", "берия когда родился"),
    ("kakoy prikaz podpisal Serov", "какой приказ подписал Серов"),  # "y" after a vowel is й; capitals kept
    ("ljudej vyslali iz", "людей выслали из"),  # "y" after a consonant is ы, "j" after a vowel й
    ("zachem instrukcii chtoby tiho", "зачем инструкции чтобы тихо"),  # "c" is ц, "ch" ч, "h" х
    ("shchi i 1941 goda", "щи и 1941 года"),  # the longest letters first; numbers stay
])
def test_romanized_russian_is_read_in_cyrillic(typed, native):
    assert registry()["ru"].romanized.convert(typed) == native


@pytest.mark.parametrize("text, applies", [
    ("berija kogda rodilsja i gde?", True),  # two Russian words in Latin letters
    ("kto podpisal prikaz 001223", True),
    ("kas parakstīja pavēli 001223", False),  # Latvian
    ("kto is Serov", False),  # one cue word is not enough
    ("когда родился берия", False),  # already Cyrillic
])
def test_romanized_text_is_recognised_by_two_cue_words_and_no_own_letters(text, applies):
    assert registry()["ru"].romanized.applies(text) is applies


def test_english_words_are_kept_when_converting():
    converted = registry()["ru"].romanized.convert("kto podpisal? who signed", keep=frozenset({"who", "signed"}))
    assert converted == "кто подписал? who signed"


def test_a_language_without_a_romanized_section_has_none():
    assert registry()["en"].romanized is None
