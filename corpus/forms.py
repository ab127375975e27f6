"""Finding written forms (names, cue words) in folded text: one matcher for entities, cues and checks.

A form is matched word by word on folded tokens (corpus.text.tokens). A word of a form ending in "*"
matches any word that begins with it ("molotov*" is molotovas, molotovo, molotovs); other words of
five letters or more tolerate one typo ("molotow" is molotov). Longer matches win over shorter ones
that they overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from corpus.text import tokens

TYPO_MIN_LENGTH = 5
MIN_PREFIX = 4  # a shorter word written with "*" matches only itself: "rig*" would match "right"
MAX_WORDS_KEPT = 100_000  # words whose candidate forms are kept (FormMatcher._forms_for)


@dataclass(frozen=True)
class Match:
    start: int  # token span
    end: int
    payload: object
    form: str


def form_words(form: str) -> tuple[tuple[str, bool], ...]:
    """The form's folded words, each with whether it is a prefix (written with a trailing "*")."""
    words = []
    for raw in form.split():
        prefix = raw.endswith("*")
        words += [(word, prefix and i == len(tokens(raw)) - 1) for i, word in enumerate(tokens(raw.rstrip("*")))]
    return tuple(words)


@lru_cache(maxsize=1 << 16)
def _close(word: str, wanted: str) -> bool:
    return len(wanted) >= TYPO_MIN_LENGTH and word[:1] == wanted[:1] and OSA.distance(word, wanted, score_cutoff=1) <= 1


def _word_matches(word: str, wanted: str, prefix: bool, typos: bool) -> bool:
    if prefix and len(wanted) >= MIN_PREFIX:
        return word.startswith(wanted) or (typos and len(word) >= len(wanted) and _close(word[:len(wanted)], wanted))
    return word == wanted or (typos and _close(word, wanted))


class FormMatcher:
    """find(words) -> non-overlapping matches of any form, longest first; exact matches before those with a typo.
    `typos=False` for cue words: one edit turns too many common words into others ("starb" into "start")."""

    def __init__(self, entries, typos: bool = True) -> None:
        self.typos = typos
        self._by_length: list[tuple[tuple[tuple[str, bool], ...], object, str]] = []
        for form, payload in entries:
            words = form_words(form)
            if words:
                self._by_length.append((words, payload, form))
        self._by_length.sort(key=lambda e: -len(e[0]))
        # Each word only tries the forms whose first word it can match: the same word, a prefix of it (filed
        # under its first MIN_PREFIX letters), or, with a typo, a word of its first letter and about its length.
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._typo: dict[tuple[str, int], list[int]] = {}
        for position, (words, _, _) in enumerate(self._by_length):
            first, is_prefix = words[0]
            if is_prefix and len(first) >= MIN_PREFIX:
                self._prefix.setdefault(first[:MIN_PREFIX], []).append(position)
                self._typo.setdefault((first[:1], -1), []).append(position)  # a typo inside a prefix: any length
            else:
                self._exact.setdefault(first, []).append(position)
                if len(first) >= TYPO_MIN_LENGTH:
                    self._typo.setdefault((first[:1], len(first)), []).append(position)
        self._tried: dict[str, tuple[int, ...]] = {}

    def _forms_for(self, word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(the forms whose first word `word` matches as written, those whose first word it matches only with a
        typo), kept per word: a corpus sentence or a question then tries only forms that can start at each word,
        so finding every name in the corpus's sentences at load costs a fraction of trying every bucket."""
        tried = self._tried.get(word)
        if tried is None:
            found = set(self._exact.get(word, ())) | set(self._prefix.get(word[:MIN_PREFIX], ()))
            if self.typos:
                found.update(self._typo.get((word[:1], -1), ()))
                for length in (len(word) - 1, len(word), len(word) + 1):
                    found.update(self._typo.get((word[:1], length), ()))
            ordered = sorted(found)
            exact = tuple(p for p in ordered if _word_matches(word, *self._by_length[p][0][0], False))
            typo = tuple(p for p in ordered if self.typos and p not in exact
                         and _word_matches(word, *self._by_length[p][0][0], True))
            if len(self._tried) >= MAX_WORDS_KEPT:  # visitors' words are unbounded; the corpus's come back at once
                self._tried.clear()
            tried = self._tried[word] = (exact, typo)
        return tried

    def find(self, words: list[str] | tuple[str, ...], overlapping: bool = False) -> list[Match]:
        starts = [self._forms_for(word) for word in words]
        found: list[Match] = []
        taken = [False] * len(words)
        for typos in ((False, True) if self.typos else (False,)):  # "take" is the cue "take" before it is "taken"
            # Longest forms first (positions follow length), then left to right; the first word already matches.
            candidates = sorted({(p, start) for start, (exact, typo) in enumerate(starts)
                                 for p in (exact + typo if typos else exact)})
            for position, start in candidates:
                pattern, payload, form = self._by_length[position]
                n = len(pattern)
                if start + n > len(words) or (not overlapping and any(taken[start:start + n])):
                    continue
                if overlapping and any(m.start == start and m.payload == payload for m in found):
                    continue
                if all(_word_matches(words[start + i], w, p, typos) for i, (w, p) in enumerate(pattern) if i):
                    found.append(Match(start, start + n, payload, form))
                    if not overlapping:
                        taken[start:start + n] = [True] * n
        return sorted(found, key=lambda m: (m.start, -m.end))
