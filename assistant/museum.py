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

    def found_in(self, question: list[str]) -> bool:
        def fits(token: str, word: str, whole: bool) -> bool:
            return token == word if whole else token.startswith(word)

        size = len(self.words)
        return size > 0 and any(
            all(fits(question[start + i], word, whole) for i, (word, whole) in enumerate(self.words))
            for start in range(len(question) - size + 1)
        )


@dataclass(frozen=True)
class Topic:
    name: str
    phrases: tuple[Pattern, ...]  # practical whatever the assistant found
    words: tuple[Pattern, ...]    # practical only when the assistant found nothing

    def strength(self, question: list[str]) -> int:
        """2: a phrase matched; 1: a word matched; 0: nothing."""
        if any(p.found_in(question) for p in self.phrases):
            return 2
        return 1 if any(p.found_in(question) for p in self.words) else 0


@dataclass(frozen=True)
class Museum:
    referrals: dict[str, str]
    topics: tuple[Topic, ...]

    def match(self, question: str | list[str] | tuple[str, ...]) -> tuple[Topic | None, int]:
        """The topic that matches the question (text, or its folded words) best (phrases before words, file
        order), and how strongly."""
        words = tokens(question) if isinstance(question, str) else list(question)
        best: tuple[Topic | None, int] = (None, 0)
        for topic in self.topics:
            strength = topic.strength(words)
            if strength > best[1]:
                best = (topic, strength)
        return best

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
