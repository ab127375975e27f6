"""The language registry: one data file per language (assistant/lang/*.yaml), and which of them a question is in.

Everything the answering code knows about a language lives in its file: the words that ask for a
date or a number, the words that ask for confirmation, months, chat spellings, stop words, the
stemmer, the fixed phrases. The code reads the registry and never names a language itself, so
adding a language is adding a file (and curated questions in it; corpus/README.md).

Cue phrases are matched on "cue text": folded (lower case, no diacritics) with apostrophes dropped
("isn't" is "isnt"), words separated by single spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import Stemmer
import yaml
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from assistant.romanized import Romanization
from corpus.text import fold, tokens

LANG_DIR = Path(__file__).resolve().parent / "lang"
DEFAULT_LANGUAGE = "en"
ANSWER_KINDS = ("number", "date", "person", "place")
# A question whose words are mostly words the (English) corpus uses is English, whatever py3langid
# says: short fragments full of names ("serov kgb", "siauliai stamp date") look Baltic to it.
ENGLISH_WORD_SHARE = 0.6


def cue_text(text: str) -> str:
    """Folded words joined by single spaces, apostrophes dropped: the text cue phrases are matched in."""
    return " ".join(tokens(re.sub(r"(?<=\w)['’](?=\w)", "", text)))


class PhraseSet:
    """A set of cue phrases, matched as whole words in cue text, longest first."""

    def __init__(self, phrases) -> None:
        self.phrases = tuple(sorted({cue_text(p) for p in phrases if cue_text(p)}, key=len, reverse=True))
        body = "|".join(re.escape(p) for p in self.phrases)
        self._pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)") if body else None

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, text: str) -> list[re.Match[str]]:
        return list(self._pattern.finditer(text)) if self._pattern else []

    def search(self, text: str) -> bool:
        return bool(self._pattern and self._pattern.search(text))

    def at_start(self, text: str) -> bool:
        match = self._pattern.match(text) if self._pattern else None
        return match is not None

    def at_end(self, text: str) -> bool:
        return any(m.end() == len(text) for m in self.find(text))


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    position: int  # where the language stands in lists (kiosk buttons, messages)
    stemmer_name: str | None
    wordfreq: str | None
    asks: dict[str, PhraseSet]
    yes_no_openers: PhraseSet
    yes_no_particles: PhraseSet
    tags: PhraseSet
    hearsay: PhraseSet
    choice: PhraseSet
    comparison: PhraseSet
    naming: PhraseSet
    sequence: PhraseSet
    conjunctions: PhraseSet
    negations: PhraseSet
    months: dict[str, int]
    year_cues: frozenset[str]
    year_suffixes: frozenset[str]
    order_words: frozenset[str]
    chat: dict[str, str]
    letters: dict[str, str]  # letters typed for the language's own on a foreign keyboard ("y" for "ü")
    time_words: PhraseSet  # beside a number: an hour ("3 a.m.")
    age_words: PhraseSet  # before or after a number: an age ("under 16", "16 лет")
    percent_words: PhraseSet  # after a number: a share ("60 percent")
    stop_words: frozenset[str]
    phrases: dict[str, str] = field(default_factory=dict)
    span_words: frozenset[str] = frozenset()  # between the days of a span ("15 and 27 June")
    thousands: tuple[str, ...] = ()  # after a figure, as written ("tūkst." also without its dot, "тысяч*" any ending)
    units: dict[str, str] = field(default_factory=dict)  # folded word -> unit ("kilogramų" -> "kg")
    capitalises_nouns: bool = False  # German: a capital letter does not mark a name
    after: PhraseSet = field(default_factory=lambda: PhraseSet(()))  # "X after Y" claims X later (assistant.sequence)
    before: PhraseSet = field(default_factory=lambda: PhraseSet(()))  # "X before Y" claims X earlier
    together: PhraseSet = field(default_factory=lambda: PhraseSet(()))  # one value claimed of two ("X together with Y")
    romanized: Romanization | None = None  # the language as typed in Latin letters (assistant.romanized)

    @classmethod
    def from_file(cls, path: Path) -> "Language":
        # Every value is text: with YAML's default rules "yes", "no" and "on" (English tags, a stop word, the
        # order word "no") would load as booleans.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)

        def phrases(key: str) -> PhraseSet:
            return PhraseSet(str(p) for p in data.get(key) or [])

        def words(key: str) -> frozenset[str]:
            return frozenset(fold(str(w)) for w in data.get(key) or [])

        def optional(key: str) -> str | None:
            value = data.get(key)
            return None if value in (None, "", "null", "~") else value

        return cls(
            code=data["code"], name=data["name"], stemmer_name=optional("stemmer"), wordfreq=optional("wordfreq"),
            position=int(data.get("position") or 99),
            asks={kind: PhraseSet(str(p) for p in data.get("asks", {}).get(kind) or []) for kind in ANSWER_KINDS},
            yes_no_openers=phrases("yes_no_openers"), yes_no_particles=phrases("yes_no_particles"),
            tags=phrases("tags"), hearsay=phrases("hearsay"), choice=phrases("choice"),
            comparison=phrases("comparison"), naming=phrases("naming"), sequence=phrases("sequence"), conjunctions=phrases("conjunctions"), negations=phrases("negations"),
            months={fold(str(k)): int(v) for k, v in (data.get("months") or {}).items()},
            year_cues=words("year_cues"), year_suffixes=words("year_suffixes"), order_words=words("order_words"),
            chat={fold(str(k)): str(v) for k, v in (data.get("chat") or {}).items()},
            letters={str(k): str(v) for k, v in (data.get("letters") or {}).items()},
            time_words=phrases("time_words"), age_words=phrases("age_words"), percent_words=phrases("percent_words"),
            stop_words=words("stop_words"), phrases={k: str(v) for k, v in (data.get("phrases") or {}).items()},
            span_words=words("span_words"), thousands=tuple(str(w) for w in data.get("thousands") or []),
            units={fold(str(w)): str(unit) for unit, forms in (data.get("units") or {}).items() for w in forms or []},
            capitalises_nouns=str(data.get("capitalises_nouns", "")).lower() == "true",
            after=phrases("after"), before=phrases("before"), together=phrases("together"),
            romanized=Romanization.from_data(data.get("romanized")),
        )

    @cached_property
    def _stemmer(self) -> Stemmer.Stemmer | None:
        return Stemmer.Stemmer(self.stemmer_name) if self.stemmer_name else None

    def stem(self, word: str) -> str:
        """The folded Snowball stem of a word (stemmed before folding: Snowball knows "датой", not "датои");
        for a language without a stemmer, the word's first letters (assistant.vocabulary.stem_prefix)."""
        if self._stemmer is None:
            from assistant.vocabulary import stem_prefix

            return stem_prefix(fold(word))
        return fold(self._stemmer.stemWord(word.casefold()))

    @cached_property
    def protected(self) -> frozenset[str]:
        """Every word of this file's lists (month names, question words, cue words): typing normalisation never
        "corrects" them into a corpus word."""
        words = set(self.months) | set(self.stop_words) | set(self.order_words) | set(self.year_cues)
        for phrases in (*self.asks.values(), self.yes_no_openers, self.tags, self.hearsay, self.choice,
                        self.comparison, self.naming, self.sequence, self.conjunctions, self.negations,
                        self.after, self.before, self.together):
            words.update(w for phrase in phrases.phrases for w in phrase.split())
        return frozenset(words)

    def phrase(self, key: str, **values: str) -> str:
        text = self.phrases.get(key) or registry()[DEFAULT_LANGUAGE].phrases[key]
        return text.format(**values) if values else text

    def asks_for(self, text: str) -> str:
        """The kind of answer cue text asks for (number, date, person, place) or "other"."""
        for kind in ANSWER_KINDS:
            if self.asks[kind].search(text):
                return kind
        return "other"


class Languages:
    """Every language with a file in the folder, in the order of their `position`; English first (the corpus's
    language and the fallback)."""

    def __init__(self, folder: Path = LANG_DIR) -> None:
        found = {lang.code: lang for lang in sorted(map(Language.from_file, folder.glob("*.yaml")),
                                                    key=lambda lang: (lang.position, lang.code))}
        if DEFAULT_LANGUAGE not in found:
            raise ValueError(f"{folder} has no {DEFAULT_LANGUAGE}.yaml; the fixed phrases fall back to it")
        self._languages = {DEFAULT_LANGUAGE: found.pop(DEFAULT_LANGUAGE), **found}

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._languages)

    def __getitem__(self, code: str) -> Language:
        return self._languages[code]

    def __contains__(self, code: object) -> bool:
        return code in self._languages

    def get(self, code: str | None) -> Language:
        return self._languages.get(code or "", self._languages[DEFAULT_LANGUAGE])

    # Numbers are read with every language's words: a Latvian question may well say "kg" or "12 thousand".
    @cached_property
    def span_words(self) -> frozenset[str]:
        return frozenset().union(*(lang.span_words for lang in self._languages.values()))

    @cached_property
    def units(self) -> dict[str, str]:
        return {word: unit for lang in self._languages.values() for word, unit in lang.units.items()}

    @cached_property
    def thousands_pattern(self) -> str:
        """A regex alternation of every language's thousands words, longest first."""
        def pattern(word: str) -> str:
            if word.endswith("*"):
                return re.escape(word[:-1]) + r"\w*"
            return re.escape(word[:-1]) + r"\.?" if word.endswith(".") else re.escape(word)

        words = {w for lang in self._languages.values() for w in lang.thousands}
        return "|".join(pattern(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@cache
def registry() -> Languages:
    return Languages()


LANGUAGES: tuple[str, ...] = registry().codes


class LanguageDetector:
    """py3langid over the registry's languages, with the corpus-words rule for English fragments."""

    def __init__(self, english_words, languages: Languages | None = None) -> None:
        self.languages = languages or registry()
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(self.languages.codes))
        self._english_words = frozenset(english_words)

    @property
    def english_words(self) -> frozenset[str]:
        """The words of the (English) corpus, folded."""
        return self._english_words

    def detect(self, text: str) -> str:
        words = [t for t in tokens(text) if t.isalpha() and len(t) > 1]
        if words and sum(w in self._english_words for w in words) / len(words) >= ENGLISH_WORD_SHARE:
            return DEFAULT_LANGUAGE
        language, _ = self._identifier.classify(text)
        return language
