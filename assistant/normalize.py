"""Visitors' typing, normalised before anything else reads the question.

Kiosk questions are typed fast on a touch screen: "order 1223", "in 41", "ur", "commitee",
"kiek kg daiktu". Each rewrite here is general, driven by the language's data file and the corpus's
own words, and recorded, so that the answer can say what was understood ("Showing answers for: …"):

- chat spellings of the question's language ("ppl" -> "people"), from its `chat` table;
- a number typed without its leading zeros, when the corpus has exactly one identifier with that
  value and the number is long enough or follows an order word ("order 54" -> "order 0054");
- a two-digit year after a year cue or before a year suffix of the language ("in 41" -> "in 1941",
  "'41" -> "1941", "41 m." -> "1941 m.");
- a misspelt word, corrected to the nearest word the corpus uses in that language, only when the typed
  word is no real word (unknown to the corpus, and rare in the language's word frequencies, package
  wordfreq) and exactly one corpus word is that close ("commitee" -> "committee");
- missing diacritics restored from the corpus's own spelling ("daiktu" -> "daiktų").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from assistant.language import Language
from assistant.realwords import REAL_WORD_ZIPF, RealWords
from assistant.vocabulary import Lexicon
from corpus.forms import FormMatcher
from corpus.text import fold

MIN_TYPO_LENGTH = 5
AMBIGUITY_RATIO = 3  # of two equally close corpus words, the one used this many times more often wins
IDENTIFIER_MIN_DIGITS = 3  # a bare "54" is a count; "1223" is the order number
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,]\d+)*|['’]\d\d\b")
_GLUED_UNIT = re.compile(r"(?<=\d)(?=(?:kg|km|kilo|кг|км|lb|lbs)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Rewrite:
    typed: str
    understood: str
    kind: str  # chat | identifier | year | spelling | diacritics


@lru_cache(maxsize=65536)
def _zipf(word: str, lang: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, lang)


def is_real_word(word: str, language: Language) -> bool:
    """wordfreq asked directly (loads the language's whole table): the reference RealWords is tested against."""
    return bool(language.wordfreq) and _zipf(word.casefold(), language.wordfreq) >= REAL_WORD_ZIPF


def _same_case(word: str, model: str) -> str:
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class Normalizer:
    """normalize(text, language) -> (text as understood, rewrites); one per loaded assistant."""

    def __init__(self, lexicon: Lexicon, names: FormMatcher | None = None, real_words: RealWords | None = None) -> None:
        """`names` finds the curated names of people and places (corpus/facts.yaml): never "corrected";
        `real_words`, the languages' common words (none: wordfreq is asked directly)."""
        self.lexicon = lexicon
        self.names = names
        self.real_words = real_words
        self._choices: dict[str, list[str]] = {}

    def _candidates(self, lang: str) -> list[str]:
        if lang not in self._choices:
            self._choices[lang] = sorted(w for w in self.lexicon.words(lang) if len(w) >= MIN_TYPO_LENGTH - 1)
        return self._choices[lang]

    def normalize(self, text: str, language: Language) -> tuple[str, tuple[Rewrite, ...]]:
        text = _GLUED_UNIT.sub(" ", text)
        rewrites: list[Rewrite] = []
        pieces: list[str] = []
        last = 0
        previous = ""  # the folded word before the current one
        matches = list(_TOKEN.finditer(text))
        for position, match in enumerate(matches):
            word = match.group(0)
            following = fold(matches[position + 1].group(0)).strip(".") if position + 1 < len(matches) else ""
            dotted = text[match.end():match.end() + 1] == "." and text[match.end() + 1:match.end() + 2].isalpha()
            understood, kind = self._rewrite(word, previous, following, language, dotted)
            pieces.append(text[last:match.start()])
            pieces.append(understood)
            last = match.end()
            if (word.isdigit() and position + 1 < len(matches) and matches[position + 1].start() == last
                    and following in language.year_suffixes):
                pieces.append(" ")  # "1970г", "53м": the year and its suffix as two words, as "1970 г" is read
            if understood != word:
                rewrites.append(Rewrite(word, understood, kind))
            previous = fold(understood.split()[-1]) if understood.split() else ""
        pieces.append(text[last:])
        return "".join(pieces), tuple(rewrites)

    def _rewrite(self, word: str, previous: str, following: str, language: Language, dotted: bool = False) -> tuple[str, str]:
        folded = fold(word)
        if folded in language.chat and not dotted and not (word.isupper() and len(word) <= 2):
            # "u" is "you", but the "U" of "U.S." and a capital "R" or "N" are letters of a name.
            return _same_case(language.chat[folded], word), "chat"
        if word[:1] in "'’" and word[1:].isdigit():  # "'41"
            return f"19{word[1:]}", "year"
        if word.isdigit():
            return self._number(word, previous, following, language)
        if not word.isalpha() and "'" not in word and "’" not in word:
            return word, ""
        known = self.lexicon.words(language.code)
        if folded in known:
            written = known[folded]
            if written != word.casefold() and fold(written) == folded and word.isascii():
                return _same_case(written, word), "diacritics"
            return word, ""
        for typed, meant in language.letters.items():
            # Letters typed on a keyboard without the language's own ("kyyditati" for "küüditati", "Gepaeck").
            if typed in word.casefold():
                respelt = word.casefold().replace(typed, meant)
                if fold(respelt) in known:
                    return _same_case(known[fold(respelt)], word), "diacritics"
        if self.real_words is not None and folded == word.casefold():
            # Typed without diacritics, a word the corpus does not use is read as the language writes it most often
            # ("kurs bija vecaks" as "kurš bija vecāks"): the encoder reads the written language far better.
            accented = self.real_words.accented(folded, language.wordfreq)
            if accented is not None and accented != folded:
                return _same_case(accented, word), "diacritics"
        return self._spelling(word, folded, language)

    def _number(self, word: str, previous: str, following: str, language: Language) -> tuple[str, str]:
        value = int(word)
        if not word.startswith("0") and value in self.lexicon.identifiers and not 1800 <= value <= 2100:
            if len(word) >= IDENTIFIER_MIN_DIGITS or previous in language.order_words:
                return self.lexicon.identifiers[value], "identifier"
        # "in 41", "41 m.", and a bare "41" ending the question ("kiek vaiku isveze is lietuvos 41"): a count is
        # followed by what it counts. Beside a month name a number up to 31 is its day ("25. marta", "June 14").
        if len(word) == 2 and not (following.isdigit() and len(following) == 3):  # "50 000" is fifty thousand
            day = value <= 31 and (previous in language.months or following in language.months)
            age = language.age_words.search(previous)  # "iki 16 metų" is under sixteen, not 1916
            if not day and not age and (previous in language.year_cues or following in language.year_suffixes
                            or (not following and previous not in language.order_words)):
                return f"19{word}", "year"
        return word, ""

    def _spelling(self, word: str, folded: str, language: Language) -> tuple[str, str]:
        real = (self.real_words.is_real(word.casefold(), language.wordfreq)
                or self.real_words.is_real_unaccented(folded, language.wordfreq) if self.real_words is not None
                else is_real_word(word, language))
        if (len(folded) < MIN_TYPO_LENGTH or folded in self.lexicon.all_words or real
                or folded in language.protected):
            return word, ""  # "juulil" (in July) is no misspelt "juunil" (in June), though the corpus says only June
        if self.names is not None and self.names.find([folded]):
            return word, ""  # "molotovs" is Molotov in Latvian, not a misspelt "molotova"
        limit = 1 if len(folded) < 8 or not language.wordfreq else 2
        close = process.extract(folded, self._candidates(language.code), scorer=OSA.distance,
                                score_cutoff=limit, limit=5)
        close = [(c, d) for c, d, _ in close if c[0] == folded[0]]
        if not close:
            return word, ""
        best = min(d for _, d in close)
        nearest = sorted((c for c, d in close if d == best), key=lambda c: -self.lexicon.counts[c])
        if len(nearest) > 1 and self.lexicon.counts[nearest[0]] < AMBIGUITY_RATIO * self.lexicon.counts[nearest[1]]:
            return word, ""  # two corpus words as close and about as common: no guess
        return _same_case(self.lexicon.words(language.code)[nearest[0]], word), "spelling"
