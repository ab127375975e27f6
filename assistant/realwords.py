"""The words of each language common enough to be real words (wordfreq's Zipf scale, 2.5 and up), as small
cached lists: what typing normalisation asks before it "corrects" a word into a corpus word.

Why lists: wordfreq answers any lookup by loading the language's whole frequency table (most of a worker's
memory for the five languages that have one; docs/performance.md), while the normaliser only ever asks
whether a word reaches the threshold, which a small share of the table's words do. The lists are made once
per wordfreq version, in a process of their own (so that no long-running process ever holds the tables),
and kept in the index's cache folder; loading them takes milliseconds.

Usage: python -m assistant.realwords OUT_DIR LANG [LANG ...]   (assistant.pipeline runs it when a list is missing)
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from corpus.text import fold

REAL_WORD_ZIPF = 2.5  # about 3 uses per ten million words


def _file(directory: Path, lang: str) -> Path:
    return Path(directory) / f"realwords-{lang}-wordfreq{metadata.version('wordfreq')}-zipf{REAL_WORD_ZIPF}.txt"


def compute(lang: str) -> list[str]:
    """Every word of wordfreq's list for `lang` whose Zipf frequency reaches the threshold, most frequent first."""
    from wordfreq import iter_wordlist, zipf_frequency

    words = []
    for word in iter_wordlist(lang):  # most frequent first: stop at the first below the threshold
        if zipf_frequency(word, lang) < REAL_WORD_ZIPF:
            break
        words.append(word)
    return words


class RealWords:
    """lang (a wordfreq code) -> the set of its real words, read from `directory` (made there when missing)."""

    def __init__(self, directory: Path, langs) -> None:
        self.directory = Path(directory)
        langs = sorted(set(langs))
        missing = [lang for lang in langs if not _file(self.directory, lang).is_file()]
        if missing:
            self.directory.mkdir(parents=True, exist_ok=True)
            done = subprocess.run([sys.executable, "-m", "assistant.realwords", str(self.directory), *missing],
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise OSError(f"could not list the real words of {', '.join(missing)} in {self.directory}: "
                              f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
        self._ordered = {lang: [w for w in _file(self.directory, lang).read_text(encoding="utf-8").split("\n") if w]
                         for lang in langs}
        self._words = {lang: frozenset(words) for lang, words in self._ordered.items()}
        self._folded: dict[str, dict[str, str]] = {}

    def is_real(self, word: str, lang: str | None) -> bool:
        """Whether the (case-folded) word reaches the threshold in wordfreq's list for `lang` (False without one)."""
        return bool(lang) and word in self._words.get(lang, ())

    def is_real_unaccented(self, folded: str, lang: str | None) -> bool:
        """Whether a word typed without its diacritics (folded: "stastija") is a real word written with them
        ("stāstīja", told): on a kiosk keyboard that is how most Baltic words arrive, and none of them is a typo."""
        return self.accented(folded, lang) is not None

    def accented(self, folded: str, lang: str | None) -> str | None:
        """The most frequent real word that folds to `folded` ("vecaks" -> "vecāks", "zmones" -> "žmonės"), or None."""
        if not lang or lang not in self._words:
            return None
        if lang not in self._folded:  # made on first use of a language: a few hundred milliseconds
            by_fold: dict[str, str] = {}
            for word in self._ordered[lang]:  # most frequent first: the first word of each folded form wins
                by_fold.setdefault(fold(word), word)
            self._folded[lang] = by_fold
        return self._folded[lang].get(folded)


def prepare(index_dir: Path, languages=None) -> RealWords:
    """The lists of every language (of `languages`, else the registry) that has a wordfreq list, in the index's
    cache folder, made now if missing: the pipeline reads them, and `make serve` calls this right after the
    index, so that the server's first start does not wait for them."""
    from assistant.language import registry
    from index.store import CACHE_DIR

    languages = languages or registry()
    return RealWords(Path(index_dir) / CACHE_DIR,
                     {languages[code].wordfreq for code in languages.codes if languages[code].wordfreq})


def main(argv: list[str]) -> int:
    directory, langs = Path(argv[0]), argv[1:]
    for lang in langs:
        target = _file(directory, lang)
        partial = target.with_suffix(f".{os.getpid()}.partial")  # two workers starting at once write apart
        partial.write_text("\n".join(compute(lang)) + "\n", encoding="utf-8")
        partial.replace(target)  # whole or not at all: a reader never sees half a list
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
