"""The answer cache and the queue around the pipeline (server/answers.py), with a slow stand-in for the assistant."""

from __future__ import annotations

import asyncio
import threading
import time

from assistant import Answer
from server.answers import AnswerCache, AnswerService, QuestionLimits
from server.metrics import Metrics
from server.queueing import AnswerQueue


class SlowAssistant:
    """Answers after a pause, counting the questions that went through the pipeline."""

    def __init__(self, pause: float = 0.05) -> None:
        self.calls = 0
        self.pause = pause
        self._lock = threading.Lock()

    def answer(self, question: str, lang: str | None = None) -> Answer:
        with self._lock:
            self.calls += 1
        time.sleep(self.pause)
        return Answer(question=question, status="abstained", lang=lang or "en", confidence=0.0, quotes=[],
                      answer="No curated source answers this.", suggestions=[])


def make_service(assistant, cache_size: int = 16, metrics: Metrics | None = None, queue_size: int = 32,
                 wait: float = 5.0, budget: float = 5.0) -> AnswerService:
    metrics = metrics or Metrics()

    def not_a_question(text, lang):
        return Answer(question=text, status="abstained", reason="not_a_question", answer="Please ask a question.",
                      confidence=0.0)

    return AnswerService(assistant, AnswerCache(cache_size), metrics, None, AnswerQueue(queue_size, wait, budget, metrics),
                         QuestionLimits.for_languages(160), not_a_question)


def test_identical_questions_asked_at_once_go_through_the_pipeline_once():
    assistant = SlowAssistant()
    metrics = Metrics()
    service = make_service(assistant, metrics=metrics)

    async def eight_at_once():
        return await asyncio.gather(*(service.ask("Who signed Order 001223?") for _ in range(8)))

    answers = asyncio.run(eight_at_once())
    assert assistant.calls == 1  # the seven that arrived meanwhile shared the first one's computation
    assert {a.question for a in answers} == {"Who signed Order 001223?"}
    assert metrics.registry.get_sample_value("serov_qa_answer_cache_hits_total") == 7
    assert metrics.registry.get_sample_value("serov_qa_answer_cache_misses_total") == 1


def test_a_disabled_cache_answers_every_question():
    assistant = SlowAssistant()
    service = make_service(assistant, cache_size=0)

    async def three_in_a_row():
        for _ in range(3):
            await service.ask("Who signed Order 001223?")

    asyncio.run(three_in_a_row())
    assert assistant.calls == 3
