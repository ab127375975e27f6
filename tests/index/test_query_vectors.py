"""The retriever keeps the vectors of the questions it encoded (index/retriever.py: encode, encode_many)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import index.retriever as retriever_module
from corpus import load_corpus
from index import HybridRetriever, build_index, load_index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assistant"))
from tinyqa import TINY_CORPUS, FakeEncoder  # noqa: E402  (the answering tests' tiny corpus and fake encoder)


def test_a_question_is_encoded_once_and_the_oldest_vectors_make_room(tmp_path, monkeypatch):
    corpus, encoder = load_corpus(TINY_CORPUS), FakeEncoder()
    build_index(corpus, {"primary": encoder}, tmp_path / "index")
    retriever = HybridRetriever(corpus, load_index(tmp_path / "index", corpus, {"primary": encoder.name}),
                                {"primary": encoder})
    encoder.calls = 0
    monkeypatch.setattr(retriever_module, "ENCODE_CACHE", 2)
    first = retriever.encode("Who signed the Serov Instructions?")
    assert retriever.encode("Who signed the Serov Instructions?") is first and encoder.calls == 1
    assert not first.flags.writeable  # shared by every caller: nobody may change it
    retriever.encode_many(["When?", "Where?", "When?"])  # one batch for the two new ones
    assert encoder.calls == 2
    retriever.encode("Who signed the Serov Instructions?")  # pushed out by the two newer questions
    assert encoder.calls == 3
    retriever.forget_questions()  # what the answer benchmark does before each question it times
    retriever.encode("Who signed the Serov Instructions?")
    assert encoder.calls == 4


def test_batched_query_vectors_are_the_ones_encoded_alone(assistant):
    retriever = assistant.retriever
    space = retriever.lead
    questions = ["Who signed Order 001223 (query-vector test)?", "kas parakstija Serova instrukciju (tests)",
                 "Сколько вагонов ушло из Эстонии? (тест)", "wie viele Waggons fuhren aus Lettland ab (Test)"]
    alone = np.vstack([retriever.encoders[space].encode_queries([q])[0] for q in questions])
    batched = np.vstack(retriever.encode_many(questions, space))
    assert np.abs(alone - batched).max() < 1e-5
