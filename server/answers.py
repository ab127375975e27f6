"""Answering for the API: a cache of recent answers, the metrics and the question log around Assistant.answer."""

from __future__ import annotations

import threading
from collections import OrderedDict

from assistant import Answer, validate_question
from assistant.pipeline import Pipeline
from server.metrics import Metrics
from server.questionlog import QuestionLog, normalized_question


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


class AnswerService:
    def __init__(self, assistant: Pipeline, cache: AnswerCache, metrics: Metrics, log: QuestionLog | None) -> None:
        self.assistant = assistant
        self.cache = cache
        self.metrics = metrics
        self.log = log
        self._lock = threading.Lock()  # one question through the pipeline at a time

    def ask(self, question: str, lang: str | None = None) -> Answer:
        """Answer (from the cache when the same question was asked before); raises QuestionError."""
        text = validate_question(question)
        key = self.cache.key(text, lang)
        cached = self.cache.get(key)
        if cached is None:
            with self._lock:
                # A group at the kiosk asks the same suggested question at once: the copies that waited for
                # the pipeline take the answer the first one just put in the cache instead of recomputing it.
                cached = self.cache.get(key)
                if cached is None:
                    self.metrics.cache_misses.inc()
                    answer = self.assistant.answer(text, lang=lang)
                    self.cache.put(key, answer)
        if cached is not None:
            self.metrics.cache_hits.inc()
            answer = cached.model_copy(update={"question": text})
        self.metrics.answers.labels(answer.status).inc()
        if self.log is not None:
            self.log.record(answer)
        return answer
