"""Choosing the sentence that answers: pure scoring functions.

A sentence scores by its embedding similarity to the question, by how many of
the question's terms it contains, and by whether it holds the kind of thing the
question asks for (a date for "when", a number for "how many", a person for
"who"). The weights are round numbers set by hand, not fitted to the gold set.
"""

from __future__ import annotations

import re
from enum import Enum

from corpus.text import tokens


class AnswerType(Enum):
    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    OTHER = "other"


# Question words by language (en, lt, lv, et, ru, de), folded (no diacritics).
_CUES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (AnswerType.NUMBER, re.compile(
        r"\b(how many|how much|how tall|how heavy|number of|what number|figures?|totals?|kiek|cik|mitu|kui palju|mitme|"
        r"сколько|wie viele|wie viel|anzahl)\b")),
    (AnswerType.DATE, re.compile(
        r"\b(when|what year|which year|what date|which date|dated?|kada|kuriais metais|kad|kura gada|kada gada|"
        r"millal|mis aastal|когда|в каком году|какого числа|wann|in welchem jahr|datum)\b")),
    (AnswerType.PERSON, re.compile(
        r"\b(who|whom|whose|signer|signatory|signed by|first name|full name|surname|last name|"
        r"kas pasirase|kas pasirasė|kas parakstija|kurs|kes|vardas|vards|eesnimi|"
        r"кто|кем|имя|отчество|wer|von wem|unterzeichner|vorname)\b")),
]

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATE = re.compile(rf"\b(1[89]\d\d|20\d\d)\b|\b\d{{1,2}} ({_MONTHS})\b|\b({_MONTHS}) \d{{1,2}}\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
# Numbers that name rather than count: "Order No. 0054", "H. Res. 346", "§5", "p. 75", and any with a leading zero.
_IDENTIFIER = re.compile(r"(?:\bNo\.|\bNr\.|\bRes\.|§|\bp\.|\bpp\.|\b[Ss]ection|\b[Oo]rder)\s*\d[\d,.-]*|\b0\d+")
_YEAR_ONLY = re.compile(r"^(1[89]\d\d|20\d\d)$")
_NAME = re.compile(r"\b[A-ZÀ-ÞĀ-Ž][a-zà-ÿā-ž]+(?:\s+[A-Z]\.)*\s+[A-ZÀ-ÞĀ-Ž][a-zà-ÿā-žA-Z'-]+")

WEIGHT_SIMILARITY = 1.0
WEIGHT_OVERLAP = 0.35
WEIGHT_TYPE = 0.15
WEIGHT_PASSAGE_RANK = 0.10


def answer_type(question: str) -> AnswerType:
    folded = " ".join(tokens(question))
    for kind, pattern in _CUES:
        if pattern.search(folded):
            return kind
    return AnswerType.OTHER


def has_answer_type(sentence: str, kind: AnswerType, person_names: frozenset[str] = frozenset(),
                    question: str = "", common_words: frozenset[str] = frozenset()) -> bool:
    """Whether the sentence holds the kind of thing asked for, *beyond what the question already says*:
    "How many votes did Resolution 346 get?" is not answered by a sentence whose only number is 346,
    and a date ("1 July 1990") is not a count. A capitalised pair is a person's name unless one of its
    words is a common word (one the corpus also writes in lower case: "Order No.", "Interim Report")."""
    given = set(tokens(question))

    def new(text: str) -> bool:
        return not set(tokens(text)) <= given

    if kind is AnswerType.DATE:
        return any(new(m.group(0)) for m in DATE.finditer(sentence))
    if kind is AnswerType.NUMBER:
        undated = _IDENTIFIER.sub(" ", DATE.sub(" ", sentence))
        return any(not _YEAR_ONLY.match(n.rstrip(".,")) and new(n) for n in _NUMBER.findall(undated))
    if kind is AnswerType.PERSON:
        return bool((set(tokens(sentence)) & person_names) - given) or any(
            new(m.group(0)) and not set(tokens(m.group(0))) & common_words for m in _NAME.finditer(sentence[1:]))
    return True


def overlap(question_terms: set[str], sentence_terms: set[str]) -> float:
    """Share of the question's terms found in the sentence (0 when the question has none)."""
    if not question_terms:
        return 0.0
    return len(question_terms & sentence_terms) / len(question_terms)


def sentence_score(similarity: float, term_overlap: float, type_match: bool, passage_rank: int) -> float:
    return (
        WEIGHT_SIMILARITY * similarity
        + WEIGHT_OVERLAP * term_overlap
        + WEIGHT_TYPE * (1.0 if type_match else 0.0)
        + WEIGHT_PASSAGE_RANK / (1 + passage_rank)
    )
