"""One parsed question, built once (`Understanding.parse`) and read by every later stage.

No stage after this one looks at the raw string: the words, stems, numbers, dates, subject
mentions, the kind of answer wanted, the parts of a two-part question and whether it asks for
confirmation are all here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from assistant.entities import EntityFinder, EntityMention
from assistant.language import DEFAULT_LANGUAGE, Language, LanguageDetector, cue_text, registry
from assistant.normalize import Normalizer, Rewrite
from assistant.subjects import Detection, SubjectDetector
from corpus.text import fold, tokens
from index.lexical import analyze

MAX_QUESTION_CHARS = 500
ASKED_MIN_LENGTH = 4  # shorter words are particles and endings more often than what a question asks
# Characters that carry no text: zero-width spaces and joiners, bidirectional marks, the BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@cache
def _number_pattern() -> re.Pattern:
    """A figure as written ("17,500", "25.000", "3.5"), and a thousands word after it in any language's file
    (group 2: "12 thousand", "12 tūkst.", "12 тысяч")."""
    return re.compile(r"(?<![\w.,])(\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+(?:[.,]\d+)?)"
                      rf"(?:\s*({registry().thousands_pattern}))?(?![\w])", re.IGNORECASE)


_YEAR = range(1800, 2101)


class QuestionError(ValueError):
    """The question cannot be answered as typed (empty, too long, not text); the message says why."""


def validate_question(question: object) -> str:
    """The question as text the pipeline can read: control and invisible characters removed, runs of
    spaces as one; raises QuestionError with a readable reason."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    # A lone surrogate (invalid UTF-16 smuggled through JSON) cannot be encoded, logged or matched.
    question = question.encode("utf-8", "replace").decode("utf-8").replace("\ufffd", " ") \
        if any("\ud800" <= c <= "\udfff" for c in question) else question
    question = unicodedata.normalize("NFC", _INVISIBLE.sub("", question))
    question = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in question)
    text = " ".join(question.split())
    if not text:
        raise QuestionError("the question is empty; please type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(text)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return text


@dataclass(frozen=True)
class Value:
    """A number or date the question states, with its normal form."""

    kind: str  # year | date | identifier | count | measure
    number: float  # the year, the count, the measure; 0 for a date without year
    text: str  # as written (after normalisation)
    position: int  # index of its first token in Question.words
    unit: str = ""  # for a measure: kg, km, lb, %
    month: int = 0  # for a date
    day: int = 0


@dataclass(frozen=True)
class Part:
    """One of the things a question asks ("who signed it" and "when")."""

    text: str
    asks: str  # number | date | person | place | other


@dataclass(frozen=True)
class Question:
    original: str  # as typed (validated)
    text: str  # as understood: typing normalised
    language: str
    rewrites: tuple[Rewrite, ...]
    words: tuple[str, ...]  # folded tokens of `text`
    written: tuple[str, ...]  # the same tokens as written in `text` (case and diacritics kept)
    cue: str  # cue text (assistant.language.cue_text)
    lexical: tuple[str, ...]  # lexical terms in order, as the BM25 index analyses text (index.lexical.analyze)
    terms: frozenset[str]  # the same, as a set
    stems: frozenset[str]  # Snowball stems in the question's language
    content: tuple[str, ...]  # folded words that are not stop words or numbers
    asked: tuple[str, ...]  # content words of four letters or more outside the names it uses: what it asks about them
    values: tuple[Value, ...]
    mentions: Detection
    entities: tuple[EntityMention, ...]  # curated people, places, agencies, bodies, events it names (corpus/facts.yaml)
    relations: tuple[tuple[str, int], ...]  # (relation, token position) of the relation words it uses ("signed")
    asks: str  # the kind of answer wanted by the first part
    parts: tuple[Part, ...]
    yes_no: bool  # a yes/no question or a request for confirmation ("…, right?")
    choice: bool  # offers alternatives ("Serov or Beria?")
    comparison: bool  # asks for a comparison or about the confusion itself
    sequence: bool  # asks which came first
    joins: bool  # names things together ("X and Y", "X, Y") or asks about names ("why is X called Y")
    negated: bool
    together: bool = False  # claims one value of two at once ("Serov was shot together with Beria in 1953")
    practical: tuple[str, int] = ("", 0)  # a practical topic (opening hours, the café) and how strongly: assistant.museum
    extras: dict = field(default_factory=dict, compare=False)  # per-stage caches, never read by another stage

    @property
    def documents(self) -> list[str]:
        return self.mentions.documents

    @property
    def named(self) -> frozenset[str]:
        """The subjects and curated entities the question names (compared with Sentence.named)."""
        return (frozenset(self.mentions.subjects) | frozenset(e.entity for e in self.entities)
                | frozenset(e.subject for e in self.entities if e.subject))

    @property
    def changed(self) -> bool:
        """Whether normalisation changed what the question says (case and spaces do not count)."""
        return any(r.kind != "diacritics" for r in self.rewrites)


class Understanding:
    """Builds Questions: validation, language, normalisation, then every parse of the normalised text."""

    def __init__(self, detector: LanguageDetector, normalizer: Normalizer, subjects: SubjectDetector,
                 entities: EntityFinder | None = None, museum=None) -> None:
        self.museum = museum
        self.detector = detector
        self.normalizer = normalizer
        self.subjects = subjects
        self.entities = entities
        self.languages = detector.languages

    def _practical(self, words) -> tuple[str, int]:
        if self.museum is None:
            return ("", 0)
        topic, strength = self.museum.match(list(words))
        return (topic.name, strength) if topic is not None else ("", 0)

    def parse(self, raw: object) -> Question:
        original = validate_question(raw)
        typed, script = original, []
        for other in map(self.languages.__getitem__, self.languages.codes):
            if other.romanized is not None and other.romanized.applies(original):
                # "berija kogda rodilsja?" is read as "берия когда родился?" before anything else reads it.
                typed = other.romanized.convert(original, keep=self.detector.english_words)
                script = [Rewrite(original, typed, "script")]
                break
        if not any(c.isalpha() for c in typed):
            code = DEFAULT_LANGUAGE  # ".", "?", "!!!", an emoji: no language to detect
        else:
            code = self.detector.detect(typed)
        text, rewrites = self.normalizer.normalize(typed, self.languages[code])
        for candidate in dict.fromkeys((self.detector.detect(text), DEFAULT_LANGUAGE)):
            # "wat r u", "whos serov" read as English only once their chat spellings are undone.
            if candidate == code:
                continue
            retry, retry_rewrites = self.normalizer.normalize(typed, self.languages[candidate])
            if retry != typed and self.detector.detect(retry) == candidate:
                code, text, rewrites = candidate, retry, retry_rewrites
                break
        rewrites = (*script, *rewrites)
        language = self.languages[code]
        words = tuple(tokens(text))
        written = tuple(re.findall(r"[0-9]+(?:[.,][0-9]+)*|\w+", text))
        cue = cue_text(text)
        parts = _parts(text, language)
        lexical = tuple(analyze(text))
        mentions = self.subjects.detect_words(list(words))
        documents = [(m.start, m.end, m.subject) for m in mentions.aliases if m.subject in self.subjects.documents]
        entities = self.entities.find(words, documents) if self.entities else ()
        for mention in entities:  # a document named by a form the aliases lack ("инструкцию о депортации")
            if mention.subject in self.subjects.documents and mention.subject not in mentions.documents:
                mentions.documents.append(mention.subject)
                mentions.subjects.add(mention.subject)
        names = [(m.start, m.end) for m in mentions.aliases] + [(e.start, e.end) for e in entities]
        content = tuple(w for w in words if w not in language.stop_words and not w.isdigit())
        return Question(
            original=original, text=text, language=code, rewrites=rewrites, words=words, cue=cue,
            written=written if len(written) == len(words) else words,
            lexical=lexical, terms=frozenset(lexical), stems=frozenset(language.stem(w) for w in words if w.isalpha()),
            content=content,
            asked=tuple(w for i, w in enumerate(words) if len(w) >= ASKED_MIN_LENGTH and w in content
                        and not any(start <= i < end for start, end in names)),
            values=tuple(_values(text, words, language)), mentions=mentions, entities=entities,
            relations=self.entities.relations(words, code) if self.entities else (),
            asks=parts[0].asks, parts=parts, practical=self._practical(words),
            # Tags are looked for as typed too: "didnt he" is expanded to "did not he" by the chat table.
            yes_no=_asks_confirmation(text, language) or _asks_confirmation(original, language), choice=_offers_choice(cue, language),
            comparison=language.comparison.search(cue), sequence=language.sequence.search(cue),
            joins=bool(language.naming.search(cue) or language.conjunctions.search(cue) or re.search(r"[,;/&+]", text)),
            negated=language.negations.search(cue), together=bool(language.together.search(cue)),
        )


def _offers_choice(cue: str, language: Language) -> bool:
    """A choice word after the first word ("ar" opens a Lithuanian yes/no question) and before the end
    ("…, oder?" asks for confirmation)."""
    return any(0 < m.start() and m.end() < len(cue) for m in language.choice.find(cue))


def _asks_confirmation(text: str, language: Language) -> bool:
    """Whether the question, or one of its sentences ("Serov was born in 1900, right? And where?"), asks for
    confirmation: a yes/no opening, a tag at its end, or words that pass on a belief."""
    pieces = [cue_text(p) for p in re.split(r"[?!;]+", text) if cue_text(p)] or [cue_text(text)]
    return any(language.yes_no_openers.at_start(cue) or language.yes_no_particles.search(cue)
               or language.tags.at_end(cue) or language.hearsay.search(cue) for cue in pieces)


def _parts(text: str, language: Language) -> tuple[Part, ...]:
    """The question's parts: split where a conjunction (or a second sentence) is followed by a new
    question word ("who signed it and when was it sent?")."""
    pieces = [p for p in re.split(r"[?;]+", text) if p.strip()] or [text]
    parts: list[Part] = []
    asking = [phrase for kind in language.asks.values() for phrase in kind.phrases]
    for piece in pieces:
        cue = cue_text(piece)
        spans, start = [], 0
        for conjunction in language.conjunctions.find(cue):
            rest = cue[conjunction.end():].lstrip()
            if any(rest == p or rest.startswith(p + " ") for p in asking):
                spans.append((start, conjunction.start()))
                start = conjunction.end()
        spans.append((start, len(cue)))
        for begin, end in spans:
            chunk = cue[begin:end].strip()
            if chunk:
                parts.append(Part(chunk, language.asks_for(chunk)))
    if len(parts) > 1 and all(p.asks == "other" for p in parts[1:]) and len(pieces) == 1:
        return (Part(cue_text(text), parts[0].asks),)
    return tuple(parts) or (Part(cue_text(text), language.asks_for(cue_text(text))),)


def _values(text: str, words: tuple[str, ...], language: Language) -> list[Value]:
    """Numbers and dates the question states, each with its normal form and token position."""
    values: list[Value] = []
    taken: set[int] = set()
    # Dates first: "14 June 1941", "June 14, 1941", "14. Juni", "14 июня 1941 года".
    for i, word in enumerate(words):
        month = language.months.get(word)
        if not month:
            continue
        day_at = i - 1 if i and words[i - 1].isdigit() and 1 <= int(words[i - 1]) <= 31 else (
            i + 1 if i + 1 < len(words) and words[i + 1].isdigit() and 1 <= int(words[i + 1]) <= 31 else None)
        if day_at is None:
            continue
        after = max(day_at, i) + 1
        year = int(words[after]) if after < len(words) and words[after].isdigit() and int(words[after]) in _YEAR else 0
        first_word, end = min(day_at, i), after + (1 if year else 0)
        year_at = after if year else None
        if not year:  # the year first, as Lithuanian and Latvian write dates: "1941 m. birželio 14 d.", "1941. gada 14. jūnijā"
            before = first_word - 1
            if before > 0 and words[before] in language.year_suffixes:
                before -= 1
            if before >= 0 and words[before].isdigit() and int(words[before]) in _YEAR:
                year, year_at = int(words[before]), before
        start = min(first_word, year_at) if year_at is not None else first_word
        values.append(Value("date", year, " ".join(words[start:end]), start, month=month, day=int(words[day_at])))
        taken |= {day_at, i} | ({year_at} if year_at is not None else set())
        # The first day of a span ("between 15 and 27 June", "14-19 June") is a day of the same month.
        first = min(day_at, i) - 2
        if day_at < i and first >= 0 and words[first].isdigit() and 1 <= int(words[first]) <= 31 \
                and words[first + 1] in registry().span_words:
            values.append(Value("date", year, words[first], first, month=month, day=int(words[first])))
            taken.add(first)
    positions = _token_positions(text)
    for match in _number_pattern().finditer(text):
        at = positions.get(match.start())
        if at is None or at in taken:
            continue
        written = match.group(1)
        grouped = bool(re.fullmatch(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+", written))  # "17,500", "25.000", "17 500"
        digits = re.sub(r"[,.\u00a0\u202f ]", "", written) if grouped else written
        try:
            number = float(digits.replace(",", "."))
        except ValueError:
            continue
        if match.group(2):  # a thousands word
            number *= 1000
        following = words[at + 1] if at + 1 < len(words) else ""
        after_text = cue_text(text[match.end():match.end() + 16])
        before_text = cue_text(text[max(0, match.start() - 16):match.start()])
        unit = "%" if language.percent_words.at_start(after_text) else _unit(following, text[match.end():match.end() + 2])
        if written.startswith("0") and len(written) >= 3:
            kind = "identifier"
        elif text[match.end():match.end() + 1] in "-–" and text[match.end() + 1:match.end() + 2].isdigit() \
                or text[match.start() - 1:match.start()] in ("-", "–") and match.start() > 0 \
                and text[match.start() - 2:match.start() - 1].isdigit():
            kind = "identifier"  # "58-10", an article and sub-article, not two counts
        elif language.time_words.at_start(after_text):
            kind = "time"  # "3 a.m."
        elif number < 100 and (language.age_words.at_start(after_text) or _ends_with(language.age_words, before_text)):
            kind = "age"  # "under 16", "16 лет" ("over 10,000 people" is a count)
        elif number.is_integer() and int(number) in _YEAR and not unit and "." not in written and not grouped:
            kind = "year"
        elif at and words[at - 1] in language.order_words:
            kind = "identifier"
        else:
            kind = "measure" if unit else "count"
        values.append(Value(kind, number, match.group(0), at, unit=unit))
    return sorted(values, key=lambda v: v.position)


def _ends_with(phrases, text: str) -> bool:
    return any(m.end() == len(text) for m in phrases.find(text))


def _unit(following_word: str, next_chars: str) -> str:
    if next_chars.strip().startswith("%"):
        return "%"
    return registry().units.get(fold(following_word), "")


def _token_positions(text: str) -> dict[int, int]:
    """Character offset in the text of each token's start -> its index in tokens(text). Folding may change the
    length ("№" is "no", "ß" is "ss"), so the folded text is built character by character with a map back."""
    folded, origin = [], []
    for offset, char in enumerate(text):
        piece = fold(char)
        folded.append(piece)
        origin += [offset] * len(piece)
    return {origin[m.start()]: i for i, m in enumerate(re.finditer(r"[0-9]+(?:[.,][0-9]+)*|\w+", "".join(folded)))}
