"""Claims of order: "the deportation came after the German invasion" puts two dated things in an order the
curated dates contradict.

A question states an order when an order word of its language ("after", "before", "nach", "после" ...:
`after` and `before` in assistant/lang/*.yaml) stands between two things with curated dates (documents and
events: the facts of relation `date` in corpus/facts.yaml): the one before the word is claimed to come
after (or before) the one that follows it. A question opening with the word ("After the German invasion,
the deportations began") claims the second thing after the first. The claim is false only when every date
the sources give, disputed ones included, contradicts it: "after" when the first thing ended before the
second began, "before" when it began after the second ended. Not read as a claim: a question offering both
orders ("before or after?"), an order word taken back by a negation just before it, and a thing compared
with itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assistant.claims import Binding, Stated
from assistant.language import Languages
from assistant.question import Question
from corpus import Corpus
from corpus.facts import Fact

DATING = "date"  # the relation whose facts date a document or an event
NEGATION_WINDOW = 2  # words before the order word in which a negation takes it back ("not after")


@dataclass(frozen=True)
class Dated:
    """A thing with curated dates: the first and last day any source gives, and the facts that give them."""

    first: dt.date
    last: dt.date
    facts: tuple[Fact, ...]


def _span(fact: Fact) -> tuple[dt.date, dt.date]:
    if fact.kind == "date":
        spans = fact.date_values()
        return min(s[0] for s in spans), max(s[1] for s in spans)
    years = [int(v) for v in (*fact.values, *fact.disputed)]
    return dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)


def dated_things(corpus: Corpus) -> dict[str, Dated]:
    """{subject or entity id: its dates}; day-precise facts are used where a thing has any, else its years."""
    by_subject: dict[str, list[Fact]] = {}
    for fact in corpus.facts.facts if corpus.facts else ():
        if fact.relation == DATING and fact.kind in ("date", "year") and (fact.values or fact.disputed):
            by_subject.setdefault(fact.subject, []).append(fact)
    dated = {}
    for subject, facts in by_subject.items():
        precise = [f for f in facts if f.kind == "date"] or facts
        spans = [_span(f) for f in precise]
        dated[subject] = Dated(min(s[0] for s in spans), max(s[1] for s in spans),
                               tuple(precise + [f for f in facts if f not in precise]))  # quoted: the precise first
    return dated


class SequenceChecker:
    def __init__(self, corpus: Corpus, languages: Languages) -> None:
        self.dated = dated_things(corpus)
        self.languages = languages

    def _mentions(self, question: Question) -> list[tuple[int, int, str]]:
        """(start, end, id) of each dated thing the question names, by a subject alias or an entity form."""
        found = {(m.start, m.end, m.subject) for m in question.mentions.aliases if m.subject in self.dated}
        for entity in question.entities:
            thing = entity.entity if entity.entity in self.dated else entity.subject
            if thing in self.dated:
                found.add((entity.start, entity.end, thing))
        return sorted(found)

    def check(self, question: Question) -> list[Binding]:
        """The order claims the curated dates contradict, as bindings to the dates of the thing claimed later or
        earlier and of the one it is compared with (in that order), neither holding."""
        language = self.languages[question.language]
        if question.comparison or not (language.after or language.before):
            return []
        words = " ".join(question.words)
        cues = [(words[:m.start()].count(" "), m.group().count(" ") + 1, later)
                for later, phrases in ((True, language.after), (False, language.before)) for m in phrases.find(words)]
        if len({later for _, _, later in cues}) != 1:
            return []  # none, or both orders offered: "before or after the invasion?"
        things = self._mentions(question)
        found: list[Binding] = []
        for position, length, later in cues:
            before = " ".join(question.words[max(0, position - NEGATION_WINDOW):position])
            if language.negations.search(before):
                continue
            left = [t for t in things if t[1] <= position]
            right = [t for t in things if t[0] >= position + length]
            if left and right:
                claimed, other = left[-1], right[0]
            elif len(right) >= 2:  # "After the German invasion, the deportations began"
                other, claimed = right[0], right[1]
            else:
                continue
            first, second = self.dated[claimed[2]], self.dated[other[2]]
            if claimed[2] == other[2] or not (first.last < second.first if later else first.first > second.last):
                continue
            text = " ".join(question.written[min(position, other[0]):max(position + length, other[1])])
            stated = Stated("sequence", position, position + length, text)
            found += [Binding(fact, stated, holds=False) for fact in (first.facts[0], second.facts[0])]
        return found
