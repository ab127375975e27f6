"""False premises: a question that names one document but attaches another's attribute.

"When did Beria sign the Serov Instructions?" names the Serov Instructions and
mentions Beria, the signer of Order No. 001223: that is a mix-up to correct.
A question naming two or more documents is a comparison and is never flagged.
When a question names no document, a signer's name stands for his document
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
    if len(named) != 1:
        return []
    document = subjects[named[0]]
    own = {fold(m) for a in document.attributes.values() for m in a.mentions} | {fold(c) for c in document.compatible}
    conflicts = []
    for mention in detection.attributes:
        compatible = fold(mention.text) in own or f"{mention.subject}.{mention.attribute}" in document.compatible
        if mention.subject == document.id or compatible:
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
