"""False premises: a question that names one document but attaches another's attribute.

"When did Beria sign the Serov Instructions?" names the Serov Instructions and
mentions Beria, the signer of Order No. 001223: that is a mix-up to correct.
A question naming two documents is a comparison when it says so: a comparison
word, a choice, a question about the naming itself ("Why are the Instructions
called Order 001223?"), or the two joined as a list ("X and Y", "X, Y"). Without
any of these, "Why do the Serov Instructions carry the number 001223?" fuses
the two into one and is checked in both directions. Three documents named are
always a comparison. When a question names no document, a signer's name stands for his document
("Did Beria set the 100 kg limit?"), but only the signer, number and purpose
attributes count then: "What did Serov do in 1939?" is about the man, not a
mix-up of dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import re

from assistant.subjects import Detection
from corpus import Subject
from corpus.text import fold, tokens

IMPLYING_ATTRIBUTE = "signer"
ATTRIBUTES_CHECKED_WITHOUT_A_NAMED_DOCUMENT = ("signer", "number", "purpose", "publication")

# A question that offers a choice ("... Beria's order or the Lithuanian one?") or asks about the
# mix-up itself ("How does German Wikipedia confuse ...") compares; it does not assert a premise.
# Folded words, in the six kiosk languages.
_COMPARISON = re.compile(
    r"\b(or|either|versus|vs|compare|compared|comparison|differ|differs|difference|different|same|distinguish|"
    r"confuse|confused|confusion|mix|mixed|mixes|mistake|mistaken|wrong|wrongly|error|"
    r"ar|arba|skirtumas|vai|jeb|atskiriba|voi|vai|erinevus|или|разница|отличие|путают|oder|unterschied|verwechs\w*)\b"
)
# Two documents joined as a list, or a question about what one is called, are not fused into one.
_LIST_OR_NAMING = re.compile(
    r"\b(and|both|between|called|known|named|labelled|labeled|heading|headed|title|titled|referred|"
    r"ir|abu|vadina\w*|vadinam\w*|un|abi|sauc|saukt\w*|ja|mõlemad|molemad|nimeta\w*|kutsut\w*|"
    r"и|оба|называ\w*|назван\w*|und|beide|bezeichn\w*|genannt|heisst|heißt)\b"
)


@dataclass(frozen=True)
class Conflict:
    named: str  # the document the question is about
    owner: str  # the document the mentioned attribute really belongs to
    attribute: str  # signer | agency | date | number | purpose
    mention: str  # the words of the question that carry it


def find_conflicts(detection: Detection, subjects: dict[str, Subject], question: str = "") -> list[Conflict]:
    words = " ".join(tokens(question))
    if _COMPARISON.search(words):
        return []
    named = list(detection.documents)
    implied = not named
    if implied:
        named = list(dict.fromkeys(m.subject for m in detection.attributes if m.attribute == IMPLYING_ATTRIBUTE))
    if len(named) == 2:
        if _LIST_OR_NAMING.search(words) or re.search(r"[,;/&+]", question):
            return []
        # Fused into one ("the Serov Instructions' number 001223"): each is checked against the other's words.
        return [conflict for document, other in (named, named[::-1])
                for conflict in _conflicts(subjects[document], detection, implied, only_owner=other)]
    if len(named) != 1:
        return []
    return _conflicts(subjects[named[0]], detection, implied)


def _conflicts(document: Subject, detection: Detection, implied: bool, only_owner: str | None = None) -> list[Conflict]:
    """The attributes of other documents that the question attaches to `document`."""
    own = {fold(m) for a in document.attributes.values() for m in a.mentions} | {fold(c) for c in document.compatible}
    conflicts = []
    for mention in detection.attributes:
        compatible = fold(mention.text) in own or f"{mention.subject}.{mention.attribute}" in document.compatible
        if mention.subject == document.id or compatible or (only_owner and mention.subject != only_owner):
            continue
        if implied and mention.attribute not in ATTRIBUTES_CHECKED_WITHOUT_A_NAMED_DOCUMENT:
            continue
        if mention.attribute == "date" and _inside_event_name(mention, detection):
            continue  # "the 14 June 1941 deportation" names the event; it does not date a document
        conflicts.append(Conflict(document.id, mention.subject, mention.attribute, mention.text))
    return conflicts


def _inside_event_name(mention, detection: Detection) -> bool:
    return any(
        alias.subject not in ("serov_instructions", "order_001223", "order_0054")
        and alias.start <= mention.start and mention.end <= alias.end
        for alias in detection.aliases
    )
