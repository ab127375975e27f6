"""Names the curated sources never mention.

"How many deportees were from Tartu?" is on topic, and both encoders place it
close to the passages on Estonian figures; but no curated text mentions Tartu,
so no quote can answer it. A capitalised word in the middle of a question is
usually a name (a place, a person, a ship); when neither it nor a word
sharing its stem appears anywhere in the corpus (passages, curated questions in
every language, subject names and aliases, source titles), the question asks
about something the sources do not cover, and the assistant declines.

The stem check ("a known word starts with all but the last three letters")
lets inflected forms through ("Vilniuje" finds "Vilnius"), and a misspelt known
name ("Berya") is not taken for a new one. German capitalises every noun, so
German questions are not checked.
`unknown_share` is the same test on every word: for questions that are not in
English it stands in for the English term statistics in the abstention evidence.
`knows_or_misspelt(word, lang)` also compares Snowball stems in the question's
language (not Latvian: Snowball has none), for the noun a "which/what" question
asks about ("Какой датой…": "датой" is a form of "дата", too short for the
prefix rule); the answerer declines when no curated text uses that noun.
"""

from __future__ import annotations

import re

import Stemmer
from rapidfuzz import fuzz, process

from corpus import Corpus
from corpus.text import fold, tokens

MIN_NAME_LENGTH = 4
# A misspelt name is still a name the corpus knows ("Berya" is Beria): one wrong letter in five.
TYPO_MIN_LENGTH = 5
TYPO_MIN_RATIO = 80
STEM_SLACK = 3  # letters an inflected ending may add or change
SNOWBALL = {"en": "english", "lt": "lithuanian", "et": "estonian", "ru": "russian", "de": "german"}  # none for Latvian
LANGUAGES_WITHOUT_NOUN_CAPITALS = frozenset({"en", "lt", "lv", "et", "ru"})

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def word_prefixes(words) -> frozenset[str]:
    """Every prefix of MIN_NAME_LENGTH letters or more of the (folded) words: the table `stem_prefix` looks up."""
    return frozenset(w[:n] for w in words for n in range(MIN_NAME_LENGTH, len(w) + 1))


def stem_prefix(word: str) -> str:
    """The part of a word an inflected form keeps: all but its last STEM_SLACK letters, at least MIN_NAME_LENGTH."""
    return word[: max(MIN_NAME_LENGTH, len(word) - STEM_SLACK)]


class CorpusVocabulary:
    def __init__(self, corpus: Corpus):
        words: set[str] = set()
        curated = [text for p in corpus.passages for text in (p.text, *p.all_questions)]
        names: list[str] = []  # subject names and aliases, source titles: in every language
        for subject in corpus.subjects.values():
            names += [subject.name, *subject.aliases, *subject.compatible]
            names += [m for attribute in subject.attributes.values() for m in attribute.mentions]
        names += [source.title for source in corpus.sources.values()]
        for text in curated + names:
            words.update(tokens(text))
        self.words = frozenset(words)
        self._word_list = sorted(words)
        self._prefixes = word_prefixes(words)
        # Snowball stems by language, for short inflected words the prefix rule misses ("датой" is "дата").
        by_language = {"en": [t for p in corpus.passages for t in (p.text, *p.questions)]}
        for p in corpus.passages:
            for lang, questions in p.questions_by_language.items():
                by_language.setdefault(lang, []).extend(questions)
        self._stemmers = {lang: Stemmer.Stemmer(name) for lang, name in SNOWBALL.items()}
        self._stems = {  # stemmed before folding: Snowball knows "датой", not the folded "датои"
            lang: frozenset(fold(stem) for stem in stemmer.stemWords(
                [w for text in (*by_language.get(lang, []), *names) for w in _WORD.findall(text.casefold())]))
            for lang, stemmer in self._stemmers.items()
        }

    def knows(self, word: str) -> bool:
        """Whether the corpus uses this (folded) word or one with the same stem."""
        return word in self.words or stem_prefix(word) in self._prefixes

    def knows_or_misspelt(self, word: str, lang: str = "") -> bool:
        """`knows`, or a known word with a typo, or (given the language) a word with a known Snowball stem.
        The word may be unfolded (lower case with its diacritics), which the stemmer needs."""
        folded = fold(word)
        if self.knows(folded) or self._misspelt(folded):
            return True
        stemmer = self._stemmers.get(lang)
        return stemmer is not None and fold(stemmer.stemWord(word.casefold())) in self._stems[lang]

    def _misspelt(self, word: str) -> bool:
        """Whether the word is a known word with a typo: close in spelling, same first letter, same length
        give or take one ("Berya" is Beria; "Tartu" is not "start")."""
        if len(word) < TYPO_MIN_LENGTH:
            return False
        close = process.extract(word, self._word_list, scorer=fuzz.ratio, score_cutoff=TYPO_MIN_RATIO, limit=10)
        return any(known[0] == word[0] and abs(len(known) - len(word)) <= 1 for known, _, _ in close)

    def unknown_share(self, question: str) -> float:
        """Share of the question's words (of four letters or more) the corpus never uses, in any language."""
        words = [t for t in tokens(question) if len(t) >= MIN_NAME_LENGTH and not t.isdigit()]
        return sum(not self.knows(w) for w in words) / len(words) if words else 0.0

    def unknown_names(self, question: str, lang: str) -> list[str]:
        """The capitalised words after the first that the corpus never uses, e.g. ["Tartu"]."""
        if lang not in LANGUAGES_WITHOUT_NOUN_CAPITALS:
            return []
        words = [m.group(0) for m in _WORD.finditer(question)]
        long_words = [w for w in words[1:] if len(w) >= MIN_NAME_LENGTH]
        if sum(w[0].isupper() for w in long_words) * 2 > len(long_words):
            return []  # Title Case or CAPITALS: capitals say nothing about names here
        unknown = []
        for position, word in enumerate(words):
            if position == 0 or not word[0].isupper() or len(word) < MIN_NAME_LENGTH:
                continue
            parts = [t for t in tokens(re.sub(r"['’]s$", "", word)) if not t.isdigit()]
            if any(not self.knows_or_misspelt(part) for part in parts if len(part) >= MIN_NAME_LENGTH):
                unknown.append(word)
        return unknown

