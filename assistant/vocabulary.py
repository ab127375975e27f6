"""The words the curated corpus uses, per language: what typing normalisation corrects towards, and what
the decision's unknown-word share is measured against.

Every curated text counts: passages and English curated questions for English; the curated questions
of each other language for that language; subject names, aliases and source titles for every
language (names are shared). Words are compared folded (lower case, no diacritics).

`stem_prefix` stands in for a stemmer where Snowball has none (Latvian): an inflected form keeps all
but its last STEM_SLACK letters ("Vilniuje" finds "Vilnius").
"""

from __future__ import annotations

import re
from collections import Counter

from corpus import Corpus
from corpus.text import fold, tokens

MIN_PREFIX = 4
STEM_SLACK = 3  # letters an inflected ending may add or change
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_IDENTIFIER = re.compile(r"(?<![\d,.])0\d{3,}(?![\d,.])")  # "001223", "0054": numbers that name a document


def stem_prefix(word: str) -> str:
    """The part of a word an inflected form keeps: all but its last STEM_SLACK letters, at least MIN_PREFIX."""
    return word[: max(MIN_PREFIX, len(word) - STEM_SLACK)]


def word_prefixes(words) -> frozenset[str]:
    """Every prefix of MIN_PREFIX letters or more of the (folded) words: the table `stem_prefix` looks up."""
    return frozenset(w[:n] for w in words for n in range(MIN_PREFIX, len(w) + 1))


class Lexicon:
    """Per language: folded word -> the form the corpus writes most often (diacritics kept), with the
    tables `knows` looks up; built once per loaded assistant."""

    def __init__(self, forms: dict[str, dict[str, str]], shared: dict[str, str], identifiers: dict[int, str],
                 counts: Counter[str] | None = None) -> None:
        self.identifiers = identifiers  # 1223 -> "001223"
        self.counts = counts or Counter()  # folded word -> uses in all curated texts (ties between typo corrections)
        self.own = forms  # per language, the words of its curated texts alone (no shared names)
        self._words = {lang: {**shared, **own} for lang, own in forms.items()}
        self._shared = shared
        self._prefixes = {lang: word_prefixes(words) for lang, words in self._words.items()}
        self.all_words = frozenset(shared).union(*forms.values())
        self._all_prefixes = word_prefixes(self.all_words)

    @classmethod
    def from_corpus(cls, corpus: Corpus, languages) -> "Lexicon":
        texts: dict[str, list[str]] = {code: [] for code in languages}
        texts.setdefault("en", [])
        for passage in corpus.passages:
            texts["en"] += [passage.text, *passage.questions]
            for code, questions in passage.questions_by_language.items():
                texts.setdefault(code, []).extend(questions)
        names = [source.title for source in corpus.sources.values()]
        for subject in corpus.subjects.values():
            names += [subject.name, *subject.aliases, *subject.compatible]
            names += [m for attribute in subject.attributes.values() for m in attribute.mentions]
        identifiers: Counter[str] = Counter(n for text in texts["en"] + names for n in _IDENTIFIER.findall(text))
        expansions: dict[int, str] = {}
        for number, _ in identifiers.most_common():  # a rare variant ("01223") does not displace the usual form
            expansions.setdefault(int(number), number)
        return cls(
            forms={code: _forms(values) for code, values in texts.items()}, shared=_forms(names),
            identifiers={value: number for value, number in expansions.items() if value > 0},
            counts=Counter(fold(w) for values in texts.values() for text in values for w in _WORD.findall(text)),
        )

    def words(self, lang: str) -> dict[str, str]:
        """folded -> written form, for one language (its own curated words and the shared names)."""
        return self._words.get(lang, self._shared)

    def knows(self, word: str, lang: str | None = None) -> bool:
        """Whether the (folded) word, or a word with its first letters, is one the corpus uses (in `lang`,
        or in any language when `lang` is None)."""
        if lang is None:
            return word in self.all_words or stem_prefix(word) in self._all_prefixes
        return word in self.words(lang) or stem_prefix(word) in self._prefixes.get(lang, frozenset())


def _forms(texts: list[str]) -> dict[str, str]:
    counts: Counter[tuple[str, str]] = Counter()
    for text in texts:
        for word in _WORD.findall(text):
            counts[(fold(word), word.casefold())] += 1
    forms: dict[str, str] = {}
    for (folded, written), _ in counts.most_common():
        forms.setdefault(folded, written)
    return forms


def content_words(text: str, stop_words: frozenset[str]) -> list[str]:
    """The folded words of a text that are neither stop words nor numbers."""
    return [t for t in tokens(text) if t not in stop_words and not t.isdigit()]
