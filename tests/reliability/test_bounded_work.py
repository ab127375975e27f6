"""Bounded work: the pipeline behind a bounded queue, with a wait limit and a time budget; health checks,
metrics and cached answers never wait behind it. A stand-in pipeline that holds until released makes
"the pipeline is busy" a state the tests control, not a timing."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

ASK = "/api/ask"


def sample(app, name: str, **labels) -> float:
    return app.state.server.metrics.registry.get_sample_value(name, labels or None) or 0.0


def test_when_the_queue_is_full_the_next_question_gets_a_fast_503_with_retry_after(stub_app, settings, live_server):
    app, pipeline = stub_app(hold=True, queue_size=2, queue_wait_seconds=30, answer_budget_seconds=30)

    async def scenario(url: str):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            first = asyncio.create_task(client.post(ASK, json={"question": "Who signed question one?"}))
            second = asyncio.create_task(client.post(ASK, json={"question": "Who signed question two?"}))
            while app.state.server.queue.depth < 2:
                await asyncio.sleep(0.01)
            third = await client.post(ASK, json={"question": "Who signed question three?"})
            alive = await client.get("/healthz")
            ready = await client.get("/readyz")
            scraped = await client.get("/metrics")
            pipeline.release.set()
            return third, alive, ready, scraped, await first, await second

    with live_server(app, settings) as server:
        third, alive, ready, scraped, first, second = asyncio.run(scenario(server.url))
    assert third.status_code == 503 and third.json()["reason"] == "queue_full"
    assert 1 <= int(third.headers["Retry-After"]) <= 30
    assert alive.status_code == 200 and ready.status_code == 200 and scraped.status_code == 200
    assert "serov_qa_answer_queue_depth 2.0" in scraped.text
    assert first.status_code == 200 and second.status_code == 200
    assert sample(app, "serov_qa_answers_refused_total", reason="queue_full") == 1


def test_cached_answers_and_health_checks_do_not_wait_for_a_busy_pipeline(stub_app):
    app, pipeline = stub_app(hold=True, queue_wait_seconds=30, answer_budget_seconds=30)
    with TestClient(app) as client:
        pipeline.release.set()
        assert client.post(ASK, json={"question": "Who signed the Serov Instructions?"}).status_code == 200
        pipeline.release.clear()
        pipeline.entered.clear()
        busy = threading.Thread(target=client.post, args=(ASK,), kwargs={"json": {"question": "Who was Beria?"}})
        busy.start()
        assert pipeline.entered.wait(10)  # the pipeline is now held on a question
        cached = client.post(ASK, json={"question": "who signed the  Serov Instructions?"})
        assert cached.status_code == 200 and cached.json()["question"] == "who signed the Serov Instructions?"
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/api/sources").status_code == 200
        pipeline.release.set()
        busy.join(10)


def test_a_question_that_waits_too_long_for_the_pipeline_gets_503(stub_app):
    app, pipeline = stub_app(hold=True, queue_wait_seconds=0.3, answer_budget_seconds=30)
    with TestClient(app) as client:
        busy = threading.Thread(target=client.post, args=(ASK,), kwargs={"json": {"question": "Who was Beria?"}})
        busy.start()
        assert pipeline.entered.wait(10)
        waited = client.post(ASK, json={"question": "Who was Serov?"})
        assert waited.status_code == 503 and waited.json()["reason"] == "queue_timeout" and waited.headers["Retry-After"]
        pipeline.release.set()
        busy.join(10)
        assert pipeline.calls == ["Who was Beria?"], "the pipeline never starts on a question nobody waits for"


def test_a_question_over_its_time_budget_gets_503_and_its_answer_is_cached_for_next_time(stub_app):
    app, pipeline = stub_app(hold=True, queue_wait_seconds=5, answer_budget_seconds=0.3)
    with TestClient(app) as client:
        slow = client.post(ASK, json={"question": "Who was Serov?"})
        assert slow.status_code == 503 and slow.json()["reason"] == "over_budget"
        pipeline.release.set()
        for _ in range(200):  # the pipeline finishes in the background
            if app.state.server.queue.depth == 0:
                break
            threading.Event().wait(0.02)
        again = client.post(ASK, json={"question": "Who was Serov?"})
        assert again.status_code == 200 and pipeline.calls == ["Who was Serov?"]
        assert sample(app, "serov_qa_answers_refused_total", reason="over_budget") == 1


def test_a_group_asking_the_same_question_at_once_costs_the_pipeline_once(stub_app):
    app, pipeline = stub_app(hold=True, queue_size=1)
    with TestClient(app) as client:
        threads = [threading.Thread(target=client.post, args=(ASK,), kwargs={"json": {"question": "Who signed it, Serov?"}})
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        assert pipeline.entered.wait(10)
        threading.Event().wait(0.3)  # let the others arrive while the first is held
        pipeline.release.set()
        for thread in threads:
            thread.join(10)
        assert pipeline.calls == ["Who signed it, Serov?"]
        assert sample(app, "serov_qa_answers_refused_total", reason="queue_full") == 0


def test_the_queue_settings_are_validated():
    from config.settings import Settings

    for bad in ({"queue_size": 0}, {"queue_wait_seconds": 0}, {"answer_budget_seconds": -1}, {"max_question_tokens": 8}):
        with pytest.raises(ValueError):
            Settings(**bad)
