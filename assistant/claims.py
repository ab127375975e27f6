"""What a question asserts, checked against the curated facts (corpus/facts.yaml).

The parsed question gives its values (years, dates, counts, measures) and, here, the entities it names
(people, places, agencies, bodies, events) and the relations its words state ("signed", "head of",
"died"). A value may speak of any fact whose subject the question names (or that its relation implies)
and whose relation it states; it is reported against the one whose cue word stands nearest. It is
wrong only when it agrees with none of them: none of the fact's values, none of its disputed values,
and (for a figure) outside the range the sources give. Not checked: a value
the question negates ("not Beria"), alternatives it offers ("Serov or Beria?"), and a fact whose period
the question's year lies outside ("Yezhov headed the NKVD in 1937"), unless the value is the fact's own: "Serov was
KGB chairman in 1941" names the right man at a time the fact excludes, and the year is corrected.

A naive substring check fails both ways: "Serov" inside "Serov Instructions" is not the signer, and
"Beria signed Order 001223 and Serov the Instructions" holds two true claims, each bound to its own
subject.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assistant.language import Languages
from assistant.question import Question, Value
from corpus import Corpus
from corpus.facts import ENTITY_KINDS, Fact
from corpus.text import fold

FAR = -10**6  # the position of an implied cue: farther from every value than any word of the question
SMALL_COUNT = 100  # in a "how many" question a bare number below this is a date or a guess, not a claim
NUMBER_TOLERANCE = 0.10  # a figure within 10% of the sources' range is theirs, rounded ("about 20,000")
NEGATION_WINDOW = 2  # words before a value in which a negation takes it back ("not Beria")
UNITS = {"lb": ("kg", 0.4536)}  # a measure in these units is converted before it is compared
YEAR_FORM_WORDS = 2  # "in 1949", "1949. aastal": a form this short around a year names the event by its year alone
OWN_WORD = 4  # letters of a word that can tell one event from another ("July", "Saaremaa"; not "in")
BESIDE = 3  # words between a date and the event or document it dates when no cue word says so ("deported from Estonia on 14 July")


@dataclass(frozen=True)
class Stated:
    kind: str  # an entity kind, or year | date | count | measure
    start: int
    end: int
    text: str  # the visitor's own words
    entity: str = ""
    value: Value | None = None


@dataclass(frozen=True)
class Binding:
    """A value the question states, attached to the fact it speaks of; `holds` when the sources agree."""

    fact: Fact
    stated: Stated
    holds: bool


Contradiction = Binding  # a binding that does not hold


class ClaimChecker:
    def __init__(self, corpus: Corpus, languages: Languages) -> None:
        base = corpus.facts
        self.base = base
        self.entities = base.entities if base else {}
        self.facts = base.facts if base else ()
        self.languages = languages
        self.documents = {sid for sid, s in corpus.subjects.items() if s.is_document}
        self.dating = [rid for rid, r in (base.relations if base else {}).items() if r.dates]
        self.eventful = [rid for rid, r in (base.relations if base else {}).items() if r.events]
        # The beginnings of the words of each event's names, once: what a word must not begin with to name an
        # event on its own ("deported" begins a word of the 1949 deportation's names, "Saaremaa" none).
        self.event_words = {eid: frozenset(w[:OWN_WORD + 1] for w in fold(" ".join(e.forms)).replace("*", "").split())
                            for eid, e in self.entities.items() if e.kind == "event"}

    def stated(self, question: Question, by_year: list | None = None) -> list[Stated]:
        """The values the question states; `by_year`: its event mentions that are only a year (computed here if
        not given)."""
        by_year = _events_named_by_year_alone(question, self.event_words) if by_year is None else by_year
        values = [Stated(m.kind, m.start, m.end, " ".join(question.written[m.start:m.end]), entity=m.entity)
                  for m in question.entities if m not in by_year]
        values += [Stated(v.kind, v.position, v.position + max(1, len(v.text.split())), v.text, value=v)
                   for v in question.values if v.kind in ("year", "date", "count", "measure")]
        return values

    def check(self, question: Question) -> list[Binding]:
        """The contradicted bindings."""
        return [b for b in self.bindings(question) if not b.holds]

    def bindings(self, question: Question) -> list[Binding]:
        if not self.facts:
            return []
        language = self.languages[question.language]
        anchors: dict[str, list[tuple[int, int]]] = {}
        for alias in question.mentions.aliases:
            anchors.setdefault(alias.subject, []).append((alias.start, alias.end))
        by_year = _events_named_by_year_alone(question, self.event_words)
        for mention in question.entities:
            if mention in by_year:
                continue  # "the July deportation was in 1949": 1949 dates the July deportation, not the 1949 one
            anchors.setdefault(mention.entity, []).append((mention.start, mention.end))
            if mention.subject:
                anchors.setdefault(mention.subject, []).append((mention.start, mention.end))
        cues: dict[str, list[int]] = {}
        for relation, position in question.relations:
            cues.setdefault(relation, []).append(position)
        stated = self.stated(question, by_year)
        years = [s.value.number for s in stated if s.kind == "year"]
        places = {m.entity for m in question.entities if m.kind == "place"}
        # A date or year beside an event or document needs no cue word: "deported from Estonia on 14 July 1941?"
        # speaks of when it took place (the relations marked `dates: true` in facts.yaml).
        for relation in self.dating:
            if relation not in cues and any(s.kind in ("date", "year") for s in stated):
                cues[relation] = [FAR]  # the last resort: any fact with a cue word of its own comes first
        for relation in self.eventful:
            if relation not in cues and any(s.kind == "event" for s in stated):
                cues[relation] = [FAR]
        applicable = [f for f in self.facts if f.relation in cues and self._applies(f, anchors, years, places)]
        # A fact for the place the question names wins over the same fact for anywhere: "Lithuania, 22 May 1941"
        # is checked against Lithuania's dates, not against the whole operation's (which began in Ukraine on 22 May).
        local = {(f.subject, f.relation) for f in applicable if f.where}
        applicable = [f for f in applicable if f.where or (f.subject, f.relation) not in local]
        applicable = _narrowed_by_agents(applicable, anchors)
        # Naming no year, a question about a dated document or event is about its year: "Serov signed his
        # Instructions as KGB chairman" speaks of 1941, when there was no KGB.
        implied = [] if years else sorted({
            v for f in self.facts if f.subject in anchors and f.kind == "year" and f.relation == "date"
            and self._is_dated_thing(f.subject) for v in f.values})
        found = []
        for value in stated:
            if self._negated(question, value, language) or self._offered_as_choice(question, value, stated):
                continue
            if question.asks == "number" and value.kind == "count" and value.value.number < SMALL_COUNT:
                continue  # "mitu vagunit eestist 41 viidi": the visitor asks the figure; "41" is their year
            if question.asks == "person" and value.kind == "person" and not question.yes_no:
                continue  # "wer war Serows Chef?": asking who, the visitor names the man whose chief is asked
            candidates = [f for f in applicable if f.kind == value.kind and not self._is_subject(f, value, anchors)
                          and (cues[f.relation] != [FAR] or _beside(f, value, anchors))]
            if not candidates:
                continue
            # The value speaks of the fact whose cue is nearest it; between subjects, the one nearest the value.
            # Ties go to the cue before the value: "born in 1905 and died in 1990".
            candidates.sort(key=lambda f: (min((abs(c - value.start), c > value.start) for c in cues[f.relation]),
                                           self._anchor_distance(f, value.start, anchors)))
            judged = [self._judge(fact, value, stated, implied, anchors, question) for fact in candidates]
            judged = [binding for binding in judged if binding is not None]
            if not judged:
                continue
            # Wrong only when no fact of the same relation agrees: "Beria signed Order 001223 and Serov the
            # Instructions" holds two true claims though "Serov" stands nearer the Order. (Another relation does
            # not excuse it: "20,000 children" is not right because 20,000 fits the country's total.)
            relation = judged[0].fact.relation
            agreeing = [binding for binding in judged if binding.holds and binding.fact.relation == relation]
            # ... unless the value is claimed of two at once ("Serov was shot together with Beria in 1953"):
            # then each of them named must agree.
            wrong = _each_named_must_agree(judged, relation, anchors) if question.together else []
            found.append(wrong[0] if wrong else agreeing[0] if agreeing else judged[0])
        return found

    def _judge(self, fact: Fact, value: Stated, stated: list[Stated], implied: list[float], anchors,
               question: Question) -> Binding | None:
        holds = self._consistent(fact, value)
        outside = [s for s in stated if s.kind == "year" and fact.period and fact.kind != "year"
                   and not fact.period[0] <= s.value.number <= fact.period[1]]
        if outside and holds:
            # The right person at the wrong time ("Serov was KGB chairman in 1941": only from 1954): the year is wrong.
            return Binding(fact, outside[0], False)
        if outside:
            return None  # someone else at another time ("Yezhov headed the NKVD in 1937"): the facts do not say
        if holds and fact.period and implied and all(not fact.period[0] <= y <= fact.period[1] for y in implied):
            # The time comes from the document named: what is wrong is the office the visitor gives ("KGB").
            start, end = min(anchors.get(fact.subject, [(value.start, value.end)]))
            return Binding(fact, Stated(value.kind, start, end, " ".join(question.written[start:end])), False)
        return Binding(fact, value, holds)

    def _is_dated_thing(self, subject: str) -> bool:
        return subject in self.documents or (subject in self.entities and self.entities[subject].kind == "event")

    def _applies(self, fact: Fact, anchors, years: list[float], places: set[str]) -> bool:
        # A relation that is always about one subject ("could take 200 kg": the Instructions) stands for it.
        if fact.subject not in anchors and self.base.relations[fact.relation].implies != fact.subject:
            return False
        if fact.where and fact.where not in places and not self._within(places, fact.where):
            return False
        return True

    def _within(self, places: set[str], country: str) -> bool:
        return any(self.entities[p].country == country for p in places)

    def _is_subject(self, fact: Fact, value: Stated, anchors) -> bool:
        return bool(value.entity) and (value.entity == fact.subject
                                       or self.entities[value.entity].subject == fact.subject)

    @staticmethod
    def _anchor_distance(fact: Fact, position: int, anchors) -> int:
        spans = anchors.get(fact.subject)
        return min(abs(start - position) for start, _ in spans) if spans else 0

    @staticmethod
    def _negated(question: Question, value: Stated, language) -> bool:
        before = " ".join(question.words[max(0, value.start - NEGATION_WINDOW):value.start])
        return language.negations.search(before)

    @staticmethod
    def _offered_as_choice(question: Question, value: Stated, stated: list[Stated]) -> bool:
        return question.choice and sum(s.kind == value.kind for s in stated) > 1

    def _consistent(self, fact: Fact, value: Stated) -> bool:
        if fact.kind in ENTITY_KINDS:
            allowed = set(fact.values) | set(fact.disputed)
            entity = self.entities[value.entity]
            # A place inside the true one, or the country of the true one, is no contradiction.
            return (entity.id in allowed or entity.country in allowed
                    or any(self.entities[v].country == entity.id for v in allowed if v in self.entities))
        number = value.value.number
        if fact.kind == "year":
            return number in fact.values or number in fact.disputed or (
                fact.range is not None and fact.range[0] <= number <= fact.range[1])
        if fact.kind == "date":
            return _date_consistent(value.value, fact)
        unit, factor = UNITS.get(value.value.unit, (value.value.unit, 1.0))
        if fact.unit and unit != fact.unit:
            return True  # another unit: not this fact's figure
        number *= factor
        figures = [float(v) for v in (*fact.values, *fact.disputed)]
        low, high = fact.range or (min(figures), max(figures))
        return low * (1 - NUMBER_TOLERANCE) <= number <= high * (1 + NUMBER_TOLERANCE)


def _beside(fact: Fact, value: Stated, anchors) -> bool:
    """Whether a value stands beside a mention of the fact's subject: without a cue word, a year dates the event
    it stands next to ("the June 1940 deportation"), not one named elsewhere in the question ("Did the 1953
    amnesty free those deported in 1941?", "Where were deportees moved in 1942?"). A subject only implied (no
    mention) is beside every value."""
    spans = anchors.get(fact.subject)
    return not spans or any(max(start - value.end, value.start - end) <= BESIDE for start, end in spans)


def _events_named_by_year_alone(question: Question, event_words: dict[str, frozenset[str]]) -> list:
    """Event mentions that are only a year ("in 1949") in a question naming another event by words of its own:
    "Did the Saaremaa July deportation take place in 1949?" states a year of the July deportation. "How many were
    deported in 1949?" still names the 1949 deportation: "deported" is a word of the 1949 deportation's names too."""
    years = [v.position for v in question.values if v.kind == "year"]
    events = [m for m in question.entities if m.kind == "event"]

    def by_year(m) -> bool:
        return m.end - m.start <= YEAR_FORM_WORDS and any(m.start <= y < m.end for y in years)

    found = []
    for mention in (m for m in events if by_year(m)):
        beginnings = event_words.get(mention.entity, frozenset())
        own = [m for m in events if m.entity != mention.entity and not by_year(m) and any(
            len(w) >= OWN_WORD and not w.isdigit() and w[:OWN_WORD + 1] not in beginnings
            for w in question.words[m.start:m.end])]
        if own:
            found.append(mention)
    return found


def _each_named_must_agree(judged: list[Binding], relation: str, anchors) -> list[Binding]:
    """The bindings of a value claimed of several subjects at once that none of a subject's facts agrees with,
    when two or more of the subjects it binds to are named."""
    by_subject: dict[str, list[Binding]] = {}
    for binding in judged:
        if binding.fact.relation == relation and binding.fact.subject in anchors:
            by_subject.setdefault(binding.fact.subject, []).append(binding)
    if len(by_subject) < 2:
        return []
    return [bindings[0] for bindings in by_subject.values() if not any(b.holds for b in bindings)]


def _narrowed_by_agents(applicable: list[Fact], anchors) -> list[Fact]:
    """Drops a subject's fact that an agent the question names states more narrowly: "the Kersten Committee
    published the Instructions in 1964" is checked against the year the Committee published them (1954), not
    against every year anyone published them (1954-2024). An agent is a value of the subject's entity fact of the
    same relation (serov_instructions.published_by: kersten_committee) with a year, date or figure of its own for it."""
    narrowed = set()
    for fact in applicable:
        if fact.kind not in ENTITY_KINDS:
            continue
        for agent in fact.values:
            if agent not in anchors:
                continue
            # Only its figures and times: who did it is the subject's own fact ("Serov, deputy head of the NKGB").
            own = {f.kind for f in applicable if f.subject == agent and f.relation == fact.relation
                   and f.kind not in ENTITY_KINDS}
            narrowed |= {(fact.subject, fact.relation, kind) for kind in own}
    return [f for f in applicable if (f.subject, f.relation, f.kind) not in narrowed]


def _date_consistent(value: Value, fact: Fact) -> bool:
    """A date the question gives (day and month, maybe a year) falls in one of the fact's date spans."""
    for first, last in fact.date_values():
        years = [value.number] if value.number else list(range(first.year, last.year + 1))
        for year in years:
            try:
                day = dt.date(int(year), value.month, value.day)
            except ValueError:
                continue
            if first <= day <= last:
                return True
    return False
