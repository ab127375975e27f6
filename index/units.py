"""Search units: what the indexes hold, mapped back to passages and sentences.

Each passage contributes its whole text, each of its sentences, and each curated
question (in English and in the other kiosk languages): a visitor's question is
usually closest to one sentence or to a curated phrasing of it, not to the passage as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from corpus import Corpus

PASSAGE, SENTENCE, QUESTION = "passage", "sentence", "question"


@dataclass(frozen=True)
class Unit:
    passage_index: int
    kind: str
    sentence_index: int  # -1 unless kind == SENTENCE
    text: str


def corpus_units(corpus: Corpus) -> list[Unit]:
    units = []
    for p_index, passage in enumerate(corpus.passages):
        units.append(Unit(p_index, PASSAGE, -1, passage.text))
        units.extend(Unit(p_index, SENTENCE, s_index, s) for s_index, s in enumerate(passage.sentences))
        units.extend(Unit(p_index, QUESTION, -1, q) for q in passage.all_questions)
    return units
