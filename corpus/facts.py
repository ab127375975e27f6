"""Curated facts, the things they are about, and the misconceptions visitors bring: data the premise check reads.

`corpus/facts.yaml` holds
- `entities`: people, places, agencies, bodies and events a question can name, each with the forms it
  is written in (any language, matched folded; a form ending in "*" matches any ending: "Molotov*" is
  Molotovas, Molotovo, Molotovs). An entity may stand for a corpus subject (`subject:`), whose aliases
  then count as its forms.
- `relations`: what a fact says of its subject (signer, date, head, ...), with the cue words by which a
  question states it, per language (word beginnings: "sign" is signed, signer, signature).
- `facts`: a subject (a corpus subject or an entity), a relation, the kind of value and the true
  value(s), the values some sources give instead (`disputed`: never a false premise), and the passages
  whose sentences state it (`states`). `corpus check` verifies that one of those sentences holds a value.

`corpus/misconceptions.yaml` lists false claims that no single value refutes ("the Instructions were a
report written after the deportation"): the claim in several phrasings per language, the true
counterpart phrased alike, and the passages that refute it.

See corpus/README.md for how to add a fact and its forms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpus.gaps import load_gaps

ENTITY_KINDS = ("person", "place", "agency", "body", "event", "document")
VALUE_KINDS = ENTITY_KINDS + ("year", "date", "count", "measure")
MIN_PREFIX = 4  # letters before a "*": "rig*" would match "right"
FLAGS = ("implies", "dates", "events")  # the keys of a relation that are not cue words
FACT_FIELDS = {"id", "subject", "relation", "kind", "values", "disputed", "range", "unit", "period", "where",
               "states", "note"}
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Entity:
    id: str
    kind: str
    name: str
    forms: tuple[str, ...]
    subject: str | None = None  # the corpus subject it stands for, if any
    country: str | None = None  # for a place: the country entity it lies in


@dataclass(frozen=True)
class Relation:
    id: str
    cues: dict[str, tuple[str, ...]]  # language -> word beginnings (a phrase: several words)
    implies: str | None = None  # the subject this relation is always about ("baggage limit": the Instructions)
    dates: bool = False  # a date or year the question states beside the subject speaks of this relation
    events: bool = False  # so does an event the question names beside it ("the Instructions for the 1949 deportation")


@dataclass(frozen=True)
class Fact:
    id: str
    subject: str
    relation: str
    kind: str
    values: tuple = ()  # entity ids, years, ISO dates, numbers
    disputed: tuple = ()  # values some sources give instead
    range: tuple[float, float] | None = None  # for counts and measures: the figures the sources give, lowest to highest
    unit: str = ""
    period: tuple[int, int] | None = None  # the years the fact holds for
    where: str | None = None  # a place the question must name for the fact to apply ("from Lithuania")
    states: tuple[str, ...] = ()  # passages whose sentences state it
    line: int = 0

    def date_values(self) -> list[tuple[dt.date, dt.date]]:
        """For a date fact: (first, last) day of each value ("1941-06-14", or "1941-06-14..1941-06-19")."""
        spans = []
        for value in (*self.values, *self.disputed):
            first, _, last = str(value).partition("..")
            spans.append((dt.date.fromisoformat(first), dt.date.fromisoformat(last or first)))
        return spans


@dataclass(frozen=True)
class Misconception:
    id: str
    subjects: tuple[str, ...]
    claims: dict[str, tuple[str, ...]]  # language -> phrasings of the false claim
    truths: dict[str, tuple[str, ...]]  # language -> the true counterpart, phrased alike
    refuted_by: tuple[str, ...]  # passages
    line: int = 0


@dataclass
class FactBase:
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    misconceptions: tuple[Misconception, ...] = ()
    gaps: tuple = ()  # corpus.gaps.Gap: points the sources are known not to cover


def _lines(node: yaml.Node | None) -> list[int]:
    if isinstance(node, yaml.SequenceNode):
        return [item.start_mark.line + 1 for item in node.value]
    return []


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    if isinstance(node, yaml.MappingNode):
        return {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return {}


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict):
        return tuple(str(v) for values in value.values() if isinstance(values, list) for v in values)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _by_language(value: Any) -> dict[str, tuple[str, ...]]:
    if isinstance(value, dict):
        return {str(k): tuple(str(v) for v in values or []) for k, values in value.items()}
    return {}


def list_entries(path: Path, problems: list, what: str) -> list[tuple[int, Any]]:
    """(line, item) of each entry of an optional YAML file holding a list of `what`; a file that is not a list
    is a problem at its line 1."""
    from corpus.loader import Problem

    data, node = _read(path, problems)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem(path, 1, f"expected a list of {what}"))
        return []
    return list(zip(_lines(node), data))


def _read(path: Path, problems: list) -> tuple[Any, yaml.Node | None]:
    from corpus.loader import Problem

    if not path.exists():
        return None, None
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_SafeLoader), yaml.compose(text, Loader=_SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path, mark.line + 1 if mark else 1, f"malformed YAML: {getattr(exc, 'problem', exc)}"))
        return None, None


def load_facts(corpus_dir: Path, subjects: set[str], passages: set[str], problems: list) -> FactBase:
    """facts.yaml and misconceptions.yaml (both optional), every problem added as file:line."""
    from corpus.loader import Problem

    base = FactBase()
    path = corpus_dir / "facts.yaml"
    data, node = _read(path, problems)
    if isinstance(data, dict):
        entities_node = _child(node, "entities")
        for kind, members in (data.get("entities") or {}).items():
            lines = _key_lines(_child(entities_node, kind))
            if kind not in ENTITY_KINDS:
                problems.append(Problem(path, _key_lines(entities_node).get(kind, 1),
                                        f"unknown entity kind {kind!r}; the kinds are {', '.join(ENTITY_KINDS)}"))
                continue
            for eid, item in (members or {}).items():
                line = lines.get(eid, 1)
                if not isinstance(item, dict) or "name" not in item:
                    problems.append(Problem(path, line, f"entity {eid} needs a name"))
                    continue
                if eid in base.entities or eid in subjects and item.get("subject") != eid:
                    problems.append(Problem(path, line, f"entity id {eid!r} is used twice (or is a subject id)"))
                    continue
                subject = item.get("subject")
                if subject is not None and subject not in subjects:
                    problems.append(Problem(path, line, f"entity {eid}: unknown subject {subject!r}"))
                    continue
                forms = _strings(item.get("forms") or [])
                short = [f for f in forms if any(w.endswith("*") and len(w.rstrip("*")) < MIN_PREFIX for w in f.split())]
                if short:
                    problems.append(Problem(path, line, f"entity {eid}: a word ending in * needs at least {MIN_PREFIX} "
                                            f"letters before it (else it matches too much): {', '.join(short)}"))
                base.entities[eid] = Entity(eid, kind, str(item["name"]), forms, subject, item.get("country"))
        relations_node = _child(node, "relations")
        lines = _key_lines(relations_node)
        for rid, cues in (data.get("relations") or {}).items():
            if not isinstance(cues, dict) or not any(v for k, v in cues.items() if k not in FLAGS):
                problems.append(Problem(path, lines.get(rid, 1), f"relation {rid} needs cue words per language"))
                continue
            implies = cues.get("implies")
            if implies is not None and implies not in subjects:
                problems.append(Problem(path, lines.get(rid, 1), f"relation {rid}: implies an unknown subject {implies!r}"))
                continue
            short = [c for values in cues.values() if isinstance(values, list) for c in values
                     if any(w.endswith("*") and len(w.rstrip("*")) < MIN_PREFIX for w in str(c).split())]
            if short:
                problems.append(Problem(path, lines.get(rid, 1), f"relation {rid}: a word ending in * needs at least "
                                        f"{MIN_PREFIX} letters before it: {', '.join(short)}"))
            base.relations[rid] = Relation(rid, _by_language({k: v for k, v in cues.items()
                                                              if k not in FLAGS}),
                                           implies, bool(cues.get("dates")), bool(cues.get("events")))
        facts_node = _child(node, "facts")
        facts = []
        for line, item in zip(_lines(facts_node), data.get("facts") or []):
            fact = _fact(item, line, path, base, subjects, passages, problems)
            if fact is not None:
                facts.append(fact)
        seen: set[str] = set()
        for fact in facts:
            if fact.id in seen:
                problems.append(Problem(path, fact.line, f"duplicate fact id {fact.id!r}"))
            seen.add(fact.id)
        base.facts = tuple(facts)
        for eid, entity in base.entities.items():
            if entity.country and entity.country not in base.entities:
                problems.append(Problem(path, _key_lines(_child(entities_node, entity.kind)).get(eid, 1),
                                        f"entity {eid}: unknown country {entity.country!r}"))
    elif data is not None:
        problems.append(Problem(path, 1, "expected a mapping with entities, relations and facts"))
    base.misconceptions = _misconceptions(corpus_dir / "misconceptions.yaml", subjects, passages, problems)
    base.gaps = load_gaps(corpus_dir / "gaps.yaml", problems)
    return base


def _fact(item: Any, line: int, path: Path, base: FactBase, subjects: set[str], passages: set[str],
          problems: list) -> Fact | None:
    from corpus.loader import Problem

    def problem(message: str) -> None:
        problems.append(Problem(path, line, message))

    if not isinstance(item, dict):
        problem("a fact must be a mapping (id, subject, relation, kind, values, states)")
        return None
    unknown = sorted(set(item) - FACT_FIELDS)
    missing = [f for f in ("id", "subject", "relation", "kind", "states") if f not in item]
    if unknown or missing:
        problem("; ".join(filter(None, [f"unknown field(s): {', '.join(unknown)}" if unknown else "",
                                        f"missing {', '.join(missing)}" if missing else ""])))
        return None
    fid, kind = str(item["id"]), str(item["kind"])
    if item["subject"] not in subjects and item["subject"] not in base.entities:
        problem(f"fact {fid}: unknown subject {item['subject']!r} (a subject id or an entity id)")
        return None
    if item["relation"] not in base.relations:
        problem(f"fact {fid}: unknown relation {item['relation']!r}")
        return None
    if kind not in VALUE_KINDS:
        problem(f"fact {fid}: kind must be one of {', '.join(VALUE_KINDS)}")
        return None
    values, disputed = tuple(item.get("values") or ()), tuple(item.get("disputed") or ())
    if not values and "range" not in item:
        problem(f"fact {fid}: needs values or a range")
        return None
    if kind in ENTITY_KINDS:
        wrong = [v for v in values + disputed if v not in base.entities or base.entities[v].kind != kind]
        if wrong:
            problem(f"fact {fid}: {', '.join(map(str, wrong))} not {kind} entities")
            return None
    if kind == "date":
        try:
            Fact(fid, "", "", kind, tuple(map(str, values)), tuple(map(str, disputed))).date_values()
        except ValueError:
            problem(f"fact {fid}: dates are written 1941-06-14 or 1941-06-14..1941-06-19")
            return None
    if kind in ("year", "count", "measure") and not all(isinstance(v, (int, float)) for v in values + disputed):
        problem(f"fact {fid}: values must be numbers")
        return None
    states = tuple(item.get("states") or ())
    missing_passages = [p for p in states if p not in passages]
    if not states or missing_passages:
        problem(f"fact {fid}: states must list passage ids that exist (unknown: {', '.join(missing_passages) or 'none given'})")
        return None
    rng = item.get("range")
    period = item.get("period")
    where = item.get("where")
    if where is not None and where not in base.entities:
        problem(f"fact {fid}: unknown place {where!r}")
        return None
    return Fact(fid, str(item["subject"]), str(item["relation"]), kind,
                tuple(str(v) if kind in ENTITY_KINDS + ("date",) else v for v in values),
                tuple(str(v) if kind in ENTITY_KINDS + ("date",) else v for v in disputed),
                (float(rng[0]), float(rng[1])) if rng else None, str(item.get("unit") or ""),
                (int(period[0]), int(period[1])) if period else None, where, states, line)


def _misconceptions(path: Path, subjects: set[str], passages: set[str], problems: list) -> tuple[Misconception, ...]:
    from corpus.loader import Problem

    found = []
    for line, item in list_entries(path, problems, "misconceptions"):
        if not isinstance(item, dict) or not {"id", "claims", "refuted_by"} <= set(item):
            problems.append(Problem(path, line, "a misconception needs id, claims and refuted_by"))
            continue
        unknown_subjects = [s for s in item.get("subjects") or [] if s not in subjects]
        unknown_passages = [p for p in item.get("refuted_by") or [] if p not in passages]
        if unknown_subjects or unknown_passages:
            problems.append(Problem(path, line, f"misconception {item['id']}: unknown "
                                    f"{', '.join(unknown_subjects + unknown_passages)}"))
            continue
        claims = _by_language(item["claims"])
        if "en" not in claims:
            problems.append(Problem(path, line, f"misconception {item['id']}: claims need English phrasings"))
            continue
        found.append(Misconception(str(item["id"]), tuple(item.get("subjects") or ()), claims,
                                   _by_language(item.get("truths") or {}), tuple(item["refuted_by"]), line))
    return tuple(found)


_NUMBER = re.compile(r"\d{1,3}(?:[, ]\d{3})+|\d+")


def numbers_in(text: str) -> list[float]:
    return [float(n.replace(",", "").replace(" ", "")) for n in _NUMBER.findall(text)]


def entity_forms(base: FactBase, subjects: dict) -> list[tuple[str, str]]:
    """(form, entity id) for every entity: its own forms, and the aliases of the subject it stands for."""
    pairs = []
    for entity in base.entities.values():
        pairs += [(form, entity.id) for form in entity.forms]
        if entity.subject and entity.subject in subjects:
            pairs += [(alias, entity.id) for alias in subjects[entity.subject].aliases]
    return pairs


def value_holders(fact: Fact, sentence: str, entities: dict[str, Entity], matcher, documents=None) -> bool:
    """Whether a sentence states one of the fact's values (the check behind `states`); `documents` finds the
    documents' names, inside which a name is not a value."""
    from corpus.text import tokens

    values = (*fact.values, *fact.disputed)
    if fact.kind in ENTITY_KINDS:
        words = tokens(sentence)
        names = [(m.start, m.end, m.payload) for m in documents.find(words)] if documents is not None else []
        found = {m.payload for m in matcher.find(words)
                 if not any(s < m.end and m.start < e and entities[m.payload].subject != doc for s, e, doc in names)}
        return bool(found & set(values))
    numbers = numbers_in(sentence)
    if fact.kind == "year":
        return any(n in values for n in numbers) or (fact.range is not None and any(
            fact.range[0] <= n <= fact.range[1] for n in numbers))
    if fact.kind == "date":
        return any(first.year in numbers or last.year in numbers for first, last in fact.date_values())
    low, high = fact.range or (min(values), max(values))
    return any(low <= n <= high or n in values for n in numbers)


def check_states(base: FactBase, subjects: dict, passages: dict, problems: list,
                 path: Path = Path("facts.yaml")) -> dict[str, list[tuple[str, int]]]:
    """For every fact, the (passage id, sentence index) that state one of its values; a fact none of
    whose `states` sentences does is a problem (the sentence was edited, or the wrong passage is named)."""
    from corpus.forms import FormMatcher
    from corpus.loader import Problem

    matcher = FormMatcher(entity_forms(base, subjects))
    # A document's name is no mention of its signer: "The Serov Instructions bear no date" names no signer.
    documents = FormMatcher([(alias, sid) for sid, s in subjects.items() if s.is_document for alias in s.aliases])
    found: dict[str, list[tuple[str, int]]] = {}
    for fact in base.facts:
        holders = [(pid, i) for pid in fact.states for i, sentence in enumerate(passages[pid].sentences)
                   if value_holders(fact, sentence, base.entities, matcher, documents)]
        if not holders:
            problems.append(Problem(path, fact.line, f"fact {fact.id}: no sentence of "
                                    f"{', '.join(fact.states)} states its value; fix the passage or `states`"))
        found[fact.id] = holders
    return found
