"""Which of the six kiosk languages a question is in.

py3langid (restricted to en, lt, lv, et, ru, de) is right on almost every full
question, but short English fragments full of names ("serov kgb", "siauliai
stamp date") look Baltic to it. The corpus is English, so a question whose words
are mostly words the corpus itself uses is taken as English.
"""

from __future__ import annotations

from collections.abc import Set

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from corpus.text import tokens

LANGUAGES = ("en", "lt", "lv", "et", "ru", "de")
ENGLISH_WORD_SHARE = 0.6


class LanguageDetector:
    def __init__(self, english_words: Set[str]):
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(LANGUAGES))
        self._english_words = english_words

    def detect(self, question: str) -> str:
        words = [t for t in tokens(question) if t.isalpha() and len(t) > 1]
        if words and sum(w in self._english_words for w in words) / len(words) >= ENGLISH_WORD_SHARE:
            return "en"
        language, _ = self._identifier.classify(question)
        return language
