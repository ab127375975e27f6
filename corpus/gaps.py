"""Known gaps: points the curators know the sources do not cover, as questions visitors ask about them.

The fact sheets mark some points NOT VERIFIED: no retrieved source covers them ("no source describes chalk
marks on the 1941 wagons; do not answer visitors on this point without a source"). A question on such a point
looks answerable (the sources speak of the wagons), and the nearest passage is quoted as if it answered. Each
such gap in `corpus/gaps.yaml` names its fact-sheet line; a gap on a point no fact-sheet line speaks of (the
signers' private lives, the museum's archives) says "none". Each gives questions on exactly that point in the six
languages; the answering code declines a question that is closer to one of them than to any curated question
(assistant/gaps.py; the closeness and margin are calibrated, config/policy.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Gap:
    id: str
    fact: str  # the fact-sheet line that says no source covers it ("F155"), or "none" where no line speaks of it
    questions: dict[str, tuple[str, ...]]  # language -> questions on the point
    line: int = 0

    @property
    def phrasings(self) -> tuple[str, ...]:
        return tuple(q for qs in self.questions.values() for q in qs)


def load_gaps(path: Path, problems: list) -> tuple[Gap, ...]:
    """gaps.yaml (optional): every problem added as file:line."""
    from corpus.facts import _by_language, list_entries
    from corpus.loader import Problem

    found, seen = [], set()
    for line, item in list_entries(path, problems, "gaps"):
        if not isinstance(item, dict) or not {"id", "questions"} <= set(item):
            problems.append(Problem(path, line, "a gap needs an id and questions"))
            continue
        questions = _by_language(item["questions"])
        if not questions.get("en"):
            problems.append(Problem(path, line, f"gap {item['id']}: questions need English phrasings"))
            continue
        if item["id"] in seen:
            problems.append(Problem(path, line, f"duplicate gap id {item['id']!r}"))
            continue
        seen.add(item["id"])
        found.append(Gap(str(item["id"]), str(item.get("fact") or ""), questions, line))
    return tuple(found)
