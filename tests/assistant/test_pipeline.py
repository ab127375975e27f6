"""The whole pipeline on the tiny corpus: understand -> retrieve -> premise -> select -> decide -> compose.

Every stage is real; only the encoder is fake. These tests check the walk itself: each stage's output
in the trace, the answer contract, verbatim quotes, and that no stage calls back into an earlier one.
"""

from __future__ import annotations

import pytest

from assistant import Answer, QuestionError
from assistant.pipeline import Pipeline, Trace

QUESTIONS = [
    "Who signed the Serov Instructions?", "When did Beria sign the Serov Instructions?", "Serov died in 70?",
    "Could each family take 200 kg?", "Who signed Order 0054 and how many categories did it list?",
    "How do the Serov Instructions and Order 001223 differ?", "Which came first, Order 0054 or Order 001223?",
    "Kas pasirašė Serovo instrukciją?", "Кто подписал приказ 1223?", "What is the capital of Australia?", ".",
    "The Serov Instructions were written after the deportation, as a report on it, weren't they?",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_every_answer_keeps_the_contract(pipeline, text):
    trace = pipeline.trace(text)
    answer = trace.answer
    assert isinstance(trace, Trace) and isinstance(answer, Answer)
    assert answer.question == trace.question.original
    assert answer.status == trace.decision.status and answer.reason == trace.decision.reason
    assert 0.0 <= answer.confidence <= 1.0
    Answer.model_validate_json(answer.model_dump_json())  # what the API sends
    for quote in answer.quotes:
        passage = pipeline.corpus.by_id[quote.passage_id]
        assert quote.text in passage.text and quote.text in answer.answer
        assert quote.sources and all(s.url and s.locator and s.title for s in quote.sources)
    if answer.status == "abstained":
        assert answer.quotes == []
    else:
        assert answer.quotes
    assert (answer.status == "corrected") == trace.premise.corrected


def test_answer_is_the_traces_answer(pipeline):
    text = "Who signed Order 001223?"
    assert pipeline.answer(text) == pipeline.trace(text).answer


def test_retrieve_gives_the_passages_in_the_assistants_order(pipeline):
    hits = pipeline.retrieve("Who signed Order 001223?", k=3)
    assert len(hits) <= 3 and hits[0].passage.id == "o001223-signer"


@pytest.mark.parametrize("raw", ["", "   ", 5, "x" * 501])
def test_what_cannot_be_a_question_raises_question_error(pipeline, raw):
    with pytest.raises(QuestionError):
        pipeline.answer(raw)


def test_the_pipeline_takes_its_numbers_from_the_policy(tiny_corpus, tiny_index, fake_encoder):
    from tinyqa import make_policy

    policy = make_policy()
    policy.decision.answer_above = 0.999
    strict = Pipeline(tiny_corpus, tiny_index, {"primary": fake_encoder, "multilingual": fake_encoder}, policy)
    assert strict.answer("Who signed Order 001223?").status == "abstained"


class CallLog:
    """Wraps an object and records which of its methods are called, and when."""

    def __init__(self, target, log: list, name: str) -> None:
        self._target, self._log, self._name = target, log, name

    def __getattr__(self, attribute):
        value = getattr(self._target, attribute)
        if callable(value):
            def logged(*args, **kwargs):
                self._log.append(f"{self._name}.{attribute}")
                return value(*args, **kwargs)
            return logged
        return value


@pytest.fixture
def logged_pipeline(pipeline):
    import copy

    log: list[str] = []
    other = copy.copy(pipeline)
    other.understanding = CallLog(pipeline.understanding, log, "understand")
    other.search = CallLog(pipeline.search, log, "retrieve")
    other.premise = CallLog(pipeline.premise, log, "premise")
    other.selector = copy.copy(pipeline.selector)
    other.selector.retriever = CallLog(pipeline.search, log, "retrieve")
    other.selector = CallLog(other.selector, log, "select")
    other.decider = CallLog(pipeline.decider, log, "decide")
    other.composer = CallLog(pipeline.composer, log, "compose")
    return other, log


STAGES = ["understand", "retrieve", "premise", "select", "decide", "compose"]


def test_the_walk_goes_one_way(logged_pipeline):
    pipeline, log = logged_pipeline
    pipeline.trace("Who signed the Serov Instructions?")
    assert [entry.split(".")[0] for entry in log] == STAGES


def test_the_walk_goes_one_way_for_a_two_part_question(logged_pipeline):
    pipeline, log = logged_pipeline
    pipeline.trace("Who signed Order 0054 and how many categories did it list?")
    stages = [entry.split(".")[0] for entry in log]
    assert stages == sorted(stages, key=STAGES.index), log
