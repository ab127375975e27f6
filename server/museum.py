"""The front desk around the assistant: practical questions get the museum's referral, not a dead end.

The curated sources answer questions about the documents, never "where is the café?". The
museum sets, in server/museum.yaml, words that mark such practical questions in six languages and
the referral text to show. FrontDesk wraps the pipeline, so the cache, the metrics and the question
log see the same answer the visitor sees; it also says which suggestions are in English (a curated
question has no translation yet), so the pages can tag them with the right `lang`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from assistant import Answer
from assistant.language import LANGUAGES, registry
from corpus.text import tokens

MUSEUM_FILE = Path(__file__).parent / "museum.yaml"


class Referral(BaseModel):
    topic: str = Field(description="Which practical topic matched: hours, tickets, cafe, toilets, tours, ...")
    text: str = Field(description="The museum's own text, in the language of the answer.")


class DeskAnswer(Answer):
    """The answer contract plus what the kiosk and the widget need to show it."""

    referral: Referral | None = Field(None, description="Set when a practical question is referred to the front desk.")
    suggestion_langs: list[str] = Field([], description="The language of each suggestion (English where untranslated).")


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

    def match(self, question: str) -> tuple[Topic | None, int]:
        """The topic that matches the question best (phrases before words, file order), and how strongly."""
        words = tokens(question)
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


class FrontDesk:
    """The pipeline as the server uses it: answer() gives a DeskAnswer; everything else is the pipeline's."""

    def __init__(self, pipeline, museum: Museum) -> None:
        self.pipeline = pipeline
        self.museum = museum
        corpus = pipeline.corpus
        self._english_questions = frozenset(q for p in corpus.passages for q in p.questions)

    def __getattr__(self, name: str):
        # corpus, retrieve, retriever, ...: the curator pages and the tests reach the pipeline through here.
        return getattr(self.pipeline, name)

    def answer(self, question: str, lang: str | None = None) -> DeskAnswer:
        answer = self.pipeline.answer(question, lang=lang)
        topic, strength = self.museum.match(question)
        referred = topic is not None and (strength == 2 or answer.status == "abstained")
        if not referred:
            langs = ["en" if s in self._english_questions else answer.lang for s in answer.suggestions]
            return DeskAnswer(**answer.model_dump(), suggestion_langs=langs)
        # A practical question: the quotes the assistant may have found (the wagons' "toilet") and its
        # suggestions about the documents would only mislead; the museum's text takes their place.
        phrase = registry().get(answer.lang).phrase("abstained")
        referral = self.museum.referral(topic, answer.lang)
        return DeskAnswer(**{
            **answer.model_dump(), "status": "abstained", "quotes": [], "suggestions": [], "corrected_claims": [],
            "confidence": 0.0 if answer.status != "abstained" else answer.confidence,
            "reason": answer.reason if answer.status == "abstained" else "no_passage",
            "answer": f"{phrase}\n\n{referral.text}",
        }, referral=referral)
