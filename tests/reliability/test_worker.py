"""The pipeline in its worker process: answers and refusals cross the pipe; a dead worker is replaced; a
question past the hard limit has its worker killed and replaced; loading failures come back as kinds."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from assistant import QuestionError
from server.queueing import Refused
from server.worker import PipelinePool, PipelineProcess, WorkerLoadError

sys.path.insert(0, str(Path(__file__).parent))  # the worker process imports stub_worker from here too


@pytest.fixture
def worker(settings, shipped_corpus):
    stages, restarts = [], []
    process = PipelineProcess(settings, shipped_corpus, hard_limit_seconds=1.5, loader="stub_worker:load",
                              on_stage=stages.append, on_restart=lambda: restarts.append(1))
    process.start()
    process.stages, process.restarts = stages, restarts
    yield process
    process.close()


def test_answers_and_refusals_cross_the_pipe(worker):
    assert worker.stages == ["building_index"]
    assert worker.answer("Who signed it?", "de").answer == "stub: Who signed it?"
    with pytest.raises(QuestionError, match="not a question for the stub"):
        worker.answer("refuse this")


def test_a_dead_worker_is_replaced_on_the_next_question(worker):
    os.kill(worker.pid, signal.SIGKILL)
    worker._process.join(5)
    assert worker.answer("Still there?").answer == "stub: Still there?"
    assert worker.restarts == [1]


def test_a_question_past_the_hard_limit_has_its_worker_replaced(worker):
    first = worker.pid
    with pytest.raises(Refused) as refused:
        worker.answer("hang for a minute")
    assert refused.value.reason == "over_budget"
    assert worker.answer("And now?").answer == "stub: And now?"
    assert worker.pid != first


def test_a_loading_failure_comes_back_with_its_kind(settings, shipped_corpus, tmp_path):
    broken = settings.model_copy(update={"corpus_dir": tmp_path / "no-corpus"})
    process = PipelineProcess(broken, shipped_corpus, hard_limit_seconds=5, loader="stub_worker:load")
    with pytest.raises(WorkerLoadError) as failed:
        process.start()
    assert failed.value.kind == "corpus_invalid"
    assert any("no-corpus/sources.yaml:1: file is missing" in p for p in failed.value.problems)


def test_the_server_answers_through_its_worker_process(assistant_settings, tmp_path):
    import time

    from fastapi.testclient import TestClient

    from server.app import create_app

    settings = assistant_settings.model_copy(update={"question_log": tmp_path / "q.sqlite3", "pipeline_process": True})
    app = create_app(settings)
    with TestClient(app) as client:
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline and client.get("/readyz").json()["status"] != "failed"
            time.sleep(0.1)
        worker = app.state.server.assistant
        assert isinstance(worker, PipelineProcess) and worker.pid != os.getpid()
        answer = client.post("/api/ask", json={"question": "Who signed the Serov Instructions?"}).json()
        assert answer["status"] == "answered" and any("Serov" in q["text"] for q in answer["quotes"])
        assert client.get(f"/api/passages/{answer['quotes'][0]['passage_id']}").status_code == 200
    assert worker.pid is None  # stopped with the server


def test_a_pool_answers_side_by_side_one_question_per_worker(settings, shipped_corpus, monkeypatch):
    """Two workers answer two questions at once; each gets one OpenMP thread of the two cores' share."""
    import threading

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    two = settings.model_copy(update={"pipeline_workers": 2})
    workers = [PipelineProcess(two, shipped_corpus, hard_limit_seconds=5, loader="stub_worker:load") for _ in range(2)]
    for worker in workers:
        worker.start()
    pool = PipelinePool(workers)
    try:
        assert pool.corpus is shipped_corpus and len(set(pool.pids)) == 2
        assert pool.answer("threads").answer == str(max(1, (os.cpu_count() or 1) // 2))
        answers = []
        threads = [threading.Thread(target=lambda q=q: answers.append(pool.answer(q).answer))
                   for q in ("pause one", "pause two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(a.rsplit(" ", 2)[0] for a in answers) == ["stub: pause one", "stub: pause two"]
        spans = [tuple(map(float, a.rsplit(" ", 2)[1:])) for a in answers]
        # Side by side: each began sleeping before the other woke (one after the other, one begins after the other ends).
        assert max(start for start, _ in spans) < min(end for _, end in spans)
    finally:
        pool.close()
    assert pool.pids == [None, None]
