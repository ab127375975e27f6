"""A loader for PipelineProcess in tests: the worker process loads this instead of the real pipeline."""

from __future__ import annotations

import os
import time

from assistant import Answer, QuestionError


class SlowStub:
    def __init__(self, corpus) -> None:
        self.corpus = corpus

    def answer(self, question: str, lang: str | None = None) -> Answer:
        if question.startswith("hang"):
            time.sleep(60)
        if question.startswith("pause"):
            # When it slept, on the machine-wide monotonic clock: a test can tell side by side from one after the other.
            began = time.monotonic()
            time.sleep(1.0)
            return Answer(question=question, status="answered", confidence=0.5,
                          answer=f"stub: {question} {began:.6f} {time.monotonic():.6f}")
        if question == "threads":
            return Answer(question=question, status="answered", answer=os.environ.get("OMP_NUM_THREADS", ""),
                          confidence=0.5)
        if question.startswith("refuse"):
            raise QuestionError("not a question for the stub")
        return Answer(question=question, status="answered", answer=f"stub: {question}", confidence=0.5)


def load(settings, on_build=None):
    from corpus import load_corpus

    if on_build is not None:
        on_build()  # as if it built the index
    return SlowStub(load_corpus(settings.corpus_dir))
