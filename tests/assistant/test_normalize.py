"""Typing normalisation (assistant/normalize.py) and the corpus words it corrects towards (assistant/vocabulary.py).

On the tiny corpus: its identifiers are 001223 and 0054, its English words those of its passages and
curated questions, its Lithuanian words those of its Lithuanian curated questions.
"""

from __future__ import annotations

import pytest

from assistant.language import registry
from assistant.normalize import is_real_word
from assistant.vocabulary import Lexicon, content_words, stem_prefix, word_prefixes
from corpus import Corpus, Passage


@pytest.fixture(scope="module")
def normalize(pipeline):
    normalizer = pipeline.understanding.normalizer
    languages = registry()

    def run(text: str, lang: str = "en"):
        understood, rewrites = normalizer.normalize(text, languages[lang])
        return understood, [(r.typed, r.understood, r.kind) for r in rewrites]

    return run


# --- chat spellings -------------------------------------------------------------------------------------

def test_chat_spellings_of_the_questions_language_keep_the_case(normalize):
    assert normalize("Ppl deported from Lithuania?") == ("People deported from Lithuania?", [("Ppl", "People", "chat")])
    assert normalize("wat r the serov instructions")[0] == "what are the serov instructions"
    assert normalize("gibts ein Foto?", "de")[0] == "gibt es ein Foto?"
    assert normalize("че за приказ?", "ru")[0] == "что за приказ?"


def test_the_letters_of_an_abbreviation_are_no_chat_words(normalize):
    assert normalize("the U.S. House and the U.S.S.R.") == ("the U.S. House and the U.S.S.R.", [])


def test_chat_spellings_are_per_language(normalize):
    # "r" is English chat for "are"; in a Lithuanian question it stays a letter.
    assert normalize("r", "lt") == ("r", [])


# --- identifiers ---------------------------------------------------------------------------------------

def test_a_number_typed_without_its_leading_zeros_is_the_corpus_identifier(normalize):
    assert normalize("who signed order 1223") == ("who signed order 001223", [("1223", "001223", "identifier")])
    assert normalize("1223?")[0] == "001223?"  # long enough to stand alone


def test_a_short_number_is_an_identifier_only_after_an_order_word(normalize):
    assert normalize("Who signed order 54?")[0] == "Who signed order 0054?"
    assert normalize("Befehl Nr 54", "de")[0] == "Befehl Nr 0054"
    assert normalize("приказ 54", "ru")[0] == "приказ 0054"
    assert normalize("Were 54 people taken from the station?")[0] == "Were 54 people taken from the station?"


def test_numbers_that_are_no_identifier_are_left_alone(normalize):
    assert normalize("Was Order 001223 signed in 1939?")[1] == []  # leading zeros already there; a year
    assert normalize("Were 1224 people deported?")[1] == []  # no identifier has that value


def test_no_is_an_order_word(normalize):
    assert normalize("Who signed no 54?")[0] == "Who signed no 0054?"


# --- two-digit years -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "lang", "understood"), [
    ("deported in 41", "en", "deported in 1941"),
    ("the '41 deportation", "en", "the 1941 deportation"),
    ("isvezti 41 m.", "lt", "išvežti 1941 m."),
    ("Kas notika 41. gadā?", "lv", "Kas notika 1941. gadā?"),
    ("Что было в 41 году?", "ru", "Что было в 1941 году?"),
    ("Was geschah im Juni 41?", "de", "Was geschah im Juni 1941?"),
])
def test_a_two_digit_year_after_a_year_cue_or_before_a_year_suffix(normalize, text, lang, understood):
    understood_text, rewrites = normalize(text, lang)
    assert understood_text == understood
    assert [kind for *_, kind in rewrites if kind == "year"] == ["year"]


@pytest.mark.parametrize(("text", "lang", "understood"), [
    ("серов умер в 1970г?", "ru", "серов умер в 1970 г?"),
    ("серова расстреляли в 53м?", "ru", "серова расстреляли в 1953 м?"),
    ("isvezti 41m.", "lt", "išvežti 1941 m."),
])
def test_a_year_suffix_glued_to_the_year_is_a_word_of_its_own(normalize, text, lang, understood):
    assert normalize(text, lang)[0] == understood


def test_a_two_digit_count_followed_by_what_it_counts_stays_a_count(normalize):
    assert normalize("Wie viele Menschen, 41 Waggons?", "de") == ("Wie viele Menschen, 41 Waggons?", [])
    assert normalize("Were 41 families deported?")[1] == []


@pytest.mark.parametrize(("text", "lang"), [
    ("What happened on June 14, 1941?", "en"),
    ("Kas įvyko 1941 m. birželio 14 d.?", "lt"),
    ("Kas notika 1941. gada 14. jūnijā?", "lv"),
    ("Mis juhtus 1941. aasta 14. juunil?", "et"),
])
def test_a_day_of_the_month_is_not_a_two_digit_year(normalize, text, lang):
    assert "1914" not in normalize(text, lang)[0]


# --- spelling --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "understood"), [("commitee", "committee"), ("committe", "committee"),
                                                   ("famlies", "families"), ("instrucions", "instructions"),
                                                   ("diied", "died")])
def test_a_misspelt_word_is_corrected_to_the_nearest_corpus_word(normalize, typed, understood):
    assert normalize(f"the {typed}") == (f"the {understood}", [(typed, understood, "spelling")])


@pytest.mark.parametrize("text", [
    "It was committed",  # a real English word, though not one the corpus uses
    "Molotovs order",  # a curated name (corpus/facts.yaml) is never "corrected"
    "the comitee",  # two edits in a short word: too far to guess
    "the heade",  # as close to "head" as to "heads", both as common: no guess
    "the sgn",  # too short to correct
])
def test_no_guess_where_a_guess_would_be_unsafe(normalize, text):
    assert normalize(text) == (text, [])


def test_whether_a_word_is_real_comes_from_the_languages_word_frequencies():
    languages = registry()
    assert is_real_word("committed", languages["en"])
    assert not is_real_word("commitee", languages["en"])
    assert not is_real_word("aastal", languages["et"])  # no Estonian word list: only corpus words are known


def test_the_cached_real_word_lists_agree_with_wordfreq(tmp_path):
    """RealWords (what the pipeline asks) is made in a process of its own, cached, and says what wordfreq says."""
    from assistant.realwords import RealWords

    languages = registry()
    real = RealWords(tmp_path, ["en", "lt", "ru"])
    assert len(list(tmp_path.glob("realwords-*.txt"))) == 3
    words = ["committed", "commitee", "deportation", "the", "xqzv", "trėmimas", "tremimas", "выселение", "выселенние"]
    for code in ("en", "lt", "ru"):
        assert [real.is_real(w, code) for w in words] == [is_real_word(w, languages[code]) for w in words]
    assert real.is_real("committed", "en") and not real.is_real("committed", None)
    made = {p: p.stat().st_mtime_ns for p in tmp_path.glob("realwords-*.txt")}
    assert RealWords(tmp_path, ["en"]).is_real("committed", "en")
    assert {p: p.stat().st_mtime_ns for p in tmp_path.glob("realwords-*.txt")} == made  # read back, not made again


# --- diacritics ----------------------------------------------------------------------------------------

def test_missing_diacritics_are_restored_from_the_corpus_spelling(normalize, pipeline):
    text, rewrites = normalize("kiek kilogramu daiktu galejo pasiimti seima", "lt")
    assert text == "kiek kilogramų daiktų galėjo pasiimti šeima"
    assert {kind for *_, kind in rewrites} == {"diacritics"}
    # Restoring diacritics does not count as changing the question: no "Showing answers for" line.
    assert not pipeline.understanding.parse("kiek kilogramu daiktu galejo pasiimti seima").changed
    assert normalize("Was the Siauliai copy found?")[0] == "Was the Šiauliai copy found?"


def test_punctuation_and_spacing_survive(normalize):
    assert normalize("ppl?! (in 41)") == ("people?! (in 1941)", [("ppl", "people", "chat"), ("41", "1941", "year")])


# --- the lexicon ------------------------------------------------------------------------------------------

def test_the_lexicon_has_each_languages_curated_words_and_the_shared_names(pipeline):
    lexicon = pipeline.lexicon
    assert lexicon.words("lt")["daiktu"] == "daiktų"  # from a Lithuanian curated question
    assert "daiktu" not in lexicon.words("de")
    assert "serovo" in lexicon.words("de")  # names are shared by every language
    assert lexicon.identifiers == {1223: "001223", 54: "0054"}


def test_knows_by_stem_prefix(pipeline):
    lexicon = pipeline.lexicon
    assert lexicon.knows("serov") and lexicon.knows("deportations")  # "deportation" is in the corpus
    assert not lexicon.knows("ozymandia")
    assert lexicon.knows("serovui", "lt")  # Serovas, Serovo: an inflection keeps the first letters
    assert not lexicon.knows("daiktu", "de") and lexicon.knows("daiktu", "lt")


def test_the_usual_identifier_form_wins_over_a_rare_variant():
    def passage(pid, text):
        return Passage(id=pid, about=(), sources=(), text=text, sentences=(text,))

    corpus = Corpus(sources={}, subjects={}, content_hash="", passages=(
        passage("a", "Order 001223 was signed in 1939."), passage("b", "Order 001223 is often cited."),
        passage("c", "Some sources misprint it as 01223.")))
    assert Lexicon.from_corpus(corpus, ("en",)).identifiers == {1223: "001223"}


def test_stem_prefix_and_content_words():
    assert stem_prefix("vilniuje") == "vilni" and stem_prefix("kaunas") == "kaun"
    assert {"vilni", "vilniu", "vilnius"} <= word_prefixes(["vilnius"])
    assert content_words("Who signed the 1939 order?", frozenset({"who", "the"})) == ["signed", "order"]


def test_a_real_word_typed_without_its_diacritics_is_real(tmp_path):
    """On a kiosk keyboard "stāstīja" (told) arrives as "stastija", which wordfreq does not list: it is still no typo,
    so it is never "corrected" into the corpus's "stacijā" (station)."""
    from assistant.realwords import RealWords

    real = RealWords(tmp_path, ["lv"])
    assert not real.is_real("stastija", "lv") and real.is_real_unaccented("stastija", "lv")
    assert not real.is_real_unaccented("stxstija", "lv") and not real.is_real_unaccented("stastija", None)


def test_a_word_typed_without_diacritics_is_read_as_the_language_writes_it_most_often(normalize):
    assert normalize("kurs bija vecaks", "lv") == ("kurš bija vecāks", [("kurs", "kurš", "diacritics"),
                                                                       ("vecaks", "vecāks", "diacritics")])
    assert normalize("Anweisung fur die Familien", "de")[0] == "Anweisung für die Familien"
    # a word that is itself the commonest spelling stays as typed (German "schon", already, not "schön")
    assert normalize("schon damals", "de")[0] == "schon damals"
