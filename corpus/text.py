"""Text utilities shared by the corpus checker, the index and the answerer.

The sentence splitter is deliberately simple and deterministic: curators follow
the writing rules in corpus/README.md (a short list of allowed abbreviations),
so every sentence the assistant quotes is exactly the span a curator wrote.
"""

from __future__ import annotations

import re
import unicodedata

# Abbreviations that may end in a full stop inside a sentence (see corpus/README.md).
ABBREVIATIONS = frozenset(
    a.lower()
    for a in (
        "No.", "Nr.", "Rep.", "St.", "vol.", "p.", "pp.", "e.g.", "i.e.", "a.m.", "p.m.",
        "U.S.", "U.S.S.R.", "H.", "Res.", "nr.",
    )
)

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket),
# then white space, then something that can start a sentence.
_BOUNDARY = re.compile(r"""[.!?]["”’)\]]?\s+(?=["“‘(\[]?[A-ZÀ-ÖØ-ÞĀ-ſА-Я0-9§])""")


def _ends_with_abbreviation(chunk: str) -> bool:
    last = chunk.rsplit(None, 1)[-1] if chunk.strip() else ""
    last = last.lstrip("\"“‘([")
    if last.lower() in ABBREVIATIONS:
        return True
    # A person's initial: a single capital letter and a full stop ("A. Dyukov", "Ē. Jēkabsons", "Č. Iškauskas").
    return len(last) == 2 and last[1] == "." and last[0].isalpha() and last[0].isupper()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, in order."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end_of_sentence = match.start() + len(match.group(0).rstrip())
        if _ends_with_abbreviation(text[start : match.start() + 1]):
            continue
        spans.append((start, end_of_sentence))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`; each is a verbatim substring of it."""
    return [text[a:b] for a, b in sentence_spans(text)]


def fold(text: str) -> str:
    """Lower case without diacritics, for matching what visitors type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Folded word and number tokens ("10,000" stays one token)."""
    return _TOKEN.findall(fold(text))
