"""The answer cache around the pipeline (server/answers.py), with a slow stand-in for the assistant."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from assistant import Answer
from server.answers import AnswerCache, AnswerService
from server.metrics import Metrics


class SlowAssistant:
    """Answers after a pause, counting the questions that went through the pipeline."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def answer(self, question: str, lang: str | None = None) -> Answer:
        with self._lock:
            self.calls += 1
        time.sleep(0.05)
        return Answer(question=question, status="abstained", lang=lang or "en", confidence=0.0, quotes=[],
                      answer="No curated source answers this.", suggestions=[])


def test_identical_questions_asked_at_once_go_through_the_pipeline_once():
    assistant = SlowAssistant()
    metrics = Metrics()
    service = AnswerService(assistant, AnswerCache(16), metrics, log=None)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda q: service.ask(q), ["Who signed Order 001223?"] * 8))
    assert assistant.calls == 1  # the seven that waited took the cached answer
    assert {a.question for a in answers} == {"Who signed Order 001223?"}
    assert metrics.registry.get_sample_value("serov_qa_answer_cache_hits_total") == 7
    assert metrics.registry.get_sample_value("serov_qa_answer_cache_misses_total") == 1


def test_a_disabled_cache_answers_every_question():
    assistant = SlowAssistant()
    service = AnswerService(assistant, AnswerCache(0), Metrics(), log=None)
    for _ in range(3):
        service.ask("Who signed Order 001223?")
    assert assistant.calls == 3
