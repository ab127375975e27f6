"""Practical questions get the museum's referral, not a dead end.

The curated sources answer questions about the documents, never "where is the café?". The museum sets,
in config/museum.yaml (SEROV_QA_MUSEUM_FILE), words that mark such practical questions in six languages
and the referral text to show. A phrase ("opening hours") makes a question practical whatever the
sources hold; a single word ("toilet") only when they hold nothing: "Was there a toilet in the wagons?"
is a question about the trains (assistant.decide).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.language import LANGUAGES
from assistant.models import Referral
from config.settings import PROJECT_DIR
from corpus.text import tokens

MUSEUM_FILE = PROJECT_DIR / "config" / "museum.yaml"


class MuseumFileError(ValueError):
    pass


@dataclass(frozen=True)
class Pattern:
    """Words of one entry, each matching a question word that starts with it (or equals it: "кафе$")."""

    words: tuple[tuple[str, bool], ...]  # (folded word, whole word only)

    @classmethod
    def parse(cls, entry: str) -> "Pattern":
        words = []
        for piece in entry.split():
            whole = piece.endswith("$")
            words += [(word, whole) for word in tokens(piece.rstrip("$"))]
        return cls(tuple(words))

    def found_at(self, question: list[str], start: int) -> bool:
        """Whether the pattern's words fit the question's words from `start` on."""
        if not self.words or start + len(self.words) > len(question):
            return False
        return all(question[start + i] == word if whole else question[start + i].startswith(word)
                   for i, (word, whole) in enumerate(self.words))


@dataclass(frozen=True)
class Topic:
    name: str
    phrases: tuple[Pattern, ...]  # practical whatever the assistant found
    words: tuple[Pattern, ...]    # practical only when the assistant found nothing


@dataclass(frozen=True)
class Museum:
    referrals: dict[str, str]
    topics: tuple[Topic, ...]

    def __post_init__(self) -> None:
        # (topic, strength, pattern) filed under the first letter of the pattern's first word: a question word
        # tries only the patterns that can start with it (every pattern at every word was most of a parse).
        starts: dict[str, list[tuple[int, int, Pattern]]] = {}
        for number, topic in enumerate(self.topics):
            for strength, patterns in ((2, topic.phrases), (1, topic.words)):
                for pattern in patterns:
                    if pattern.words:
                        starts.setdefault(pattern.words[0][0][:1], []).append((number, strength, pattern))
        object.__setattr__(self, "_starts", starts)

    def match(self, question: str | list[str] | tuple[str, ...]) -> tuple[Topic | None, int]:
        """The topic that matches the question (text, or its folded words) best (phrases before words, file
        order), and how strongly."""
        words = tokens(question) if isinstance(question, str) else list(question)
        strengths = [0] * len(self.topics)
        for start, word in enumerate(words):
            for number, strength, pattern in self._starts.get(word[:1], ()):
                if strength > strengths[number] and pattern.found_at(words, start):
                    strengths[number] = strength
        best = max(strengths, default=0)
        return (self.topics[strengths.index(best)], best) if best else (None, 0)

    def referral(self, topic: Topic, lang: str) -> Referral:
        return Referral(topic=topic.name, text=self.referrals.get(lang) or self.referrals["en"])


def _patterns(entries, where: str) -> tuple[Pattern, ...]:
    if not isinstance(entries, list) or not all(isinstance(e, str) and tokens(e) for e in entries):
        raise MuseumFileError(f"{where}: must be a list of words or phrases")
    return tuple(Pattern.parse(entry) for entry in entries)


def load_museum(path: Path = MUSEUM_FILE, languages: tuple[str, ...] = LANGUAGES) -> Museum:
    """Read the museum file; a referral and words for every topic are required in every language."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MuseumFileError(f"{path}: {exc}") from exc
    referrals = data.get("referral") or {}
    missing = [code for code in languages if not str(referrals.get(code) or "").strip()]
    if missing:
        raise MuseumFileError(f"{path}: referral: no text for {', '.join(missing)}")
    topics = []
    for name, by_lang in (data.get("topics") or {}).items():
        phrases: list[Pattern] = []
        words: list[Pattern] = []
        for code in languages:
            entry = (by_lang or {}).get(code)
            if not isinstance(entry, dict) or not (entry.get("phrases") or entry.get("words")):
                raise MuseumFileError(f"{path}: topics.{name}.{code}: give phrases or words")
            phrases += _patterns(entry.get("phrases") or [], f"{path}: topics.{name}.{code}.phrases")
            words += _patterns(entry.get("words") or [], f"{path}: topics.{name}.{code}.words")
        topics.append(Topic(str(name), tuple(phrases), tuple(words)))
    if not topics:
        raise MuseumFileError(f"{path}: no topics")
    return Museum({code: str(text).strip() for code, text in referrals.items()}, tuple(topics))
