"""Typed records of the curated corpus: sources, subjects and passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The three documents the assistant keeps apart. Every other subject id comes from corpus/subjects.yaml.
DOCUMENTS = ("serov_instructions", "order_001223", "order_0054")
SUBJECT_KINDS = ("document", "event", "organisation", "person", "topic", "background")


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    author: str
    year: int | None
    url: str
    kind: str  # primary | secondary | reference
    reliability: str | None = None
    canonical_url: str | None = None  # the original where `url` is a mirror, a scraper copy or plain http

    @property
    def best_url(self) -> str:
        """The address to show a visitor: the original when one is known."""
        return self.canonical_url or self.url


@dataclass(frozen=True)
class Attribute:
    value: str
    mentions: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    id: str
    kind: str  # one of SUBJECT_KINDS
    name: str
    description: str
    aliases: tuple[str, ...]
    attributes: dict[str, Attribute] = field(default_factory=dict)
    compatible: tuple[str, ...] = ()
    confused_with: tuple[str, ...] = ()

    @property
    def is_document(self) -> bool:
        return self.kind == "document"


@dataclass(frozen=True)
class Citation:
    source_id: str
    locator: str


@dataclass(frozen=True)
class Passage:
    id: str
    about: tuple[str, ...]
    sources: tuple[Citation, ...]
    text: str
    sentences: tuple[str, ...]
    questions: tuple[str, ...] = ()  # English
    disputed: bool = False
    file: Path | None = None
    line: int = 0
    questions_by_language: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)  # lt, lv, et, ru, de

    @property
    def all_questions(self) -> tuple[str, ...]:
        """The curated questions in every language (English first)."""
        return self.questions + tuple(q for qs in self.questions_by_language.values() for q in qs)

    @property
    def documents(self) -> frozenset[str]:
        """The documents (of the three) this passage states facts about."""
        return frozenset(self.about) & frozenset(DOCUMENTS)


@dataclass
class Corpus:
    sources: dict[str, Source]
    subjects: dict[str, Subject]
    passages: tuple[Passage, ...]
    content_hash: str
    facts: Any = None  # corpus.facts.FactBase: entities, relations, facts, misconceptions
    fact_sentences: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # fact id -> (passage id, sentence)
    by_id: dict[str, Passage] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: p for p in self.passages}

    @property
    def documents(self) -> dict[str, Subject]:
        return {k: s for k, s in self.subjects.items() if s.is_document}
