"""What the stages read about the corpus, computed once when the assistant loads.

For every sentence of every passage: its row in the index (for its vectors), its lexical terms,
its folded words, and the kinds of answer it holds (a date, a count, a person's name), so that no
question recomputes them. For every passage: the rows of its own text and of its curated questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from corpus import Corpus, Passage
from corpus.text import tokens
from index import LoadedIndex
from index.lexical import analyze
from index.units import PASSAGE, QUESTION, SENTENCE
from assistant.vocabulary import word_prefixes

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATE = re.compile(rf"\b(1[89]\d\d|20\d\d)\b|\b\d{{1,2}} ({_MONTHS})\b|\b({_MONTHS}) \d{{1,2}}\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
# Numbers that name rather than count: "Order No. 0054", "H. Res. 346", "§5", "p. 75", any with a leading zero.
_IDENTIFIER = re.compile(r"(?:\bNo\.|\bNr\.|\bRes\.|§|\bp\.|\bpp\.|\b[Ss]ection|\b[Oo]rder)\s*\d[\d,.-]*|\b0\d+")
_YEAR_ONLY = re.compile(r"^(1[89]\d\d|20\d\d)$")
_NAME = re.compile(r"\b[A-ZÀ-ÞĀ-Ž][a-zà-ÿā-ž]+(?:\s+[A-Z]\.)*\s+[A-ZÀ-ÞĀ-Ž][a-zà-ÿā-žA-Z'-]+")


@dataclass(frozen=True)
class Sentence:
    passage_index: int
    index: int  # position in its passage
    text: str
    row: int  # its unit in the index
    terms: frozenset[str]
    words: frozenset[str]
    dates: tuple[str, ...]  # the dates and years it states, folded
    counts: tuple[str, ...]  # the numbers it states that are neither dates nor identifiers
    names: tuple[str, ...]  # folded words of the people it names
    named: frozenset[str] = frozenset()  # the subjects and curated entities it names (assistant.entities)
    relations: frozenset[str] = frozenset()  # the curated relations its words state ("signed": signer)
    places: frozenset[str] = frozenset()  # the curated places it names

    @property
    def key(self) -> tuple[int, int]:
        return self.passage_index, self.index


def _holds(text: str, person_words: frozenset[str], common: frozenset[str]) -> tuple[tuple, tuple, tuple]:
    dates = tuple(" ".join(tokens(m.group(0))) for m in DATE.finditer(text))
    undated = _IDENTIFIER.sub(" ", DATE.sub(" ", text))
    counts = tuple(n.rstrip(".,") for n in _NUMBER.findall(undated) if not _YEAR_ONLY.match(n.rstrip(".,")))
    names = {w for w in tokens(text) if w in person_words}
    for match in _NAME.finditer(text[1:]):  # a capitalised pair, unless one word is also written in lower case
        words = set(tokens(match.group(0)))
        if not words & common:
            names |= words
    return dates, counts, tuple(sorted(names))


def _named(text: str, entities, subjects) -> frozenset[str]:
    if subjects is None:
        return frozenset()
    mentions = subjects.mentions(text)
    aliases = {m.subject for m in mentions if m.kind == "alias"}
    spans = [(m.start, m.end, m.subject) for m in mentions if m.kind == "alias" and m.subject in subjects.documents]
    return frozenset(aliases) | (entities.named_in(text, spans) if entities is not None else frozenset())


class Knowledge:
    def __init__(self, corpus: Corpus, index: LoadedIndex, entities=None, detector=None) -> None:
        """`entities` (assistant.entities.EntityFinder) and `detector` (assistant.subjects.SubjectDetector) find
        what each sentence names; without them sentences name nothing (tests on a tiny corpus)."""
        self.corpus = corpus
        self.index = index
        self.documents = frozenset(sid for sid, s in corpus.subjects.items() if s.is_document)
        # Relations always about one document ("could take 200 kg": the baggage limit of the Instructions).
        relations = corpus.facts.relations if corpus.facts else {}
        self.implied_by = {rid: r.implies for rid, r in relations.items() if r.implies in self.documents}
        subjects = corpus.subjects.values()
        person_words = frozenset(
            t for s in subjects
            for name in (s.aliases if s.kind == "person" else
                         s.attributes["signer"].mentions if "signer" in s.attributes else ())
            for t in tokens(name))
        self.person_words = person_words
        # Words the corpus writes in lower case somewhere are not names, even capitalised ("Order No.").
        common = frozenset(w.casefold() for p in corpus.passages for w in re.findall(r"\b[a-z][a-z'-]+\b", p.text))
        self.common_words = common
        self.sentences: list[Sentence] = []
        self.by_key: dict[tuple[int, int], int] = {}
        self.passage_sentences: list[list[int]] = [[] for _ in corpus.passages]
        self.passage_row = np.zeros(len(corpus.passages), dtype=np.int64)
        question_rows: list[list[int]] = [[] for _ in corpus.passages]
        for row, unit in enumerate(index.units):
            if unit.kind == SENTENCE:
                passage = corpus.passages[unit.passage_index]
                text = passage.sentences[unit.sentence_index]
                self.by_key[(unit.passage_index, unit.sentence_index)] = len(self.sentences)
                self.passage_sentences[unit.passage_index].append(len(self.sentences))
                self.sentences.append(Sentence(
                    unit.passage_index, unit.sentence_index, text, row, frozenset(analyze(text)),
                    frozenset(tokens(text)), *_holds(text, person_words, common),
                    named=_named(text, entities, detector),
                    relations=frozenset(r for r, _ in entities.relations(tokens(text), "en")) if entities else frozenset(),
                    places=frozenset(e for e in _named(text, entities, detector)
                                     if entities and entities.entities.get(e) and entities.entities[e].kind == "place")))
            elif unit.kind == QUESTION:
                question_rows[unit.passage_index].append(row)
            elif unit.kind == PASSAGE:
                self.passage_row[unit.passage_index] = row
        self.question_rows = [np.asarray(rows, dtype=np.int64) for rows in question_rows]
        position = {p.id: i for i, p in enumerate(corpus.passages)}
        # fact id -> the sentences (positions in self.sentences) that state one of its values (corpus check).
        self.fact_sentences = {
            fact_id: [self.by_key[(position[pid], s)] for pid, s in keys if (position[pid], s) in self.by_key]
            for fact_id, keys in corpus.fact_sentences.items()}
        # The words of each passage and of its curated questions (every language), as prefixes: what the
        # passage can be said to speak of (assistant.decide: the question's words none of the best passages use).
        self.passage_prefixes = [word_prefixes({t for text in (p.text, *p.all_questions) for t in tokens(text)})
                                 for p in corpus.passages]
        self.passage_named = [frozenset().union(*(self.sentences[i].named for i in positions))
                              for positions in self.passage_sentences]
        self.sentence_rows = np.asarray([s.row for s in self.sentences], dtype=np.int64)

    def passage(self, sentence: Sentence) -> Passage:
        return self.corpus.passages[sentence.passage_index]

    def vectors(self, space: str) -> np.ndarray:
        return self.index.spaces[space].vectors
