"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import shutil

import pytest

from config.settings import PROJECT_DIR, Settings

# The models ship inside Python packages: nothing may be fetched from a model hub during the tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def assistant_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real pipeline over the shipped corpus, with the index in a temporary folder.

    The project's own index (var/index), if there is one, is copied in as a warm start: the loader
    rebuilds it anyway when it is stale, and the tests never write to var/.
    """
    root = tmp_path_factory.mktemp("serov-qa")
    index_dir = root / "index"
    shipped = PROJECT_DIR / "var" / "index"
    if (shipped / "manifest.json").is_file():
        try:
            shutil.copytree(shipped, index_dir)
        except (OSError, shutil.Error):
            shutil.rmtree(index_dir, ignore_errors=True)  # being rebuilt right now: build our own
    # Explicit values, so that SEROV_QA_* variables of the developer's shell cannot change the tests.
    return Settings(
        index_dir=index_dir,
        question_log=root / "questions.sqlite3",
        curator_token=None,
        allowed_origins=[],
        rate_limit="30/minute",
        frame_ancestors="'self'",
        idle_seconds=90,
        idle_warning_seconds=30,
        log_retention_days=30,
        cache_size=512,
        max_body_bytes=4096,
    )


@pytest.fixture(scope="session")
def assistant(assistant_settings: Settings):
    """The real pipeline (model, index, corpus), loaded once per test session."""
    from server.app import load_from_settings

    return load_from_settings(assistant_settings)


@pytest.fixture(scope="session")
def gold_questions():
    """The shipped gold questions (evaluation/questions*.yaml)."""
    from evaluation.questions import load_questions

    return load_questions()


class QueryVectors:
    """Query vectors of the session assistant's retriever, encoded in batches and kept by the retriever itself
    (HybridRetriever.encode_many), so that the pipeline finds them when it answers the same questions.

    Encoding one question at a time costs minutes on a busy machine; batched vectors are the same as
    one-at-a-time ones (tests/index/test_query_vectors.py). Pass them to HybridRetriever.search as
    `query_vectors`: the search is otherwise unchanged.
    """

    def __init__(self, retriever):
        self._retriever = retriever

    def get(self, space: str, questions) -> dict:
        """{question: vector} in one space, encoding the questions not seen before in batches."""
        questions = list(questions)
        return dict(zip(questions, self._retriever.encode_many(questions, space)))


@pytest.fixture(scope="session")
def gold_query_vectors(assistant) -> QueryVectors:
    """Batch-encoded query vectors for the gold questions (see QueryVectors)."""
    return QueryVectors(assistant.retriever)
