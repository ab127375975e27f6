"""What a question is about beyond the kind of answer it wants: the thing counted, the relation named,
the numbers given.

"How many pages long are the Serov Instructions?" asks for a number, and the passages on the
Instructions hold numbers (sections, dates, 100 kg), so the answer-type check alone lets a quote
about something else through. A sentence answers a count only when it names what is counted;
"What was Serov's wife's name?" needs a sentence that speaks of a wife; "Captain Petrov's first name"
needs a first name written before "Petrov"; "section 7" needs a passage with a 7 in it.
In question-answering terms this is the focus (or lexical answer type) of the question.

A focus word counts as stated when the sentence uses it, or when a curator's question for the
sentence's passage does (curators phrase what a passage answers: "How many people were deported…"
stands for a sentence that says "17,500 were taken"). English words are compared by their Snowball
stems; words of other languages by their first letters (assistant.vocabulary.stem_prefix), since the
curated questions in those languages are what they can match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.selection import DATE
from assistant.vocabulary import stem_prefix, word_prefixes
from corpus.text import fold, tokens
from index.lexical import analyze

MIN_FOCUS_LENGTH = 4  # shorter words ("kg") are units or particles, not things counted

# Words that end the counted noun phrase: auxiliaries, articles, prepositions, pronouns.
_PHRASE_END = frozenset(
    "is are was were be been did do does had has have could can would will should might may must got get "
    "took the a an in on of from to for by at with under into during over after before about besides between "
    "among against than like without within there it they he she we you i".split())
# Measurement words after the counted noun ("how many pages long"): part of the question, not the thing.
_MEASURES = frozenset("long old tall wide high deep far big large".split())
# Units curators write as symbols ("100 kg"), by the first letters of their names in the six languages.
_UNIT_SYMBOLS = {"kilogr": "kg", "килогр": "kg", "kilomet": "km", "километ": "km", "percent": "%", "procent": "%",
                 "prozent": "%", "процент": "%", "protsent": "%"}
_IRREGULAR_PLURALS = frozenset("people men women children persons feet teeth".split())
# After "how many" in the other languages the counted noun comes next; these words may come between.
_COUNT_CUES = re.compile(r"\b(?:kiek|cik|mitu|сколько|wie viele|wie viel)\b((?:\s+\w+){1,2})")
_BETWEEN = frozenset("buvo bija oli olid было были был была wurden wurde waren war hat hatte haben gab es".split())

# "What typewriter…", "Какая зарплата…": the noun after "which" names the kind of thing wanted. Folded
# (no diacritics: Russian "какой" is "какои").
_WHICH_CUES = re.compile(
    r"^(?:.*?\s)?(?:what|which|koks|kokia|kokie|kokios|koki|kuris|kuri|kurie|kurios|kads|kada|kadi|kadas|"
    r"milline|millised|missugune|какои|какая|какое|какие|какую|каким|которыи|которая|которое|которые|"
    r"welche|welcher|welches|welchen|welchem)\s+(.*)")
_COPULAS = _PHRASE_END | frozenset(
    "buvo yra bus bija ir oli on olid был была было были является war waren ist sind wurde wurden hat hatte "
    "kind sort type".split())
_BE = frozenset("is are was were".split())
_WHICH_PHRASE = 2  # "which Russian historian": the noun is at most the second word

# "What was X called" in the other languages ("Kaip vadinosi Serovo žmona?", "Как звали жену Серова?"): the
# lower-case words after it name the relation asked about (the capitalised ones are names). Folded.
_NAMING_CUES = re.compile(r"\b(?:kaip vadinosi|kaip vadinasi|kaip vadino|ka sauca|ka sauc|kuidas oli|mis oli|"
                          r"как звали|как зовут|как называлась|как назывался|wie hiess|wie heisst)\s+(.*)")

_POSSESSED_NAME = re.compile(r"\b([a-z]+)'s\s+name\b")  # "Serov's wife's name"
_NAME_OF = re.compile(r"\bname of\s+(.*)")  # "the name of Serov's wife", "the name of the committee chairman"
# "Who was Serov's deputy?"
_WHO_POSSESSED = re.compile(r"^\s*(?i:who|whom)\s+(?:was|is|were|are)\s+(?:\w+\s+){0,3}\w+'s\s+([a-z]+)\b")
_FIRST_NAME = re.compile(  # "Petrov's first name", "the first name of Guzevičius"
    r"\b(\w+)['’]s\s+(?:first|given)\s+name\b|\b(?:first|given)\s+name of (?:\w+ )*?([A-ZÀ-ÞĀ-Ž]\w+)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Dates and years set the scene ("Why can't the Instructions date from 1939?", "on 14 June 1941") more
# often than they name what is asked, so only the other numbers ("section 7", "Resolution 346") count.
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
# A day of the month in the other languages ("14. jūnijā", "birželio 14 d.", "14 июня", "14. Juni"), folded.
_MONTHS = (r"(?:sausio|vasario|kovo|balandzio|geguzes|birzel\w*|liepos|rugpjucio|rugsejo|spalio|lapkricio|gruodzio|"
           r"janvar\w*|februar\w*|mart\w*|april\w*|maij\w*|junij\w*|julij\w*|august\w*|septembr\w*|oktobr\w*|"
           r"novembr\w*|decembr\w*|jaanuar\w*|veebruar\w*|marts\w*|aprill\w*|mai\w*|juuni\w*|juuli\w*|"
           r"september\w*|oktoober\w*|november\w*|detsember\w*|januar|juni|juli|oktober|dezember|"
           r"январ\w*|феврал\w*|марта?|апрел\w*|ма[яи]|июн\w*|июл\w*|августа?|сентябр\w*|октябр\w*|ноябр\w*|"
           r"декабр\w*)")
_DAY = re.compile(rf"\b\d{{1,2}}\.?\s+{_MONTHS}\b|\b{_MONTHS}\s+\d{{1,2}}\b")


@dataclass(frozen=True)
class Focus:
    words: tuple[str, ...] = ()  # each must be stated (the counted noun, the relation)
    numbers: tuple[str, ...] = ()  # each must appear in the quoted passage
    first_name_of: str = ""  # a surname that must be written after a first name
    english: bool = True

    def __bool__(self) -> bool:
        return bool(self.words or self.numbers or self.first_name_of)


def _number_key(number: str) -> str:
    return number.replace(",", "").replace(".", "")


def _words_after(question: str, cue: re.Match[str]) -> list[str]:
    """The question's words after a cue matched in its folded text, as written (case and diacritics kept,
    which a stemmer and the capital of a name need). Folding keeps the number of words."""
    words = re.findall(r"\w+", question)
    return words[len(words) - len(re.findall(r"\w+", cue.group(1))):]


def which_noun(question: str, lang: str) -> tuple[str, ...]:
    """The words naming what "which"/"what" asks for ("typewriter" in "What typewriter was used…?").

    They are not required in the answer (a sentence naming Lithuania, Latvia and Estonia answers "Which
    countries…?"), but when the corpus uses none of them, in any language, the sources cannot say which
    one it was (assistant.vocabulary). Without a tagger the noun's place is unsure ("which Russian
    historian", "what event cut"), so the first two words are taken and both must be unknown."""
    which = _WHICH_CUES.match(fold(question))
    if not which:
        return ()
    following = [w.casefold() for w in _words_after(question, which)]
    if lang == "en" and len(following) > 2 and following[0] in _BE and following[1] == "the":
        following = following[2:]  # "what was the weather…": the noun after "the"
    phrase: list[str] = []
    for word in following[: _WHICH_PHRASE if lang == "en" else 1]:
        if fold(word) in _COPULAS:
            break
        phrase.append(word)
    return tuple(w for w in phrase if len(w) >= MIN_FOCUS_LENGTH and not w.isdigit())


def _counted_noun(following: list[str]) -> str:
    """The thing counted in "how many …": the first plural in the noun phrase ("Latvian deportees died",
    "wagons left Riga"), else its last word that is not a measure or a verb in -ed."""
    phrase: list[str] = []
    for word in following[:4]:
        if word in _PHRASE_END:
            break
        phrase.append(word)
    for word in phrase:
        if word in _IRREGULAR_PLURALS or (word.endswith("s") and not word.endswith(("ss", "us", "is"))):
            return word
    while phrase and (phrase[-1] in _MEASURES or phrase[-1].endswith("ed")):
        phrase.pop()
    return phrase[-1] if phrase else ""


def question_focus(question: str, lang: str, numbers: bool = True) -> Focus:
    """The focus of a question; empty when it has none this module knows how to find.
    `numbers=False` leaves out the numbers the question gives."""
    folded = fold(question)
    words: list[str] = []
    if lang == "en":
        count = re.search(r"\bhow many\s+(?:of the\s+)?(.*)", folded)
        if count:
            words.append(_counted_noun(tokens(count.group(1))))
        plain = question.replace("’", "'")
        relations = [m.group(1) for m in _POSSESSED_NAME.finditer(plain)]
        relations += [m.group(1) for m in _WHO_POSSESSED.finditer(plain)]
        name_of = _NAME_OF.search(plain)
        if name_of:
            phrase = []
            for word in re.findall(r"[\w']+", name_of.group(1)):
                if word.lower() in _PHRASE_END and phrase:
                    break
                if word.lower() not in _PHRASE_END and not word.endswith("'s"):
                    phrase.append(word)
            if phrase and phrase[-1].islower():  # a capitalised word is the name's owner, not a relation
                relations.append(phrase[-1])
        words += [r for r in relations if r not in ("first", "full", "given", "last")]
    else:
        naming = _NAMING_CUES.search(folded)
        if naming:
            words += [fold(w) for w in _words_after(question, naming)[:2] if w[:1].islower() and fold(w) not in _BETWEEN]
        count = _COUNT_CUES.search(folded)
        if count:
            following = [w for w in tokens(count.group(1)) if w not in _BETWEEN]
            if following:
                words.append(following[0])
    first_name = _FIRST_NAME.search(question.replace("’", "'"))
    return Focus(
        words=tuple(dict.fromkeys(fold(w) for w in words if len(w) >= MIN_FOCUS_LENGTH and not w.isdigit())),
        numbers=tuple(dict.fromkeys(
            _number_key(n) for n in _NUMBER.findall(_DAY.sub(" ", DATE.sub(" ", folded)))
            if not _YEAR.match(n))) if numbers else (),
        first_name_of=next((g for g in first_name.groups() if g), "") if first_name else "",
        english=lang == "en",
    )


@dataclass(frozen=True)
class Statement:
    """What a sentence says, together with its passage's curated questions, in the forms `states_focus`
    compares: computed once per sentence (the assistant keeps them), not once per question."""

    sentence: str
    terms: frozenset[str]  # Snowball stems of the sentence and the curated questions
    words: frozenset[str]  # their folded words
    prefixes: frozenset[str]  # the prefixes of those words (assistant.vocabulary.word_prefixes)
    numbers: frozenset[str]  # the numbers of the whole passage

    @classmethod
    def of(cls, sentence: str, passage_text: str = "", curated_questions: tuple[str, ...] = ()) -> "Statement":
        terms, words, prefixes = _word_sets((sentence,))
        question_terms, question_words, question_prefixes = _word_sets(curated_questions)
        return cls(sentence=sentence, terms=terms | question_terms, words=words | question_words,
                   prefixes=prefixes | question_prefixes, numbers=_numbers(passage_text))


@lru_cache(maxsize=1024)  # a passage's curated questions serve each of its sentences
def _word_sets(texts: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    words = frozenset(t for text in texts for t in tokens(text))
    return frozenset(t for text in texts for t in analyze(text)), words, word_prefixes(words)


@lru_cache(maxsize=1024)
def _numbers(text: str) -> frozenset[str]:
    return frozenset(_number_key(n) for n in _NUMBER.findall(text))


def _stated(word: str, english: bool, statement: Statement) -> bool:
    symbol = next((s for prefix, s in _UNIT_SYMBOLS.items() if word.startswith(prefix)), None)
    if symbol and re.search(rf"\d\s*{re.escape(symbol)}(?!\w)", statement.sentence):
        return True
    if english:
        return any(t in statement.terms for t in analyze(word)) or word in statement.words
    return stem_prefix(word) in statement.prefixes


def states_focus(focus: Focus, statement: Statement, common_words: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence (with its passage's curated questions) speaks of what the question is about."""
    if not focus:
        return True
    if not set(focus.numbers) <= statement.numbers:
        return False
    if not all(_stated(w, focus.english, statement) for w in focus.words):
        return False
    if focus.first_name_of:
        surname = re.escape(focus.first_name_of)
        for match in re.finditer(rf"\b([A-ZÀ-ÞĀ-Ž][a-zà-ÿā-ž]+)(?:\s+[A-Z]\.)*\s+{surname}\b", statement.sentence):
            if fold(match.group(1)) not in common_words:
                return True
        return False
    return True
