"""Which subjects a question names, and which document attributes it mentions.

All matching works on folded tokens (lower case, no diacritics), tolerates a
small typo in a word of five or more letters ("instrucions"), and prefers the
longest alias: "Serov Instructions" names the document, "Serov" alone the man.
Everything it matches comes from corpus/subjects.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from corpus import Corpus
from corpus.text import fold, tokens

FUZZY_MIN_LENGTH = 5


@dataclass(frozen=True)
class Mention:
    kind: str  # "alias" or "attribute"
    subject: str  # subject id
    attribute: str  # attribute name ("" for an alias)
    text: str  # the alias or mention as written in subjects.yaml
    start: int  # token span in the question
    end: int


@dataclass
class Detection:
    subjects: set[str] = field(default_factory=set)  # every subject named
    documents: list[str] = field(default_factory=list)  # the documents named, in order of appearance
    attributes: list[Mention] = field(default_factory=list)  # document attributes mentioned
    aliases: list[Mention] = field(default_factory=list)  # every alias found


class SubjectDetector:
    def __init__(self, corpus: Corpus):
        self._patterns: dict[tuple[str, ...], list[tuple[str, str, str, str]]] = {}
        for subject in corpus.subjects.values():
            for alias in subject.aliases:
                self._add(alias, "alias", subject.id, "")
            for name, attribute in subject.attributes.items():
                for mention in attribute.mentions:
                    self._add(mention, "attribute", subject.id, name)
        self._gapped_attributes = {words: any(kind == "attribute" for kind, *_ in entries)
                                   for words, entries in self._patterns.items()}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for words in self._patterns:
            self._by_first.setdefault(words[0], []).append(words)
        self._vocabulary = sorted({t for words in self._patterns for t in words})
        self._known = set(self._vocabulary)
        self.documents = {sid for sid, s in corpus.subjects.items() if s.is_document}
        self.corpus = corpus

    def _add(self, text: str, kind: str, subject: str, attribute: str) -> None:
        words = tuple(tokens(text))
        if words:
            self._patterns.setdefault(words, []).append((kind, subject, attribute, text))

    @lru_cache(maxsize=8192)
    def _canonical(self, token: str) -> str:
        """The alias word a visitor's word stands for (itself, or the nearest one if only mistyped)."""
        if token in self._known or len(token) < FUZZY_MIN_LENGTH or token.isdigit():
            return token
        # One edit in a word of up to eight letters, two in a longer one ("instrucions"); a similarity ratio would
        # also take a different word that shares a long stem ("perekonnad", families, for "perekonnapead", heads).
        limit = 1 if len(token) <= 8 else 2
        match = process.extractOne(token, self._vocabulary, scorer=OSA.distance, score_cutoff=limit)
        return match[0] if match and match[0][:1] == token[:1] else token

    def mentions(self, text: str) -> list[Mention]:
        """Aliases and attribute mentions in a text (see `mentions_in`)."""
        return self.mentions_in(tokens(text))

    def mentions_in(self, folded_words: list[str]) -> list[Mention]:
        """Aliases and attribute mentions in folded words. Each kind claims words separately, so
        "14 June 1941" is both the deportation (an alias) and a date (an attribute)."""
        words = [self._canonical(t) for t in folded_words]
        spans = [
            (start, start + len(pattern), pattern)
            for start, word in enumerate(words)
            for pattern in self._by_first.get(word, ())
            if tuple(words[start : start + len(pattern)]) == pattern
        ]
        # An attribute's words may take one more word between them ("loading deportees onto trains").
        spans += [
            (start, start + len(pattern) + 1, pattern)
            for start, word in enumerate(words)
            for pattern in self._by_first.get(word, ())
            if len(pattern) > 1 and self._gapped_attributes.get(pattern)
            and _matches_with_one_gap(words[start : start + len(pattern) + 1], pattern)
        ]
        # Longest spans first, so a longer alias claims its words before a shorter one.
        spans.sort(key=lambda span: (span[0] - span[1], span[0]))
        taken = {"alias": [False] * len(words), "attribute": [False] * len(words)}
        found: list[Mention] = []
        for start, end, pattern in spans:
            for kind, subject, attribute, text in self._patterns[pattern]:
                if end - start > len(pattern) and kind != "attribute":
                    continue
                if any(taken[kind][start:end]) and not any(
                        m.kind == kind and (m.start, m.end) == (start, end) for m in found):
                    continue
                taken[kind][start:end] = [True] * (end - start)
                found.append(Mention(kind, subject, attribute, text, start, end))
        return sorted(found, key=lambda m: m.start)

    def detect(self, text: str) -> Detection:
        return self.detect_words(tokens(text))

    def detect_words(self, folded_words: list[str]) -> Detection:
        detection = Detection()
        for mention in self.mentions_in(folded_words):
            if mention.kind == "alias":
                detection.aliases.append(mention)
                detection.subjects.add(mention.subject)
                if mention.subject in self.documents and mention.subject not in detection.documents:
                    detection.documents.append(mention.subject)
            else:
                detection.attributes.append(mention)
        return detection


def _matches_with_one_gap(words: list[str], pattern: tuple[str, ...]) -> bool:
    """Whether `words` is `pattern` with exactly one word inserted after its first word and before its last."""
    if len(words) != len(pattern) + 1:
        return False
    return any(tuple(words[:i]) == pattern[:i] and tuple(words[i + 1:]) == pattern[i:] for i in range(1, len(pattern)))
