"""Known gaps (corpus/gaps.yaml): how close a question is to a point the sources are known not to cover.

The gaps' questions are embedded once, in the space the curated questions are compared in; a question is on a
gap when it is at least `gaps.above` close to one of them and closer to it, by `gaps.margin`, than to the
closest curated question of its best candidates (the `question` feature): "what was chalked on the wagons?" is
closer to the gap's "were there chalk marks on the wagons?" than to "How many wagons left Estonia?".
"""

from __future__ import annotations

import numpy as np


class GapMatcher:
    def __init__(self, gaps, encode=None, space: str = "") -> None:
        """`encode(texts) -> vectors` in `space`; without it (or gaps) nothing is ever on a gap."""
        self.gaps = tuple(gaps)
        self.space = space
        texts = [t for gap in self.gaps for t in gap.phrasings]
        self._owner = np.array([i for i, gap in enumerate(self.gaps) for _ in gap.phrasings], dtype=int)
        self._vectors = np.asarray(encode(texts)) if texts and encode is not None else None

    def closest(self, query: dict[str, np.ndarray]) -> tuple[str, float]:
        """(gap id, similarity of the question to its closest phrasing), or ("", 0.0)."""
        vector = query.get(self.space)
        if self._vectors is None or vector is None:
            return "", 0.0
        similarities = self._vectors @ vector
        best = int(np.argmax(similarities))
        return self.gaps[self._owner[best]].id, float(similarities[best])
