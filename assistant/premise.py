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

from assistant.subjects import Detection
from corpus import Subject
from corpus.text import fold

IMPLYING_ATTRIBUTE = "signer"
ATTRIBUTES_CHECKED_WITHOUT_A_NAMED_DOCUMENT = ("signer", "number", "purpose")


@dataclass(frozen=True)
class Conflict:
    named: str  # the document the question is about
    owner: str  # the document the mentioned attribute really belongs to
    attribute: str  # signer | agency | date | number | purpose
    mention: str  # the words of the question that carry it


def find_conflicts(detection: Detection, subjects: dict[str, Subject]) -> list[Conflict]:
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
        conflicts.append(Conflict(document.id, mention.subject, mention.attribute, mention.text))
    return conflicts
