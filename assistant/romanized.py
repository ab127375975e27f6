"""A language typed in Latin letters ("berija kogda rodilsja?") turned back into its own script.

Visitors on a foreign keyboard type Russian in Latin letters, each in their own way ("ja" or "ya" for я,
"c" or "ts" for ц). Read as it is, such a question looks Estonian or Latvian to the language detector, and
the typing normaliser then "corrects" its words into Baltic ones ("kogda" into "korda"). A language file may
list, under `romanized`, its common words as typed in Latin letters (`cues`) and the letters for its own
(`letters`, longest first; `after_vowel`: letters that read otherwise after a vowel, "kakoy" -> какой);
a question of two or more such words and none of the language's own letters is converted before anything
else reads it.

Hand-written, not cyrtranslit: cyrtranslit reads one standard scheme, and on visitors' typing it gave
"берижа" for "berija", "расстреljали" for "rasstreljali" and "инструккии" for "instrukcii".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.text import fold

_LATIN_WORD = re.compile(r"[A-Za-z']+")
MIN_CUES = 2  # one word ("da", "tak") is too often another language's


@dataclass(frozen=True)
class Romanization:
    cues: frozenset[str]
    letters: tuple[tuple[str, str], ...]  # (Latin, native), longest Latin first
    after_vowel: dict[str, str]
    vowels: frozenset[str]  # the native vowels
    native: frozenset[str]  # every letter of the language's own script (a text holding one is not romanized)

    @classmethod
    def from_data(cls, data: dict | None) -> "Romanization | None":
        if not data:
            return None
        letters = {str(k): str(v) for k, v in (data.get("letters") or {}).items()}
        return cls(cues=frozenset(fold(str(w)) for w in data.get("cues") or []),
                   letters=tuple(sorted(letters.items(), key=lambda kv: -len(kv[0]))),
                   after_vowel={str(k): str(v) for k, v in (data.get("after_vowel") or {}).items()},
                   vowels=frozenset(str(data.get("vowels") or "")),
                   native=frozenset("".join(letters.values())))

    def applies(self, text: str) -> bool:
        """Whether the text is this language in Latin letters: none of its own letters, two of its words."""
        if any(c.lower() in self.native for c in text):
            return False
        words = {fold(w) for w in _LATIN_WORD.findall(text)}
        return len(words & self.cues) >= MIN_CUES

    def convert(self, text: str, keep=frozenset()) -> str:
        """The text in the language's own letters, but for the words in `keep` (folded; the English of
        "prikaz 001223 kto podpisal? sorry my english - who signed")."""
        return _LATIN_WORD.sub(lambda m: m.group() if len(m.group()) > 1 and fold(m.group()) in keep else self._word(m.group()), text)

    def _word(self, word: str) -> str:
        lower, out, i = word.lower(), [], 0
        while i < len(lower):
            for latin, native in self.letters:
                if lower.startswith(latin, i):
                    if latin in self.after_vowel and out and out[-1][-1:] in self.vowels:
                        native = self.after_vowel[latin]
                    out.append(native)
                    i += len(latin)
                    break
            else:
                out.append(lower[i])
                i += 1
        converted = "".join(out)
        return converted[:1].upper() + converted[1:] if word[:1].isupper() else converted
